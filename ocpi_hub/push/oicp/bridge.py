"""The bridge: OCPI requests to the Hubject platform, carried out as OICP operations.

The hub's client (`PeerClient`) hands the bridge every request to a platform speaking the
`hubject` dialect: the outbox's deliveries (Locations, Tariffs, Sessions, CDRs, Tokens), the
relay's real-time requests (authorizations, commands) and the puller's GETs. The bridge reads
the module and the object from the URL below `{base_url}/ocpi/`, whose message it is from the
routing headers, runs the OICP operations it means (`charges` for the hub's CPOs, `emp` for its
eMSPs) and answers as an OCPI platform would: an envelope with Hubject's verdict as OCPI status
(dialects.oicp.status_codes), HTTP 429/5xx passed on so the outbox backs off and retries.

What the translations could not carry is recorded (translation_losses): `ocpi-hub hubject
losses`. A message from a local party that does not roam on Hubject (`hubject enable`) is
answered 1000 and not sent: the hub's broadcasts reach every network, roaming on Hubject is
the operator's choice per party.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import asyncpg
import orjson
from multidict import CIMultiDict

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.parties import Party, Role
from ocpi_hub.core.routing import PartyKey, parse_routing_headers, routing_headers
from ocpi_hub.dialects import HUBJECT
from ocpi_hub.dialects.losses import Loss
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerClient, PeerResponse
from ocpi_hub.push.http import HttpClient
from ocpi_hub.push.oicp.client import OicpAnswer, OicpClient, OicpUnreachable, mutual_tls
from ocpi_hub.settings import Settings
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import hubject, losses, platforms
from ocpi_hub.storage.repositories.hubject import HubjectNetwork

__all__ = [
    "Handler",
    "Inbound",
    "OicpBridge",
    "Request",
    "answer",
    "ocpi_answer",
]

log = get_logger("ocpi_hub.push.oicp")


@dataclass(frozen=True)
class Request:
    """One OCPI request to the Hubject platform, as the bridge reads it."""

    method: str
    module: str
    path: tuple[str, ...]  # the URL's segments below the module, decoded
    query: Mapping[str, str]
    body: Any  # parsed JSON, or None
    sender: PartyKey | None  # OCPI-from
    receiver: PartyKey | None  # OCPI-to
    timeout: float


def answer(
    data: Any = None, status_code: int = 1000, message: str | None = None, http_status: int = 200
) -> PeerResponse:
    """An OCPI answer, as a platform would give it."""
    raw = envelope(data, status_code=status_code, status_message=message)
    return PeerResponse(http_status, raw, {}, orjson.loads(raw))


def ocpi_answer(
    oicp: OicpAnswer,
    what: str,
    data: Any = None,
    judge: Callable[[Mapping[str, Any]], tuple[int, str]] | None = None,
) -> PeerResponse:
    """Hubject's answer to operation `what` in OCPI: 1000 with `data` when it acknowledged,
    HTTP 429/5xx passed on (retried by the outbox), a refusal as the OCPI status `judge`
    gives for its body (default 3000: the platform could not handle it)."""
    if oicp.http_status == 429 or oicp.http_status >= 500:
        headers = {"Retry-After": str(int(oicp.retry_after))} if oicp.retry_after else {}
        raw = envelope(None, status_code=3000, status_message=f"Hubject: HTTP {oicp.http_status}")
        return PeerResponse(oicp.http_status, raw, headers, orjson.loads(raw))
    body = oicp.body if isinstance(oicp.body, dict) else {}
    if oicp.ok and body.get("Result", True) is not False:
        return answer(data)
    status = body.get("StatusCode")
    if not isinstance(status, dict):
        status = {}
    code, description = str(status.get("Code", "")), str(status.get("Description", ""))
    status_code, message = (
        judge(body) if judge else (3000, f"Hubject refused {what}: {code} {description}".strip())
    )
    return answer(None, status_code, message)


Handler = Callable[["OicpBridge", HubjectNetwork, Request], Awaitable[PeerResponse]]
# One of Hubject's calls to the hub (web.oicp): (bridge, network, the path's ids, the body) ->
# the OICP answer.
Inbound = Callable[
    ["OicpBridge", HubjectNetwork, Mapping[str, str], dict[str, Any]], Awaitable[Any]
]


class OicpBridge:
    """Carries out OCPI requests to the Hubject platform over OICP; use `async with`."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings
        self._client: OicpClient | None = None
        self._client_for: tuple[str, str, str, str] | None = None
        self._lock = asyncio.Lock()
        self._hub: PeerClient | None = None  # Hubject's calls, made to the hub's own OCPI side
        self._tasks: set[asyncio.Task[None]] = set()
        # (module, method) -> handler; filled by the role modules (cpo, emp).
        self.handlers: dict[tuple[str, str], Handler] = {}

    async def __aenter__(self) -> OicpBridge:
        from ocpi_hub.push.oicp import charges, emp, evses, operators

        for role in (charges, emp, evses, operators):
            self.handlers.update(role.HANDLERS)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._hub is not None:
            await self._hub.http.close()

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        """Run `job` beside the request that caused it (a CommandResult to post after the
        CommandResponse went back); cancelled when the bridge closes."""
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def ocpi(
        self,
        network: HubjectNetwork,
        method: str,
        path: str,
        *,
        sender: PartyKey,
        receiver: PartyKey,
        timeout: float,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> PeerResponse:
        """One of Hubject's calls, translated: an OCPI request to the hub's own interface (at
        `path` below its address), made as the Hubject platform FROM `sender` TO `receiver`,
        so every rule of the hub applies to it as to any network's request."""
        return await self.post(
            network,
            _own_address(self.settings) + path,
            body,
            sender=sender,
            receiver=receiver,
            timeout=timeout,
            method=method,
            params=params,
        )

    async def post(
        self,
        network: HubjectNetwork,
        url: str,
        body: Any,
        *,
        sender: PartyKey,
        receiver: PartyKey,
        timeout: float | None = None,
        method: str = "POST",
        params: Mapping[str, str] | None = None,
    ) -> PeerResponse:
        """An OCPI request to the hub at `url` (its own address, or a response_url it gave),
        made as the Hubject platform FROM `sender` TO `receiver`."""
        if self._hub is None:
            self._hub = PeerClient(HttpClient(limit=32))
        return await self._hub.request(
            method,
            url,
            token=network.bridge_token,
            timeout=timeout or self.settings.hubject_answer_budget,
            body=None if body is None else orjson.dumps(body),
            headers=routing_headers(sender, receiver),
            params=params,
        )

    async def network(self) -> HubjectNetwork | None:
        """The Hubject connection as stored, read at each request: `hubject enable` and
        `connect` take effect at once, in every process (one indexed read)."""
        return await hubject.network(self.pool)

    async def client(self, network: HubjectNetwork) -> OicpClient:
        """The OICP client for the stored connection; a new one when its files changed."""
        wanted = (network.base_url, network.cert_file, network.key_file, network.ca_file)
        async with self._lock:
            if self._client is None or self._client_for != wanted:
                if self._client is not None:
                    await self._client.close()
                context = mutual_tls(network.cert_file, network.key_file, network.ca_file)
                self._client = OicpClient(
                    network.base_url, context, rate_limits=self.settings.hubject_rate_limits
                )
                self._client_for = wanted
            return self._client

    async def call(
        self,
        network: HubjectNetwork,
        name: str,
        body: Mapping[str, Any],
        timeout: float,
        query: Mapping[str, str] | None = None,
        **ids: str,
    ) -> OicpAnswer:
        """One OICP operation within `timeout` seconds (`ids` fill its path)."""
        client = await self.client(network)
        return await client.call(name, body, timeout=timeout, ids=ids, query=query)

    async def partner(
        self, network: HubjectNetwork, party: PartyKey, role: Role, name: str | None = None
    ) -> None:
        """`party` is one of Hubject's partners (an operator or provider id the bridge met): a
        remote party of the Hubject platform from now on, announced to every process when new."""
        hub = (self.settings.country_code, self.settings.party_id)
        async with self.pool.acquire() as conn:
            added = await platforms.add_remote(
                conn, network.platform_id, Party.of(*party, role), name=name, source="OICP", hub=hub
            )
        if added:
            await announce(self.pool, network.platform_id)
            log.info("hubject_partner", party="*".join(party), role=role.value)

    async def losses(self, found: Sequence[Loss]) -> None:
        """Count what a translation could not carry."""
        if found:
            await losses.record(self.pool, HUBJECT.name, found)
            for loss in found:
                log.debug("oicp_loss", module=loss.module, field=loss.field, lost=loss.lost)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> PeerResponse:
        """Carry out one OCPI request to the Hubject platform (see the module docstring)."""
        network = await self.network()
        if network is None:
            return answer(None, 3000, "no Hubject connection (ocpi-hub hubject connect)", 503)
        parsed = _read(network, method, url, headers, body, timeout)
        if parsed is None:
            return answer(None, 2000, f"the Hubject bridge has no {method} {url}", 404)
        handler = self.handlers.get((parsed.module, method))
        if handler is None:
            return answer(None, 2000, f"Hubject has no {parsed.module} {method}", 404)
        try:
            return await handler(self, network, parsed)
        except OicpUnreachable as exc:
            log.warning("hubject_unreachable", module=parsed.module, reason=str(exc))
            return answer(None, 3000, f"Hubject unreachable: {exc}", 502)
        except (OSError, ValueError) as exc:  # our certificate files, a broken record
            log.warning("hubject_bridge_failed", module=parsed.module, reason=str(exc))
            return answer(None, 3000, f"Hubject bridge: {exc}", 502)


def _own_address(settings: Settings) -> str:
    """Where this process serves OCPI, as the bridge calls it: the listener's port on loopback
    when it listens on every address."""
    host = settings.host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def _read(
    network: HubjectNetwork,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: float,
) -> Request | None:
    prefix = network.base_url.rstrip("/") + "/ocpi/"
    if not url.startswith(prefix):
        return None
    parts = urlsplit(url[len(prefix) - 1 :])
    segments = [unquote(s) for s in parts.path.strip("/").split("/") if s]
    if not segments:
        return None
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    try:
        sender, receiver = parse_routing_headers(CIMultiDict(headers))
    except InvalidParameters:
        sender = receiver = None
    return Request(
        method=method,
        module=segments[0],
        path=tuple(segments[1:]),
        query=dict(parse_qsl(parts.query)),
        body=parsed,
        sender=sender,
        receiver=receiver,
        timeout=timeout,
    )
