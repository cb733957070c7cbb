"""The hub's outbound HTTP/1.1: keep-alive connections per origin, one request at a time on each.

aiohttp's client cost about 125 us of CPU per request on the 2-core bench machine; every relayed
request and every delivery paid it, and it was the largest share of the hub's CPU under fan-out
(issue 7). The hub needs a small part of HTTP: a request with a small JSON body, an answer read
whole. `HttpClient` does just that over asyncio protocols with llhttp (`httptools`) parsing, at
about 50 us per request; bench/bench_authorize.py and bench/bench_fanout.py show the effect.

What it does:
- one origin (scheme, host, port) per pool of idle connections, most recently used first;
  at most `limit` requests in flight (more wait for a slot, inside their timeout); idle
  connections are closed after `idle_timeout` or when the peer closes them;
- names are resolved at each new connection by `resolve` (the hub's resolver keeps only
  OCPI_HUB_PEER_NETWORKS addresses), every address tried in turn;
- https with certificate and host name verification (or the `ssl` context given);
- the request target is sent byte for byte as given (no re-normalisation: core.urls built it);
- answers by Content-Length, chunked, or read to the close; at most `max_body` bytes;
- a request on a reused connection that the peer closed before answering (its keep-alive
  timeout racing ours) is sent again on a new connection, for idempotent methods only;
- a timeout, a cancellation or a broken answer closes that connection.

It raises OSError subclasses only: `HttpError` for a broken answer, ConnectionError,
ssl.SSLError and socket.gaierror from the socket, and TimeoutError past `timeout`.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = ["HttpClient", "HttpError", "HttpResponse", "Resolve"]

Resolve = Callable[[str, int], Awaitable[list[str]]]  # host, port -> addresses to try in order

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_FORBIDDEN_IN_HEADERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class HttpError(OSError):
    """The peer's answer was not HTTP we can read (malformed, too large, cut short)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


Origin = tuple[str, str, int]  # scheme, host, port


class _Connection(asyncio.Protocol):
    """One connection; `exchange` sends a request and resolves with its whole answer."""

    def __init__(self, origin: Origin, max_body: int) -> None:
        self.origin = origin
        self.max_body = max_body
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._answer: asyncio.Future[HttpResponse] | None = None
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._heard = False  # any byte of the current answer arrived
        self._headers_done = False
        self._framed = False  # Content-Length or chunked: the close does not end the body
        self._keep_alive = False  # the last answer allows another request (llhttp forgets it)

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        answer = self._answer
        if answer is None or answer.done():
            return
        if self._headers_done and not self._framed:
            self._complete()  # the body was "read until the connection closes"
        else:
            answer.set_exception(ConnectionResetError(f"the peer closed the connection: {exc}"))

    def data_received(self, data: bytes) -> None:
        if self._answer is None:  # bytes nobody asked for: the connection cannot be trusted
            self.close()
            return
        self._heard = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"malformed HTTP answer: {exc}"))

    # -- httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        names = {name.lower() for name, _ in self._headers}
        self._framed = "content-length" in names or "transfer-encoding" in names

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self.max_body:
            self._fail(HttpError(f"answer larger than {self.max_body} bytes"))
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() < 200:  # 1xx: the real answer follows
            self._reset()
            return
        self._keep_alive = self.parser.should_keep_alive()
        self._complete()

    # -- use
    @property
    def heard(self) -> bool:
        return self._heard

    def exchange(self, request: bytes) -> asyncio.Future[HttpResponse]:
        assert self.transport is not None
        if self.transport.is_closing():
            raise ConnectionResetError("the peer closed the connection")
        self._reset()
        self._heard = self._keep_alive = False
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._answer

    def reusable(self) -> bool:
        return not self.closed and self._answer is None and self._keep_alive

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _reset(self) -> None:
        self._headers, self._body, self._size = [], [], 0
        self._headers_done = self._framed = False

    def _complete(self) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            status = self.parser.get_status_code()
            headers = CIMultiDictProxy(CIMultiDict(self._headers))
            answer.set_result(HttpResponse(status, headers, b"".join(self._body)))

    def _fail(self, error: Exception) -> None:
        answer, self._answer = self._answer, None
        if answer is not None and not answer.done():
            answer.set_exception(error)
        self.close()


class HttpClient:
    """Keep-alive HTTP/1.1 requests to peers; see the module docstring. Use `async with`."""

    def __init__(
        self,
        *,
        limit: int = 100,
        resolve: Resolve | None = None,
        ssl_context: ssl.SSLContext | None = None,
        idle_timeout: float = 15.0,
        max_body: int = 64 * 1024 * 1024,
    ) -> None:
        self._slots = asyncio.Semaphore(max(1, limit))
        self._resolve = resolve or system_names
        self._ssl = ssl_context
        self._idle_timeout = idle_timeout
        self._max_body = max_body
        self._idle: dict[Origin, list[_Connection]] = {}
        self._swept = time.monotonic()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        timeout: float,
    ) -> HttpResponse:
        """Send `method url` with `headers` (Host and Content-Length are added) and `body`;
        the whole answer within `timeout` seconds, waiting for a slot included. ValueError when
        the URL or a header cannot be sent as given."""
        origin, target = _split(url)
        request = _encode(method, origin, target, headers, body)
        async with asyncio.timeout(timeout), self._slots:
            connection = self._reused(origin)
            if connection is not None:
                try:
                    return await self._exchange(connection, request)
                except ConnectionResetError:
                    if connection.heard or method not in IDEMPOTENT:
                        raise
            return await self._exchange(await self._connect(origin), request)

    async def _exchange(self, connection: _Connection, request: bytes) -> HttpResponse:
        try:
            answer = await connection.exchange(request)
        except BaseException:
            connection.close()
            raise
        if connection.reusable():
            connection.idle_since = time.monotonic()
            self._idle.setdefault(connection.origin, []).append(connection)
        else:
            connection.close()
        return answer

    def _reused(self, origin: Origin) -> _Connection | None:
        now = time.monotonic()
        if now - self._swept > self._idle_timeout:
            self._sweep(now)
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < self._idle_timeout:
                return connection
            connection.close()
        return None

    def _sweep(self, now: float) -> None:
        self._swept = now
        for origin, connections in list(self._idle.items()):
            kept = []
            for connection in connections:
                if connection.closed or now - connection.idle_since >= self._idle_timeout:
                    connection.close()
                else:
                    kept.append(connection)
            if kept:
                self._idle[origin] = kept
            else:
                del self._idle[origin]

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = self._ssl or _default_context()
        loop = asyncio.get_running_loop()
        failures: list[str] = []
        for address in await self._resolve(host, port):
            try:
                _, connection = await loop.create_connection(
                    lambda: _Connection(origin, self._max_body),
                    address,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                )
            except ssl.SSLError:
                raise
            except OSError as exc:
                failures.append(f"{address}: {exc.strerror or exc}")
                continue
            return connection
        raise ConnectionRefusedError(f"cannot connect to {host}:{port} ({'; '.join(failures)})")


async def system_names(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host` (IP addresses stand for themselves)."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


_context: ssl.SSLContext | None = None


def _default_context() -> ssl.SSLContext:
    global _context
    if _context is None:
        _context = ssl.create_default_context()
    return _context


def _split(url: str) -> tuple[Origin, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        raise ValueError(f"{url!r} is not an absolute http(s) URL the hub can call")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise ValueError(f"{url!r}: {exc}") from None
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return (scheme, parts.hostname, port), target


def _encode(
    method: str, origin: Origin, target: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    scheme, host, port = origin
    authority = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        authority = f"{authority}:{port}"
    lines = [f"{method} {target} HTTP/1.1", f"Host: {authority}"]
    for name, value in headers.items():
        if _FORBIDDEN_IN_HEADERS.search(name) or _FORBIDDEN_IN_HEADERS.search(value):
            raise ValueError(f"header {name!r} holds a control character")
        lines.append(f"{name}: {value}")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    if " " in target or _FORBIDDEN_IN_HEADERS.search(target):
        raise ValueError(f"request target {target!r} holds a space or a control character")
    return head + body if body else head
