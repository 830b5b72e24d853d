"""Mock API throughput and latency against two peers: Prism 5.14.2 fed the mock's own OpenAPI
document (stateless), and localstripe 1.15.10 (a stateful fake of another payments API).

Four servers run side by side on the server core, each idle while another is measured:
  ours over HTTP        bench/plain_http_mock.py (the shipped command minus TLS, see that file)
  Prism over HTTP       `prism mock openapi.json` (Prism has no HTTPS)
  localstripe over HTTP bench/localstripe_server.py (localstripe's app, in memory, on loopback;
                        localstripe has no HTTPS either)
  ours over HTTPS       the real `flowlix-mock` command with a throwaway certificate
wrk runs on the other core with bench/payments.lua. For each endpoint and connection count the
four are measured back to back, so that a busy machine affects them alike.

The nearest equivalent of our two operations on localstripe:
  POST /v1/payments (JSON card, fresh Idempotency-Key)  ->  POST /v1/payment_intents with
      amount, currency, a card PaymentMethod created once beforehand and confirm=true (form
      body, fresh Idempotency-Key, which localstripe ignores): creates and confirms a payment
      intent, its charge, a balance transaction and an event in one call
  GET /v1/payments/{id}                                 ->  GET /v1/payment_intents/{id}
"""

from __future__ import annotations

import json
import ssl
import urllib.parse
import urllib.request
from contextlib import ExitStack

from harness import (
    BENCH,
    CACHE,
    VENV_BIN,
    Row,
    ensure_localstripe,
    ensure_prism,
    free_port,
    ratio,
    run_wrk,
    say,
    server,
    tls_files,
    without_object_limit,
)

API_KEY = "fl_test_sk_benchmarkBENCHMARKbenchmark0000"
STRIPE_KEY = "sk_test_benchmark"  # localstripe accepts any key shaped like this
RATE_LIMIT = 1_000_000_000  # far above anything wrk can send: no 429 in the measurements
WARMUP_SECONDS = 2
CONNECTIONS = (1, 32)
THROUGHPUT_TARGET = 5  # times Prism's requests/s, on every row
PEERS = {"prism": "Prism", "localstripe": "localstripe"}
PAYMENT_BODY = {
    "amount": 4999,
    "currency": "EUR",
    "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    "reference": "order-bench",
}


def _create_payment(base: str, context: ssl.SSLContext | None) -> str:
    request = urllib.request.Request(
        f"{base}/v1/payments",
        data=json.dumps(PAYMENT_BODY).encode(),
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "application/json",
            "Idempotency-Key": "bench-setup-payment",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return json.load(response)["id"]


def _localstripe_post(base: str, path: str, form: dict[str, object]) -> dict:
    request = urllib.request.Request(
        f"{base}{path}",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": f"Bearer {STRIPE_KEY}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def localstripe_payment_form(payment_method: str) -> str:
    """The form body of one create-and-confirm call: our POST /v1/payments' nearest equivalent."""
    return urllib.parse.urlencode(
        {
            "amount": PAYMENT_BODY["amount"],
            "currency": PAYMENT_BODY["currency"].lower(),
            "payment_method": payment_method,
            "confirm": "true",
            "metadata[reference]": PAYMENT_BODY["reference"],
        }
    )


def _localstripe_setup(base: str) -> tuple[str, str]:
    """A card PaymentMethod (as our body's card) and one confirmed PaymentIntent to retrieve."""
    card = PAYMENT_BODY["card"]
    method = _localstripe_post(
        base,
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": "4242424242424242",  # localstripe's succeeding test card
            "card[exp_month]": card["exp_month"],
            "card[exp_year]": card["exp_year"],
            "card[cvc]": card["cvc"],
        },
    )["id"]
    form = dict(urllib.parse.parse_qsl(localstripe_payment_form(method)))
    intent = _localstripe_post(base, "/v1/payment_intents", form)
    if intent.get("status") != "succeeded":
        raise RuntimeError(f"localstripe did not confirm the payment intent: {intent}")
    return method, intent["id"]


def _localstripe_reset(base: str) -> tuple[str, str]:
    """Empty localstripe's store, then set up again: (card PaymentMethod, PaymentIntent).

    localstripe exports a charge (inside every payment intent it returns, created or retrieved)
    with its refunds, which it finds by scanning every object it holds, so each of its answers
    costs time in proportion to everything created before. Each of its runs starts from an empty
    store, as each of our mock's runs starts from an account with little in it."""
    request = urllib.request.Request(f"{base}/_config/data", method="DELETE")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return _localstripe_setup(base)


def _mock_command(script: list[str], port: int, cert, key) -> list[str]:
    return [
        *script,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--rate-limit",
        str(RATE_LIMIT),
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
        *without_object_limit(),
    ]


def _ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.2f}"


def measure(seconds: float) -> list[Row]:
    from flowlix_mock.openapi import openapi_document

    prism = ensure_prism()
    localstripe_python = ensure_localstripe()
    CACHE.mkdir(parents=True, exist_ok=True)
    spec = CACHE / "openapi.json"
    spec.write_text(json.dumps(openapi_document()))
    ca_file, cert_file, key_file = tls_files()
    tls_context = ssl.create_default_context(cafile=str(ca_file))

    names = ("ours-http", "prism", "localstripe", "ours-https")
    ports = {name: free_port() for name in names}
    with ExitStack() as stack:
        say("starting our mock over HTTP and HTTPS, Prism and localstripe")
        stack.enter_context(
            server(
                _mock_command(
                    [str(VENV_BIN / "python"), "bench/plain_http_mock.py"],
                    ports["ours-http"],
                    cert_file,
                    key_file,
                ),
                ports["ours-http"],
                "api-ours-http",
            )
        )
        stack.enter_context(
            server(
                _mock_command(
                    [str(VENV_BIN / "flowlix-mock")], ports["ours-https"], cert_file, key_file
                ),
                ports["ours-https"],
                "api-ours-https",
            )
        )
        stack.enter_context(
            server(
                [str(prism), "mock", str(spec), "-h", "127.0.0.1", "-p", str(ports["prism"])],
                ports["prism"],
                "api-prism",
            )
        )
        stack.enter_context(
            server(
                [
                    str(localstripe_python),
                    str(BENCH / "localstripe_server.py"),
                    "--port",
                    str(ports["localstripe"]),
                ],
                ports["localstripe"],
                "api-localstripe",
            )
        )
        # Prism serves the document's paths as written (/payments); its `servers` entries carry
        # the /v1 prefix, which Prism does not add to its routes.
        urls = {
            "ours-http": f"http://127.0.0.1:{ports['ours-http']}",
            "prism": f"http://127.0.0.1:{ports['prism']}",
            "localstripe": f"http://127.0.0.1:{ports['localstripe']}",
            "ours-https": f"https://127.0.0.1:{ports['ours-https']}",
        }
        payment_ids = {
            "ours-http": _create_payment(urls["ours-http"], None),
            "ours-https": _create_payment(urls["ours-https"], tls_context),
        }

        def request_for(endpoint: str, name: str) -> tuple[str, str, str, str]:
            """(mode, path, API key, form body) of one endpoint on one server.

            localstripe's store is emptied before each of its runs (see `_localstripe_reset`)."""
            if name == "localstripe":
                method, intent = _localstripe_reset(urls["localstripe"])
                if endpoint.startswith("GET"):
                    return "get", f"/v1/payment_intents/{intent}", STRIPE_KEY, ""
                form = localstripe_payment_form(method)
                return "form-post", "/v1/payment_intents", STRIPE_KEY, form
            if name == "prism":
                if endpoint.startswith("GET"):
                    return "get", "/payments/pay_bench", API_KEY, ""
                return "post", "/payments", API_KEY, ""
            if endpoint.startswith("GET"):
                return "get", f"/v1/payments/{payment_ids[name]}", API_KEY, ""
            return "post", "/v1/payments", API_KEY, ""

        results: dict[tuple[str, int, str], dict[str, float]] = {}
        for endpoint in ENDPOINTS:
            for name in names:
                mode, path, key, body = request_for(endpoint, name)
                say(f"warming up {name}: {endpoint}")
                run_wrk(
                    urls[name],
                    mode,
                    path,
                    key,
                    f"warm-{name}",
                    connections=32,
                    seconds=WARMUP_SECONDS,
                    body=body,
                )
            for connections in CONNECTIONS:
                for name in names:
                    mode, path, key, body = request_for(endpoint, name)
                    say(f"{name}: {endpoint}, {connections} connection(s), {seconds:g} s")
                    results[(endpoint, connections, name)] = run_wrk(
                        urls[name],
                        mode,
                        path,
                        key,
                        f"run-{name}-{connections}",
                        connections=connections,
                        seconds=seconds,
                        body=body,
                    )
    return api_rows(results)


ENDPOINTS = ("GET /v1/payments/{id}", "POST /v1/payments")


def _problems(figures_by_who: dict[str, dict[str, float]]) -> list[str]:
    return [
        f"{who}: {figures['unexpected_status']} unexpected statuses, {figures['timeouts']} timeouts"
        for who, figures in figures_by_who.items()
        if figures["unexpected_status"] or figures["timeouts"]
    ]


def api_rows(results: dict[tuple[str, int, str], dict[str, float]]) -> list[Row]:
    """The table rows from wrk's figures keyed by (endpoint, connections, server name)."""
    rows: list[Row] = []
    for transport, ours_name in (("HTTP", "ours-http"), ("HTTPS", "ours-https")):
        for endpoint in ENDPOINTS:
            for connections in CONNECTIONS:
                ours = results[(endpoint, connections, ours_name)]
                for peer, peer_label in PEERS.items():
                    base = results.get((endpoint, connections, peer))
                    if base is None:
                        continue
                    label = f"{endpoint}, {connections} conn, ours over {transport} vs {peer_label}"
                    problems = _problems({"ours": ours, peer_label: base})
                    throughput = ratio(ours["rps"], base["rps"])
                    if peer == "prism":
                        target = f">= {THROUGHPUT_TARGET}x Prism"
                        met = throughput >= THROUGHPUT_TARGET
                    else:
                        target = f"> {peer_label}"
                        met = ours["rps"] > base["rps"]
                    rows.append(
                        Row(
                            f"{label}: requests/s",
                            f"{ours['rps']:,.0f}",
                            f"{base['rps']:,.0f}",
                            f"{throughput:.1f}x",
                            target,
                            met and not problems,
                            "; ".join(problems),
                        )
                    )
                    rows.append(
                        Row(
                            f"{label}: p50 / p99 latency (ms)",
                            f"{_ms(ours['p50_us'])} / {_ms(ours['p99_us'])}",
                            f"{_ms(base['p50_us'])} / {_ms(base['p99_us'])}",
                            f"{ratio(ours['p50_us'], base['p50_us']):.2f}x / "
                            f"{ratio(ours['p99_us'], base['p99_us']):.2f}x",
                            f"p99 < {peer_label}'s",
                            ours["p99_us"] < base["p99_us"] and not problems,
                        )
                    )
    return rows
