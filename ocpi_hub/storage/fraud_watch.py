"""The fraud watch (issue 9 §6): where core.fraud's rules meet what the hub holds.

- `object_alerts`: the alerts of one completed Session or one CDR. The checker
  (storage.checker) calls it as it checks each of them, once, crash-safe, in the transaction
  that marks the object: one walk over what the hub stores, not two.
- `AuthorizationLog`: each real-time authorization the hub carried, kept in memory by the
  request that carried it and written in batches by the watch (a write in the authorization's
  path would cost its latency budget). A crash loses at most one interval of them.
- `FraudWatch.round`: every OCPI_HUB_FRAUD_INTERVAL seconds, writes the log and counts recent
  refusals.

New alerts are stored once per code and subject while open (`raise_alerts`), and logged as
`fraud_alert`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from ocpi_hub.core import fraud
from ocpi_hub.core.fraud import Alert, Visit
from ocpi_hub.logging import get_logger
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Connection
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.repositories import fraud as stored
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.fraud import Authorization
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["AuthorizationLog", "FraudWatch", "object_alerts", "raise_alerts"]

log = get_logger("ocpi_hub.fraud")

RETENTION = timedelta(days=7)  # authorizations kept (refusal bursts look back minutes)


class AuthorizationLog:
    """Authorizations carried, waiting to be written."""

    def __init__(self, counted: Callable[[str, bool], None] | None = None) -> None:
        self._pending: list[Authorization] = []
        # Told each outcome as it is recorded (/metrics: ocpi_hub.metrics.Metrics.authorization).
        self._counted = counted

    def record(
        self, token: str, evse: str | None, allowed: str, *, on_behalf: bool = False
    ) -> None:
        self._pending.append(Authorization(datetime.now(UTC), token, evse, allowed, on_behalf))
        if self._counted is not None:
            self._counted(allowed, on_behalf)

    async def flush(self, conn: Connection) -> None:
        rows, self._pending = self._pending, []
        try:
            await stored.record_authorizations(conn, rows)
        except BaseException:
            self._pending[:0] = rows  # written at the next round
            raise


class FraudWatch:
    """One process's fraud watch; `run` until cancelled."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        authorizations: AuthorizationLog,
        database: DatabaseWatch,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.authorizations = authorizations
        self.database = database

    async def run(self) -> None:
        await self.database.every(self.settings.fraud_interval, self.round, "fraud_round_failed")

    async def round(self) -> list[Alert]:
        """One round: the authorizations written, refusal bursts raised; what it raised."""
        async with self.pool.acquire() as conn, conn.transaction():
            await self.authorizations.flush(conn)
            return await raise_alerts(conn, await self._bursts(conn))

    async def _bursts(self, conn: Connection) -> list[Alert]:
        settings = self.settings
        now = datetime.now(UTC)
        await stored.prune_authorizations(conn, now - RETENTION)
        since = now - timedelta(seconds=settings.fraud_refused_window)
        found = []
        for subject, times in (await stored.refusals(conn, since)).items():
            alert = fraud.refused_burst(
                subject, times, settings.fraud_refused_burst, settings.fraud_refused_window
            )
            if alert is not None:
                found.append(alert)
        return found


async def raise_alerts(conn: Connection, found: list[Alert]) -> list[Alert]:
    """Store `found`, log the new ones; return them."""
    raised = await stored.raise_alerts(conn, found)
    for alert in raised:
        log.warning("fraud_alert", code=alert.code.value, severity=alert.severity.value,
                    subject=alert.subject, evidence=dict(alert.evidence))  # fmt: skip
    return raised


async def object_alerts(
    conn: Connection, module: str, seq: int, obj: dict[str, Any], max_kmh: float
) -> list[Alert]:
    """The alerts of a completed Session (against the sessions of its token stored before it,
    and the token as its eMSP left it) or of a CDR (against its EVSE's earlier CDRs)."""
    if module == "cdrs":
        return await _cdr_alerts(conn, seq, obj)
    return await _session_alerts(conn, seq, obj, max_kmh)


async def _session_alerts(
    conn: Connection, seq: int, session: dict[str, Any], max_kmh: float
) -> list[Alert]:
    token = session.get("cdr_token") or {}
    emsp, uid = f"{token.get('country_code')}*{token.get('party_id')}", token.get("uid")
    if not uid:
        return []
    subject = f"{emsp}*{uid}"
    visit = Visit.of(session, await _location(conn, session))
    found = []
    key = ObjectKey("tokens", (token["country_code"], token["party_id"]), uid,
                    str(token.get("type", "RFID")))  # fmt: skip
    if alert := fraud.used_while_invalid(subject, visit, await objects.get(conn, key)):
        found.append(alert)
    for earlier in await stored.sessions_of_token(conn, emsp.upper(), uid, seq):
        other = Visit.of(earlier, await _location(conn, earlier))
        first, then = sorted((other, visit), key=lambda v: v.start)
        for alert in (
            fraud.overlapping(subject, first, then),
            fraud.impossible_travel(subject, first, then, max_kmh),
        ):
            if alert is not None:
                found.append(alert)
    return found


async def _cdr_alerts(conn: Connection, seq: int, cdr: dict[str, Any]) -> list[Alert]:
    where = cdr.get("cdr_location") or {}
    owner = (str(cdr["country_code"]), str(cdr["party_id"]))
    history = await stored.evse_history(
        conn, owner, str(where.get("id")), str(where.get("evse_uid")), seq
    )
    alert = fraud.unusual_charge(
        f"{owner[0]}*{owner[1]}*{where.get('id')}*{where.get('evse_uid')}",
        f"{owner[0]}*{owner[1]}*{cdr['id']}",
        *_measures(cdr),
        [_measures(past) for past in history],
    )
    return [alert] if alert is not None else []


async def _location(conn: Connection, session: dict[str, Any]) -> dict[str, Any] | None:
    """The stored Location of a session (its CPO's)."""
    owner = (str(session["country_code"]), str(session["party_id"]))
    return await objects.get(conn, ObjectKey("locations", owner, str(session.get("location_id"))))


def _measures(cdr: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """A CDR's energy (kWh) and duration (hours)."""
    return Decimal(str(cdr.get("total_energy", 0))), Decimal(str(cdr.get("total_time", 0)))
