"""A client generated from the served OpenAPI document, at the generator's default settings,
type-checks and works against the mock.

openapi-python-client generates the package once per run (module scope), mypy checks it (its
cache kept in `.cache/mypy`, so an unchanged client checks in a moment), and the generated
functions then create, retrieve, refund and list payments and create a checkout session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGE = "flowlix_api_client"


@pytest.fixture(scope="module")
def generated(flowlix_mock: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated project folder (it holds the `flowlix_api_client` package)."""
    with flowlix_mock.client(new_test_key()) as client:
        document = client.get("/openapi.json").json()
    work = tmp_path_factory.mktemp("client")
    spec = work / "openapi.json"
    spec.write_text(json.dumps(document), "utf-8")
    output = work / "flowlix-api-client"
    result = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=work,
        env=os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    return output


@pytest.fixture(scope="module")
def client_package(generated: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(generated))
    try:
        import flowlix_api_client

        yield flowlix_api_client
    finally:
        sys.path.remove(str(generated))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_mypy_passes_on_the_generated_client(generated: Path):
    result = subprocess.run(
        [str(BIN / "mypy"), "--cache-dir", str(ROOT / ".cache" / "mypy"), PACKAGE],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=generated,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generated_client_pays_refunds_lists_and_opens_a_checkout(
    client_package: ModuleType, flowlix_mock: MockServer
):
    from flowlix_api_client import AuthenticatedClient
    from flowlix_api_client.api.checkout_sessions import create_checkout_session
    from flowlix_api_client.api.payments import create_payment, list_payments, retrieve_payment
    from flowlix_api_client.api.refunds import create_refund
    from flowlix_api_client.models import (
        CardInput,
        CheckoutSession,
        CheckoutSessionCreate,
        Payment,
        PaymentCreate,
        PaymentList,
        Refund,
        RefundCreate,
    )

    visa = catalog.TEST_CARDS_BY_NUMBER["4111111111111111"]
    client = AuthenticatedClient(
        base_url=flowlix_mock.base_url,
        token=new_test_key(),
        verify_ssl=flowlix_mock.ssl_context(),
        raise_on_unexpected_status=True,
    )
    with client:
        created = create_payment.sync_detailed(
            client=client,
            body=PaymentCreate(
                amount=4999,
                currency="eur",
                card=CardInput(number=visa.number, exp_month=12, exp_year=2030, cvc="123"),
                reference="order-generated-1",
            ),
            idempotency_key="generated-client-payment-1",
        )
        assert created.status_code == 201
        payment = created.parsed
        assert isinstance(payment, Payment)
        assert payment.status == "succeeded" and payment.currency == "EUR"
        assert payment.card.last4 == visa.last4

        fetched = retrieve_payment.sync(payment.id, client=client)
        assert isinstance(fetched, Payment) and fetched.id == payment.id

        refund = create_refund.sync(
            client=client,
            body=RefundCreate(payment=payment.id, amount=1000),
            idempotency_key="generated-client-refund-1",
        )
        assert isinstance(refund, Refund)
        assert (refund.amount, refund.payment, refund.status) == (1000, payment.id, "succeeded")
        assert retrieve_payment.sync(payment.id, client=client).amount_refunded == 1000

        listed = list_payments.sync(client=client, reference="order-generated-1", limit=5)
        assert isinstance(listed, PaymentList)
        assert [item.id for item in listed.data] == [payment.id] and not listed.has_more

        session = create_checkout_session.sync(
            client=client,
            body=CheckoutSessionCreate(
                amount=2500,
                currency="EUR",
                success_url="https://shop.example/paid",
                cancel_url="https://shop.example/cart",
            ),
        )
        assert isinstance(session, CheckoutSession)
        assert session.status == "open" and session.url.startswith(flowlix_mock.origin)
