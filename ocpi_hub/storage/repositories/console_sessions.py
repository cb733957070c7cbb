"""Signed-in console sessions (migration 0024): a random id in the operator's cookie, only its
hash here, the session's CSRF token, and when it expires. A session ends at its expiry, at
sign-out, or when its operator is revoked (`operator_of` joins the operator, not revoked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ocpi_hub.core.handshake import hash_token, new_token
from ocpi_hub.storage import Executor
from ocpi_hub.storage.repositories import operators
from ocpi_hub.storage.repositories.operators import Operator

__all__ = ["ConsoleSession", "end", "find", "start"]


@dataclass(frozen=True)
class ConsoleSession:
    """A live session: its operator, the CSRF token its forms carry, and its expiry."""

    operator: Operator
    csrf_token: str
    expires_at: datetime


async def start(conn: Executor, operator: Operator, lifetime: float) -> tuple[str, datetime]:
    """A new session of `operator` lasting `lifetime` seconds: (its id, for the cookie only;
    when it expires). Sessions already expired are deleted on the way."""
    session_id = new_token()
    expires_at: datetime = await conn.fetchval(
        "WITH gone AS (DELETE FROM console_sessions WHERE expires_at < now())"
        " INSERT INTO console_sessions (id_hash, operator_id, csrf_token, expires_at)"
        " VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at",
        hash_token(session_id),
        operator.id,
        new_token(),
        lifetime,
    )
    return session_id, expires_at


async def find(conn: Executor, session_id: str) -> ConsoleSession | None:
    """The live session with this id: not expired, its operator not revoked."""
    row = await conn.fetchrow(
        "SELECT s.csrf_token, s.expires_at, o.* FROM console_sessions s"
        " JOIN operators o ON o.id = s.operator_id"
        " WHERE s.id_hash = $1 AND s.expires_at > now() AND o.revoked_at IS NULL",
        hash_token(session_id),
    )
    if row is None:
        return None
    return ConsoleSession(operators.from_row(row), row["csrf_token"], row["expires_at"])


async def end(conn: Executor, session_id: str) -> None:
    """Sign the session out (nothing when there is no such session)."""
    await conn.execute("DELETE FROM console_sessions WHERE id_hash = $1", hash_token(session_id))
