"""`flowlix-mock` as a new user runs it: the printed lines, the local CA, curl and httpx, Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowlix_mock.testing import new_test_key

ROOT = Path(__file__).resolve().parent.parent
MOCK = [sys.executable, "-m", "flowlix_mock"]
PAYMENT = {
    "amount": 4999,
    "currency": "EUR",
    "reference": "order-1234",
    "card": {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running_mock(tmp_path: Path):
    """The mock started with no certificate, exactly as the README says, in its own cache dir."""
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    env.pop("SSL_CERT_FILE", None)
    port = free_port()
    process = subprocess.Popen(
        MOCK + ["--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "listening on" in line:
            break
    try:
        yield process, lines, port, env
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_start_trust_and_pay_with_httpx_and_curl(running_mock):
    process, lines, port, env = running_mock
    assert lines[-1] == f"Flowlix mock API listening on https://127.0.0.1:{port}/v1"
    export = next(
        line.strip() for line in lines if line.strip().startswith("export SSL_CERT_FILE=")
    )
    ca_file = export.split("=", 1)[1]
    assert Path(ca_file).is_file()
    key = new_test_key()
    base = f"https://127.0.0.1:{port}/v1"

    # httpx, trusting the CA only through the printed environment variable
    script = (
        "import httpx, json, os, sys\n"
        "r = httpx.post(os.environ['BASE'] + '/payments', json=json.loads(sys.argv[1]),\n"
        "    headers={'Authorization': 'Bearer ' + os.environ['KEY'],\n"
        "             'Idempotency-Key': 'payment-order-1234'}, timeout=10)\n"
        "print(r.status_code, r.json()['status'], r.json()['card']['last4'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(PAYMENT)],
        env=env | {"SSL_CERT_FILE": ca_file, "BASE": base, "KEY": key},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.split() == ["201", "succeeded", "1111"], result.stderr

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    curl = subprocess.run(
        [
            "curl",
            "-sS",
            f"{base}/payments",
            "-H",
            f"Authorization: Bearer {key}",
            "-H",
            "Content-Type: application/json",
            "-H",
            "Idempotency-Key: payment-order-1234",
            "-d",
            json.dumps(PAYMENT),
            "-D",
            "-",
        ],
        env=env | {"CURL_CA_BUNDLE": ca_file},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert curl.returncode == 0, curl.stderr
    assert "idempotent-replayed: true" in curl.stdout.lower()
    assert '"status":"succeeded"' in curl.stdout

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert output.strip().endswith("Flowlix mock stopped.")
    assert "Traceback" not in output
    assert "4111111111111111" not in output and key not in output
    assert re.search(r"POST /v1/payments 201 req_\w+ [\d.]+ms", output)


def test_the_ca_is_kept_across_restarts(tmp_path: Path):
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path)}
    cas = []
    for _ in range(2):
        process = subprocess.Popen(
            MOCK + ["--port", "0"], stdout=subprocess.PIPE, text=True, env=env
        )
        for line in process.stdout:
            if "listening on" in line:
                break
        process.terminate()
        process.communicate(timeout=15)
        cas.append((tmp_path / "flowlix-mock" / "ca.pem").read_bytes())
    assert cas[0] == cas[1]
    assert oct((tmp_path / "flowlix-mock" / "ca-key.pem").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], "no such file"),
        (["--port", "70000"], "ports run from 0 to 65535"),
        (["--rate-limit", "0"], "at least 1"),
        (["--rate-limit", "many"], "whole number"),
    ],
)
def test_bad_options_get_a_clear_error(args: list[str], message: str, tmp_path: Path):
    result = subprocess.run(MOCK + args, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_a_one_line_error(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            MOCK + ["--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env=os.environ | {"XDG_CACHE_HOME": str(tmp_path)},
        )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
