"""The hub's operators: a name and a hashed token each (migration 0022)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ocpi_hub.core.handshake import hash_token
from ocpi_hub.storage import Executor

__all__ = ["NameTaken", "Operator", "by_token", "create", "from_row", "listing", "revoke"]


class NameTaken(Exception):
    """Another operator has that name already."""


@dataclass(frozen=True)
class Operator:
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def from_row(row: asyncpg.Record) -> Operator:
    """An operator from a row holding the operators table's columns."""
    return Operator(row["id"], row["name"], row["created_at"], row["revoked_at"])


async def create(conn: Executor, name: str, token: str) -> Operator:
    """A new operator whose token is `token` (only its hash is kept); NameTaken if the name is."""
    try:
        row = await conn.fetchrow(
            "INSERT INTO operators (name, token_hash) VALUES ($1, $2) RETURNING *",
            name,
            hash_token(token),
        )
    except asyncpg.UniqueViolationError as exc:
        raise NameTaken(name) from exc
    assert row is not None
    return from_row(row)


async def listing(conn: Executor) -> list[Operator]:
    rows = await conn.fetch("SELECT * FROM operators ORDER BY id")
    return [from_row(r) for r in rows]


async def by_token(conn: Executor, token: str) -> Operator | None:
    """The operator, not revoked, whose token this is."""
    row = await conn.fetchrow(
        "SELECT * FROM operators WHERE token_hash = $1 AND revoked_at IS NULL", hash_token(token)
    )
    return None if row is None else from_row(row)


async def revoke(conn: Executor, name: str) -> bool:
    """Revoke the operator called `name`; False when no such operator is active."""
    done = await conn.execute(
        "UPDATE operators SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name
    )
    return done.endswith(" 1")
