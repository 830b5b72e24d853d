"""TLS material: a local certificate authority and a server certificate for loopback.

Without `--tls-cert`, the mock keeps one CA per user, so that `export SSL_CERT_FILE=...` keeps
working across restarts, and issues a fresh server certificate from it at every start. The CA's
lifecycle (contract section 17; the docs' mock and security pages describe exactly this):

- It lives in the user's cache directory (`$XDG_CACHE_HOME/flowlix-mock`, else
  `~/.cache/flowlix-mock`): `ca.pem` (the certificate to trust) and `ca-key.pem` (its private key,
  mode 0600, in a directory of mode 0700).
- It is made on the first start, under a file lock: concurrent first starts wait for the first
  one and then all load the same CA. Files are written under temporary names and renamed into
  place, so no start ever sees half a file.
- It can vouch for loopback only: a critical name constraint permits `localhost`, `127.0.0.1`
  and `::1` and nothing else, and it may sign server certificates only (path length 0). Trusting
  it cannot expose any other site, even if its key leaks.
- It is valid for `MOCK_LIMITS.ca_validity_days` and replaced by a new one at the first start
  within `ca_renew_days_before_expiry` of its end (or when its files are unreadable or do not
  belong together). Delete the folder to replace it at any time.
- Each start issues a server certificate for `localhost`, `127.0.0.1` and `::1` with extended
  key usage serverAuth only, valid for `server_cert_validity_days` (never past the CA), written
  to the run's temporary folder and deleted when the mock stops.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from filelock import FileLock

from .catalog import MOCK_LIMITS

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
CA_NAME = "Flowlix mock local CA"
CLOCK_SKEW = datetime.timedelta(hours=1)  # certificates start an hour early: clocks drift
LOCK_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path | None  # the PEM to trust; None when the user brought their own certificate
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class CertificateAuthority:
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return _private_pem(self.private_key)


def default_state_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flowlix-mock"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _constraint(name: str) -> x509.GeneralName:
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return x509.DNSName(name)
    return x509.IPAddress(ipaddress.ip_network(f"{address}/{address.max_prefixlen}"))


def new_ca(validity_days: int = MOCK_LIMITS.ca_validity_days) -> CertificateAuthority:
    """A new CA that can sign server certificates for loopback names only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Flowlix mock"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
        ]
    )
    now = _now()
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + datetime.timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(
                permitted_subtrees=[_constraint(name) for name in LOOPBACK_NAMES],
                excluded_subtrees=None,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(certificate, key)


def issue_server_certificate(
    ca: CertificateAuthority, validity_days: int = MOCK_LIMITS.server_cert_validity_days
) -> tuple[bytes, bytes]:
    """A server certificate for the loopback names: `(certificate PEM, private key PEM)`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    not_after = min(
        now + datetime.timedelta(days=validity_days), ca.certificate.not_valid_after_utc
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([_general_name(name) for name in LOOPBACK_NAMES]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
        .sign(ca.private_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), _private_pem(key)


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` as a whole (a unique temporary file renamed into place), mode 0600."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:  # mkstemp makes it 0600
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _load(state_dir: Path) -> CertificateAuthority | None:
    """The CA on disk if it is whole, belongs together and is not about to expire."""
    try:
        certificate = x509.load_pem_x509_certificate((state_dir / "ca.pem").read_bytes())
        key = serialization.load_pem_private_key(
            (state_dir / "ca-key.pem").read_bytes(), password=None
        )
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if certificate.public_key() != key.public_key():
        return None
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        return None  # made by an older mock: replace it with a constrained one
    if not constraints.critical:
        return None
    renew_at = certificate.not_valid_after_utc - datetime.timedelta(
        days=MOCK_LIMITS.ca_renew_days_before_expiry
    )
    if _now() >= renew_at:
        return None
    return CertificateAuthority(certificate, key)


def load_or_create_ca(state_dir: Path) -> CertificateAuthority:
    """The user's CA, made (or renewed) on first use; safe when several mocks start at once."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(state_dir, 0o700)
    with FileLock(state_dir / "ca.lock", timeout=LOCK_TIMEOUT_SECONDS, mode=0o600):
        ca = _load(state_dir)
        if ca is None:
            ca = new_ca()
            # The key first: a crash between the two leaves files that do not belong together,
            # which the next start detects and replaces.
            _write_private(state_dir / "ca-key.pem", ca.key_pem)
            _write_private(state_dir / "ca.pem", ca.cert_pem)
            os.chmod(state_dir / "ca.pem", 0o644)
        return ca


def issue_server_files(ca: CertificateAuthority, directory: Path) -> tuple[Path, Path]:
    cert_pem, key_pem = issue_server_certificate(ca)
    cert_file = directory / "server.pem"
    key_file = directory / "server-key.pem"
    _write_private(cert_file, cert_pem)
    _write_private(key_file, key_pem)
    return cert_file, key_file


def local_tls(work_dir: Path, state_dir: Path | None = None) -> TlsFiles:
    """The user's CA (made on first use) and a fresh server certificate in `work_dir`."""
    state_dir = state_dir or default_state_dir()
    ca = load_or_create_ca(state_dir)
    cert_file, key_file = issue_server_files(ca, work_dir)
    return TlsFiles(state_dir / "ca.pem", cert_file, key_file)
