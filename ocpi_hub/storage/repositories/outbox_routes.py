"""Deliveries that follow their party to another route (route choice, issue 8; see the outbox
repository's docstring, "Route changes").

When the route chosen for a party changes, what is still queued for it on its other routes —
the deliveries that go to that one party (core.routes.MOVED_MODULES) — is moved to the chosen
route by `move`, in the transaction that holds the party's choice:

- per queue: the party's PENDING deliveries in one (receiver, object) queue move together or
  not at all, keeping their ids, so they keep their order (the claim sends a queue by id);
- not in flight: a queue a worker has claimed and not yet settled (its lease runs: it is due
  later than its head is) is left alone, so what is being sent finishes on the old route and
  nothing is sent twice; the chooser moves what is left there once the queue is settled;
- only as planned: a delivery moves only where the new route takes it as it was planned
  (core.planner.rerouted: the receiver's interface, its dialect's modules and PATCH rule,
  nothing from a network to a network); a queue holding one that cannot stays where it is
  and is delivered, or dead-lettered, there;
- moved deliveries get a fresh set of attempts, due at once; the queues they join keep their
  own due time (one a worker holds stays held), and the queues they left are settled (due when
  their new head is, or gone).

Locks: the queue rows of both sides are locked in one statement in (object_key, receiver)
order, as `outbox.enqueue` and `outbox.record` take them, so a move cannot deadlock with them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ocpi_hub.core.parties import InterfaceRole, Platform
from ocpi_hub.core.planner import FIFO_QUEUE, rerouted
from ocpi_hub.core.routes import MOVED_MODULES
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.storage import Connection
from ocpi_hub.storage.repositories.outbox import CHANNEL, QUEUE_UPSERT, SETTLE

__all__ = ["Moved", "move"]

QueueKey = tuple[int, str]


@dataclass(frozen=True)
class Moved:
    """What `move` did: deliveries moved, queues left because a worker holds them (to move
    later), and deliveries the new route cannot take as planned (left for good)."""

    moved: int = 0
    in_flight: int = 0
    refused: int = 0


async def move(
    conn: Connection,
    party: PartyKey,
    to: Platform,
    away_from: Collection[int],
    from_networks: Collection[PartyKey],
) -> Moved:
    """Move the party's movable deliveries queued on the platforms `away_from` to `to`;
    `from_networks`: the parties reached through a network (their data never goes to one).
    Call inside a transaction."""
    queues = await conn.fetch(
        "SELECT DISTINCT receiver_platform_id, object_key FROM outbox"
        " WHERE status = 'PENDING' AND receiver_platform_id = ANY($1::bigint[])"
        "  AND to_country_code = $2 AND to_party_id = $3 AND url IS NULL"
        "  AND module = ANY($4::text[])",
        list(away_from),
        *party,
        sorted(MOVED_MODULES),
    )
    if not queues:
        return Moved()
    sources = [(r[0], r[1]) for r in queues]
    # Every queue the moved deliveries may join: their own, a FIFO network's one, a module's.
    targets = {(to.id, key) for _, key in sources} | {(to.id, FIFO_QUEUE)}
    targets |= {(to.id, module) for module in MOVED_MODULES}
    await _lock(conn, sorted(set(sources) | targets, key=lambda q: (q[1], q[0])))
    # Read after the lock: what a worker settled or a push queued meanwhile is seen.
    held = await _in_flight(conn, sources)
    rows = await conn.fetch(
        "SELECT id, receiver_platform_id, object_key, module, interface, method,"
        "  from_country_code, from_party_id FROM outbox"
        " WHERE status = 'PENDING' AND receiver_platform_id = ANY($1::bigint[])"
        "  AND to_country_code = $2 AND to_party_id = $3 AND url IS NULL"
        "  AND module = ANY($4::text[]) ORDER BY id",
        list(away_from),
        *party,
        sorted(MOVED_MODULES),
    )
    plans: dict[QueueKey, list[tuple[int, str | None]]] = {}
    for row in rows:
        queue = rerouted(
            to,
            row["module"],
            InterfaceRole(row["interface"]),
            row["method"],
            row["object_key"],
            from_network=(row["from_country_code"], row["from_party_id"]) in from_networks,
        )
        plans.setdefault((row[1], row[2]), []).append((row["id"], queue))
    ids: list[int] = []
    keys: list[str] = []
    left: list[QueueKey] = []
    refused = 0
    for source, planned in plans.items():
        if source in held:
            continue
        if any(queue is None for _, queue in planned):
            refused += len(planned)
            continue
        ids += [i for i, _ in planned]
        keys += [str(queue) for _, queue in planned]
        left.append(source)
    if ids:
        await _moved(conn, to.id, ids, keys, left)
    return Moved(len(ids), len(held & plans.keys()), refused)


async def _lock(conn: Connection, queues: Sequence[QueueKey]) -> None:
    await conn.execute(
        "SELECT 1 FROM outbox_queues q JOIN unnest($1::bigint[], $2::text[]) AS x(r, o)"
        " ON q.receiver_platform_id = x.r AND q.object_key = x.o"
        " ORDER BY q.object_key, q.receiver_platform_id FOR UPDATE OF q",
        [r for r, _ in queues],
        [o for _, o in queues],
    )


async def _in_flight(conn: Connection, queues: Sequence[QueueKey]) -> set[QueueKey]:
    """The queues a worker holds: leased (outbox.claim pushes a queue's due time a lease ahead
    of its head's, and the record sets it back to its head's) and the lease not run out."""
    rows = await conn.fetch(
        "SELECT q.receiver_platform_id, q.object_key FROM outbox_queues q"
        " JOIN unnest($1::bigint[], $2::text[]) AS x(r, o)"
        "  ON q.receiver_platform_id = x.r AND q.object_key = x.o"
        " JOIN LATERAL (SELECT d.next_attempt_at FROM outbox d"
        "  WHERE d.status = 'PENDING' AND d.receiver_platform_id = q.receiver_platform_id"
        "   AND d.object_key = q.object_key ORDER BY d.id LIMIT 1) h ON true"
        " WHERE q.next_attempt_at > now() AND q.next_attempt_at > h.next_attempt_at",
        [r for r, _ in queues],
        [o for _, o in queues],
    )
    return {(r[0], r[1]) for r in rows}


async def _moved(
    conn: Connection, receiver: int, ids: list[int], keys: list[str], left: list[QueueKey]
) -> None:
    """Give deliveries `ids` to `receiver` in queues `keys`, then settle the queues `left`."""
    await conn.execute(
        "WITH moved AS ("
        "  UPDATE outbox o SET receiver_platform_id = $1, object_key = x.o, attempts = 0,"
        "   next_attempt_at = now()"
        "  FROM unnest($2::bigint[], $3::text[]) AS x(id, o) WHERE o.id = x.id"
        "  RETURNING o.receiver_platform_id AS r, o.object_key AS o),"
        " queued AS (" + QUEUE_UPSERT.format(rows="moved") + " RETURNING 1)"
        f" SELECT pg_notify('{CHANNEL}', '')",
        receiver,
        ids,
        keys,
    )
    await conn.execute(SETTLE, [r for r, _ in left], [o for _, o in left])
