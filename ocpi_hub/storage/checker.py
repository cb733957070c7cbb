"""The checker: every CDR and completed Session the hub stores is checked once, in the
background, and reconciliation runs every OCPI_HUB_RECONCILE_INTERVAL seconds (issue 9 §2, §4).

The rules are core's (core.cdr_checks, core.reconcile); this finds what the hub holds for each
object, applies them, and stores the findings (repositories.findings). It never touches a
push's path: a CDR is delivered as it would be without it, and checked a moment later.

- **Once, crash-safe.** Each object gets a row in checked_objects in the transaction that
  stores its findings; batches run under one advisory lock, so of several hub processes one
  checks at a time, nothing is checked twice, and a crash leaves the batch to be checked again.
  A Session is seen while it runs and checked when it is final (COMPLETED; an INVALID one is
  marked without checks: nothing was charged).
- **A round** (every OCPI_HUB_CHECK_INTERVAL seconds) looks at the objects after a floor: the
  highest seq seen at least `FLOOR_LAG` seconds before, so that a round does not walk the whole
  history. An object whose store transaction took longer than that would be passed over by the
  rounds; reconciliation, and a process's first round, look at every object.
- **Fraud signals** of each completed Session and CDR (storage.fraud_watch.object_alerts) are
  raised as it is checked the first time, in the same transaction.
- **Reconciliation** (claimed in the database: one process runs it per interval) checks what is
  pending, then judges again every subject with an open finding and each completed Session
  awaiting its CDR past the grace: what is found is stored, what is no longer found closed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from ocpi_hub.core.cdr_checks import Held, Limits, Place, check_cdr, check_session, wanted_tariffs
from ocpi_hub.core.findings import Finding, Subject, parties_of
from ocpi_hub.core.objects import credited, token_owner
from ocpi_hub.core.parties import Platform
from ocpi_hub.core.reconcile import charge_of, missing_cdr, reconcile_cdr
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects import OCPI_221, Dialect, spoken_by
from ocpi_hub.logging import get_logger
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Connection
from ocpi_hub.storage.availability import DatabaseWatch, is_unavailable
from ocpi_hub.storage.fraud_watch import object_alerts, raise_alerts
from ocpi_hub.storage.repositories import findings, objects, platforms
from ocpi_hub.storage.repositories.findings import Mark, Seen

__all__ = ["BATCH", "FLOOR_LAG", "Checker"]

log = get_logger("ocpi_hub.storage.checker")

BATCH = 100  # objects per transaction
# Seconds a store transaction would have to stay open for a round to pass its object over
# (store transactions take milliseconds; reconciliation looks at everything anyway).
FLOOR_LAG = 300.0

Speaks = Mapping[PartyKey, tuple[Dialect, ...]]


def _speaks(known: Sequence[Platform]) -> Speaks:
    """The dialects of the platforms reaching each party."""
    found: dict[PartyKey, tuple[Dialect, ...]] = {}
    for platform in known:
        for party in platform.parties:
            found[party.key] = (*found.get(party.key, ()), spoken_by(platform))
    return found


def _owner(obj: Mapping[str, Any]) -> PartyKey:
    return (str(obj["country_code"]).upper(), str(obj["party_id"]).upper())


class Checker:
    """One process's share of checking and reconciling."""

    def __init__(
        self, pool: asyncpg.Pool, settings: Settings, database: DatabaseWatch | None = None
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.database = database or DatabaseWatch(pool)
        self.limits = Limits(
            max_duration=timedelta(hours=settings.max_session_hours),
            price_tolerance=settings.price_tolerance,
        )
        self.grace = timedelta(hours=settings.cdr_grace_hours)
        self._floor = 0
        self._candidate: tuple[float, int] | None = None  # (monotonic time, highest seq seen)

    async def run(self) -> None:
        """Check and reconcile every interval until cancelled; survives database hiccups."""
        await self.database.every(self.settings.check_interval, self.round, "check_round_failed")

    async def round(self) -> None:
        """Reconcile when due, else check what is new since the floor."""
        if await findings.claim_reconciliation(self.pool, self.settings.reconcile_interval):
            await self.reconcile(claimed=True)
        else:
            await self.check_pending(after_seq=self._floor)
        highest, now = await findings.highest_seen(self.pool), time.monotonic()
        if self._candidate is not None and now - self._candidate[0] >= FLOOR_LAG:
            self._floor, self._candidate = self._candidate[1], None
        if self._candidate is None:
            self._candidate = (now, highest)

    async def check_pending(self, *, after_seq: int = 0) -> int:
        """Check every CDR and final Session not checked yet (after `after_seq`); how many."""
        speaks: dict[PartyKey, tuple[Dialect, ...]] = {}  # read once there is something to check
        count = 0
        for module in ("sessions", "cdrs"):
            after = after_seq
            while batch := await self._batch(speaks, module, after):
                count += len(batch)
                after = batch[-1]
        while batch := await self._batch(speaks, "sessions", None):  # seen running, final now
            count += len(batch)
        return count

    async def _batch(
        self, speaks: dict[PartyKey, tuple[Dialect, ...]], module: str, after: int | None
    ) -> list[int]:
        """Check one batch in one transaction; the seqs checked (empty: nothing left)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await findings.serialise(conn)
            if after is None:
                batch = await findings.waiting_final(conn, BATCH)
            else:
                batch = await findings.unseen(conn, module, after, BATCH)
            if batch and not speaks:
                speaks.update(_speaks(await platforms.all_platforms(conn)))
            for seq, obj in batch:
                await self._guarded(conn, module, seq, obj, speaks, first=True)
        return [seq for seq, _ in batch]

    async def reconcile(self, *, claimed: bool = False) -> int:
        """Check what is pending, then judge again every subject with an open finding and each
        Session awaiting its CDR past the grace; how many were judged. Claims the run unless
        `claimed`."""
        if not claimed:
            await findings.claim_reconciliation(self.pool, None)
        await self.check_pending()
        speaks: Speaks | None = None
        grace = self.grace.total_seconds()
        after, count = ("", 0), 0
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                await findings.serialise(conn)
                batch = await findings.to_reconcile(conn, grace, after, BATCH)
                if batch and speaks is None:
                    speaks = _speaks(await platforms.all_platforms(conn))
                for module, seq in batch:
                    obj = await findings.object_at(conn, module, seq)
                    await self._guarded(conn, module, seq, obj, speaks or {}, first=False)
            count += len(batch)
            if len(batch) < BATCH:
                return count
            after = batch[-1]

    async def _guarded(
        self,
        conn: Connection,
        module: str,
        seq: int,
        obj: dict[str, Any] | None,
        speaks: Speaks,
        *,
        first: bool,
    ) -> None:
        """Check (or judge again) one object in a savepoint: a bug on one object is logged and
        the object marked, not retried forever in every round."""
        try:
            async with conn.transaction():
                await self._check(conn, module, seq, obj, speaks, first=first)
        except Exception as exc:
            if is_unavailable(exc):
                raise
            log.exception("check_failed", module=module, seq=seq)
            if first and obj is not None:
                await findings.mark(conn, Mark(module, seq, _owner(obj), str(obj["id"])))

    async def _check(
        self,
        conn: Connection,
        module: str,
        seq: int,
        obj: dict[str, Any] | None,
        speaks: Speaks,
        *,
        first: bool,
    ) -> None:
        if obj is None:  # gone (no CDR or Session is ever deleted; kept for safety)
            await findings.resolve_others(conn, module, seq, [])
            return
        owner, object_id = _owner(obj), str(obj["id"])
        cdr = module == "cdrs"
        mark = Mark(module, seq, owner, object_id)
        if cdr:
            reference = credited(obj)
            mark = replace(mark, session_id=obj.get("session_id"), charge=charge_of(obj))
            mark = replace(mark, credits=reference)
        else:
            mark = replace(mark, session_id=object_id)
            if obj.get("status") not in ("COMPLETED", "INVALID"):
                await findings.mark(conn, replace(mark, checked=False))
                return
        if first:
            completed = obj.get("status") == "COMPLETED"
            awaiting = completed and await findings.awaited(conn, owner, object_id)
            seen: Seen | None = Seen(awaiting_cdr=bool(awaiting), checked_at=None)
        else:
            seen = await findings.seen(conn, module, seq)
        assert seen is not None  # judged again: it was checked
        found = await self._findings(conn, module, seq, obj, speaks.get(owner), seen)
        if first:
            await findings.mark(conn, replace(mark, awaiting_cdr=seen.awaiting_cdr))
            if cdr and mark.credits is None and mark.session_id:
                await findings.cdr_arrived(conn, owner, mark.session_id)
        if first and (cdr or obj.get("status") == "COMPLETED"):
            max_kmh = self.settings.fraud_max_kmh
            await raise_alerts(conn, await object_alerts(conn, module, seq, obj, max_kmh))
        subject = Subject(module, owner, object_id)
        new, resolved = await findings.record(conn, subject, seq, parties_of(obj), found)
        for finding in new:
            log.info(
                "finding",
                code=finding.code.value,
                severity=finding.severity.value,
                **{subject.kind: str(subject)},
            )
        for code in resolved:
            log.info("finding_resolved", code=code, **{subject.kind: str(subject)})

    async def _findings(
        self,
        conn: Connection,
        module: str,
        seq: int,
        obj: Mapping[str, Any],
        speaks: tuple[Dialect, ...] | None,
        seen: Seen,
    ) -> list[Finding]:
        """What the rules find of the object, with what the hub holds now."""
        held = await self._held(conn, module, seq, obj, speaks or (OCPI_221,), seen)
        if module == "cdrs":
            return check_cdr(obj, held, self.limits) + reconcile_cdr(obj, held)
        if obj.get("status") != "COMPLETED":  # INVALID: nothing was charged
            return []
        now: datetime = await conn.fetchval("SELECT now()")
        return check_session(obj, held, self.limits) + missing_cdr(
            obj,
            awaiting=seen.awaiting_cdr,
            completed_seen=seen.checked_at or now,
            now=now,
            grace=self.grace,
        )

    async def _held(
        self,
        conn: Connection,
        module: str,
        seq: int,
        obj: Mapping[str, Any],
        speaks: tuple[Dialect, ...],
        seen: Seen,
    ) -> Held:
        """What the hub holds for the object (core.cdr_checks.Held). Of the other CDRs, those
        checked before it: a pair is found on the later one, whichever is judged again."""
        owner, place, token = _owner(obj), Place.of(obj), obj["cdr_token"]
        emsp = token_owner(obj) or owner
        held = Held(
            speaks=speaks,
            locations=tuple(await objects.find(conn, "locations", place.location_id, owner=owner)),
            tokens=tuple(
                await objects.find(
                    conn, "tokens", str(token["uid"]), owner=emsp, kind=str(token["type"])
                )
            ),
            tokens_shared=await objects.any_of_owner(conn, "tokens", emsp),
        )
        tariffs = {}
        for tariff_id in wanted_tariffs(obj, held):
            stored = await objects.find(conn, "tariffs", tariff_id, owner=owner)
            if stored:
                tariffs[tariff_id.upper()] = stored[0]
        held = replace(held, tariffs=tariffs)
        if module != "cdrs":
            return held
        session_id, reference, charge = obj.get("session_id"), credited(obj), charge_of(obj)
        return replace(
            held,
            sessions=tuple(
                await objects.find(conn, "sessions", str(session_id), owner=owner)
                if session_id
                else ()
            ),
            sessions_shared=await objects.any_of_owner(conn, "sessions", owner),
            same_session=(
                await findings.same_session(conn, owner, str(session_id), seq, seen.checked_at)
                if session_id and reference is None
                else ()
            ),
            same_charge=(
                await findings.same_charge(conn, owner, charge, seq, seen.checked_at)
                if charge
                else ()
            ),
            credited=await findings.credited(conn, owner, str(obj["id"])),
            credits=tuple(
                await objects.find(conn, "cdrs", reference, owner=owner) if reference else ()
            ),
        )
