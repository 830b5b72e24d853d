"""Test your integration against the Flowlix mock in your own pytest suite.

`pip install flowlix-mock` adds the pytest fixtures `flowlix_mock` (one mock server per test
session), `flowlix_api_key` (a fresh, empty test account per test) and `flowlix_client` (an
httpx client for that account). Run this file with `pytest`, or as a program.
"""

import sys

import httpx
import pytest

VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
NO_FUNDS = {"number": "4000040000010015", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


# The code under test: in your project it lives in your application, not in the test file.
def charge_order(
    client: httpx.Client, order_id: str, amount: int, card: dict, headers: dict | None = None
) -> dict:
    response = client.post(
        "/payments",
        json={"amount": amount, "currency": "EUR", "card": card, "reference": order_id},
        headers={**(headers or {}), "Idempotency-Key": f"payment-{order_id}-1"},
    )
    if response.status_code == 402:
        return {"paid": False, "decline_code": response.json()["error"]["decline_code"]}
    response.raise_for_status()
    return {"paid": True, "payment_id": response.json()["id"]}


def payment_count(client: httpx.Client, order_id: str) -> int:
    return len(client.get("/payments", params={"reference": order_id}).json()["data"])


# --8<-- [start:focus]
def test_a_good_card_pays(flowlix_client: httpx.Client) -> None:
    result = charge_order(flowlix_client, "order-1", 4999, VISA)
    assert result["paid"] and result["payment_id"].startswith("pay_")


def test_a_decline_is_reported_not_raised(flowlix_client: httpx.Client) -> None:
    assert charge_order(flowlix_client, "order-2", 4999, NO_FUNDS) == {
        "paid": False,
        "decline_code": "insufficient_funds",
    }


def test_charging_twice_charges_once(flowlix_client: httpx.Client) -> None:
    first = charge_order(flowlix_client, "order-3", 4999, VISA)
    assert charge_order(flowlix_client, "order-3", 4999, VISA) == first
    assert payment_count(flowlix_client, "order-3") == 1


def test_a_server_error_charges_nothing(flowlix_client: httpx.Client) -> None:
    with pytest.raises(httpx.HTTPStatusError):
        charge_order(flowlix_client, "order-4", 4999, VISA, {"Flowlix-Simulate": "server_error"})
    assert payment_count(flowlix_client, "order-4") == 0


# --8<-- [end:focus]
if __name__ == "__main__":
    exit_code = pytest.main([__file__, "-q", "-p", "no:cacheprovider"])
    print("pytest exit code:", int(exit_code))
    #> pytest exit code: 0
    if exit_code:
        sys.exit(int(exit_code))
