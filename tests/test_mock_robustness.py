"""Contract section 17 over real HTTPS: the mock under attack and overload.

Each test is the regression test of a finding of issue 13: the local CA's lifecycle, the webhook
host rule and delivery fairness, card numbers in logs, the server's own limits, the command's
new options. One mock serves the module, started with the options under test.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from flowlix_mock import catalog
from flowlix_mock.testing import MockServer, new_test_key, start_mock
from mock_helpers import serve_in_thread

MOCK = [sys.executable, "-m", "flowlix_mock"]
VISA = "4111111111111111"
PUBLIC_URL = "https://mock.flowlix.test:8443"
ALLOWED_HOST = "hooks.flowlix.test"
LIMITS = catalog.MOCK_LIMITS
PAYMENT = {
    "amount": 4999,
    "currency": "EUR",
    "card": {"number": VISA, "exp_month": 12, "exp_year": 2039, "cvc": "123"},
}


def card_number_forms(number: str) -> re.Pattern[str]:
    """The number with anything but letters and digits between its digits (spaces, dashes,
    dots, %-escapes' punctuation...), as a reader of the log would still recognise it."""
    return re.compile(r"[\W_]*".join(number))


# --- receivers ---------------------------------------------------------------------------------


@dataclass
class Receiver:
    """Webhook receivers on loopback: `/ok` answers 204 at once, `/hang...` never answers,
    `/redirect` answers 307 to `/ok`. Records arrival times and the most concurrent requests
    seen per path."""

    server: ThreadingHTTPServer
    arrivals: list[tuple[str, float]] = field(default_factory=list)
    open_now: dict[str, int] = field(default_factory=dict)
    most_open: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, path: str, timeout: float = 5.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for arrived, at in self.arrivals:
                    if arrived == path:
                        return at
            time.sleep(0.005)
        raise AssertionError(f"no delivery to {path} within {timeout} s")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            current = state["receiver"]
            path = self.path.split("?")[0]
            with current.lock:
                current.arrivals.append((self.path, time.monotonic()))
                current.open_now[path] = current.open_now.get(path, 0) + 1
                current.most_open[path] = max(
                    current.most_open.get(path, 0), current.open_now[path]
                )
            try:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if path.startswith("/hang"):
                    current.release.wait(30)
                    return
                if path == "/redirect":
                    self.send_response(307)
                    self.send_header("Location", f"{current.origin}/ok")
                else:
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            finally:
                with current.lock:
                    current.open_now[path] -= 1

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    state["receiver"] = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    state["receiver"].release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with start_mock(
        rate_limit=1000,
        extra_args=(
            "--public-url",
            PUBLIC_URL,
            "--allow-webhook-host",
            ALLOWED_HOST,
            "--webhook-retry-schedule",
            "0.2",
        ),
    ) as server:
        yield server


def client_for(mock: MockServer, **kwargs) -> httpx.Client:
    return mock.client(new_test_key(), **kwargs)


# --- the local CA -------------------------------------------------------------------------------


def _start_plain(cache: Path, *extra: str) -> subprocess.Popen:
    env = os.environ | {"XDG_CACHE_HOME": str(cache), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*MOCK, "--port", "0", "--quiet", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _listening_port(process: subprocess.Popen, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Flowlix mock API listening on "):
            return int(line.rsplit(":", 1)[1].split("/")[0])
    raise AssertionError("the mock did not start:\n" + "".join(lines))


def _served_certificate(port: int, ca_file: Path) -> x509.Certificate:
    """The certificate the mock serves, after a handshake that verifies it against `ca_file`."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_socket:
            return x509.load_der_x509_certificate(tls_socket.getpeercert(binary_form=True))


@pytest.fixture(scope="module")
def six_mocks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[int]]]:
    """Six mocks started at the same moment on one empty cache directory."""
    cache = tmp_path_factory.mktemp("empty-cache")
    processes = [_start_plain(cache) for _ in range(6)]
    try:
        ports = [_listening_port(process) for process in processes]
        yield cache / "flowlix-mock", ports
    finally:
        for process in processes:
            process.kill()
            process.wait()


def test_six_mocks_started_at_once_share_one_ca_that_signed_every_certificate(six_mocks):
    state_dir, ports = six_mocks
    ca_file = state_dir / "ca.pem"
    ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
    for port in ports:  # every handshake verifies against the one ca.pem on disk
        served = _served_certificate(port, ca_file)
        assert served.issuer == ca.subject
        served.verify_directly_issued_by(ca)
    # the key belongs to the certificate, is the owner's only, and no temporary file is left
    key = serialization.load_pem_private_key((state_dir / "ca-key.pem").read_bytes(), None)
    assert key.public_key() == ca.public_key()
    assert stat.S_IMODE((state_dir / "ca-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert sorted(path.name for path in state_dir.iterdir()) == ["ca-key.pem", "ca.lock", "ca.pem"]


def test_the_ca_vouches_for_loopback_only_and_for_servers_only(six_mocks):
    state_dir, ports = six_mocks
    ca = x509.load_pem_x509_certificate((state_dir / "ca.pem").read_bytes())
    now = datetime.datetime.now(datetime.UTC)

    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert set(constraints.value.permitted_subtrees) == {
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.1/32")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    }
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca and basic.path_length == 0
    assert ca.not_valid_before_utc <= now <= ca.not_valid_after_utc
    assert ca.not_valid_after_utc - now <= datetime.timedelta(days=LIMITS.ca_validity_days)

    served = _served_certificate(ports[0], state_dir / "ca.pem")
    usage = served.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]  # no code signing, no client auth
    names = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(name.value) for name in names} == {"localhost", "127.0.0.1", "::1"}
    assert served.not_valid_after_utc - now <= datetime.timedelta(
        days=LIMITS.server_cert_validity_days
    )
    # what a client's verifier concludes: localhost passes, another site signed by the same
    # key (as if it leaked) does not
    store = Store([ca])
    verifier = PolicyBuilder().store(store).build_server_verifier(x509.DNSName("localhost"))
    verifier.verify(served, [])
    state_key = serialization.load_pem_private_key((state_dir / "ca-key.pem").read_bytes(), None)
    forged = _leaf_for("bank.example", ca, state_key)
    with pytest.raises(VerificationError):
        PolicyBuilder().store(store).build_server_verifier(x509.DNSName("bank.example")).verify(
            forged, []
        )


def _leaf_for(name: str, ca: x509.Certificate, ca_key) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def test_an_expiring_or_unconstrained_ca_is_replaced_and_a_good_one_kept(tmp_path: Path):
    from flowlix_mock import tls

    state_dir = tmp_path / "flowlix-mock"
    kept = tls.load_or_create_ca(state_dir)
    assert tls.load_or_create_ca(state_dir).cert_pem == kept.cert_pem  # restarts keep it

    expiring = tls.new_ca(validity_days=LIMITS.ca_renew_days_before_expiry - 1)
    (state_dir / "ca.pem").write_bytes(expiring.cert_pem)
    (state_dir / "ca-key.pem").write_bytes(expiring.key_pem)
    renewed = tls.load_or_create_ca(state_dir)
    assert renewed.cert_pem != expiring.cert_pem
    assert (state_dir / "ca.pem").read_bytes() == renewed.cert_pem

    (state_dir / "ca-key.pem").write_bytes(tls.new_ca().key_pem)  # files that do not match
    assert tls.load_or_create_ca(state_dir).cert_pem != renewed.cert_pem


# --- the command's new options -----------------------------------------------------------------


def test_returned_urls_use_the_public_url_never_the_host_header(mock: MockServer):
    session = {
        "amount": 1000,
        "currency": "EUR",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cancel",
    }
    with client_for(mock, headers={"Host": "evil.example"}) as client:
        response = client.post("/checkout/sessions", json=session)
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    assert url == f"{PUBLIC_URL}/pay/{response.json()['id']}"


@pytest.mark.parametrize(
    "value",
    ["http://mock.test", "https://mock.test/v1", "https://user@mock.test", "mock.test", "https://"],
)
def test_public_url_must_be_an_https_origin(value: str, capsys):
    from flowlix_mock import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.parser().parse_args(["--public-url", value])
    assert exit_info.value.code == 2
    assert "expected an https origin" in capsys.readouterr().err


def test_a_non_loopback_host_prints_one_warning_line(tmp_path: Path):
    from flowlix_mock import cli

    assert cli.non_loopback_warning("127.0.0.1") is None
    assert cli.non_loopback_warning("::1") is None
    assert cli.non_loopback_warning("localhost") is None
    # The real command, on an address it cannot take: the port is held on loopback, so the
    # mock never listens beyond this machine, yet prints its warning first.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = _start_plain(tmp_path, "--host", "0.0.0.0", "--port", str(port))
        output, _ = process.communicate(timeout=30)
    warnings = [line for line in output.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1
    assert "0.0.0.0, not a loopback address" in warnings[0]
    assert process.returncode == 1  # and then it could not listen


# --- webhooks: the host rule, redirects, fairness, the pending bound ---------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.8/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://192.168.1.1/",
        "https://[fd00::1]/hooks",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://shop.example/hooks",
        "https://2130706433/hooks",
    ],
)
def test_webhook_urls_beyond_loopback_are_refused(mock: MockServer, url: str):
    with client_for(mock) as client:
        response = client.post(
            "/webhook_endpoints", json={"url": url, "events": ["payment.succeeded"]}
        )
        error = response.json()["error"]
        assert response.status_code == 400
        assert (error["code"], error["param"]) == ("parameter_invalid", "url")
        assert "--allow-webhook-host" in error["message"]
        assert client.get("/webhook_endpoints").json()["data"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9/hooks",
        "http://127.0.0.1:9/hooks",
        "https://127.9.9.9/hooks",
        "https://[::1]:9/hooks",
        f"https://{ALLOWED_HOST}/hooks",
        f"https://{ALLOWED_HOST.upper()}:8443/hooks",
    ],
)
def test_webhook_urls_on_loopback_or_allowed_hosts_are_accepted(mock: MockServer, url: str):
    with client_for(mock) as client:
        response = client.post(
            "/webhook_endpoints", json={"url": url, "events": ["refund.succeeded"]}
        )
    assert response.status_code == 201, response.text


def _endpoint(client: httpx.Client, url: str, events: tuple[str, ...] = ("payment.succeeded",)):
    response = client.post("/webhook_endpoints", json={"url": url, "events": list(events)})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_redirect_from_a_receiver_is_never_followed(mock: MockServer, receiver: Receiver):
    with client_for(mock) as client:
        endpoint = _endpoint(client, f"{receiver.origin}/redirect")
        assert client.post("/payments", json=PAYMENT).status_code == 201
    line = mock.wait_for_log(f"{endpoint['id']} -> {receiver.origin}/redirect failed: 307")
    assert "retrying" in line
    mock.wait_for_log(f"{endpoint['id']} -> {receiver.origin}/redirect failed: 307 (attempt 2")
    with receiver.lock:
        assert not [path for path, _ in receiver.arrivals if path == "/ok"]


def test_a_hanging_receiver_delays_no_other_endpoint_and_holds_four_slots(
    mock: MockServer, receiver: Receiver
):
    """16 payments to a hanging endpoint, then one to another account's endpoint."""
    with client_for(mock) as slow, client_for(mock) as fast:
        _endpoint(slow, f"{receiver.origin}/hang-fairness")
        for _ in range(16):
            assert slow.post("/payments", json=PAYMENT).status_code == 201
        _endpoint(fast, f"{receiver.origin}/ok?fairness")
        time.sleep(0.3)  # the hanging lane is full and its queue waits
        created = fast.post("/payments", json=PAYMENT)
        answered = time.monotonic()
    assert created.status_code == 201
    delay = receiver.wait_for("/ok?fairness", timeout=5) - answered
    print(f"\nanother account's delivery behind a hanging endpoint arrived after {delay:.3f} s")
    assert delay < 1.0
    with receiver.lock:
        assert receiver.most_open["/hang-fairness"] == LIMITS.webhook_in_flight_per_endpoint


def test_past_the_pending_bound_deliveries_are_dropped_logged_and_events_stay_listed(
    mock: MockServer, receiver: Receiver
):
    endpoints = 20
    per_payment = endpoints
    payments = LIMITS.webhook_pending_per_account // per_payment + 1  # one payment too many
    with client_for(mock) as client:
        for index in range(endpoints):
            _endpoint(client, f"{receiver.origin}/hang-bound-{index}")
        for _ in range(payments):
            assert client.post("/payments", json=PAYMENT).status_code == 201
        events = client.get("/events", params={"limit": 100}).json()["data"]
    assert len(events) == payments  # every event listed, delivered or not
    dropped = mock.wait_for_log("dropped: the account has 1000 deliveries pending")
    assert "the event stays listed at GET /v1/events" in dropped
    assert sum("dropped: the account" in line for line in mock.log_text().splitlines()) == (
        payments * per_payment - LIMITS.webhook_pending_per_account
    )
    # another account's delivery is still on time
    with client_for(mock) as other:
        _endpoint(other, f"{receiver.origin}/ok?after-bound")
        assert other.post("/payments", json=PAYMENT).status_code == 201
        answered = time.monotonic()
    assert receiver.wait_for("/ok?after-bound") - answered < 1.0


# --- card numbers never reach the log ----------------------------------------------------------

PATH_FORMS = [
    "4111-1111-1111-1111",
    "4111 1111 1111 1111",
    "4111.1111.1111.1111",
    "4111%201111%201111%201111",
    "%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31",
    "4111_1111_1111_1111",
    "4111/1111/1111/1111",
    "４１１１１１１１１１１１１１１１",  # fullwidth digits
]


def test_card_numbers_in_paths_headers_and_webhook_urls_never_reach_the_log(
    mock: MockServer, receiver: Receiver
):
    with client_for(mock) as client:
        for form in PATH_FORMS:
            response = client.get(f"/payments/{form}")
            assert response.status_code == 404
            assert not card_number_forms(VISA).search(response.text)
        for header in (
            "4111 1111 1111 1111",
            "delay=4111-1111-1111-1111",
            "delay=²",
            "server_error;count=4111111111111111¹",  # isdigit() says yes, int() says no
        ):
            response = client.get(
                "/payments", headers={"Flowlix-Simulate": header.encode("latin-1")}
            )
            assert response.status_code == 400
            assert not card_number_forms(VISA).search(response.text)
        hook = _endpoint(client, f"{receiver.origin}/ok?card=4111-1111-1111-1111")
        client.post("/payments", json=PAYMENT)
    mock.wait_for_log(f"{hook['id']} -> ")
    log = mock.log_text()
    assert "/v1/payments/" in log
    for line in log.splitlines():
        assert not card_number_forms(VISA).search(line), line
        assert not card_number_forms(VISA).search(re.sub(r"%[0-9A-Fa-f]{2}", " ", line)), line


def test_a_line_break_in_a_path_cannot_forge_a_log_line(mock: MockServer):
    forged = "10:00:00 POST /v1/refunds 201 req_forgedforgedforged 1.0ms"
    with client_for(mock) as client:
        response = client.get("/payments/pay_x%0a" + forged.replace(" ", "%20"))
    assert response.status_code == 404
    request_id = response.headers["flowlix-request-id"]
    line = mock.wait_for_log(request_id)
    assert "%0A" in line
    assert not any(entry.startswith(forged) for entry in mock.log_text().splitlines())


# --- the server's own limits --------------------------------------------------------------------


def _raw_tls(mock: MockServer) -> ssl.SSLSocket:
    port = int(mock.origin.rsplit(":", 1)[1])
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return mock.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")


def _read_all(sock: ssl.SSLSocket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionError, ssl.SSLError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_headers_over_the_limit_get_431_and_run_nothing(mock: MockServer):
    key = new_test_key()
    padding = "x" * LIMITS.header_max_bytes
    with _raw_tls(mock) as sock:
        sock.sendall(
            (
                "POST /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {key}\r\nX-Padding: {padding}\r\n"
                "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            ).encode()
        )
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    with mock.client(key) as client:
        assert client.get("/payments").json()["data"] == []
    # just under the limit is fine
    with mock.client(key, headers={"X-Padding": "x" * (LIMITS.header_max_bytes - 1024)}) as ok:
        assert ok.get("/payments").status_code == 200


@pytest.fixture
def tight_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The mock's own server settings (cli.server_config) in this process, with the header
    timeout, keep-alive and connection limit made short and small so they show in a test."""
    from flowlix_mock.app import MockApp
    from flowlix_mock.server import LimitedHttpToolsProtocol

    class Tight(LimitedHttpToolsProtocol):
        header_read_timeout = 0.5
        max_connections = 3

    with serve_in_thread(MockApp(), tmp_path, http=Tight, timeout_keep_alive=1) as served:
        yield served


def _connect(port: int, ca_file: Path) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ssl.create_default_context(cafile=str(ca_file)).wrap_socket(
        raw, server_hostname="127.0.0.1"
    )


def test_slow_headers_are_cut_off_and_idle_connections_closed(tight_server):
    port, ca_file = tight_server
    with _connect(port, ca_file) as slow:
        slow.sendall(b"GET /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        started = time.monotonic()
        answer = _read_all(slow)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert 0.4 < time.monotonic() - started < 3
    with _connect(port, ca_file) as idle:
        idle.sendall(b"GET /v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        started = time.monotonic()
        answer = _read_all(idle)  # the response, then the keep-alive timeout closes it
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert 0.8 < time.monotonic() - started < 4


def test_past_the_connection_limit_requests_get_the_contract_503(tight_server):
    port, ca_file = tight_server
    held = [_connect(port, ca_file) for _ in range(3)]
    try:
        with httpx.Client(verify=ssl.create_default_context(cafile=str(ca_file))) as client:
            response = client.get(
                f"https://127.0.0.1:{port}/v1/payments",
                headers={"Authorization": f"Bearer {new_test_key()}"},
            )
    finally:
        for sock in held:
            sock.close()
    assert response.status_code == 503
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("api_error", "service_unavailable")
    assert error["request_id"] == response.headers["flowlix-request-id"]
    assert response.headers["retry-after"] == "1"


# --- bad input gets the contract's 400, and nothing runs ----------------------------------------

SURROGATE_BODIES = [
    b'{"amount": 4999, "currency": "EUR", "reference": "x\\ud800", "card": CARD}',
    b'{"amount": 4999, "currency": "EUR", "reference": "x\xed\xa0\x80", "card": CARD}',
    b'{"amount": 4999, "currency": "EUR", "reference": "x\xff", "card": CARD}',
    b'{"amount": 4999, "currency": "EUR", "metadata": {"k\\udfff": "v"}, "card": CARD}',
]


@pytest.mark.parametrize("body", SURROGATE_BODIES, ids=["escaped", "raw", "not-utf8", "key"])
def test_a_lone_surrogate_or_invalid_utf8_is_invalid_json_and_runs_nothing(
    mock: MockServer, body: bytes
):
    content = body.replace(b"CARD", json.dumps(PAYMENT["card"]).encode())
    with client_for(mock) as client:
        for _ in range(2):  # the same key twice: each is refused, neither stores anything
            response = client.post(
                "/payments",
                content=content,
                headers={"Content-Type": "application/json", "Idempotency-Key": "order-7"},
            )
            assert response.status_code == 400, response.text
            assert response.json()["error"]["code"] == "invalid_json"
        assert client.get("/payments").json()["data"] == []
        assert client.get("/events").json()["data"] == []
        retried = client.post("/payments", json=PAYMENT, headers={"Idempotency-Key": "order-7"})
        assert retried.status_code == 201
        assert [item["id"] for item in client.get("/payments").json()["data"]] == [
            retried.json()["id"]
        ]


def test_a_session_with_a_surrogate_description_is_refused_and_no_page_exists(mock: MockServer):
    with client_for(mock) as client:
        response = client.post(
            "/checkout/sessions",
            content=json.dumps(
                {
                    "amount": 1000,
                    "currency": "EUR",
                    "success_url": "https://shop.example/ok",
                    "cancel_url": "https://shop.example/cancel",
                    "description": "Order \ud800",
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_json"
        assert client.get("/payments").status_code == 200


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Flowlix-Simulate", "delay=\xb2".encode("latin-1")),
        ("Flowlix-Simulate", "server_error;count=\xb9".encode("latin-1")),
        ("Flowlix-Simulate", b"delay=" + b"9" * 5000),
        ("Flowlix-Simulate", b"server_error;count=" + b"9" * 19),
        ("Flowlix-Simulate", b"meltdown"),
    ],
    ids=["superscript-delay", "superscript-count", "5000-digits", "19-digits", "unknown"],
)
def test_an_unparseable_header_is_400_naming_it(mock: MockServer, header: str, value: bytes):
    with client_for(mock) as client:
        response = client.post("/payments", json=PAYMENT, headers={header: value})
        error = response.json()["error"]
        assert response.status_code == 400, response.text
        assert (error["code"], error["param"]) == ("parameter_invalid", header)
        assert client.get("/payments").json()["data"] == []


@pytest.mark.parametrize("limit", ["9" * 5000, "9" * 19, "١٠", "²", "-1", "0", "101"])
def test_an_unparseable_limit_is_400_naming_it(mock: MockServer, limit: str):
    with client_for(mock) as client:
        response = client.get("/payments", params={"limit": limit})
    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["code"], error["param"]) == ("parameter_invalid", "limit")


def test_a_404_for_a_card_like_id_does_not_echo_it(mock: MockServer):
    with client_for(mock) as client:
        for path in (f"/payments/{VISA}", f"/refunds/{VISA}", f"/checkout/sessions/{VISA}"):
            response = client.get(path)
            assert response.status_code == 404
            assert VISA not in response.text
            assert "No such" in response.json()["error"]["message"]
        ordinary = client.get("/payments/pay_nothere")
    assert "pay_nothere" in ordinary.json()["error"]["message"]  # ordinary ids still are


def test_json_answers_are_never_cached(mock: MockServer):
    with client_for(mock) as client:
        answers = [
            client.post("/payments", json=PAYMENT),
            client.get("/payments"),
            client.get("/payments/pay_missing"),
            client.post("/payments", json={}),
        ]
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.status_code


def test_unseeded_ids_come_from_the_operating_systems_random_source(monkeypatch):
    import random

    from flowlix_mock.storage import Account

    account = Account("fingerprint", None)
    ids = {account.new_id("pay") for _ in range(3)}
    assert len(ids) == 3
    monkeypatch.setattr(random, "_urandom", lambda size: b"\0" * size)  # what SystemRandom reads
    assert account.new_id("pay") == "pay_" + "a" * 24


def test_the_docs_quote_the_warning_as_the_mock_prints_it():
    from flowlix_mock import cli

    mock_page = (Path(__file__).resolve().parent.parent / "docs" / "mock.md").read_text()
    assert cli.non_loopback_warning("0.0.0.0") in mock_page
