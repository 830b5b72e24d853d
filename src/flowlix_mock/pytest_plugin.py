"""pytest fixtures for testing an integration against the mock.

Installed with `flowlix-mock`, so in your own suite you can simply write:

```python
def test_checkout_charges_once(flowlix_client):
    response = flowlix_client.post(
        "/payments",
        json={...},
        headers={"Idempotency-Key": "payment-order-1234-1"},
    )
    assert response.status_code == 201
```
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .testing import MockServer, new_test_key, start_mock


@pytest.fixture(scope="session")
def flowlix_mock() -> Iterator[MockServer]:
    """One mock server for the whole test session (per xdist worker)."""
    with start_mock() as mock:
        yield mock


@pytest.fixture
def flowlix_api_key() -> str:
    """A fresh test key: a new, empty account on the mock for each test."""
    return new_test_key()


@pytest.fixture
def flowlix_client(flowlix_mock: MockServer, flowlix_api_key: str) -> Iterator[httpx.Client]:
    """An httpx client for the mock, authenticated as a fresh account."""
    with flowlix_mock.client(flowlix_api_key) as client:
        yield client
