"""Fraud signals as stored (migration 0015): the authorizations carried, the alerts raised, and
what the rules read of a token's sessions and an EVSE's CDRs; the rules are core.fraud."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from ocpi_hub.core.fraud import Alert, Severity
from ocpi_hub.storage import Executor


@dataclass(frozen=True)
class Authorization:
    """One real-time authorization the hub carried, and its answer."""

    at: datetime
    token: str  # CC*PID*UID
    evse: str | None  # CC*PID*LOCATION*EVSE
    allowed: str
    on_behalf: bool = False


async def record_authorizations(conn: Executor, rows: Sequence[Authorization]) -> None:
    await conn.executemany(
        "INSERT INTO authorizations (at, token, evse, allowed, on_behalf)"
        " VALUES ($1, $2, $3, $4, $5)",
        [(r.at, r.token, r.evse, r.allowed, r.on_behalf) for r in rows],
    )


async def refusals(conn: Executor, since: datetime) -> dict[str, list[datetime]]:
    """When each token and each EVSE was refused since `since`, in time order."""
    found: dict[str, list[datetime]] = {}
    rows = await conn.fetch(
        "SELECT token, evse, at FROM authorizations"
        " WHERE at >= $1 AND allowed <> 'ALLOWED' ORDER BY at",
        since,
    )
    for row in rows:
        for subject in (row["token"], row["evse"]):
            if subject:
                found.setdefault(subject, []).append(row["at"])
    return found


async def prune_authorizations(conn: Executor, before: datetime) -> None:
    await conn.execute("DELETE FROM authorizations WHERE at < $1", before)


async def raise_alerts(conn: Executor, alerts: Sequence[Alert]) -> list[Alert]:
    """Store `alerts`; those already open (same code and subject) are not raised again.
    Returns the new ones."""
    raised = []
    for alert in alerts:
        inserted = await conn.fetchval(
            "INSERT INTO fraud_alerts (code, severity, subject, evidence)"
            " VALUES ($1, $2, $3, $4::jsonb)"
            " ON CONFLICT (code, subject) WHERE closed_at IS NULL DO NOTHING RETURNING id",
            alert.code.value,
            alert.severity.value,
            alert.subject,
            orjson.dumps(dict(alert.evidence)).decode(),
        )
        if inserted is not None:
            raised.append(alert)
    return raised


async def alerts(conn: Executor, *, everything: bool = False) -> list[dict[str, Any]]:
    """The open alerts (all, with `everything`), newest first, as `fraud alerts --json`."""
    where = "" if everything else " WHERE closed_at IS NULL"
    rows = await conn.fetch(
        "SELECT id, code, severity, subject, evidence::text, found_at, closed_at, note"
        " FROM fraud_alerts" + where + " ORDER BY id DESC"
    )
    return [
        {
            "id": r["id"],
            "code": r["code"],
            "severity": r["severity"],
            "subject": r["subject"],
            "evidence": orjson.loads(r["evidence"]),
            "found_at": r["found_at"].isoformat(),
            "closed_at": r["closed_at"].isoformat() if r["closed_at"] else None,
            "note": r["note"],
        }
        for r in rows
    ]


async def open_counts(conn: Executor) -> dict[str, int]:
    """How many fraud alerts are open, per code: what /metrics shows."""
    rows = await conn.fetch(
        "SELECT code, count(*) FROM fraud_alerts WHERE closed_at IS NULL GROUP BY 1"
    )
    return {r[0]: r[1] for r in rows}


async def close_alert(conn: Executor, alert_id: int, note: str | None) -> bool:
    """Close an open alert; False when there is no open alert with that id."""
    closed = await conn.fetchval(
        "UPDATE fraud_alerts SET closed_at = now(), note = $2"
        " WHERE id = $1 AND closed_at IS NULL RETURNING id",
        alert_id,
        note,
    )
    return closed is not None


async def open_alert(conn: Executor, subject: str, severity: Severity) -> str | None:
    """The code of an open alert of `severity` about `subject`, if any."""
    code: str | None = await conn.fetchval(
        "SELECT code FROM fraud_alerts WHERE subject = $1 AND severity = $2"
        " AND closed_at IS NULL ORDER BY id LIMIT 1",
        subject,
        severity.value,
    )
    return code


# ---- what the watch reads ---------------------------------------------------------------


async def sessions_of_token(
    conn: Executor, emsp: str, uid: str, before_seq: int, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest sessions on the eMSP's token `uid` created before `before_seq`, newest first."""
    rows = await conn.fetch(
        "SELECT data::text FROM objects WHERE module = 'sessions'"
        " AND data->'cdr_token'->>'uid' = $1 AND audience = $2 AND seq < $3"
        " ORDER BY seq DESC LIMIT $4",
        uid,
        emsp,
        before_seq,
        limit,
    )
    return [orjson.loads(r[0]) for r in rows]


async def evse_history(
    conn: Executor, cpo: tuple[str, str], location_id: str, evse_uid: str, before_seq: int,
    limit: int = 1000,
) -> list[dict[str, Any]]:  # fmt: skip
    """The EVSE's latest CDRs created before `before_seq`."""
    rows = await conn.fetch(
        "SELECT data::text FROM objects WHERE module = 'cdrs' AND country_code = $1"
        " AND party_id = $2 AND data->'cdr_location'->>'id' = $3"
        " AND data->'cdr_location'->>'evse_uid' = $4 AND seq < $5 ORDER BY seq DESC LIMIT $6",
        *cpo,
        location_id,
        evse_uid,
        before_seq,
        limit,
    )
    return [orjson.loads(r[0]) for r in rows]
