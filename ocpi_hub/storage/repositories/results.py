"""Proxied response_urls and charging-profile senders in PostgreSQL (migration 0004).

Every change of a proxied request's state is one conditional UPDATE: a result arriving, the
receiver's synchronous answer, and the sweeper's timeout race each other (and other hub processes
sharing the database), and the first to change the row wins; the others see it changed and do
nothing. That is what makes a TIMEOUT, or a relayed result, happen exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from ocpi_hub.storage import Executor

PartyKey = tuple[str, str]


class State(StrEnum):
    SENT = "SENT"  # relayed; the synchronous answer not back yet
    ACCEPTED = "ACCEPTED"  # a result is due by the deadline
    ANSWERED = "ANSWERED"  # a result came; more may follow until the deadline (RESERVE_NOW)
    CLOSED = "CLOSED"  # no result expected any more
    TIMED_OUT = "TIMED_OUT"  # the deadline passed without a result


OPEN = (State.SENT.value, State.ACCEPTED.value, State.ANSWERED.value)


@dataclass(frozen=True)
class ProxiedRequest:
    """A request relayed with the hub's URL in place of the requester's `response_url`."""

    id: str
    module: str
    kind: str  # the CommandType, or the ChargingProfiles request method
    requester_platform_id: int
    requester: PartyKey
    response_url: str
    receiver_platform_id: int
    receiver: PartyKey
    correlation_id: str
    session_id: str | None = None
    reservation_id: str | None = None
    expires_at: datetime | None = None
    state: State = State.SENT
    response: str | None = None
    deadline: datetime | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ProxiedRequest:
        return cls(
            id=row["id"],
            module=row["module"],
            kind=row["kind"],
            requester_platform_id=row["requester_platform_id"],
            requester=(row["requester_country_code"], row["requester_party_id"]),
            response_url=row["response_url"],
            receiver_platform_id=row["receiver_platform_id"],
            receiver=(row["receiver_country_code"], row["receiver_party_id"]),
            correlation_id=row["correlation_id"],
            session_id=row["session_id"],
            reservation_id=row["reservation_id"],
            expires_at=row["expires_at"],
            state=State(row["state"]),
            response=row["response"],
            deadline=row["deadline"],
        )


def _upper(value: str | None) -> str | None:
    # Session and reservation ids are CiStrings: compared case-insensitively.
    return value.upper() if value is not None else None


async def insert(conn: Executor, request: ProxiedRequest, relay_seconds: float) -> None:
    """Store a request about to be relayed. Its deadline covers the relay only: should this
    process die before the synchronous answer, the sweeper closes the row without a result."""
    await conn.execute(
        "INSERT INTO response_urls (id, module, kind, requester_platform_id,"
        " requester_country_code, requester_party_id, response_url, receiver_platform_id,"
        " receiver_country_code, receiver_party_id, correlation_id, session_id, reservation_id,"
        " expires_at, deadline)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
        " now() + make_interval(secs => $15))",
        request.id,
        request.module,
        request.kind,
        request.requester_platform_id,
        *request.requester,
        request.response_url,
        request.receiver_platform_id,
        *request.receiver,
        request.correlation_id,
        _upper(request.session_id),
        _upper(request.reservation_id),
        request.expires_at,
        relay_seconds,
    )


async def get(conn: Executor, request_id: str) -> ProxiedRequest | None:
    row = await conn.fetchrow("SELECT * FROM response_urls WHERE id = $1", request_id)
    return ProxiedRequest.from_row(row) if row else None


async def answered(
    conn: Executor, request_id: str, response: str | None, wait_seconds: float | None
) -> bool:
    """The receiver's synchronous answer: ACCEPTED with a result due within `wait_seconds`, or
    (None) closed. No change, and False, when a result already came meanwhile."""
    status = await conn.execute(
        "UPDATE response_urls SET response = $2, updated_at = now(),"
        " state = CASE WHEN $3::float8 IS NULL THEN 'CLOSED' ELSE 'ACCEPTED' END,"
        " deadline = CASE WHEN $3::float8 IS NULL THEN deadline"
        "            ELSE now() + make_interval(secs => $3::float8) END"
        " WHERE id = $1 AND state = 'SENT'",
        request_id,
        response,
        wait_seconds,
    )
    return str(status) != "UPDATE 0"


async def close(conn: Executor, request_id: str) -> None:
    """No result will come (the relay failed): later results are refused."""
    await conn.execute(
        "UPDATE response_urls SET state = 'CLOSED', updated_at = now()"
        " WHERE id = $1 AND state = ANY($2::text[])",
        request_id,
        list(OPEN),
    )


async def take_result(
    conn: Executor, request_id: str, open_until: datetime | None = None
) -> ProxiedRequest | None:
    """Record a result for an open request; None when it is closed (timed out, or done).

    The request closes, unless `open_until` lies ahead: then it stays open for further results
    until then (a reservation the CPO may still cancel)."""
    row = await conn.fetchrow(
        "UPDATE response_urls SET updated_at = now(), deadline = $2,"
        " state = CASE WHEN $2::timestamptz > now() THEN 'ANSWERED' ELSE 'CLOSED' END"
        " WHERE id = $1 AND state = ANY($3::text[]) RETURNING *",
        request_id,
        open_until,
        list(OPEN),
    )
    return ProxiedRequest.from_row(row) if row else None


async def expire(conn: Executor, module: str, limit: int = 100) -> list[ProxiedRequest]:
    """Close `module`'s requests whose deadline has passed; return those that were ACCEPTED
    (their result never came: now TIMED_OUT). Rows another process is changing are skipped;
    a row is returned by exactly one caller, whatever the number of hub processes."""
    rows = await conn.fetch(
        """
        WITH due AS (
            SELECT id, state AS was FROM response_urls
             WHERE module = $1 AND state = ANY($2::text[]) AND deadline <= now()
             ORDER BY deadline LIMIT $3
             FOR UPDATE SKIP LOCKED)
        UPDATE response_urls r SET updated_at = now(),
               state = CASE WHEN due.was = 'ACCEPTED' THEN 'TIMED_OUT' ELSE 'CLOSED' END
          FROM due WHERE r.id = due.id
        RETURNING r.*, due.was
        """,
        module,
        list(OPEN),
        limit,
    )
    return [ProxiedRequest.from_row(r) for r in rows if r["was"] == State.ACCEPTED.value]


async def reservation_receiver(
    conn: Executor, requester: PartyKey, reservation_id: str
) -> PartyKey | None:
    """The CPO that got `requester`'s latest RESERVE_NOW with this reservation_id."""
    row = await conn.fetchrow(
        "SELECT receiver_country_code, receiver_party_id FROM response_urls"
        " WHERE kind = 'RESERVE_NOW' AND requester_country_code = $1"
        " AND requester_party_id = $2 AND reservation_id = $3"
        " ORDER BY created_at DESC LIMIT 1",
        *requester,
        reservation_id.upper(),
    )
    return (row[0], row[1]) if row else None


async def purge(conn: Executor, keep_seconds: float) -> int:
    """Forget closed requests and profile senders untouched for `keep_seconds`."""
    status = await conn.execute(
        "DELETE FROM response_urls WHERE state IN ('CLOSED', 'TIMED_OUT')"
        " AND updated_at < now() - make_interval(secs => $1)",
        keep_seconds,
    )
    senders = await conn.execute(
        "DELETE FROM charging_profile_senders WHERE updated_at < now() - make_interval(secs => $1)",
        keep_seconds,
    )
    return int(str(status).split()[-1]) + int(str(senders).split()[-1])


async def remember_profile_sender(
    conn: Executor, receiver: PartyKey, session_id: str, sender: PartyKey
) -> None:
    await conn.execute(
        "INSERT INTO charging_profile_senders (receiver_country_code, receiver_party_id,"
        " session_id, sender_country_code, sender_party_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (receiver_country_code, receiver_party_id, session_id,"
        " sender_country_code, sender_party_id) DO UPDATE SET updated_at = now()",
        *receiver,
        session_id.upper(),
        *sender,
    )


async def profile_senders(conn: Executor, receiver: PartyKey, session_id: str) -> list[PartyKey]:
    """Parties that set a profile for the CPO `receiver`'s session, in a stable order."""
    rows = await conn.fetch(
        "SELECT sender_country_code, sender_party_id FROM charging_profile_senders"
        " WHERE receiver_country_code = $1 AND receiver_party_id = $2 AND session_id = $3"
        " ORDER BY sender_country_code, sender_party_id",
        *receiver,
        session_id.upper(),
    )
    return [(r[0], r[1]) for r in rows]
