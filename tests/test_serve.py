"""`make serve` runs the build step too: its preview has /llms.txt, the Markdown copies, the rest.

Started as the Makefile starts it (`python -m docs_macros.serve`, mkdocs serve with the build step
after each build), on a free loopback port; stopped with Ctrl-C as a reader would.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_serve_publishes_the_machine_readable_files():
    port = free_port()
    origin = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-m", "docs_macros.serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                llms = httpx.get(origin + "llms.txt", timeout=5)
                if llms.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "mkdocs serve did not come up"
            time.sleep(0.5)
        # The preview's own address, so every link works in the preview.
        assert f"- [Errors]({origin}errors/index.md): " in llms.text
        errors = httpx.get(origin + "errors/index.md", timeout=5)
        assert errors.status_code == 200 and errors.text.startswith("# Errors\n")
        document = httpx.get(origin + "openapi.json", timeout=5).json()
        assert document["openapi"].startswith("3.")
        collection = httpx.get(origin + "flowlix.postman_collection.json", timeout=5).json()
        assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
        catalog = httpx.get(origin + "catalog.json", timeout=5)
        assert catalog.status_code == 200 and json.loads(catalog.text)["test_cards"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "ERROR" not in output, output
