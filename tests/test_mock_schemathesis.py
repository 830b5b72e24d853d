"""Fuzz the mock with schemathesis against its own OpenAPI document.

Every generated request, valid or not, must get a documented status, a body matching the
document and the documented headers; no 5xx unless the request asked for one with
Flowlix-Simulate.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from flowlix_mock.openapi import openapi_document
from flowlix_mock.testing import new_test_key, start_mock

schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def fuzz_target():
    # A high rate limit so the fuzzer reaches the handlers instead of 429s.
    with start_mock(rate_limit=100_000) as mock, requests.Session() as session:
        session.verify = str(mock.ca_file)
        yield mock, session


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_response_matches_the_document(case, fuzz_target):
    mock, session = fuzz_target
    response = case.call(
        base_url=mock.base_url,
        session=session,
        headers={"Authorization": f"Bearer {new_test_key(seed='fuzz')}"},
        timeout=10,
        verify=str(mock.ca_file),
    )
    case.validate_response(
        response,
        checks=[
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
    simulated = "Flowlix-Simulate" in (case.headers or {})
    assert response.status_code < 500 or simulated, response.text
