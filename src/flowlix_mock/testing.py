"""Run the mock from your own tests.

`start_mock()` starts `flowlix-mock` as a separate process on a free loopback port, exactly as a
merchant would start it, with a throwaway certificate authority, and stops it on exit:

```python
from flowlix_mock.testing import new_test_key, start_mock

with start_mock(seed="docs") as mock:
    with mock.client(new_test_key()) as client:
        response = client.get("/payments")
        assert response.status_code == 200
```

The pytest plugin in this package (loaded automatically once `flowlix-mock` is installed) gives
the same as fixtures: `flowlix_mock`, `flowlix_api_key` and `flowlix_client`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from . import tls

ALPHANUMERIC = string.ascii_letters + string.digits
LISTENING = "Flowlix mock API listening on "


def new_test_key(seed: str | None = None) -> str:
    """A well-formed test secret key: a new account on the mock.

    With `seed`, the same seed always gives the same key (and so the same ids under `--seed`).
    """
    if seed is None:
        token = "".join(secrets.choice(ALPHANUMERIC) for _ in range(32))
    else:
        digest = hashlib.sha256(seed.encode()).digest()
        token = "".join(ALPHANUMERIC[byte % len(ALPHANUMERIC)] for byte in digest)
    return f"fl_test_sk_{token}"


@dataclass
class MockServer:
    """A running mock: where it listens and which CA to trust."""

    base_url: str
    """The API base URL, such as `https://127.0.0.1:54321/v1`."""
    ca_file: Path
    """The PEM file of the CA that signed the mock's certificate (for `SSL_CERT_FILE`)."""
    process: subprocess.Popen
    http_url: str | None = None
    """The plain-HTTP listener's URL when started with `http=True` (it answers 403)."""
    _log_lines: list[str] = field(default_factory=list)
    _log_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        """The scheme, host and port, without `/v1` (the hosted pages live here too)."""
        return self.base_url.removesuffix("/v1")

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts the mock's CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def env(self, api_key: str) -> dict[str, str]:
        """Environment variables that point a program (such as a snippet) at this mock."""
        return {
            "FLOWLIX_API_KEY": api_key,
            "FLOWLIX_API_BASE": self.base_url,
            "SSL_CERT_FILE": str(self.ca_file),
        }

    def client(self, api_key: str, **kwargs) -> httpx.Client:
        """An httpx client for this mock, authenticated with `api_key`."""
        headers = {"Authorization": f"Bearer {api_key}"} | kwargs.pop("headers", {})
        return httpx.Client(
            base_url=self.base_url,
            headers=headers,
            verify=self.ssl_context(),
            timeout=kwargs.pop("timeout", 10.0),
            **kwargs,
        )

    def log_text(self) -> str:
        """Everything the mock has printed so far (one line per request)."""
        with self._log_lock:
            return "\n".join(self._log_lines)

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        """The first log line containing `text`, waiting for the mock to write it.

        The mock logs a request after answering it, so a client may see the response first.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._log_lock:
                for line in self._log_lines:
                    if text in line:
                        return line
            if time.monotonic() > deadline:
                raise AssertionError(f"the mock logged no line containing {text!r}")
            time.sleep(0.02)

    def _collect(self, stream) -> None:
        for line in stream:
            with self._log_lock:
                self._log_lines.append(line.rstrip("\n"))


def _command() -> list[str]:
    return [sys.executable, "-m", "flowlix_mock"]


@contextmanager
def start_mock(
    *,
    seed: str | int | None = None,
    rate_limit: int | None = None,
    http: bool = False,
    extra_args: tuple[str, ...] = (),
    startup_timeout: float = 20.0,
) -> Iterator[MockServer]:
    """Start `flowlix-mock` on a free loopback port with a throwaway CA; stop it on exit."""
    with tempfile.TemporaryDirectory(prefix="flowlix-mock-test-") as directory:
        folder = Path(directory)
        # A CA of its own for this run (made like the mock's local CA: loopback only).
        ca = tls.new_ca()
        ca_file = folder / "ca.pem"
        ca_file.write_bytes(ca.cert_pem)
        cert_file, key_file = tls.issue_server_files(ca, folder)

        args = _command() + [
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--tls-cert",
            str(cert_file),
            "--tls-key",
            str(key_file),
        ]
        if seed is not None:
            args += ["--seed", str(seed)]
        if rate_limit is not None:
            args += ["--rate-limit", str(rate_limit)]
        if http:
            args += ["--http-port", "0"]
        args += list(extra_args)
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        try:
            base_url, http_url, early = _wait_for_listening(process, startup_timeout)
            mock = MockServer(base_url, ca_file, process, http_url, early)
            reader = threading.Thread(target=mock._collect, args=(process.stdout,), daemon=True)
            reader.start()
            yield mock
        finally:
            _stop(process)


def _wait_for_listening(
    process: subprocess.Popen, timeout: float
) -> tuple[str, str | None, list[str]]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    http_url = None
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line.rstrip("\n"))
        if line.startswith("Plain HTTP on "):
            http_url = line.split()[3]
        if line.startswith(LISTENING):
            return line[len(LISTENING) :].strip(), http_url, lines
    _stop(process)
    raise RuntimeError("flowlix-mock did not start:\n" + "\n".join(lines))


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
