"""The HTTP server under the application: connection limits, timeouts, and OCPI envelopes for
what aiohttp refuses before the application sees a request.

aiohttp parses requests in a protocol object per connection (`RequestHandler`) and only then
calls the application and its middleware, so these live here, one level down:

- **Timeouts.** aiohttp's keep-alive timer runs from a connection's opening and from each
  answer until the next request head is complete, and bytes trickling in do not reset it; with
  `keepalive_timeout` (OCPI_HUB_KEEPALIVE_TIMEOUT) it closes both idle connections and heads sent
  slowly (slowloris). A body must arrive within `read_timeout` (OCPI_HUB_READ_TIMEOUT) of its
  head: then reading it fails with errors.RequestTimeout (408, an envelope) and the connection
  is closed after the answer.
- **A connection cap.** At most `max_connections` client connections are open. One more closes
  the connection that has been idle longest (no request in progress: a keep-alive between
  requests, or a head still arriving); when every connection is busy with a request, the
  newcomer is answered 503 with Retry-After and closed. An idle flood cannot starve the hub, and
  its open files stay under the limit (the cap is lowered to fit it, `connection_cap`).
- **Parser refusals as envelopes.** A request aiohttp's parser refuses (a method it does not
  know, a header or request line over 8190 bytes, TLS on the HTTP port) is answered with an OCPI
  envelope, 2000 with HTTP 400 (431 for a line too long), not aiohttp's plain text.
"""

from __future__ import annotations

import asyncio
import resource
import uuid
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_request import BaseRequest

from ocpi_hub.core.envelope import envelope
from ocpi_hub.errors import AtConnectionLimit, ClientError, OcpiError, RequestTimeout
from ocpi_hub.logging import get_logger
from ocpi_hub.settings import Settings

log = get_logger("ocpi_hub.web")

# Open files the hub needs besides client connections: the database pool, connections to the
# parties it calls (aiohttp's connector opens up to 100), listening sockets, logs, the loop.
RESERVED_FILES = 256
# Below this share of the cap, the cap counts as cleared (and that is logged once).
_CLEARED = 0.9


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard limit where allowed; return the soft limit.

    Services commonly start with a soft limit of 1,024 under a far higher hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft
        return target
    return soft


def open_file_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connection_cap(max_connections: int, open_files: int) -> int:
    """OCPI_HUB_MAX_CONNECTIONS, lowered so that client connections leave the hub's own files
    room under the open-file limit.

    >>> connection_cap(4096, 1024), connection_cap(4096, 1 << 20), connection_cap(4096, 256)
    (768, 4096, 128)
    """
    return max(1, min(max_connections, max(open_files // 2, open_files - RESERVED_FILES)))


class HubRunner(web.AppRunner):
    """An AppRunner whose server applies the limits above (`ocpi-hub serve` and the tests)."""

    def __init__(
        self, app: web.Application, settings: Settings, *, open_files: int | None = None
    ) -> None:
        super().__init__(app, access_log=None)
        self.settings = settings
        self.max_connections = connection_cap(
            settings.max_connections, open_file_limit() if open_files is None else open_files
        )

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()  # the application's own handler and request factory
        return HubServer(
            server.request_handler,
            request_factory=server.request_factory,
            max_connections=self.max_connections,
            read_timeout=self.settings.read_timeout,
            keepalive_timeout=self.settings.keepalive_timeout,
        )


class HubServer(web.Server):
    """aiohttp's low-level server with a connection cap and a body deadline."""

    def __init__(
        self,
        handler: Any,
        *,
        request_factory: Any,
        max_connections: int,
        read_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, request_factory=self._timed_request, access_log=None, **kwargs)
        self._app_request_factory = request_factory
        self.max_connections = max_connections
        self.read_timeout = read_timeout
        # Open connections, the one idle longest first (moved to the end when a request starts).
        self._open: dict[EdgeProtocol, None] = {}
        self._at_limit = False
        self._evicted = self._refused = 0

    def __call__(self) -> EdgeProtocol:
        return EdgeProtocol(self, loop=self._loop, **self._kwargs)

    def connection_made(self, handler: web.RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        assert isinstance(handler, EdgeProtocol)
        if len(self._open) >= self.max_connections and not self._make_room():
            self._refused += 1
            transport.write(raw_answer(AtConnectionLimit()))
            handler.force_close()
            return
        self._open[handler] = None

    def connection_lost(
        self, handler: web.RequestHandler, exc: BaseException | None = None
    ) -> None:
        super().connection_lost(handler, exc)
        self._open.pop(handler, None)  # type: ignore[call-overload]
        if self._at_limit and len(self._open) < self.max_connections * _CLEARED:
            self._at_limit = False
            log.info(
                "connection_limit_cleared",
                open=len(self._open),
                evicted=self._evicted,
                refused=self._refused,
            )
            self._evicted = self._refused = 0

    def _make_room(self) -> bool:
        """Close the connection idle longest; False when every connection is busy."""
        if not self._at_limit:
            self._at_limit = True
            log.warning("connection_limit_reached", max_connections=self.max_connections)
        victim = next((connection for connection in self._open if not connection.busy), None)
        if victim is None:
            return False
        del self._open[victim]
        victim.force_close()
        self._evicted += 1
        return True

    def _timed_request(
        self,
        message: Any,
        payload: Any,
        protocol: web.RequestHandler,
        writer: Any,
        task: asyncio.Task[None],
    ) -> BaseRequest:
        request: BaseRequest = self._app_request_factory(message, payload, protocol, writer, task)
        assert isinstance(protocol, EdgeProtocol)
        if protocol in self._open:  # most recently used last
            del self._open[protocol]
            self._open[protocol] = None
        if not payload.is_eof():
            self._loop.call_later(self.read_timeout, protocol.body_overdue, payload)
        return request


class EdgeProtocol(web.RequestHandler):
    """aiohttp's per-connection protocol: envelopes for parser refusals, a body deadline."""

    @property
    def busy(self) -> bool:
        """A request is being handled on this connection (aiohttp's own flag)."""
        return self._request_in_progress

    def body_overdue(self, payload: Any) -> None:
        """The read deadline of `payload` passed: fail the handler's read unless it is all in.

        Only while the request is handled: after the answer aiohttp drains or closes itself."""
        if payload.is_eof() or payload.exception() is not None or not self.busy:
            return
        payload.set_exception(RequestTimeout("request body not received within the read timeout"))
        # Close after the answer instead of waiting for the rest of the body.
        self._lingering_time = 0.0

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's answer to what never reached the application, as an OCPI envelope."""
        error: OcpiError
        if status >= 500:
            log.error("unhandled_error", exc_info=exc)
            error = OcpiError("internal error")
        else:
            reason = " ".join(str(message or exc).split())  # the parser's message spans lines
            error = ClientError(f"bad HTTP request: {reason}")
            error.http_status = 431 if isinstance(exc, LineTooLong) else status
            log.info("bad_http_request", http_status=error.http_status, reason=error.message)
        if request.writer.output_size > 0:
            raise ConnectionError("an answer was partly sent already")
        response = web.Response(
            body=envelope(None, status_code=error.status_code, status_message=error.message),
            status=error.http_status,
            content_type="application/json",
            headers=_ids(),
        )
        response.force_close()
        return response


def raw_answer(error: OcpiError) -> bytes:
    """An HTTP/1.1 answer carrying `error`, for a connection no request was parsed on."""
    body = envelope(None, status_code=error.status_code, status_message=error.message)
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **_ids()}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    headers["Connection"] = "close"
    head = f"HTTP/1.1 {error.http_status} {HTTPStatus(error.http_status).phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode() + b"\r\n" + body


def _ids() -> dict[str, str]:
    return {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
