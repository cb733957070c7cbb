"""The liveness probe (checklist §5 [S]): a party silent too long is asked whether it is alive.

Every `liveness_interval` seconds the probe claims the registered platforms not heard from for
`liveness_silence` seconds (and not probed for as long) and GETs each one's versions URL with
the token the hub uses to call it. No OCPI answer (unreachable, timeout, an HTTP error, a
status_code outside 1xxx) makes its CONNECTED parties OFFLINE; an answer counts as hearing
from it, which brings OFFLINE parties back to CONNECTED. Both are pushed as HubClientInfo by the
repository, in the transaction that records them.

Claims are taken in the database, so several hub processes sharing it never probe one platform
in the same round; a process that dies mid-probe leaves the platform to be claimed again one
silence later.
"""

from __future__ import annotations

import asyncio

import asyncpg

from ocpi_hub import dialects
from ocpi_hub.core.modules.hubclientinfo import ClientInfo
from ocpi_hub.core.parties import Platform
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerClient, PeerUnreachable
from ocpi_hub.settings import Settings
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.repositories import clientinfo, platforms

log = get_logger("ocpi_hub.push.liveness")

# Platforms probed concurrently per round; the rest are claimed in the next rounds.
_BATCH = 50


class LivenessProbe:
    """One process's share of the liveness probing."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: PeerClient,
        settings: Settings,
        database: DatabaseWatch | None = None,
    ) -> None:
        self.pool = pool
        self.client = client
        self.settings = settings
        self.database = database or DatabaseWatch(pool)
        self.hub: PartyKey = (settings.country_code, settings.party_id)

    async def run(self) -> None:
        """Probe every interval until cancelled; survives database hiccups."""
        await self.database.every(
            self.settings.liveness_interval, self.probe_once, "liveness_round_failed"
        )

    async def probe_once(self) -> int:
        """Claim the silent platforms and probe them concurrently; return how many."""
        due = await platforms.claim_silent(
            self.pool, silence=self.settings.liveness_silence, limit=_BATCH
        )
        if due:
            await asyncio.gather(*(self.probe(platform) for platform in due))
        return len(due)

    async def probe(self, platform: Platform) -> None:
        assert platform.versions_url is not None and platform.outgoing_token is not None
        try:
            await self.client.get_data(
                platform.versions_url,
                token=platform.outgoing_token,
                timeout=self.settings.forward_timeout,
                dialect=dialects.spoken_by(platform),
            )
        except PeerUnreachable as exc:
            changed = await clientinfo.unreachable(
                self.pool, platform.id, silence=self.settings.liveness_silence, hub=self.hub
            )
            log.info(
                "liveness_probe_failed", platform=platform.id, error=str(exc), **_keys(changed)
            )
            return
        # An answer is hearing from it: throttle 0 so last_seen is written now.
        changed = await clientinfo.heard_from(self.pool, platform.id, hub=self.hub, throttle=0)
        log.debug("liveness_probe_answered", platform=platform.id, **_keys(changed))


def _keys(changed: list[ClientInfo]) -> dict[str, str]:
    """For the log line: which parties changed status, and to what."""
    if not changed:
        return {}
    return {"changed": ",".join(f"{i.country_code}*{i.party_id}={i.status.value}" for i in changed)}
