"""CDR findings and reconciliation (`ocpi-hub cdrs findings`, `ocpi-hub reconcile`,
`/admin/api/findings`, `/admin/api/reconcile`): what the CDR checks and reconciliation found
(core.findings; run by storage.checker).

A finding is an object with `id`, `code`, `severity`, `cdr` or `session` (`CC*PID*ID`),
`parties`, `evidence`, `found_at` and `resolved_at`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from ocpi_hub.core.agreements import parse_party
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.operations import Refused
from ocpi_hub.settings import Settings
from ocpi_hub.storage.checker import Checker
from ocpi_hub.storage.repositories import findings

__all__ = ["as_json", "listed", "reconcile"]


def _party(value: str | None) -> PartyKey | None:
    try:
        return parse_party(value) if value is not None else None
    except ValueError as exc:
        raise Refused("party", f"--party: {exc}") from exc


def _since(value: str | None) -> datetime | None:
    """A day YYYY-MM-DD (from midnight UTC) or an OCPI DateTime."""
    if value is None:
        return None
    try:
        if len(value) == len("YYYY-MM-DD"):
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return parse_datetime(value)
    except ValueError:
        raise Refused(
            "since",
            f"--since {value!r}: it takes a date YYYY-MM-DD or a DateTime YYYY-MM-DDThh:mm:ssZ",
        ) from None


def as_json(row: findings.Row) -> dict[str, Any]:
    """A finding as JSON."""
    return {
        "id": row.id,
        "code": row.code,
        "severity": row.severity,
        row.subject.kind: str(row.subject),
        "parties": row.parties,
        "evidence": row.evidence,
        "found_at": row.found_at.isoformat(),
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
    }


async def listed(
    pool: asyncpg.Pool,
    *,
    party: str | None = None,
    since: str | None = None,
    everything: bool = False,
) -> list[dict[str, Any]]:
    """The stored findings, oldest first: open ones (resolved too with `everything`) involving
    `party` (`CC*PID`), found at or after `since` (a day or a DateTime, UTC). Checks nothing."""
    key, after = _party(party), _since(since)
    rows = await findings.listing(pool, party=key, since=after, resolved=everything)
    return [as_json(row) for row in rows]


async def reconcile(
    pool: asyncpg.Pool, settings: Settings, *, party: str | None = None
) -> dict[str, Any]:
    """Check every CDR and completed Session not checked yet, judge again every open finding
    and each Session awaiting its CDR, now; `{"judged": N, "findings": [the open findings
    involving party]}`."""
    key = _party(party)
    # Judged as the serving hub judges (its limits, recorded when it started), not by this
    # process's environment: a finding must not close because a default differs here.
    served = await findings.served_checks(pool, settings)
    judged = await Checker(pool, served).reconcile()
    rows = await findings.listing(pool, party=key)
    return {"judged": judged, "findings": [as_json(row) for row in rows]}
