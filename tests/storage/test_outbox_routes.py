"""Deliveries that follow their party to its new route (storage.repositories.outbox_routes):
moved in order, once, never while a worker holds them, only where they can go as planned."""

from __future__ import annotations

import json

import asyncpg

from ocpi_hub.core.parties import Party, Platform, Role
from ocpi_hub.core.planner import FIFO_QUEUE
from ocpi_hub.storage.repositories import outbox, outbox_routes
from ocpi_hub.storage.repositories.outbox import NewDelivery, Outcomes
from tests.factories import platform as platform_of

PARTY = ("FR", "EMX")
CPO = ("NL", "CPA")
LEASE = 60.0


async def route(pool: asyncpg.Pool, dialect: str = "ocpi-2.2.1", network: bool = False) -> Platform:
    """A registered platform reaching PARTY (through a network when `network`), offering the
    Sessions Receiver."""
    platform_id: int = await pool.fetchval(
        "INSERT INTO platforms (status, kind, dialect) VALUES ('REGISTERED', $1, $2) RETURNING id",
        "NETWORK" if network else "PEER",
        dialect,
    )
    hub = [Party.of("ZZ", f"H{platform_id}", Role.HUB)] if network else []
    found: Platform = platform_of(
        platform_id, *hub, Party.of(*PARTY, Role.EMSP), module="sessions", dialect=dialect
    )
    return found


def session(receiver: Platform, ident: str, method: str = "PUT", **kw: str) -> NewDelivery:
    fields = {
        "receiver_platform_id": receiver.id,
        "to_party": PARTY,
        "from_party": CPO,
        "module": "sessions",
        "interface": "RECEIVER",
        "method": method,
        "path": f"/NL/CPA/{ident}",
        "body": json.dumps({"id": ident, "method": method}),
        "correlation_id": f"{ident}-{method}",
        "object_key": f"sessions/NL/CPA/{ident}/",
        **kw,
    }
    return NewDelivery(**fields)  # type: ignore[arg-type]


async def enqueue(pool: asyncpg.Pool, *deliveries: NewDelivery) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await outbox.enqueue(conn, deliveries)


async def move(
    pool: asyncpg.Pool, to: Platform, away: Platform, from_networks: frozenset[tuple[str, str]]
) -> outbox_routes.Moved:
    async with pool.acquire() as conn, conn.transaction():
        return await outbox_routes.move(conn, PARTY, to, [away.id], from_networks)


async def pending(pool: asyncpg.Pool) -> list[tuple[int, int, str, int]]:
    """(id, receiver, object_key, attempts) of every PENDING delivery, by id."""
    rows = await pool.fetch(
        "SELECT id, receiver_platform_id, object_key, attempts FROM outbox"
        " WHERE status = 'PENDING' ORDER BY id"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def queues(pool: asyncpg.Pool) -> set[tuple[int, str]]:
    return {
        tuple(r)
        for r in await pool.fetch("SELECT receiver_platform_id, object_key FROM outbox_queues")
    }  # type: ignore[misc]


async def test_a_partys_personal_deliveries_move_in_order_and_nothing_else(
    pool: asyncpg.Pool,
) -> None:
    """Sessions queued for the party on its old route move to the new one (a FIFO network: its
    one queue), keeping their ids and so their order, with fresh attempts; the queues they left
    are gone. A broadcast to the party, and anything for another party, stay."""
    direct, network = await route(pool), await route(pool, "eclearing", network=True)
    await enqueue(
        pool,
        session(direct, "S1"),
        session(direct, "S1", "PATCH"),
        session(direct, "S2"),
        session(direct, "L1", module="locations", object_key="locations/NL/CPA/L1/"),
        session(direct, "S3", to_party=("DE", "EMA")),
    )
    await pool.execute("UPDATE outbox SET attempts = 3")
    before = await pending(pool)

    moved = await move(pool, network, direct, frozenset())

    assert moved == outbox_routes.Moved(moved=3)
    after = await pending(pool)
    assert [row[0] for row in after] == [row[0] for row in before]
    assert after[:3] == [(row[0], network.id, FIFO_QUEUE, 0) for row in before[:3]]
    assert after[3:] == before[3:]
    assert await queues(pool) == {
        (network.id, FIFO_QUEUE),
        (direct.id, "locations/NL/CPA/L1/"),
        (direct.id, "sessions/NL/CPA/S3/"),
    }
    claimed = await outbox.claim(pool, 10, LEASE, take=10, merge_after=0)
    assert [d.id for d in claimed[(network.id, FIFO_QUEUE)].deliveries] == [
        row[0] for row in before[:3]
    ]


async def test_a_queue_a_worker_holds_stays_until_it_is_settled(pool: asyncpg.Pool) -> None:
    """A queue claimed by a worker (its head in flight) is not moved: what is being sent finishes
    on the old route. Once its outcome is recorded (a retry), a later move takes its rest."""
    direct, network = await route(pool), await route(pool)
    await enqueue(pool, session(direct, "S1"), session(direct, "S1", "PATCH"))
    await enqueue(pool, session(direct, "S2"))
    claimed = await outbox.claim(pool, 1, LEASE)
    assert list(claimed) == [(direct.id, "sessions/NL/CPA/S1/")]

    first = await move(pool, network, direct, frozenset())
    assert first == outbox_routes.Moved(moved=1, in_flight=1)
    head = claimed[(direct.id, "sessions/NL/CPA/S1/")].deliveries[0]
    async with pool.acquire() as conn:
        outcome = Outcomes(queues=[(direct.id, head.object_key)], retried=[(head.id, "503", 0.0)])
        await outbox.record(conn, outcome)

    second = await move(pool, network, direct, frozenset())
    assert second == outbox_routes.Moved(moved=2)
    assert {row[1] for row in await pending(pool)} == {network.id}
    assert await queues(pool) == {
        (network.id, "sessions/NL/CPA/S1/"),
        (network.id, "sessions/NL/CPA/S2/"),
    }


async def test_what_the_new_route_cannot_take_as_planned_stays_with_its_queue(
    pool: asyncpg.Pool,
) -> None:
    """Gireve takes no PATCH of a Session: S1's queue (PUT then PATCH) stays whole on the old
    route, so its order holds; S2's PUT moves. Data that came from a network never moves onto
    a network."""
    direct, gireve = await route(pool), await route(pool, "gireve", network=True)
    await enqueue(
        pool, session(direct, "S1"), session(direct, "S1", "PATCH"), session(direct, "S2")
    )

    assert await move(pool, gireve, direct, frozenset()) == outbox_routes.Moved(1, 0, 2)
    assert [row[1] for row in await pending(pool)] == [direct.id, direct.id, gireve.id]

    await enqueue(pool, session(direct, "S4"))
    resold = await move(pool, gireve, direct, frozenset({CPO}))
    assert resold == outbox_routes.Moved(0, 0, 3)
