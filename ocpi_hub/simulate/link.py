"""The simulated party as the hub's client: where the hub's interfaces are, which token opens
them, and every request the party sends, counted.

Requests carry `OCPI-from` (this party) always, and `OCPI-to` the hub for data meant for
everyone (Locations, Tariffs, Tokens: broadcast); Sessions, CDRs, commands and authorizations go
without `OCPI-to`, for the hub to route by content (open routing, checklist §5).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from ocpi_hub.core.parties import Credentials, InterfaceRole, ModuleID, Role, VersionDetails
from ocpi_hub.core.routing import FROM_COUNTRY, FROM_PARTY, TO_COUNTRY, TO_PARTY, PartyKey
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerClient, PeerResponse, PeerUnreachable
from ocpi_hub.push.http import HttpClient
from ocpi_hub.simulate.stats import Stats
from ocpi_hub.simulate.wire import MAX_PAGE, next_link

log = get_logger("ocpi_hub.simulate")

# A GET walk stops after this many pages, so a peer whose Link never ends cannot trap us.
_MAX_PAGES = 1000


class NotConnected(Exception):
    """The party has no token for the hub (not registered, or unregistered), or the hub offers
    no such interface."""


class HubLink:
    """What a party knows of the hub it is registered with, and the requests it sends there."""

    def __init__(self, identity: PartyKey, stats: Stats, timeout: float) -> None:
        self.identity = identity
        self.stats = stats
        self.timeout = timeout
        self.http: HttpClient | None = None
        self.token: str | None = None  # the token we call the hub with (C, or B as server)
        self.hub: PartyKey | None = None
        self.endpoints: dict[tuple[str, InterfaceRole], str] = {}

    @property
    def client(self) -> PeerClient:
        if self.http is None:
            raise NotConnected("the party is not started")
        return PeerClient(self.http)

    @property
    def connected(self) -> bool:
        return self.token is not None

    def adopt(self, credentials: Credentials, details: VersionDetails) -> None:
        """Keep what a completed handshake gave us: the token, the hub's identity, its URLs."""
        self.token = credentials.token
        hub = next((r for r in credentials.roles if r.role == Role.HUB), credentials.roles[0])
        self.hub = (hub.country_code.upper(), hub.party_id.upper())
        self.endpoints = {(e.identifier, e.role): e.url.rstrip("/") for e in details.endpoints}

    def forget(self) -> None:
        """The hub unregistered us: no more traffic."""
        self.token = None

    def url(self, module: ModuleID, role: InterfaceRole) -> str:
        """The hub's `module` interface in `role`; NotConnected when it offers none."""
        found = self.endpoints.get((module.value, role))
        if found is None:
            raise NotConnected(f"the hub offers no {module.value} {role.value} interface")
        return found

    def _headers(self, to_hub: bool) -> dict[str, str]:
        headers = {FROM_COUNTRY: self.identity[0], FROM_PARTY: self.identity[1]}
        if to_hub and self.hub is not None:
            headers.update({TO_COUNTRY: self.hub[0], TO_PARTY: self.hub[1]})
        return headers

    async def send(
        self,
        label: str,
        method: str,
        url: str,
        body: Any = None,
        *,
        to_hub: bool = False,
        key: str | None = None,
        params: dict[str, str] | None = None,
    ) -> PeerResponse | None:
        """Send one request to the hub and count it: `sent` when the hub accepted it (HTTP 2xx,
        OCPI 1xxx), else `errors`. Returns the answer, or None when there was none."""
        if self.token is None:
            self.stats.count_error(label)
            return None
        try:
            response = await self.client.request(
                method,
                url,
                token=self.token,
                timeout=self.timeout,
                body=orjson.dumps(body) if body is not None else None,
                headers=self._headers(to_hub),
                params=params,
            )
        except PeerUnreachable as exc:
            self.stats.count_error(label)
            log.warning("send_failed", label=label, url=url, error=str(exc))
            return None
        if response.ok:
            self.stats.count_sent(label, key)
            log.info("sent", label=label, key=key, status_code=response.status_code)
        else:
            self.stats.count_error(label)
            log.warning(
                "refused",
                label=label,
                key=key,
                http_status=response.http_status,
                status_code=response.status_code,
                message=response.body.get("status_message")
                if isinstance(response.body, dict)
                else None,
            )
        return response

    async def usable(self, patience: float = 10.0) -> bool:
        """Wait until the hub takes our token on a functional module (not counted as traffic).

        When the hub initiated the handshake, it stores our answer only after we sent it: until
        then it refuses the token it gave us outside the configuration modules (401), and a
        push sent right after our answer would be lost to that race.
        """
        url = self.url(ModuleID.LOCATIONS, InterfaceRole.SENDER)
        deadline = time.monotonic() + patience
        while self.token is not None:
            try:
                response = await self.client.request(
                    "GET", url, token=self.token, timeout=self.timeout, params={"limit": "1"}
                )
                if response.http_status != 401:
                    return True
            except PeerUnreachable:
                pass
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        return False

    async def pull(
        self, module: ModuleID, params: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Every object the hub's `module` Sender interface lists for us, following `Link`
        page by page (checklist §1.5); what could be read when a page fails."""
        label = f"{module.value} GET"
        url: str | None = self.url(module, InterfaceRole.SENDER)
        query: dict[str, str] | None = {"limit": str(MAX_PAGE), **(params or {})}
        found: list[dict[str, Any]] = []
        for _ in range(_MAX_PAGES):
            if url is None:
                break
            response = await self.send(label, "GET", url, params=query)
            if response is None or not response.ok or not isinstance(response.data, list):
                break
            found += [item for item in response.data if isinstance(item, dict)]
            link = next((v for k, v in response.headers.items() if k.lower() == "link"), None)
            url, query = next_link(link), None
        self.stats.count_pulled(module.value, len(found))
        return found
