"""The transactional outbox in PostgreSQL (DESIGN.md decision 4; migration 0006).

Deliveries are inserted in the transaction of the write that causes them, and a NOTIFY wakes the
workers of every hub process when that transaction commits. Three tables:

- `outbox`: what is still owed — PENDING deliveries, and DEAD ones waiting for a replay.
- `outbox_queues`: one row per (receiver platform, object) with PENDING work, holding when the
  queue's oldest delivery (its head) may be sent. Workers claim *queues*, due ones first, with
  `FOR UPDATE SKIP LOCKED` and a lease (the lease pushes `next_attempt_at` ahead), so two
  processes never send for one queue at once, a crashed process's leases simply run out, and
  per-(receiver, object) order holds across retries. The claim reads only due queue rows: its
  cost depends neither on the delivered history nor on the backlog of a receiver that is down.
- `deliveries_delivered`: history. A delivered row moves there in the statement that records it,
  and is pruned after OCPI_HUB_DELIVERED_RETENTION_DAYS in small batches (`prune_delivered`).

The view `deliveries` shows all of them with their status, for reading.

Plans: the claim and the record run with `plan_cache_mode = force_custom_plan` (for their
transaction only). Their statements are prepared once per connection, often when the tables are
nearly empty; a generic plan made then (a sequential scan of a tiny `outbox`) would stay in use
while a receiver's outage grows the table to hundreds of thousands of rows, exactly when the
backlog must drain. Planned each time, they follow the tables' size (measured with 70,000
pending: a record of 64 took 23 ms with the stale plan, 2 ms planned afresh). The statements
are also written so that no plan has to read the backlog: the claim updates the queue rows it
locked by their ctid, and the record deletes by primary key only.

Locks: whoever adds PENDING work to a queue (`enqueue`, `replay`) upserts its queue row, which
takes the row's lock; `record` locks the queue rows it settles, then decides in a fresh statement
whether each still has PENDING work. Either the recorder sees the new delivery, or the queue row
it deleted is inserted again by the upsert — no delivery is ever left without its queue. Both
lock queue rows in (object_key, receiver) order, so they cannot deadlock.

Route changes (issue 8): when route choice moves a party to another route, its deliveries still
PENDING on its other routes (Sessions, CDRs, ActiveChargingProfiles; never broadcasts, results
or HubClientInfo) get the new receiver, keeping their ids: in order, once, none dropped
(`outbox_routes.move`). A queue a worker holds finishes on the old route and its rest moves at
a later round; a queue the new route cannot take as planned (dialect) stays. Limit: while both
routes hold changes of one object, the new one may deliver a later change first.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from ocpi_hub.core.parties import InterfaceRole
from ocpi_hub.core.planner import Planned
from ocpi_hub.storage import Connection, Executor

CHANNEL = "ocpi_hub_outbox"
QueueKey = tuple[int, str]  # (receiver platform id, object key)


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


def planned(deliveries: Iterable[Planned], correlation_id: str) -> list[NewDelivery]:
    """The rows of what the delivery planner (core.planner) planned, to a Receiver interface."""
    return [
        NewDelivery(
            receiver_platform_id=d.receiver.id,
            to_party=d.to_party,
            from_party=d.from_party,
            module=d.module,
            interface=InterfaceRole.RECEIVER.value,
            method=d.method,
            path=d.path,
            body=d.body,
            correlation_id=correlation_id,
            object_key=d.queue,
        )
        for d in deliveries
    ]


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
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    url: str | None = None
    merged_into: int | None = None

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
            merged_into=row.get("merged_into"),
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
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "merged_into": self.merged_into,
        }


@dataclass(frozen=True)
class Queue:
    """A claimed queue: its oldest PENDING deliveries, the head first, and whether the head has
    waited long enough for later changes to be merged into it (core.delivery)."""

    deliveries: list[Delivery]
    merging: bool


@dataclass
class Outcomes:
    """What became of claimed queues; `record` writes it all in one transaction."""

    queues: list[QueueKey] = field(default_factory=list)  # every queue settled, once each
    delivered: list[tuple[int, int]] = field(default_factory=list)  # (id, id of the carrier)
    retried: list[tuple[int, str, float]] = field(default_factory=list)  # (id, error, seconds)
    dead: list[tuple[int, str]] = field(default_factory=list)  # (id, error)
    # Sent again as a PUT of the object as stored (a PATCH the receiver could not apply):
    # (id, path, body, error).
    resent: list[tuple[int, str, str, str]] = field(default_factory=list)


@asynccontextmanager
async def _planned_afresh(conn: Executor) -> AsyncIterator[Connection]:
    """A transaction whose statements get plans made for the tables as they are (Plans);
    within the caller's transaction when there is one. BEGIN and the setting go as one
    round trip."""
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as held, _planned_afresh(held) as planned:
            yield planned
        return
    if conn.is_in_transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield conn
        return
    await conn.execute("BEGIN; SET LOCAL plan_cache_mode = force_custom_plan")
    try:
        yield conn
    except BaseException:
        if not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")


# ---- Adding work --------------------------------------------------------------------------

# Upserts the queue rows of `{rows}` (columns r, o) in (object_key, receiver) order; also used
# when deliveries move to another route (outbox_routes).
QUEUE_UPSERT = (
    "INSERT INTO outbox_queues AS q (receiver_platform_id, object_key)"
    " SELECT DISTINCT r, o FROM {rows} ORDER BY o, r"
    # A no-op update, for its row lock: see the module docstring.
    " ON CONFLICT (receiver_platform_id, object_key)"
    " DO UPDATE SET next_attempt_at = q.next_attempt_at"
)


async def enqueue(conn: Connection, deliveries: Sequence[NewDelivery]) -> None:
    """Insert deliveries; call inside the transaction of the write that causes them."""
    if not deliveries:
        return
    columns = list(
        zip(
            *(
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
            ),
            strict=True,
        )
    )
    # One statement: the rows, their queues (see Locks), and the NOTIFY sent at commit.
    await conn.execute(
        "WITH added AS ("
        " INSERT INTO outbox (receiver_platform_id, to_country_code, to_party_id,"
        "  from_country_code, from_party_id, module, interface, method, path, body,"
        "  correlation_id, object_key, url)"
        " SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
        "  $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],"
        "  $12::text[], $13::text[])"
        " RETURNING receiver_platform_id AS r, object_key AS o),"
        " queued AS (" + QUEUE_UPSERT.format(rows="added") + " RETURNING 1)"
        f" SELECT pg_notify('{CHANNEL}', '')",
        *(list(column) for column in columns),
    )


async def replay(conn: Executor, ids: Sequence[int] | None) -> int:
    """Put dead deliveries (all, or those in `ids`) back in the queue with fresh attempts."""
    count: int = await conn.fetchval(
        "WITH replayed AS ("
        "  UPDATE outbox SET status = 'PENDING', attempts = 0, next_attempt_at = now()"
        "   WHERE status = 'DEAD' AND ($1::bigint[] IS NULL OR id = ANY($1))"
        "  RETURNING receiver_platform_id AS r, object_key AS o),"
        " queued AS (" + QUEUE_UPSERT.format(rows="replayed") + " RETURNING 1)"
        " SELECT count(*) FROM replayed",
        list(ids) if ids is not None else None,
    )
    await conn.execute(f"NOTIFY {CHANNEL}")
    return count


# ---- Draining -----------------------------------------------------------------------------


async def claim(
    conn: Executor,
    limit: int,
    lease_seconds: float,
    *,
    take: int = 1,
    merge_after: float = float("inf"),
) -> dict[QueueKey, Queue]:
    """Lease up to `limit` due queues, longest due first, and return each one's PENDING
    deliveries in order, its head first: the head alone, or, when the head was made at least
    `merge_after` seconds ago (`merging`), the oldest `take`. A queue whose list is empty holds
    nothing any more: settle it with `record` like any other."""
    async with _planned_afresh(conn) as planned:
        rows = await planned.fetch(_CLAIM, limit, lease_seconds, take, min(merge_after, 1e9))
    queues: dict[QueueKey, Queue] = {}
    for row in rows:
        key = (row["queue_receiver"], row["queue_object"])
        queue = queues.setdefault(key, Queue([], bool(row["waited"])))
        if row["id"] is not None:
            queue.deliveries.append(Delivery.from_row(row))
    return queues


_CLAIM = """
        WITH due AS (
            SELECT ctid FROM outbox_queues
             WHERE next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1
             FOR UPDATE SKIP LOCKED),
        leased AS (
            UPDATE outbox_queues q SET next_attempt_at = now() + make_interval(secs => $2)
             WHERE q.ctid = ANY(ARRAY(SELECT ctid FROM due))
            RETURNING q.receiver_platform_id AS queue_receiver, q.object_key AS queue_object)
        SELECT leased.*, head.waited, d.* FROM leased
          LEFT JOIN LATERAL (
            SELECT h.created_at <= now() - make_interval(secs => $4) AS waited FROM outbox h
             WHERE h.status = 'PENDING' AND h.receiver_platform_id = leased.queue_receiver
               AND h.object_key = leased.queue_object
             ORDER BY h.id LIMIT 1) head ON true
          LEFT JOIN LATERAL (
            SELECT * FROM outbox d
             WHERE d.status = 'PENDING' AND d.receiver_platform_id = leased.queue_receiver
               AND d.object_key = leased.queue_object
             ORDER BY d.id LIMIT CASE WHEN head.waited THEN $3 ELSE 1 END) d ON true
        ORDER BY leased.queue_receiver, leased.queue_object, d.id
        """


async def record(conn: Connection, outcomes: Outcomes) -> None:
    """Write what became of claimed queues in one transaction of two statements, however many
    there are: delivered rows move to the history, the others are rescheduled, dead-lettered
    or rewritten, and the queues are locked; then each queue is due when its new head is, or
    gone when empty. (Each id has one outcome: two modifications of one row in one statement
    would be undefined.)"""
    delivered = _columns(outcomes.delivered, 2)
    retried = _columns(outcomes.retried, 3)
    dead = _columns(outcomes.dead, 2)
    resent = _columns(outcomes.resent, 4)
    queues = _columns(outcomes.queues, 2)
    async with _planned_afresh(conn) as conn:
        await conn.execute(_RECORD, *delivered, *retried, *dead, *resent, *queues)
        # A fresh snapshot, taken once the queues are locked: it sees what any enqueue that
        # held one of them committed (module docstring, Locks).
        await conn.execute(SETTLE, *queues)


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


_RECORD = (
    # `<> 'DEAD'`, not `= 'PENDING'`: the latter would let the planner read the ids through
    # outbox_order (every pending row) where the primary key finds each.
    "WITH moved AS ("
    "  DELETE FROM outbox o USING unnest($1::bigint[], $2::bigint[]) AS x(id, carrier)"
    "   WHERE o.id = x.id AND o.status <> 'DEAD' RETURNING o.*, x.carrier),"
    " kept AS ("
    "  INSERT INTO deliveries_delivered (id, receiver_platform_id, to_country_code,"
    "   to_party_id, from_country_code, from_party_id, module, interface, method, path, body,"
    "   correlation_id, object_key, attempts, created_at, delivered_at, url, merged_into)"
    "  SELECT id, receiver_platform_id, to_country_code, to_party_id, from_country_code,"
    "   from_party_id, module, interface, method, path, body, correlation_id, object_key,"
    "   attempts + 1, created_at, now(), url, nullif(carrier, id) FROM moved),"
    " retried AS ("
    "  UPDATE outbox o SET attempts = attempts + 1, last_error = x.error,"
    "   next_attempt_at = now() + make_interval(secs => x.delay)"
    "  FROM unnest($3::bigint[], $4::text[], $5::float8[]) AS x(id, error, delay)"
    "  WHERE o.id = x.id),"
    " dead AS ("
    "  UPDATE outbox o SET status = 'DEAD', attempts = attempts + 1, last_error = x.error"
    "  FROM unnest($6::bigint[], $7::text[]) AS x(id, error) WHERE o.id = x.id),"
    " resent AS ("
    "  UPDATE outbox o SET method = 'PUT', path = x.path, body = x.body,"
    "   attempts = attempts + 1, last_error = x.error, next_attempt_at = now()"
    "  FROM unnest($8::bigint[], $9::text[], $10::text[], $11::text[])"
    "   AS x(id, path, body, error) WHERE o.id = x.id),"
    # Lock in (object_key, receiver) order, as enqueue does: waits for any enqueue in flight.
    " locked AS ("
    "  SELECT 1 FROM outbox_queues q JOIN unnest($12::bigint[], $13::text[]) AS x(r, o)"
    "   ON q.receiver_platform_id = x.r AND q.object_key = x.o"
    "  ORDER BY q.object_key, q.receiver_platform_id FOR UPDATE OF q)"
    " SELECT count(*) FROM locked"
)
# Makes each queue of $1/$2 due when its head is, or deletes it when empty (record; and
# outbox_routes for the queues deliveries moved out of).
SETTLE = (
    "WITH heads AS ("
    "  SELECT x.r, x.o, h.next_attempt_at FROM unnest($1::bigint[], $2::text[]) AS x(r, o)"
    "  LEFT JOIN LATERAL (SELECT next_attempt_at FROM outbox d"
    "   WHERE d.status = 'PENDING' AND d.receiver_platform_id = x.r AND d.object_key = x.o"
    "   ORDER BY d.id LIMIT 1) h ON true),"
    " emptied AS (DELETE FROM outbox_queues q USING heads"
    "   WHERE q.receiver_platform_id = heads.r AND q.object_key = heads.o"
    "     AND heads.next_attempt_at IS NULL)"
    " UPDATE outbox_queues q SET next_attempt_at = heads.next_attempt_at FROM heads"
    "  WHERE q.receiver_platform_id = heads.r AND q.object_key = heads.o"
    "    AND heads.next_attempt_at IS NOT NULL"
)


# ---- History ------------------------------------------------------------------------------


async def prune_delivered(conn: Executor, older_than: float, batch: int = 5000) -> int:
    """Delete up to `batch` history rows delivered more than `older_than` seconds ago; return
    how many. Small batches, skipping rows another pruner holds: delivery never waits on it."""
    result: str = await conn.execute(
        "DELETE FROM deliveries_delivered WHERE id IN ("
        " SELECT id FROM deliveries_delivered"
        "  WHERE delivered_at < now() - make_interval(secs => $1)"
        "  LIMIT $2 FOR UPDATE SKIP LOCKED)",
        older_than,
        batch,
    )
    return int(result.split()[-1])


# ---- Reading ------------------------------------------------------------------------------


async def listing(
    conn: Executor, status: str | None = None, limit: int = 100, receiver: int | None = None
) -> list[Delivery]:
    """Deliveries in any state (DELIVERED ones from the history), newest first; of `status`
    and to the platform `receiver` only, when given."""
    rows = await conn.fetch(
        "SELECT * FROM deliveries WHERE ($1::text IS NULL OR status = $1)"
        " AND ($3::bigint IS NULL OR receiver_platform_id = $3) ORDER BY id DESC LIMIT $2",
        status,
        limit,
        receiver,
    )
    return [Delivery.from_row(r) for r in rows]


async def counts(conn: Executor, receiver: int | None = None) -> dict[str, int]:
    """How many deliveries are in each state, to the platform `receiver` only when given (the
    history counted exactly: not for hot paths)."""
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM outbox"
        " WHERE $1::bigint IS NULL OR receiver_platform_id = $1 GROUP BY status"
        " UNION ALL SELECT 'DELIVERED', count(*) FROM deliveries_delivered"
        " WHERE $1::bigint IS NULL OR receiver_platform_id = $1",
        receiver,
    )
    return {r["status"]: r["n"] for r in rows if r["n"]}


async def delivered_per(conn: Executor, bucket: float, buckets: int) -> list[int]:
    """Deliveries delivered in each of the last `buckets` periods of `bucket` seconds, the
    oldest first (the current, partial period last). Reads the history through its BRIN index
    on delivered_at: the cost follows the window, not the history's size."""
    rows = await conn.fetch(
        "WITH edges AS (SELECT now() - make_interval(secs => $1::float8 * $2::int) AS since),"
        " slots AS ("
        "  SELECT floor(extract(epoch FROM delivered_at - edges.since) / $1::float8)::int AS n"
        "  FROM deliveries_delivered, edges WHERE delivered_at > edges.since)"
        " SELECT n, count(*) AS c FROM slots GROUP BY n",
        bucket,
        buckets,
    )
    counts = [0] * buckets
    for row in rows:
        counts[min(max(row["n"], 0), buckets - 1)] += row["c"]
    return counts


async def backlog(conn: Executor) -> list[tuple[str, int, float]]:
    """Per receiving party (`CC*PID`): how many deliveries are pending, and how many seconds
    the oldest has waited (one statement over the outbox, which holds only what is owed)."""
    rows = await conn.fetch(
        "SELECT to_country_code || '*' || to_party_id, count(*),"
        " extract(epoch FROM now() - min(created_at))::float8"
        " FROM outbox WHERE status = 'PENDING' GROUP BY 1"
    )
    return [(r[0], r[1], r[2]) for r in rows]
