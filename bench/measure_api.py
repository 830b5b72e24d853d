"""Mock API throughput and latency against Prism 5.14.2 fed the mock's own OpenAPI document.

Three servers run side by side on the server core, each idle while another is measured:
  ours over HTTP   bench/plain_http_mock.py (the shipped command minus TLS, see that file)
  Prism over HTTP  `prism mock openapi.json` (Prism has no HTTPS)
  ours over HTTPS  the real `flowlix-mock` command with a throwaway certificate
wrk runs on the other core with bench/payments.lua. For each endpoint and connection count the
three are measured back to back, so that a busy machine affects them alike.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from contextlib import ExitStack

from harness import (
    CACHE,
    VENV_BIN,
    Row,
    ensure_prism,
    free_port,
    ratio,
    run_wrk,
    say,
    server,
    tls_files,
)

API_KEY = "fl_test_sk_benchmarkBENCHMARKbenchmark0000"
RATE_LIMIT = 1_000_000_000  # far above anything wrk can send: no 429 in the measurements
WARMUP_SECONDS = 2
CONNECTIONS = (1, 32)
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
    ]


def _ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.2f}"


def measure(seconds: float) -> list[Row]:
    from flowlix_mock.openapi import openapi_document

    prism = ensure_prism()
    CACHE.mkdir(parents=True, exist_ok=True)
    spec = CACHE / "openapi.json"
    spec.write_text(json.dumps(openapi_document()))
    ca_file, cert_file, key_file = tls_files()
    tls_context = ssl.create_default_context(cafile=str(ca_file))

    ports = {name: free_port() for name in ("ours-http", "prism", "ours-https")}
    with ExitStack() as stack:
        say("starting our mock over HTTP and HTTPS and Prism")
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
        # Prism serves the document's paths as written (/payments); its `servers` entries carry
        # the /v1 prefix, which Prism does not add to its routes.
        targets = {
            "ours-http": (f"http://127.0.0.1:{ports['ours-http']}", "/v1"),
            "prism": (f"http://127.0.0.1:{ports['prism']}", ""),
            "ours-https": (f"https://127.0.0.1:{ports['ours-https']}", "/v1"),
        }
        payment_ids = {
            "ours-http": _create_payment(targets["ours-http"][0], None),
            "ours-https": _create_payment(targets["ours-https"][0], tls_context),
            "prism": "pay_bench",
        }
        endpoints = {
            "GET /v1/payments/{id}": lambda name: ("get", f"/payments/{payment_ids[name]}"),
            "POST /v1/payments": lambda name: ("post", "/payments"),
        }
        results: dict[tuple[str, int, str], dict[str, float]] = {}
        for endpoint, request_for in endpoints.items():
            for name, (url, prefix) in targets.items():
                mode, path = request_for(name)
                say(f"warming up {name}: {endpoint}")
                run_wrk(
                    url,
                    mode,
                    prefix + path,
                    API_KEY,
                    f"warm-{name}",
                    connections=32,
                    seconds=WARMUP_SECONDS,
                )
            for connections in CONNECTIONS:
                for name, (url, prefix) in targets.items():
                    mode, path = request_for(name)
                    say(f"{name}: {endpoint}, {connections} connection(s), {seconds:g} s")
                    results[(endpoint, connections, name)] = run_wrk(
                        url,
                        mode,
                        prefix + path,
                        API_KEY,
                        f"run-{name}-{connections}",
                        connections=connections,
                        seconds=seconds,
                    )

    rows: list[Row] = []
    for transport, ours_name in (("HTTP", "ours-http"), ("HTTPS", "ours-https")):
        for endpoint in endpoints:
            for connections in CONNECTIONS:
                ours = results[(endpoint, connections, ours_name)]
                base = results[(endpoint, connections, "prism")]
                label = f"{endpoint}, {connections} conn, ours over {transport}"
                problems = [
                    f"{who}: {figures['unexpected_status']} unexpected statuses, "
                    f"{figures['timeouts']} timeouts"
                    for who, figures in (("ours", ours), ("Prism", base))
                    if figures["unexpected_status"] or figures["timeouts"]
                ]
                throughput = ratio(ours["rps"], base["rps"])
                rows.append(
                    Row(
                        f"{label}: requests/s",
                        f"{ours['rps']:,.0f}",
                        f"{base['rps']:,.0f}",
                        f"{throughput:.1f}x",
                        ">= 3x Prism",
                        throughput >= 3 and not problems,
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
                        "p99 < Prism's",
                        ours["p99_us"] < base["p99_us"] and not problems,
                    )
                )
    return rows
