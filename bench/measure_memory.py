"""Memory under soak: the real HTTPS mock's resident set size (VmRSS) as idempotency keys pile up
and expire.

One account, unique Idempotency-Keys throughout, wrk on the client core, the mock on the server
core:
  start       right after the mock listens
  phase 1     100,000 POST /v1/payments                       -> keys + payments
  phase 2     clock +24 h, 100,000 more POST /v1/payments     -> phase-1 keys expire; payments stay
  phase 3     clock +24 h, 50,000 POST /v1/refunds of a payment that does not exist: each is a
              stored 404 that creates nothing, so only keys come and go
  phase 4     clock +24 h, 50,000 more of those
Payments (and their events) are the account's data and are kept, so phase 2 still grows by their
share; what must not grow is the idempotency store once its keys expire. Phase 3 swaps keys
holding payment responses for keys holding smaller 404 responses, which the allocator may not
fit into the freed blocks; phase 4 swaps like for like, so it must not grow.
"""

from __future__ import annotations

import json
import ssl
import urllib.request

from harness import VENV_BIN, Row, free_port, rss_kib, run_wrk, say, server, tls_files

API_KEY = "fl_test_sk_soakSOAKsoakSOAKsoakSOAK00000000"
REQUESTS_PER_PHASE = 100_000
CONNECTIONS = 32
PHASE_TIME_LIMIT = 90  # seconds; keeps `make bench` bounded on a busy machine (rows show the count)
RETENTION_PASSED = 24 * 3600 + 60
CHURN_REQUESTS = 50_000
CHURN_GROWTH_LIMIT_MIB = 2.0


def _advance_clock(base: str, context: ssl.SSLContext) -> None:
    request = urllib.request.Request(
        f"{base}/v1/test_helpers/clock/advance",
        data=json.dumps({"seconds": RETENTION_PASSED}).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        response.read()


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.1f}"


def measure(with_key_churn: bool = True) -> list[Row]:
    ca_file, cert_file, key_file = tls_files()
    context = ssl.create_default_context(cafile=str(ca_file))
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    command = [
        str(VENV_BIN / "flowlix-mock"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--rate-limit",
        "1000000000",
        "--tls-cert",
        str(cert_file),
        "--tls-key",
        str(key_file),
    ]
    sent: dict[str, int] = {}
    rss: dict[str, int] = {}
    problems: list[str] = []

    def phase(name: str, mode: str, path: str, count: int) -> None:
        say(f"memory: {name}, {count:,} requests")
        figures = run_wrk(
            base,
            mode,
            path,
            API_KEY,
            f"soak-{name}",
            connections=CONNECTIONS,
            seconds=PHASE_TIME_LIMIT,
            stop_after=count,
        )
        sent[name] = int(figures["requests"])
        if figures["unexpected_status"] or figures["timeouts"]:
            problems.append(
                f"{name}: {figures['unexpected_status']} unexpected statuses, "
                f"{figures['timeouts']} timeouts"
            )
        rss[name] = rss_kib(mock.pid)

    with server(command, port, "memory-mock") as mock:
        rss["start"] = rss_kib(mock.pid)
        phase("phase 1", "post", "/v1/payments", REQUESTS_PER_PHASE)
        _advance_clock(base, context)
        phase("phase 2", "post", "/v1/payments", REQUESTS_PER_PHASE)
        if with_key_churn:
            for name in ("phase 3", "phase 4"):
                _advance_clock(base, context)
                phase(name, "refund-missing", "/v1/refunds", CHURN_REQUESTS)

    growth1 = rss["phase 1"] - rss["start"]
    growth2 = rss["phase 2"] - rss["phase 1"]
    note = "; ".join(problems)
    rows = [
        Row("mock RSS at start (MiB)", _mib(rss["start"])),
        Row(
            f"mock RSS after {sent['phase 1']:,} POST /v1/payments, unique keys (MiB)",
            _mib(rss["phase 1"]),
            _mib(rss["start"]),
            f"+{growth1 / sent['phase 1'] * 1024:,.0f} B/request",
            note=note,
        ),
        Row(
            f"mock RSS after clock +24 h and {sent['phase 2']:,} more POST /v1/payments (MiB)",
            _mib(rss["phase 2"]),
            _mib(rss["phase 1"]),
            f"growth {growth2 / growth1:.2f}x phase 1's" if growth1 > 0 else "—",
            "grows less than phase 1 (keys freed, payments kept)",
            growth2 < growth1 and not problems,
        ),
    ]
    if with_key_churn:
        growth3 = rss["phase 3"] - rss["phase 2"]
        growth4 = rss["phase 4"] - rss["phase 3"]
        rows.append(
            Row(
                f"mock RSS after clock +24 h and {sent['phase 3']:,} stored 404s, nothing "
                "created (MiB)",
                _mib(rss["phase 3"]),
                _mib(rss["phase 2"]),
                f"{growth3 / 1024:+,.1f} MiB",
            )
        )
        rows.append(
            Row(
                f"mock RSS after clock +24 h and {sent['phase 4']:,} more stored 404s (MiB)",
                _mib(rss["phase 4"]),
                _mib(rss["phase 3"]),
                f"{growth4 / 1024:+,.1f} MiB",
                f"grows <= {CHURN_GROWTH_LIMIT_MIB:g} MiB (bounded once keys expire)",
                growth4 <= CHURN_GROWTH_LIMIT_MIB * 1024 and not problems,
            )
        )
    return rows
