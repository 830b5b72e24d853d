"""TLS material: a local certificate authority and a server certificate for loopback.

Without `--tls-cert`, the mock keeps one CA per user (so `export SSL_CERT_FILE=...` keeps working
across restarts) and issues a fresh server certificate from it at every start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path | None  # the PEM to trust; None when the user brought their own certificate
    cert_file: Path
    key_file: Path


def default_state_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flowlix-mock"


def _server_names(host: str) -> list[str]:
    names = {"localhost", "127.0.0.1", "::1"}
    if host not in ("", "0.0.0.0", "::"):
        names.add(host)
    return sorted(names)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)  # never leave a half-written file behind


def load_or_create_ca(state_dir: Path) -> trustme.CA:
    ca_cert = state_dir / "ca.pem"
    ca_key = state_dir / "ca-key.pem"
    if ca_cert.exists() and ca_key.exists():
        return trustme.CA.from_pem(ca_cert.read_bytes(), ca_key.read_bytes())
    ca = trustme.CA(organization_name="Flowlix mock local CA")
    _write_private(ca_key, ca.private_key_pem.bytes())
    _write_private(ca_cert, ca.cert_pem.bytes())
    return ca


def issue_server_files(ca: trustme.CA, host: str, directory: Path) -> tuple[Path, Path]:
    server = ca.issue_cert(*_server_names(host))
    cert_file = directory / "server.pem"
    key_file = directory / "server-key.pem"
    _write_private(cert_file, b"".join(blob.bytes() for blob in server.cert_chain_pems))
    _write_private(key_file, server.private_key_pem.bytes())
    return cert_file, key_file


def local_tls(host: str, work_dir: Path, state_dir: Path | None = None) -> TlsFiles:
    """The user's CA (made on first use) and a fresh server certificate in `work_dir`."""
    state_dir = state_dir or default_state_dir()
    ca = load_or_create_ca(state_dir)
    cert_file, key_file = issue_server_files(ca, host, work_dir)
    return TlsFiles(state_dir / "ca.pem", cert_file, key_file)
