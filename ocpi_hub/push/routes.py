"""Route choice carried out (issue 8): choose each party's route, make every process use it,
move what is queued for it, and keep idle routes measured.

`choose_routes` is one round for every party with more than one registered route (or one party,
for `ocpi-hub routes prefer`): core.routes.choose from the figures over the window and the
stored preference and choice. A new choice is stored by compare-and-swap (two processes
evaluating at once change it once), with the party's movable deliveries moved to it in the
same transaction (storage.repositories.outbox_routes), and logged as `route_chosen` (party,
from, to, reason). Then every hub process is made to use it before the round goes on
(storage.platform_cache.announce: the platform cache puts the chosen route first in
`platforms_of_party`), and what a process queued on the old route meanwhile is moved too. A
party whose queues could not all move (a worker held one) is moved again at each round until
nothing is left (`settled`).

`RouteChooser` runs the rounds in `serve` every OCPI_HUB_ROUTE_CHOICE_INTERVAL seconds, then
probes (GET versions, measured like any request) each route of those parties that carried
fewer than core.routes.PROBE_BELOW requests in the window, so that an idle route is measured
and can win its parties back, and prunes samples older than the window.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from ocpi_hub import dialects
from ocpi_hub.core.parties import Platform
from ocpi_hub.core.route_quality import Figures, succeeded
from ocpi_hub.core.routes import (
    PROBE_BELOW,
    Choice,
    choose,
    multi_routed,
    remote_parties,
)
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerClient, PeerUnreachable
from ocpi_hub.settings import Settings
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import outbox_routes, platforms, routes
from ocpi_hub.storage.route_meter import RouteMeter

log = get_logger("ocpi_hub.push.routes")

__all__ = ["RouteChooser", "Switch", "choose_routes"]


@dataclass(frozen=True)
class Switch:
    """A party's traffic moved from one route to another (None: never chosen before)."""

    party: PartyKey
    before: int | None
    choice: Choice
    moved: int  # deliveries moved with it


async def choose_routes(
    pool: asyncpg.Pool,
    known: Sequence[Platform],
    figures: dict[int, Figures],
    *,
    only: PartyKey | None = None,
) -> list[Switch]:
    """One round of route choice over the platforms `known` (every platform), with each
    route's `figures` over the window; only for the party `only` when given."""
    stored = await routes.choices(pool)
    remote = remote_parties(known)
    switched: list[Switch] = []
    for party, candidates in multi_routed(known).items():
        if only is not None and party != only:
            continue
        row = stored.get(party)
        current = row.chosen if row else None
        choice = choose(candidates, figures, row.preference if row else None, current)
        if choice.platform_id != current:
            switch = await _switch(pool, party, current, choice, candidates, remote)
            if switch is not None:
                switched.append(switch)
        elif row is not None and row.reason != choice.reason:
            await routes.set_reason(pool, party, choice.reason)
    if switched:
        # Every process sends over the new routes from now on ...
        await announce(pool, None)
    # ... so what one queued on an old route before it heard can move now, with what a worker
    # held during an earlier move.
    unsettled = {s.party for s in switched} | {
        party for party, row in stored.items() if not row.settled
    }
    for party in sorted(unsettled):
        if only is None or party == only:
            await _settle(pool, party, known, remote)
    return switched


async def _switch(
    pool: asyncpg.Pool,
    party: PartyKey,
    before: int | None,
    choice: Choice,
    candidates: Sequence[Platform],
    remote: frozenset[PartyKey],
) -> Switch | None:
    chosen = next(p for p in candidates if p.id == choice.platform_id)
    others = [p.id for p in candidates if p.id != chosen.id]
    async with pool.acquire() as conn, conn.transaction():
        if not await routes.change_choice(conn, party, before, choice):
            return None  # another process changed it first
        moved = await outbox_routes.move(conn, party, chosen, others, remote)
    log.info(
        "route_chosen",
        party="*".join(party),
        **{"from": before},
        to=choice.platform_id,
        reason=choice.reason,
        moved=moved.moved,
        in_flight=moved.in_flight,
        not_movable=moved.refused,
    )
    return Switch(party, before, choice, moved.moved)


async def _settle(
    pool: asyncpg.Pool, party: PartyKey, known: Sequence[Platform], remote: frozenset[PartyKey]
) -> None:
    """Move what is still queued for `party` on its other routes to the chosen one; mark it
    settled once no queue was held by a worker."""
    hosts = {p.id: p for p in known if any(q.key == party for q in p.parties)}
    async with pool.acquire() as conn, conn.transaction():
        row = await routes.locked_choice(conn, party)
        chosen = hosts.get(row.chosen) if row is not None and row.chosen is not None else None
        if chosen is None or not chosen.registered:
            await routes.set_settled(conn, party)  # nowhere to move to: nothing to wait for
            return
        others = [i for i in hosts if i != chosen.id]
        moved = await outbox_routes.move(conn, party, chosen, others, remote)
        if not moved.in_flight:
            await routes.set_settled(conn, party)
    if moved.moved:
        log.info("route_followed", party="*".join(party), to=chosen.id, moved=moved.moved)


class RouteChooser:
    """Route choice in one `serve` process (see the module docstring)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: PeerClient,
        settings: Settings,
        meter: RouteMeter,
        database: DatabaseWatch,
    ) -> None:
        self.pool = pool
        self.client = client
        self.settings = settings
        self.meter = meter
        self.database = database
        # Probes run on their own: a slow route never holds route choice up.
        self._probes: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """A round every interval until cancelled; survives database hiccups."""
        try:
            while True:
                try:
                    await self.round()
                except Exception as exc:
                    self.database.round_failed(exc, "route_choice_failed")
                await asyncio.sleep(self.settings.route_choice_interval)
        finally:
            for task in self._probes:
                task.cancel()

    async def round(self) -> list[Switch]:
        window = self.settings.route_window
        known = await platforms.all_platforms(self.pool)
        figures = await routes.figures(self.pool, window)
        switched = await choose_routes(self.pool, known, figures)
        idle = {
            p.id: p
            for hosts in multi_routed(known).values()
            for p in hosts
            if figures.get(p.id, Figures()).sent < PROBE_BELOW
        }
        for platform in idle.values():
            task = asyncio.create_task(self.probe(platform), name=f"route-probe-{platform.id}")
            self._probes.add(task)
            task.add_done_callback(self._probes.discard)
        await routes.prune_samples(self.pool, 2 * window)
        return switched

    async def probe(self, platform: Platform) -> None:
        """GET the platform's versions with our token, measured as any request to it."""
        if platform.versions_url is None or platform.outgoing_token is None:
            return
        started = time.monotonic()
        try:
            answer = await self.client.request(
                "GET",
                platform.versions_url,
                token=platform.outgoing_token,
                timeout=self.settings.forward_timeout,
                dialect=dialects.spoken_by(platform),
            )
        except PeerUnreachable:
            ok = False
        except Exception:  # a bug, not the route's doing: nothing is counted
            log.exception("route_probe_failed", platform=platform.id)
            return
        else:
            ok = succeeded(answer.http_status, answer.status_code is not None)
        self.meter.record(platform.id, ok, time.monotonic() - started)
