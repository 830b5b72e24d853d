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
fit into the freed blocks; phase 4 swaps like for like, so it must not grow. This soak lifts the
`--max-objects` cap (where the mock has it), since it creates far more than the default allows.

Then, where the mock has `--max-objects` (contract section 17), a second mock with a small cap:
  capacity    MAX_OBJECTS * 3/2 POST /v1/payments: creates until the account holds MAX_OBJECTS
              objects (payments and stored responses together), then 503 capacity_reached
  at capacity MAX_OBJECTS more, every one a 503 that creates nothing: RSS must stay put
"""

from __future__ import annotations

import json
import ssl
import urllib.request

from harness import (
    MAX_OBJECTS_OPTION,
    VENV_BIN,
    Row,
    free_port,
    mock_has_option,
    rss_kib,
    run_wrk,
    say,
    server,
    tls_files,
    without_object_limit,
)

API_KEY = "fl_test_sk_soakSOAKsoakSOAKsoakSOAK00000000"
REQUESTS_PER_PHASE = 100_000
CONNECTIONS = 32
PHASE_TIME_LIMIT = 90  # seconds; keeps `make bench` bounded on a busy machine (rows show the count)
RETENTION_PASSED = 24 * 3600 + 60
CHURN_REQUESTS = 50_000
CHURN_GROWTH_LIMIT_MIB = 2.0
MAX_OBJECTS = 20_000
CAPPED_GROWTH_LIMIT_MIB = 2.0


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


def _mock_command(port: int, cert_file, key_file, *extra: str) -> list[str]:
    return [
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
        *extra,
    ]


def measure(with_key_churn: bool = True) -> list[Row]:
    rows = measure_expiry(with_key_churn)
    if mock_has_option(MAX_OBJECTS_OPTION):
        rows.extend(measure_max_objects(MAX_OBJECTS))
    else:
        rows.append(
            Row(
                f"mock RSS bounded at {MAX_OBJECTS_OPTION}",
                "option not available",
                target=f"bounded at {MAX_OBJECTS_OPTION}",
                met=False,
                note=f"this flowlix-mock has no {MAX_OBJECTS_OPTION} option (contract section 17)",
            )
        )
    return rows


def measure_max_objects(max_objects: int) -> list[Row]:
    """RSS of a mock capped at `max_objects`: filled to capacity, then held there."""
    _, cert_file, key_file = tls_files()
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    command = _mock_command(port, cert_file, key_file, MAX_OBJECTS_OPTION, str(max_objects))
    figures: dict[str, dict[str, float]] = {}
    rss: dict[str, int] = {}
    with server(command, port, "memory-max-objects") as mock:
        rss["start"] = rss_kib(mock.pid)
        for name, count in (("fill", max_objects * 3 // 2), ("held", max_objects)):
            say(f"memory: --max-objects {max_objects:,}, {name}, {count:,} POST /v1/payments")
            figures[name] = run_wrk(
                base,
                "post-capped",
                "/v1/payments",
                API_KEY,
                f"capped-{name}",
                connections=CONNECTIONS,
                seconds=PHASE_TIME_LIMIT,
                stop_after=count,
            )
            rss[name] = rss_kib(mock.pid)
    return max_objects_rows(max_objects, figures, rss)


def max_objects_rows(
    max_objects: int, figures: dict[str, dict[str, float]], rss: dict[str, int]
) -> list[Row]:
    fill, held = figures["fill"], figures["held"]
    problems = [
        f"{name}: {phase['unexpected_status']} statuses other than 201/503, "
        f"{phase['timeouts']} timeouts"
        for name, phase in figures.items()
        if phase["unexpected_status"] or phase["timeouts"]
    ]
    if not fill["capacity_reached"]:
        problems.append(f"no 503 after {int(fill['requests']):,} creates: the cap was not reached")
    if held["created"]:
        problems.append(f"{int(held['created']):,} created past capacity")
    growth = rss["held"] - rss["fill"]
    per_payment = (rss["fill"] - rss["start"]) * 1024 / fill["created"] if fill["created"] else 0
    return [
        Row(
            f"mock RSS at {MAX_OBJECTS_OPTION} {max_objects:,}: after {int(fill['requests']):,} "
            f"POST /v1/payments, {int(fill['created']):,} created, then "
            f"{int(fill['capacity_reached']):,} 503 capacity_reached (MiB)",
            _mib(rss["fill"]),
            _mib(rss["start"]),
            f"+{per_payment:,.0f} B/payment created",
        ),
        Row(
            f"mock RSS at capacity after {int(held['requests']):,} more POST /v1/payments, "
            f"{int(held['capacity_reached']):,} of them 503 (MiB)",
            _mib(rss["held"]),
            _mib(rss["fill"]),
            f"{growth / 1024:+,.1f} MiB",
            f"grows <= {CAPPED_GROWTH_LIMIT_MIB:g} MiB, creates nothing (bounded at "
            f"{MAX_OBJECTS_OPTION})",
            growth <= CAPPED_GROWTH_LIMIT_MIB * 1024 and not problems,
            "; ".join(problems),
        ),
    ]


def measure_expiry(with_key_churn: bool = True) -> list[Row]:
    ca_file, cert_file, key_file = tls_files()
    context = ssl.create_default_context(cafile=str(ca_file))
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    command = _mock_command(port, cert_file, key_file, *without_object_limit())
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
