"""The hub's HTTP client towards peers: token, id and routing headers, timeouts, envelopes.

Every outbound call goes through `PeerClient.request` over the hub's `push.http.HttpClient`; it
never retries a request the peer may have seen (the outbox does). The hub's client
(`peer_client`) calls only addresses in OCPI_HUB_PEER_NETWORKS (push.networks), and sends each
URL exactly as it was built and checked (core.urls): never re-normalised, which could decode
`%3B` back into the `;` some servers read as a path parameter (Tomcat: `..;` is `..`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import orjson

from ocpi_hub.core.networks import PeerNetworks
from ocpi_hub.core.parties import InterfaceRole, Platform
from ocpi_hub.core.types import format_datetime
from ocpi_hub.dialects import OCPI_221, Dialect, authorization_value, spec_answer
from ocpi_hub.logging import get_logger
from ocpi_hub.push.http import HttpClient
from ocpi_hub.push.networks import OutsidePeerNetworks, PeerNetworksResolver

log = get_logger("ocpi_hub.push.client")


class PeerUnreachable(Exception):
    """The peer could not be reached or did not answer with HTTP at all."""


class PeerTimeout(PeerUnreachable):
    """The peer did not answer within the time allowed."""


@dataclass(frozen=True)
class PeerResponse:
    http_status: int
    raw: bytes
    headers: Mapping[str, str]
    body: Any = field(default=None)  # the parsed JSON envelope, or None when it was not JSON

    @property
    def status_code(self) -> int | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("status_code"), int):
            return int(self.body["status_code"])
        return None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    @property
    def ok(self) -> bool:
        """HTTP 2xx and an OCPI 1xxx status: the peer accepted the request."""
        code = self.status_code
        return 200 <= self.http_status < 300 and code is not None and 1000 <= code < 2000


# Everything a URL may hold as it is; the rest (spaces, non-ASCII) is percent-encoded.
_URL_CHARACTERS = ":/?#[]@!$&'()*+,;=%"


def exact_url(url: str) -> str:
    """`url` as it is sent: byte for byte, once spaces and non-ASCII are encoded."""
    return quote(url, safe=_URL_CHARACTERS)


class Bridge(Protocol):
    """What answers, in OCPI, the requests to platforms whose dialect is not OCPI at all
    (`Dialect.bridge`): push.oicp.bridge for Hubject."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> PeerResponse: ...


@dataclass(frozen=True)
class Target:
    """What a request is, for a platform that needs it translated (another OCPI version): the
    platform, the module and interface of the endpoint it goes to, and the path below that
    endpoint ("" for a URL the platform gave, such as a response_url)."""

    platform: Platform
    module: str
    interface: InterfaceRole
    path: str = ""


Send = Callable[..., Awaitable[PeerResponse]]


class Translator(Protocol):
    """What carries a request to a platform in another OCPI version (push.v211): it translates
    the request, sends it with `send` (PeerClient's own sending, same keywords as
    `PeerClient.request` minus the translation ones), and translates the answer back."""

    async def request(
        self,
        send: Send,
        target: Target,
        method: str,
        url: str,
        *,
        body: bytes | None,
        **sending: Any,
    ) -> PeerResponse: ...


class PeerClient:
    """Sends OCPI requests to peers over one `HttpClient`; with a `guard`, only to addresses it
    allows (`peer_client` gives the hub's: the guard resolves every name the client calls).
    A request to a platform whose dialect names a bridge goes to that bridge in `bridges`; one
    with a `target` on a platform of another OCPI version goes through the `translator`."""

    def __init__(
        self,
        http: HttpClient,
        guard: PeerNetworksResolver | None = None,
        bridges: Mapping[str, Bridge] | None = None,
        translator: Translator | None = None,
    ) -> None:
        self.http = http
        self.guard = guard
        self.bridges = bridges if bridges is not None else {}
        self.translator = translator

    async def check_url(self, url: str) -> None:
        """OutsidePeerNetworks unless the hub may call `url` (push.networks: registration)."""
        if self.guard is not None:
            await self.guard.check_url(url)

    async def request(
        self,
        method: str,
        url: str,
        *,
        token: str,
        timeout: float,
        body: bytes | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        dialect: Dialect = OCPI_221,
        single: bool = False,
        target: Target | None = None,
    ) -> PeerResponse:
        """One request, with a fresh X-Request-ID unless given, the token encoded as `dialect`
        wants it (the receiving platform's: `dialects.spoken_by`), and the answer in the spec's
        form where the dialect answers otherwise (`dialects.spec_answer`: an error without the
        envelope, or, for a GET of one object (`single`), a one-item list); raises
        PeerUnreachable or PeerTimeout. With a `target` whose platform speaks another OCPI
        version than 2.2.1, the request and its answer are translated (`translator`)."""
        if target is not None and dialect.version != OCPI_221.version:
            if self.translator is None:
                raise PeerUnreachable(f"{method} {url}: no OCPI {dialect.version} translator here")
            return await self.translator.request(
                self.request, target, method, url, body=body, token=token, timeout=timeout,
                correlation_id=correlation_id, request_id=request_id, headers=headers,
                params=params, dialect=dialect, single=single,
            )  # fmt: skip
        sent = {
            "Authorization": authorization_value(dialect, token),
            "X-Request-ID": request_id or str(uuid.uuid4()),
            "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
            **(headers or {}),
        }
        if body is not None:
            sent["Content-Type"] = "application/json"
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        if dialect.bridge is not None:
            return await self._bridged(dialect.bridge, method, url, sent, body, timeout)
        try:
            response = await self.http.request(
                method, exact_url(url), headers=sent, body=body, timeout=timeout
            )
        except TimeoutError as exc:
            raise PeerTimeout(f"{method} {url}: no answer within {timeout:g} s") from exc
        except OutsidePeerNetworks as exc:
            log.warning("peer_address_refused", method=method, url=url, reason=str(exc))
            raise PeerUnreachable(f"{method} {url}: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise PeerUnreachable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
        raw = response.body
        parsed = _parse(raw)
        spec = spec_answer(dialect, response.status, parsed, raw, single=single, timestamp=_now)
        if spec is not parsed:  # what the hub relays is the spec's form, not the peer's
            parsed, raw = spec, orjson.dumps(spec)
        result = PeerResponse(response.status, raw, response.headers, parsed)
        log.debug(
            "peer_call",
            method=method,
            url=url,
            http_status=result.http_status,
            status_code=result.status_code,
            peer_request_id=sent["X-Request-ID"],
        )
        return result

    async def _bridged(
        self,
        name: str,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> PeerResponse:
        bridge = self.bridges.get(name)
        if bridge is None:
            raise PeerUnreachable(f"{method} {url}: no {name} bridge runs in this process")
        try:
            return await bridge.request(method, url, headers=headers, body=body, timeout=timeout)
        except TimeoutError as exc:
            raise PeerTimeout(f"{method} {url}: no answer within {timeout:g} s") from exc

    async def get_data(
        self, url: str, *, token: str, timeout: float, dialect: Dialect = OCPI_221
    ) -> Any:
        """GET an OCPI resource and return its `data`; PeerUnreachable unless it answered 1xxx."""
        response = await self.request("GET", url, token=token, timeout=timeout, dialect=dialect)
        if not response.ok:
            raise PeerUnreachable(
                f"GET {url}: HTTP {response.http_status}, status_code {response.status_code}"
            )
        return response.data


@contextlib.asynccontextmanager
async def peer_client(
    networks: PeerNetworks,
    *,
    connections: int = 100,
    bridges: Mapping[str, Bridge] | None = None,
    translator: Translator | None = None,
) -> AsyncIterator[PeerClient]:
    """The hub's client: every connection goes to an address in `networks` (each name and IP
    address judged by `PeerNetworksResolver` at each new connection), at most `connections`
    requests at once; requests to a bridged dialect go to its bridge in `bridges`, those to a
    platform of another OCPI version through `translator`."""
    guard = PeerNetworksResolver(networks)
    async with HttpClient(limit=connections, resolve=guard.resolve) as http:
        yield PeerClient(http, guard, bridges, translator)


def _now() -> str:
    return format_datetime(datetime.now(UTC))


def _parse(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


async def sleep_until(deadline: float) -> None:
    """Sleep until the loop's clock reaches `deadline` (used by workers between polls)."""
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)
