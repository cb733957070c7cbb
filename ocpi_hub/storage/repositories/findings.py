"""The checker's store (migration 0014): what it has seen of each CDR and Session, the
findings of the checks and reconciliation, and when reconciliation last ran.

Every write happens under one transaction-scoped advisory lock (`serialise`), taken by each
batch of the checker: of several hub processes one checks at a time, and what it reads of the
CDRs checked before (the same Session, the same charge, a credit) is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from ocpi_hub.core.cdr_checks import OtherCdr
from ocpi_hub.core.findings import Finding, Subject
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories.objects import party_text

__all__ = [
    "Mark",
    "Row",
    "Seen",
    "awaited",
    "cdr_arrived",
    "claim_reconciliation",
    "credited",
    "highest_seen",
    "listing",
    "mark",
    "object_at",
    "record",
    "resolve_others",
    "same_charge",
    "same_session",
    "seen",
    "serialise",
    "to_reconcile",
    "unseen",
    "waiting_final",
]

_LOCK = 0x0C91_CDC4  # any constant shared by every ocpi-hub process (migrate's is 0x0C914B0B)
_FINAL = ["COMPLETED", "INVALID"]  # a Session's states after which nothing is charged


async def serialise(conn: Connection) -> None:
    """Wait for, and hold until the transaction ends, the checker's lock."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)


# ---- what the checker has seen -------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """The checker's row for one object (see the migration)."""

    module: str
    seq: int
    owner: PartyKey
    id: str
    session_id: str | None = None
    charge: str | None = None
    credits: str | None = None
    awaiting_cdr: bool = False
    checked: bool = True  # False: a Session seen before it is final


@dataclass(frozen=True)
class Seen:
    """The checker's row as read back for reconciliation."""

    awaiting_cdr: bool
    checked_at: datetime | None


async def unseen(
    conn: Executor, module: str, after_seq: int, limit: int
) -> list[tuple[int, dict[str, Any]]]:
    """(seq, object) of `module`'s objects after `after_seq` the checker has not seen, oldest
    first."""
    rows = await conn.fetch(
        "SELECT o.seq, o.data::text FROM objects o WHERE o.module = $1 AND o.seq > $2"
        " AND NOT EXISTS (SELECT 1 FROM checked_objects c WHERE c.module = o.module"
        " AND c.seq = o.seq) ORDER BY o.seq LIMIT $3",
        module,
        after_seq,
        limit,
    )
    return [(r[0], orjson.loads(r[1])) for r in rows]


async def waiting_final(conn: Executor, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """(seq, Session) of the Sessions seen before they were final that are final now."""
    rows = await conn.fetch(
        "SELECT o.seq, o.data::text FROM checked_objects c JOIN objects o"
        " ON o.module = c.module AND o.seq = c.seq"
        " WHERE c.checked_at IS NULL AND c.module = 'sessions' AND o.data->>'status' = ANY($1)"
        " ORDER BY o.seq LIMIT $2",
        _FINAL,
        limit,
    )
    return [(r[0], orjson.loads(r[1])) for r in rows]


async def mark(conn: Connection, m: Mark) -> None:
    """Record that the checker has seen (and, `checked`, checked) an object."""
    await conn.execute(
        "INSERT INTO checked_objects (module, seq, country_code, party_id, id, session_id,"
        " charge, credits, awaiting_cdr, checked_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10 THEN now() END)"
        " ON CONFLICT (module, seq) DO UPDATE SET session_id = excluded.session_id,"
        " charge = excluded.charge, credits = excluded.credits,"
        " awaiting_cdr = excluded.awaiting_cdr,"
        " checked_at = coalesce(checked_objects.checked_at, excluded.checked_at)",
        m.module,
        m.seq,
        m.owner[0].upper(),
        m.owner[1].upper(),
        m.id,
        m.session_id.upper() if m.session_id else None,
        m.charge,
        m.credits.upper() if m.credits else None,
        m.awaiting_cdr,
        m.checked,
    )


async def seen(conn: Executor, module: str, seq: int) -> Seen | None:
    row = await conn.fetchrow(
        "SELECT awaiting_cdr, checked_at FROM checked_objects WHERE module = $1 AND seq = $2",
        module,
        seq,
    )
    return None if row is None else Seen(row[0], row[1])


async def highest_seen(conn: Executor) -> int:
    """The highest objects.seq the checker has seen (0 before any)."""
    value = await conn.fetchval(
        "SELECT greatest((SELECT max(seq) FROM checked_objects WHERE module = 'cdrs'),"
        " (SELECT max(seq) FROM checked_objects WHERE module = 'sessions'))"
    )
    return int(value or 0)


async def object_at(conn: Executor, module: str, seq: int) -> dict[str, Any] | None:
    raw = await conn.fetchval(
        "SELECT data::text FROM objects WHERE module = $1 AND seq = $2", module, seq
    )
    return orjson.loads(raw) if raw is not None else None


# ---- the CDRs checked before, as a check reads them ----------------------------------------

# A checked CDR `c` that no checked credit CDR credits.
_UNCREDITED = (
    "NOT EXISTS (SELECT 1 FROM checked_objects k WHERE k.credits IS NOT NULL"
    " AND k.country_code = c.country_code AND k.party_id = c.party_id"
    " AND k.credits = upper(c.id) AND k.module = 'cdrs')"
)


# Checked before the CDR at `seq` checked at `$5`: all of them when it is being checked now
# (NULL); else those checked earlier, or in the same batch (one now()) at a lower seq.
_BEFORE = "($5::timestamptz IS NULL OR (c.checked_at, c.seq) < ($5, $4))"


async def same_session(
    conn: Executor, owner: PartyKey, session_id: str, seq: int, checked_at: datetime | None
) -> tuple[OtherCdr, ...]:
    """The CDRs of `owner` for the Session checked before the CDR at `seq` (checked at
    `checked_at`; None: being checked now), neither a credit nor credited."""
    rows = await conn.fetch(
        "SELECT c.id, c.session_id FROM checked_objects c WHERE c.module = 'cdrs'"
        " AND c.country_code = $1 AND c.party_id = $2 AND c.session_id = $3 AND c.seq <> $4"
        f" AND c.credits IS NULL AND {_BEFORE} AND {_UNCREDITED} ORDER BY c.seq",
        owner[0].upper(),
        owner[1].upper(),
        session_id.upper(),
        seq,
        checked_at,
    )
    return tuple(OtherCdr(r[0], r[1]) for r in rows)


async def same_charge(
    conn: Executor, owner: PartyKey, charge: str, seq: int, checked_at: datetime | None
) -> tuple[OtherCdr, ...]:
    """The CDRs of `owner` with the same charge checked before the CDR at `seq` (as
    `same_session` says), none credited."""
    rows = await conn.fetch(
        "SELECT c.id, c.session_id FROM checked_objects c WHERE c.charge = $3"
        " AND c.country_code = $1 AND c.party_id = $2 AND c.seq <> $4 AND c.module = 'cdrs'"
        f" AND {_BEFORE} AND {_UNCREDITED} ORDER BY c.seq",
        owner[0].upper(),
        owner[1].upper(),
        charge,
        seq,
        checked_at,
    )
    return tuple(OtherCdr(r[0], r[1]) for r in rows)


async def credited(conn: Executor, owner: PartyKey, cdr_id: str) -> bool:
    """Whether a checked credit CDR of `owner` credits the CDR `cdr_id`."""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM checked_objects WHERE credits = $3"
        " AND country_code = $1 AND party_id = $2 AND module = 'cdrs')",
        owner[0].upper(),
        owner[1].upper(),
        cdr_id.upper(),
    )
    return bool(found)


async def awaited(conn: Connection, owner: PartyKey, session_id: str) -> bool:
    """Whether the Session `session_id` of `owner` still awaits its CDR: no checked CDR but
    credit CDRs names it. (Each CDR checked clears the flag of its Session's row.)"""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM checked_objects WHERE module = 'cdrs'"
        " AND country_code = $1 AND party_id = $2 AND session_id = $3 AND credits IS NULL)",
        owner[0].upper(),
        owner[1].upper(),
        session_id.upper(),
    )
    return not found


async def cdr_arrived(conn: Connection, owner: PartyKey, session_id: str) -> None:
    """A CDR for the Session was checked: it awaits none any more."""
    await conn.execute(
        "UPDATE checked_objects SET awaiting_cdr = false WHERE module = 'sessions'"
        " AND country_code = $1 AND party_id = $2 AND session_id = $3 AND awaiting_cdr",
        owner[0].upper(),
        owner[1].upper(),
        session_id.upper(),
    )


# ---- findings ------------------------------------------------------------------------------


async def record(
    conn: Connection,
    subject: Subject,
    seq: int,
    parties: Sequence[PartyKey],
    found: Iterable[Finding],
) -> tuple[list[Finding], list[str]]:
    """Make the subject's open findings exactly `found`: each stored (an open one of the same
    code and detail keeps its row and takes the new evidence), every other one resolved. The
    findings that are new, and the codes resolved."""
    found, new = list(found), []
    for finding in found:
        inserted = await conn.fetchval(
            "INSERT INTO findings (code, severity, module, seq, country_code, party_id,"
            " object_id, detail, parties, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
            " $9, $10::jsonb) ON CONFLICT (module, seq, code, detail) WHERE resolved_at IS NULL"
            " DO UPDATE SET evidence = excluded.evidence RETURNING xmax = 0",
            finding.code.value,
            finding.severity.value,
            subject.module,
            seq,
            subject.owner[0].upper(),
            subject.owner[1].upper(),
            subject.id,
            finding.detail,
            [party_text(p) for p in parties],
            orjson.dumps(finding.evidence).decode(),
        )
        if inserted:
            new.append(finding)
    return new, await resolve_others(conn, subject.module, seq, found)


async def resolve_others(
    conn: Connection, module: str, seq: int, found: Sequence[Finding]
) -> list[str]:
    """Resolve the subject's open findings but `found`; the codes resolved."""
    rows = await conn.fetch(
        "UPDATE findings SET resolved_at = now() WHERE module = $1 AND seq = $2"
        " AND resolved_at IS NULL AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[])"
        " AS kept (code, detail) WHERE kept.code = findings.code"
        " AND kept.detail = findings.detail) RETURNING code",
        module,
        seq,
        [f.code.value for f in found],
        [f.detail for f in found],
    )
    return [r[0] for r in rows]


async def to_reconcile(
    conn: Executor, grace_seconds: float, after: tuple[str, int], limit: int
) -> list[tuple[str, int]]:
    """(module, seq) of what reconciliation judges, after `after`: every subject with an open
    finding, and each COMPLETED Session awaiting its CDR for `grace_seconds` or more."""
    rows = await conn.fetch(
        "SELECT module, seq FROM ("
        " SELECT module, seq FROM findings WHERE resolved_at IS NULL"
        " UNION SELECT module, seq FROM checked_objects WHERE awaiting_cdr"
        " AND checked_at <= now() - make_interval(secs => $1)) s"
        " WHERE (module, seq) > ($2, $3) ORDER BY module, seq LIMIT $4",
        grace_seconds,
        after[0],
        after[1],
        limit,
    )
    return [(r[0], r[1]) for r in rows]


async def claim_reconciliation(conn: Executor, interval: float | None) -> bool:
    """Claim the next reconciliation: when none ran for `interval` seconds (None: at once, as
    `ocpi-hub reconcile` does); False when another process or command ran one since."""
    claimed = await conn.fetchval(
        "INSERT INTO reconciliations (last_started) VALUES (now()) ON CONFLICT (one) DO UPDATE"
        " SET last_started = now() WHERE $1::float8 IS NULL"
        " OR reconciliations.last_started <= now() - make_interval(secs => $1::float8)"
        " RETURNING true",
        interval,
    )
    return bool(claimed)


@dataclass(frozen=True)
class Row:
    """One finding as `cdrs findings` and `reconcile` print it."""

    id: int
    code: str
    severity: str
    subject: Subject
    parties: list[str]
    evidence: dict[str, Any]
    found_at: datetime
    resolved_at: datetime | None


async def listing(
    conn: Executor,
    *,
    party: PartyKey | None = None,
    since: datetime | None = None,
    resolved: bool = False,
) -> list[Row]:
    """Open findings (and resolved ones too, with `resolved`) involving `party`, found at or
    after `since`, in the order they were found."""
    rows = await conn.fetch(
        "SELECT id, code, severity, module, country_code, party_id, object_id, parties,"
        " evidence::text, found_at, resolved_at FROM findings"
        " WHERE ($1::text IS NULL OR $1 = ANY(parties))"
        " AND ($2::timestamptz IS NULL OR found_at >= $2)"
        " AND ($3 OR resolved_at IS NULL) ORDER BY found_at, id",
        party_text(party) if party else None,
        since,
        resolved,
    )
    return [
        Row(
            id=r[0],
            code=r[1],
            severity=r[2],
            subject=Subject(r[3], (r[4], r[5]), r[6]),
            parties=list(r[7]),
            evidence=orjson.loads(r[8]),
            found_at=r[9],
            resolved_at=r[10],
        )
        for r in rows
    ]


async def open_counts(conn: Executor) -> dict[tuple[str, str], int]:
    """How many findings are open, per (module, code): what /metrics shows."""
    rows = await conn.fetch(
        "SELECT module, code, count(*) FROM findings WHERE resolved_at IS NULL GROUP BY 1, 2"
    )
    return {(r[0], r[1]): r[2] for r in rows}


async def record_served_checks(conn: Executor, settings: Settings) -> None:
    """The check limits `serve` runs with (migration 0018)."""
    await conn.execute(
        "INSERT INTO served_checks (max_session_hours, cdr_grace_hours, price_tolerance)"
        " VALUES ($1, $2, $3) ON CONFLICT (only_row) DO UPDATE SET"
        " max_session_hours = excluded.max_session_hours,"
        " cdr_grace_hours = excluded.cdr_grace_hours,"
        " price_tolerance = excluded.price_tolerance, recorded_at = now()",
        Decimal(str(settings.max_session_hours)),
        Decimal(str(settings.cdr_grace_hours)),
        settings.price_tolerance,
    )


async def served_checks(conn: Executor, settings: Settings) -> Settings:
    """`settings` with the check limits the hub was last served with, where it ever was."""
    row = await conn.fetchrow(
        "SELECT max_session_hours, cdr_grace_hours, price_tolerance FROM served_checks"
    )
    if row is None:
        return settings
    return settings.with_overrides(
        max_session_hours=float(row["max_session_hours"]),
        cdr_grace_hours=float(row["cdr_grace_hours"]),
        price_tolerance=row["price_tolerance"],
    )
