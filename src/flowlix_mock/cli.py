"""The `flowlix-mock` command (contract section 14)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ipaddress
import logging
import platform
import signal
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from . import catalog, redact, tls
from .app import MockApp
from .server import LimitedHttpToolsProtocol

log = logging.getLogger("flowlix_mock")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"ports run from 0 to 65535, got {value}")
    return value


def public_url(text: str) -> str:
    """`https://host[:port]`: an origin without path, query or credentials."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or not text.isascii()
    ):
        raise argparse.ArgumentTypeError(
            f"expected an https origin such as https://mock.internal:12111, got {text!r}"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"https://{host}" + (f":{port}" if port is not None else "")


def webhook_host(text: str) -> str:
    """A host name or IP address that webhook endpoint URLs may name (lower case)."""
    host = text.strip().lower().removeprefix("[").removesuffix("]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.split(".")
    if not host or not all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
        for label in labels
    ):
        raise argparse.ArgumentTypeError(f"expected a host name or IP address, got {text!r}")
    return host


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def non_loopback_warning(host: str) -> str | None:
    """The one warning line printed when the mock listens beyond this machine."""
    if is_loopback(host):
        return None
    return (
        f"Warning: listening on {host}, not a loopback address: anyone who can reach it can use "
        "this mock and its hosted pages without a real key; keep it on 127.0.0.1 unless you "
        "mean to share it."
    )


def retry_schedule(text: str) -> tuple[float, ...]:
    """`0.2,0.4` -> (0.2, 0.4): the delays before each webhook retry, in seconds."""
    delays: list[float] = []
    for part in text.split(","):
        try:
            delay = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated seconds such as 5,30,120, got {text!r}"
            ) from None
        if not 0 <= delay <= 86_400:
            raise argparse.ArgumentTypeError(f"each delay must be 0 to 86400 seconds, got {part}")
        delays.append(delay)
    if len(delays) > 20:
        raise argparse.ArgumentTypeError("at most 20 retries")
    return tuple(delays)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowlix-mock",
        description="A local mock of the Flowlix payments API over HTTPS, for trying the docs' "
        "snippets and for your own CI.",
        epilog="`flowlix-mock mcp` instead starts an MCP server (stdio) for coding assistants "
        "that answers from the Flowlix docs and catalog, offline; `flowlix-mock mcp --help`.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=port_number, default=12111, help="HTTPS port (0 picks a free one)"
    )
    parser.add_argument("--tls-cert", type=Path, help="server certificate chain (PEM)")
    parser.add_argument("--tls-key", type=Path, help="private key of --tls-cert (PEM)")
    parser.add_argument(
        "--http-port",
        type=port_number,
        help="also listen on plain HTTP, where every request gets 403 https_required",
    )
    parser.add_argument(
        "--seed", help="make ids and timestamps depend only on the seed, the key and the requests"
    )
    parser.add_argument(
        "--rate-limit",
        type=positive_int,
        default=catalog.LIMITS.rate_limit_test_per_second,
        help="requests per second per account (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook-retry-schedule",
        type=retry_schedule,
        default=catalog.LIMITS.webhook_retry_schedule_seconds,
        metavar="SECONDS,...",
        help="delays before each webhook retry, comma-separated seconds (default: "
        + ",".join(str(delay) for delay in catalog.LIMITS.webhook_retry_schedule_seconds)
        + "); shorten it in tests, e.g. 0.2,0.4",
    )
    parser.add_argument(
        "--public-url",
        type=public_url,
        metavar="URL",
        help="the origin used in every URL the API returns, such as a checkout session's url "
        "(default: https://HOST:PORT)",
    )
    parser.add_argument(
        "--allow-webhook-host",
        type=webhook_host,
        action="append",
        default=[],
        metavar="HOST",
        help="also deliver webhooks to this host (repeatable); by default only to localhost, "
        "127.0.0.0/8 and ::1",
    )
    parser.add_argument(
        "--max-objects",
        type=positive_int,
        default=catalog.MOCK_LIMITS.max_objects_default,
        metavar="N",
        help="objects one account may hold: payments, refunds, checkout sessions and stored "
        "idempotent responses together (default: %(default)s); past it, creates get 503 "
        "capacity_reached",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log one line per request")
    return parser


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the command stops all listeners."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def server_config(app: MockApp, tls_files: tls.TlsFiles | None, **overrides) -> uvicorn.Config:
    """uvicorn's settings for one listener, with the mock's limits set deliberately."""
    limits = catalog.MOCK_LIMITS
    settings = dict(
        lifespan="on",
        access_log=False,
        log_config=None,
        log_level="warning",
        server_header=False,
        date_header=False,
        # httptools with the mock's header size limit, header-read timeout and connection
        # limit (see server.py); uvicorn's own concurrency limit stays off: it would answer a
        # plain-text 503 instead of the contract's.
        http=LimitedHttpToolsProtocol,
        timeout_keep_alive=limits.keep_alive_seconds,
        limit_concurrency=None,
        backlog=limits.max_connections,
        # Never trust X-Forwarded-Proto: a plain-HTTP request must not pass as HTTPS.
        proxy_headers=False,
        loop="none",
    )
    if tls_files is not None:
        settings |= dict(ssl_certfile=str(tls_files.cert_file), ssl_keyfile=str(tls_files.key_file))
    return uvicorn.Config(app, **(settings | overrides))


async def _serve(app: MockApp, args: argparse.Namespace, tls_files: tls.TlsFiles) -> None:
    sockets: list[tuple[_Server, socket.socket]] = []
    https_socket = _bind(args.host, args.port)
    https = _Server(server_config(app, tls_files))
    sockets.append((https, https_socket))
    http_port = None
    if args.http_port is not None:
        http_socket = _bind(args.host, args.http_port)
        http = _Server(server_config(app, None, lifespan="off"))
        sockets.append((http, http_socket))
        http_port = http_socket.getsockname()[1]

    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server, _ in sockets:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)

    port = https_socket.getsockname()[1]
    if app.public_origin is None:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(args.host, args.host)
        app.public_origin = f"https://{_url_host(host)}:{port}"
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in sockets]
    while not all(server.started for server, _ in sockets):
        if any(task.done() for task in tasks):
            break
        await asyncio.sleep(0.01)
    if all(server.started for server, _ in sockets):
        host = _url_host(args.host)
        if http_port is not None:
            print(f"Plain HTTP on http://{host}:{http_port} answers 403 https_required", flush=True)
        print(f"Flowlix mock API listening on https://{host}:{port}/v1", flush=True)
    await asyncio.gather(*tasks)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["mcp"]:
        # `flowlix-mock mcp`: the MCP server for coding assistants (its own module; the MCP
        # SDK is imported only by this command, not by every start of the mock).
        from .mcp_server import main as mcp_main

        return mcp_main(argv[1:])
    args = parser().parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser().error("--tls-cert and --tls-key go together")
    for option in (args.tls_cert, args.tls_key):
        if option is not None and not option.is_file():
            parser().error(f"no such file: {option}")

    _configure_logging(args.quiet)
    _fix_mmap_threshold()
    warning = non_loopback_warning(args.host)
    if warning is not None:
        print(warning, flush=True)

    with tempfile.TemporaryDirectory(prefix="flowlix-mock-") as work_dir:
        if args.tls_cert is not None:
            tls_files = tls.TlsFiles(None, args.tls_cert, args.tls_key)
        else:
            tls_files = tls.local_tls(Path(work_dir))
            print(f"Local certificate authority: {tls_files.ca_file}", flush=True)
            print("Trust it in your shell (Python's ssl, httpx, requests) with:", flush=True)
            print(f"  export SSL_CERT_FILE={tls_files.ca_file}", flush=True)
            print("and for curl:", flush=True)
            print(f"  export CURL_CA_BUNDLE={tls_files.ca_file}", flush=True)
        app = MockApp(
            seed=args.seed,
            rate_limit=args.rate_limit,
            webhook_retry_schedule=args.webhook_retry_schedule,
            public_origin=args.public_url,
            webhook_hosts=tuple(args.allow_webhook_host),
            max_objects=args.max_objects,
        )
        try:
            _run(app, args, tls_files)
        except OSError as error:
            print(f"flowlix-mock: cannot listen: {error.strerror or error}", file=sys.stderr)
            return 1
    print("Flowlix mock stopped.", flush=True)
    return 0


def _configure_logging(quiet: bool) -> None:
    """Every log line (the mock's, uvicorn's, tracebacks) goes through the card-number mask."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(redact.MaskingFormatter("%(asctime)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    # The format shows none of the caller, thread or process fields, so no record collects them:
    # the settings the logging HOWTO gives for this ("Optimization"), on every request's line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value


def _fix_mmap_threshold() -> None:
    """Keep glibc from moving large blocks into its heap, where freed ones leave holes.

    The largest blocks the mock allocates are the tables of its big dicts (an account's
    idempotency keys: megabytes at 50,000 keys), reallocated as keys come and expire. glibc
    serves blocks above its threshold with their own mappings, returned to the system when freed,
    but raises the threshold to the size of each such block freed, so later tables come from
    the heap and the heap grows around what is still in use (measured: +2 to +3 MiB each time
    a day of keys expires and is replaced by as many). Setting the threshold turns that off.
    """
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return
    with contextlib.suppress(OSError, AttributeError):
        m_mmap_threshold = -3  # malloc.h
        ctypes.CDLL("libc.so.6").mallopt(m_mmap_threshold, MMAP_THRESHOLD_BYTES)


def _run(app: MockApp, args: argparse.Namespace, tls_files: tls.TlsFiles) -> None:
    try:
        import uvloop
    except ImportError:  # Windows: the standard event loop
        asyncio.run(_serve(app, args, tls_files))
    else:
        uvloop.run(_serve(app, args, tls_files))


if __name__ == "__main__":
    sys.exit(main())
