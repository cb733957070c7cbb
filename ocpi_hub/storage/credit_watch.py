"""The credit watch (issue 9 §7): where core.credit's rules meet what the hub holds.

- `exposure_of`: an eMSP's exposure per currency now: its limit, what it owes in the ledger,
  and each of its Sessions in progress priced under the tariff the hub holds for it.
- `assess`: that exposure judged against the eMSP's state (core.credit.step) and the move
  stored with its event, in the caller's transaction under the assessments' lock; a
  suspension or its lift also moves the eMSP in HubClientInfo (pushed as any change).
- `CreditWatch.round`: every OCPI_HUB_CREDIT_INTERVAL seconds, each eMSP with a limit (or
  still warned or suspended) is assessed with the action `serve` runs with.
- `reassess`: the same for one eMSP right after a payment or a new limit, by the command that
  made it: it may lift a suspension, never impose one (it does not know the serving action).

Every hub process holds the suspensions in its platform cache (`PlatformCache.suspension`,
read per authorization and START_SESSION without a statement). An assessment that suspends or
lifts announces it once committed (platform_cache.announce) and returns when every listening
process has marked its cache for reload: a request reaching any process after that is judged
on the new state, so a payment's lift holds when `settlement pay` returns.
New alerts are logged as `credit_alert`, every move as
`credit_moved`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from ocpi_hub.core import credit
from ocpi_hub.core.cdr_checks import Held, wanted_tariffs
from ocpi_hub.core.credit import Action, CreditEvent, Estimate, Exposure, Step
from ocpi_hub.core.ledger import shown
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects import OCPI_221, Dialect, spoken_by
from ocpi_hub.logging import get_logger
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import clientinfo, objects, platforms
from ocpi_hub.storage.repositories import credit as stored
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["Assessment", "CreditWatch", "assess", "exposure_of", "reassess"]

log = get_logger("ocpi_hub.credit")


@dataclass(frozen=True)
class Assessment:
    """What assessing one eMSP found and did."""

    party: PartyKey
    exposures: list[Exposure]
    step: Step
    why: str

    @property
    def suspension_changed(self) -> bool:
        return any(e in (CreditEvent.SUSPENDED, CreditEvent.LIFTED) for e in self.step.events)


async def _speaks(conn: Executor, cpo: PartyKey) -> tuple[Dialect, ...]:
    """The dialects of the platforms reaching the CPO (the spec's when none does)."""
    return tuple(spoken_by(p) for p in await platforms.platforms_of_party(conn, *cpo)) or (
        OCPI_221,
    )


async def _estimate(conn: Executor, session: Mapping[str, Any]) -> Estimate:
    """A Session in progress priced under the tariffs the hub holds of its CPO for it."""
    cpo = (str(session["country_code"]).upper(), str(session["party_id"]).upper())
    location = await objects.get(
        conn, ObjectKey("locations", cpo, str(session.get("location_id", "")))
    )
    held = Held(speaks=await _speaks(conn, cpo), locations=(location,) if location else ())
    tariffs = []
    for tariff_id in wanted_tariffs(session, held):
        tariffs += await objects.find(conn, "tariffs", tariff_id, owner=cpo)
    zone = None if location is None else location.get("time_zone")
    if location is not None and zone is None:
        zone = "UTC"  # a Location without time_zone: its tariff's times read as UTC
    return credit.estimate(session, tariffs, zone)


async def exposure_of(conn: Executor, party: PartyKey, warn: Any) -> list[Exposure]:
    """The eMSP's exposure per currency now (core.credit.exposures)."""
    sessions = [await _estimate(conn, s) for s in await stored.sessions_in_progress(conn, party)]
    limit = await stored.limit_of(conn, party)
    return credit.exposures(party, limit, await stored.owed(conn, party), sessions, warn)


def _why(step: Step, counted: Exposure | None) -> str:
    """Why the eMSP stands where it does, as the operator and the eMSP read it."""
    if counted is None or counted.limit is None:
        return "no credit limit"
    limit = counted.limit
    figures = (
        f"exposure {shown(counted.exposure, limit.currency)} {limit.currency}"
        f" against a credit limit of {shown(limit.amount, limit.currency)} {limit.currency}"
    )
    if step.state.suspended:
        return f"credit suspended: {figures}"
    return f"credit {step.state.level.value}: {figures}"


async def assess(
    conn: Connection, party: PartyKey, settings: Settings, action: Action | None
) -> Assessment:
    """Assess the eMSP and store the move, in the caller's transaction (see the module)."""
    await stored.serialise(conn)
    found = await exposure_of(conn, party, settings.credit_warn)
    counted = next((e for e in found if e.counted), None)
    level = counted.level if counted is not None and counted.level else credit.Level.OK
    current = await stored.standing(conn, party)
    moved = credit.step(current.state, level, action)
    why = _why(moved, counted)
    figures = (counted.exposure if counted else None, counted.limit if counted else None)
    await stored.record_step(conn, party, moved.state, moved.events, why, figures)
    done = Assessment(party, found, moved, why)
    if done.suspension_changed:
        hub = (settings.country_code, settings.party_id)
        await clientinfo.credit_changed(conn, party, moved.state.suspended, hub)
    for event in moved.events:
        fields = {"emsp": "*".join(party), "credit_event": event.value, "why": why}
        if event in credit.ALERTS:
            log.warning("credit_alert", **fields)
        else:
            log.info("credit_moved", **fields)
    return done


async def reassess(pool: asyncpg.Pool, party: PartyKey, settings: Settings) -> Assessment:
    """Assess one eMSP now, lifting (never imposing) a suspension; committed (so every process
    has it) when this returns."""
    async with pool.acquire() as conn, conn.transaction():
        done = await assess(conn, party, settings, None)
    await _announced(pool, done)
    return done


async def _announced(pool: asyncpg.Pool, done: Assessment) -> None:
    """A suspension imposed or lifted, committed: every hub process's platform cache reloads
    it before this returns, so the next authorization anywhere is judged on it."""
    if done.suspension_changed:
        await announce(pool, None)


class CreditWatch:
    """One process's credit watch; `run` until cancelled."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, database: DatabaseWatch) -> None:
        self.pool = pool
        self.settings = settings
        self.database = database

    async def run(self) -> None:
        await self.database.every(self.settings.credit_interval, self.round, "credit_round_failed")

    async def round(self) -> Sequence[Assessment]:
        """Assess every eMSP with a limit or a standing to clear; what moved."""
        moved = []
        for party in await stored.assessed_parties(self.pool):
            # One eMSP per transaction: the lock is held for one eMSP's reads at a time.
            async with self.pool.acquire() as conn, conn.transaction():
                done = await assess(conn, party, self.settings, self.settings.credit_action)
            await _announced(self.pool, done)
            if done.step.events:
                moved.append(done)
        return moved
