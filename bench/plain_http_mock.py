"""The mock over plain HTTP, for the benchmark only: `flowlix-mock` as it ships, minus TLS.

Prism serves plain HTTP only, so comparing the two on the same transport means taking TLS off
ours. This runs the unchanged `flowlix_mock.cli.main()` (same argument parsing, request logging,
uvloop, httptools, socket and uvicorn settings) with one substitution: `uvicorn.Config` drops the
`ssl_*` arguments and wraps the app so that each request is marked as having arrived over TLS
that was terminated in front of it (ASGI scope "scheme": "https"). Without that mark the mock
correctly answers every plain-HTTP request with 403 https_required.

The wrapper copies the scope once per request, which costs the mock a little; it never helps it.
bench/run.py also measures the real HTTPS mock, and the report shows both.
"""

from __future__ import annotations

import sys

import uvicorn

from flowlix_mock import cli


class TlsTerminatedConfig(uvicorn.Config):
    def __init__(self, app, **kwargs) -> None:
        kwargs.pop("ssl_certfile", None)
        kwargs.pop("ssl_keyfile", None)

        async def behind_tls_termination(scope, receive, send):
            if scope["type"] == "http":
                scope = {**scope, "scheme": "https"}
            await app(scope, receive, send)

        super().__init__(behind_tls_termination, **kwargs)


if __name__ == "__main__":
    cli.uvicorn.Config = TlsTerminatedConfig
    sys.exit(cli.main(sys.argv[1:]))
