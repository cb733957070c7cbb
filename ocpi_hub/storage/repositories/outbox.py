"""The transactional outbox in PostgreSQL (DESIGN.md decision 4).

Deliveries are inserted in the transaction of the write that causes them, and a NOTIFY wakes the
workers of every hub process when that transaction commits. Workers claim due deliveries with
`FOR UPDATE SKIP LOCKED` and a lease, so two processes never send one delivery at once, and a
crashed process's leases simply run out. A delivery is only due when no earlier pending delivery
exists for the same (receiver, object): that keeps per-object order across retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ocpi_hub.storage import Connection, Executor

CHANNEL = "ocpi_hub_outbox"


@dataclass(frozen=True)
class NewDelivery:
    receiver_platform_id: int
    to_party: tuple[str, str]
    from_party: tuple[str, str]
    module: str
    interface: str
    method: str
    path: str
    body: str | None
    correlation_id: str
    object_key: str
    # An absolute URL to send to instead of the receiver's endpoint + path (a response_url).
    url: str | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    receiver_platform_id: int
    to_party: tuple[str, str]
    from_party: tuple[str, str]
    module: str
    interface: str
    method: str
    path: str
    body: str | None
    correlation_id: str
    object_key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    url: str | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Delivery:
        return cls(
            id=row["id"],
            receiver_platform_id=row["receiver_platform_id"],
            to_party=(row["to_country_code"], row["to_party_id"]),
            from_party=(row["from_country_code"], row["from_party_id"]),
            module=row["module"],
            interface=row["interface"],
            method=row["method"],
            path=row["path"],
            body=row["body"],
            correlation_id=row["correlation_id"],
            object_key=row["object_key"],
            status=row["status"],
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            url=row["url"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "receiver_platform_id": self.receiver_platform_id,
            "to": "*".join(self.to_party),
            "module": self.module,
            "method": self.method,
            "path": self.path,
            "object_key": self.object_key,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
        }


async def enqueue(conn: Connection, deliveries: Sequence[NewDelivery]) -> None:
    """Insert deliveries; call inside the transaction of the write that causes them."""
    if not deliveries:
        return
    await conn.executemany(
        "INSERT INTO deliveries (receiver_platform_id, to_country_code, to_party_id,"
        " from_country_code, from_party_id, module, interface, method, path, body,"
        " correlation_id, object_key, url)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [
            (
                d.receiver_platform_id,
                *d.to_party,
                *d.from_party,
                d.module,
                d.interface,
                d.method,
                d.path,
                d.body,
                d.correlation_id,
                d.object_key,
                d.url,
            )
            for d in deliveries
        ],
    )
    await conn.execute(f"NOTIFY {CHANNEL}")


async def claim(conn: Executor, limit: int, lease_seconds: float) -> list[Delivery]:
    """Lease up to `limit` due deliveries, oldest first, at most one per (receiver, object)."""
    rows = await conn.fetch(
        """
        WITH due AS (
            SELECT d.id FROM deliveries d
             WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
               AND (d.leased_until IS NULL OR d.leased_until < now())
               AND NOT EXISTS (
                   SELECT 1 FROM deliveries e
                    WHERE e.status = 'PENDING'
                      AND e.receiver_platform_id = d.receiver_platform_id
                      AND e.object_key = d.object_key AND e.id < d.id)
             ORDER BY d.id LIMIT $1
             FOR UPDATE SKIP LOCKED)
        UPDATE deliveries SET leased_until = now() + make_interval(secs => $2)
          FROM due WHERE deliveries.id = due.id
        RETURNING deliveries.*
        """,
        limit,
        lease_seconds,
    )
    return sorted((Delivery.from_row(r) for r in rows), key=lambda d: d.id)


async def delivered(conn: Executor, delivery_id: int) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'DELIVERED', attempts = attempts + 1, delivered_at = now(),"
        " leased_until = NULL, last_error = NULL WHERE id = $1",
        delivery_id,
    )


async def failed(conn: Executor, delivery_id: int, error: str, retry_in: float | None) -> None:
    """Record a failed attempt: retry after `retry_in` seconds, or dead-letter when None."""
    if retry_in is None:
        await conn.execute(
            "UPDATE deliveries SET status = 'DEAD', attempts = attempts + 1, leased_until = NULL,"
            " last_error = $2 WHERE id = $1",
            delivery_id,
            error,
        )
    else:
        await conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, leased_until = NULL, last_error = $2,"
            " next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
            delivery_id,
            error,
            retry_in,
        )


async def listing(conn: Executor, status: str | None = None, limit: int = 100) -> list[Delivery]:
    rows = await conn.fetch(
        "SELECT * FROM deliveries WHERE $1::text IS NULL OR status = $1 ORDER BY id DESC LIMIT $2",
        status,
        limit,
    )
    return [Delivery.from_row(r) for r in rows]


async def counts(conn: Executor) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def replay(conn: Executor, ids: Sequence[int] | None) -> int:
    """Put dead deliveries (all, or those in `ids`) back in the queue with fresh attempts."""
    result: str = await conn.execute(
        "UPDATE deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = now(),"
        " leased_until = NULL WHERE status = 'DEAD' AND ($1::bigint[] IS NULL OR id = ANY($1))",
        list(ids) if ids is not None else None,
    )
    await conn.execute(f"NOTIFY {CHANNEL}")
    return int(result.split()[-1])
