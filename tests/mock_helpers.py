"""What several mock test files share: the contract's shapes, the mock in this process, a
merchant's shop on loopback, and a Chromium that trusts the mock's certificate."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, sync_playwright

from flowlix_mock.testing import MockServer

# A request id as the contract shapes it (section 3), matched whole.
REQUEST_ID = re.compile(r"^req_[A-Za-z0-9]{16,}$")
# Every error object carries exactly these fields (section 3), null where they do not apply.
ERROR_FIELDS = {
    "type",
    "code",
    "decline_code",
    "message",
    "param",
    "payment_id",
    "doc_url",
    "request_id",
}


@contextlib.contextmanager
def serve_in_thread(app, tmp_path: Path, **config) -> Iterator[tuple[int, Path]]:
    """`app` behind the mock's own server settings (`cli.server_config`, `config` passed on),
    over HTTPS on a free loopback port in a thread of this process: (port, CA file)."""
    from flowlix_mock import cli, tls

    ca = tls.new_ca()
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    cert_file, key_file = tls.issue_server_files(ca, tmp_path)
    files = tls.TlsFiles(tmp_path / "ca.pem", cert_file, key_file)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = cli._Server(cli.server_config(app, files, **config))
    thread = threading.Thread(target=lambda: server.run(sockets=[sock]), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1], tmp_path / "ca.pem"
    finally:
        server.should_exit = True
        thread.join(10)


class MerchantServer:
    """The merchant's shop on loopback: records where the customer lands."""

    def __init__(self) -> None:
        visits: list[str] = []
        self.visits = visits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                visits.append(self.path)
                body = (
                    b"<!doctype html><html lang='en'><title>Shop</title><h1>Back at the shop</h1>"
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def spki_fingerprint(mock: MockServer) -> str:
    """The base64 SHA-256 of the mock's certificate key, the one certificate Chromium may accept.

    The certificate is read from the running server and checked against the mock's CA first,
    so the browser trusts exactly the certificate a verifying client trusts.
    """
    host, port = urlsplit(mock.origin).hostname, urlsplit(mock.origin).port
    pem = ssl.get_server_certificate((host, port), ca_certs=str(mock.ca_file))
    certificate = x509.load_pem_x509_certificate(pem.encode())
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@contextlib.contextmanager
def chromium_trusting(launch_options: dict, mock: MockServer) -> Iterator[Browser]:
    """Chromium (the suite's launch options) that accepts the mock's certificate and no other."""
    options = dict(launch_options)
    options["args"] = list(options["args"]) + [
        f"--ignore-certificate-errors-spki-list={spki_fingerprint(mock)}"
    ]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**options)
        try:
            yield launched
        finally:
            launched.close()
