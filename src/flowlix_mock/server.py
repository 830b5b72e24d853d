"""The HTTP server's own limits, set deliberately (contract section 17; docs: mock page).

uvicorn (with httptools) parses HTTP before the mock sees a request. Its settings cover the
keep-alive timeout; it has none for the size of a request's headers or for how long a client may
take to send them, and its own concurrency limit answers a plain-text 503. This protocol adds
those three on top of uvicorn's httptools protocol, with the numbers from
`catalog.MOCK_LIMITS`:

- headers (request line and header fields together) larger than `header_max_bytes`: 431 and the
  connection is closed, before the mock runs anything;
- a request whose headers have not all arrived `header_read_timeout_seconds` after its first
  byte (or after the connection opened): 408 and the connection is closed;
- more than `max_connections` open connections or requests in flight: the mock's own 503
  `service_unavailable` in the contract's error shape, with `Retry-After`, nothing run.

uvicorn itself still answers malformed HTTP (a broken request line, an invalid header) with a
plain-text 400 that the mock never sees: the mock page lists that as a known limit.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .catalog import MOCK_LIMITS


class _HeadersTooLarge(Exception):
    pass


def _plain_response(status_line: bytes, message: str) -> bytes:
    body = message.encode()
    return (
        status_line
        + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        + b"content-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n\r\n"
        + body
    )


class _OneWritePerResponse:
    """The connection's transport as uvicorn's request cycle sees it, writing a response's head
    and body together: uvicorn writes the head (status line and headers) and then the body, two
    system calls and two TCP segments for every answer. The head is held back and goes out with
    the body's first bytes, or before anything else written, or when the response is complete
    (a HEAD request's answer has no body), or when the connection is closed."""

    __slots__ = ("_transport", "_head")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head + data)
        elif data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 100 "):
            self._head = data  # a response head (an interim 100 Continue goes out at once)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head)

    def close(self) -> None:
        if not self._transport.is_closing():
            self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header size limit, a header-read timeout and a
    connection limit that answers in the contract's shape."""

    header_max_bytes = MOCK_LIMITS.header_max_bytes
    header_read_timeout = MOCK_LIMITS.header_read_timeout_seconds
    max_connections = MOCK_LIMITS.max_connections

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._headers_too_large = False
        self._header_timer: asyncio.TimerHandle | None = None
        # The mock's ASGI app answers the overload 503 itself (with its request id).
        self._overloaded_app = getattr(self.config.app, "overloaded", None)

    # --- header-read timeout ----------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.header_read_timeout, self._header_timeout
            )

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(
                _plain_response(b"HTTP/1.1 408 Request Timeout", "Request headers too slow.")
            )
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _OneWritePerResponse(transport)  # type: ignore[assignment]
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        self.transport.flush()  # type: ignore[attr-defined]
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm_header_timer()

    # --- header size ------------------------------------------------------------------------

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.header_max_bytes:
            self._headers_too_large = True
            raise _HeadersTooLarge  # httptools stops parsing; uvicorn calls send_400_response

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        if not self._headers_too_large:
            super().send_400_response(msg)
            return
        self._disarm_header_timer()
        self.transport.write(
            _plain_response(
                b"HTTP/1.1 431 Request Header Fields Too Large",
                f"Request headers larger than {self.header_max_bytes} bytes.",
            )
        )
        self.transport.close()

    # --- connection limit -------------------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        overloaded = (
            len(self.connections) > self.max_connections or len(self.tasks) >= self.max_connections
        )
        if not overloaded or self._overloaded_app is None:
            super().on_headers_complete()
            return
        app, self.app = self.app, self._overloaded_app
        try:
            super().on_headers_complete()
        finally:
            self.app = app
