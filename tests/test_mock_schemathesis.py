"""Fuzz the mock with schemathesis against the OpenAPI document it serves.

Every generated request, valid or not, must get a documented status, a body matching the
document and the documented headers; no 5xx unless the request asked for one with
Flowlix-Simulate. Requests generated from the document (positive data) must be accepted, and
requests that break it (negative data) rejected, so the validator and the document cannot drift:
a valid request may still meet a business rule (a decline, an unknown id, a three-decimal amount
that does not end in 0) but never a parameter error.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from flowlix_mock.openapi import openapi_document
from flowlix_mock.testing import new_test_key, start_mock

# What a request that the document calls valid may still get: business outcomes, never a
# parameter error (checked below on top of the status).
schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
schema.config.checks.positive_data_acceptance.expected_statuses = [
    "2xx",
    "400",
    "401",
    "402",
    "403",
    "404",
    "409",
    "422",
    "429",
    "5xx",
]
PARAMETER_ERRORS = {"parameter_missing", "parameter_unknown", "parameter_invalid", "invalid_json"}


def holds_a_float(value: object) -> bool:
    """JSON Schema counts `1000.0` as an integer; the contract (and the mock) do not."""
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(holds_a_float(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_a_float(item) for item in value)
    return False


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
            positive_data_acceptance,
            negative_data_rejection,
        ],
    )
    simulated = "Flowlix-Simulate" in (case.headers or {})
    assert response.status_code < 500 or simulated, response.text
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        if response.status_code == 400 and not holds_a_float(case.body):
            error = response.json()["error"]
            assert error["code"] not in PARAMETER_ERRORS, (case.body, case.query, error)
