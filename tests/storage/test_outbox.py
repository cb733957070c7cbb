"""The outbox tables (migration 0006): queues per (receiver, object), claims that cost the same
whatever the history and backlog, history, retention (DESIGN.md decision 4, issue 7 §1)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest

from ocpi_hub.storage.migrate import migrate
from ocpi_hub.storage.repositories import outbox
from ocpi_hub.storage.repositories.outbox import NewDelivery, Outcomes
from tests.conftest import database_before
from tests.e2e.conftest import eventually

LEASE = 60.0


async def platform(pool: asyncpg.Pool) -> int:
    platform_id: int = await pool.fetchval(
        "INSERT INTO platforms (status) VALUES ('REGISTERED') RETURNING id"
    )
    return platform_id


def new(receiver: int, object_key: str, n: int = 0, method: str = "PATCH") -> NewDelivery:
    return NewDelivery(
        receiver_platform_id=receiver,
        to_party=("DE", "EMA"),
        from_party=("XX", "HUB"),
        module="locations",
        interface="RECEIVER",
        method=method,
        path=f"/NL/CPA/{object_key}",
        body=json.dumps({"n": n}),
        correlation_id=f"c{n}",
        object_key=object_key,
    )


async def enqueue(pool: asyncpg.Pool, *deliveries: NewDelivery) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await outbox.enqueue(conn, deliveries)


async def record(pool: asyncpg.Pool, outcomes: Outcomes) -> None:
    async with pool.acquire() as conn:
        await outbox.record(conn, outcomes)


def settled(*keys: tuple[int, str], **lists: Any) -> Outcomes:
    return Outcomes(queues=list(keys), **lists)


async def test_a_claim_takes_each_queue_once_head_first_and_leases_it(pool: asyncpg.Pool) -> None:
    """One claim returns each due (receiver, object) queue with its deliveries in order; while
    leased, a queue is not claimed again (a second process skips it)."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1), new(receiver, "L2", 2), new(receiver, "L1", 3))
    claimed = await outbox.claim(pool, 10, LEASE, take=10, merge_after=0)
    assert sorted(claimed) == [(receiver, "L1"), (receiver, "L2")]
    assert [d.correlation_id for d in claimed[(receiver, "L1")].deliveries] == ["c1", "c3"]
    assert await outbox.claim(pool, 10, LEASE, take=10) == {}


async def test_a_lease_that_ran_out_is_claimed_again(pool: asyncpg.Pool) -> None:
    """A process that died holding a queue (its lease ran out) leaves it to the next claim."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1))
    assert list(await outbox.claim(pool, 10, 0.0)) == [(receiver, "L1")]
    assert list(await outbox.claim(pool, 10, LEASE)) == [(receiver, "L1")]


async def test_delivered_rows_move_to_the_history(pool: asyncpg.Pool) -> None:
    """Recording a success moves the rows (carried ones too) out of the outbox into the history,
    with their attempt and carrier; the emptied queue is gone; the view lists them DELIVERED."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1), new(receiver, "L1", 2))
    claimed = await outbox.claim(pool, 10, LEASE, take=10, merge_after=0)
    first, second = (d.id for d in claimed[(receiver, "L1")].deliveries)
    await record(pool, settled((receiver, "L1"), delivered=[(first, first), (second, first)]))
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox_queues") == 0
    history = await outbox.listing(pool, "DELIVERED")
    assert [(d.id, d.attempts, d.merged_into) for d in history] == [
        (second, 1, first),
        (first, 1, None),
    ]
    assert await outbox.counts(pool) == {"DELIVERED": 2}


async def test_a_queue_is_due_when_its_next_head_is(pool: asyncpg.Pool) -> None:
    """After a success the next delivery of the queue is due at once; after a failure the
    queue waits for the head's retry time."""
    receiver = await platform(pool)
    key = (receiver, "L1")
    await enqueue(pool, new(receiver, "L1", 1), new(receiver, "L1", 2))
    (head,) = (await outbox.claim(pool, 10, LEASE))[key].deliveries
    await record(pool, settled(key, delivered=[(head.id, head.id)]))
    (second,) = (await outbox.claim(pool, 10, LEASE))[key].deliveries
    assert second.correlation_id == "c2"
    await record(pool, settled(key, retried=[(second.id, "HTTP 503", 30.0)]))
    assert await outbox.claim(pool, 10, LEASE) == {}
    due = await pool.fetchval("SELECT next_attempt_at - now() FROM outbox_queues")
    assert due.total_seconds() > 29
    (pending,) = await outbox.listing(pool, "PENDING")
    assert (pending.attempts, pending.last_error) == (1, "HTTP 503")


async def test_a_queue_merges_once_its_head_has_waited(pool: asyncpg.Pool) -> None:
    """A claimed queue is `merging`, with its later deliveries to merge, when its head was made
    at least `merge_after` seconds ago (the receiver is down or far behind); before that the
    claim returns the head alone."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1), new(receiver, "L1", 2))
    fresh = (await outbox.claim(pool, 10, 0.0, take=10, merge_after=3600))[(receiver, "L1")]
    waited = (await outbox.claim(pool, 10, 0.0, take=10, merge_after=0))[(receiver, "L1")]
    assert (fresh.merging, [d.correlation_id for d in fresh.deliveries]) == (False, ["c1"])
    assert (waited.merging, [d.correlation_id for d in waited.deliveries]) == (True, ["c1", "c2"])


async def test_dead_and_replayed_deliveries(pool: asyncpg.Pool) -> None:
    """A dead-lettered head leaves the queue (nothing more pending); a replay queues it again
    with fresh attempts, claimable at once."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1))
    (head,) = (await outbox.claim(pool, 10, LEASE))[(receiver, "L1")].deliveries
    await record(pool, settled((receiver, "L1"), dead=[(head.id, "HTTP 400")]))
    assert await outbox.counts(pool) == {"DEAD": 1}
    assert await pool.fetchval("SELECT count(*) FROM outbox_queues") == 0
    assert await outbox.replay(pool, None) == 1
    (again,) = (await outbox.claim(pool, 10, LEASE))[(receiver, "L1")].deliveries
    assert (again.id, again.attempts, again.status) == (head.id, 0, "PENDING")


async def test_a_resent_patch_becomes_a_put_due_at_once(pool: asyncpg.Pool) -> None:
    """The 404 rule's record: the head turns into the PUT given, due at once."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1))
    (head,) = (await outbox.claim(pool, 10, LEASE))[(receiver, "L1")].deliveries
    resent = [(head.id, "/NL/CPA/L1", '{"id": "L1"}', "HTTP 404")]
    await record(pool, settled((receiver, "L1"), resent=resent))
    (put,) = (await outbox.claim(pool, 10, LEASE))[(receiver, "L1")].deliveries
    assert (put.method, put.path, put.attempts) == ("PUT", "/NL/CPA/L1", 1)
    assert put.body == '{"id": "L1"}'


async def test_work_added_while_a_queue_is_settled_is_never_lost(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """A delivery enqueued (not yet committed) for a queue whose head is being recorded keeps
    its queue: the recorder waits for the enqueue and then sees it (module docstring, Locks)."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1))
    (head,) = (await outbox.claim(pool, 10, LEASE))[(receiver, "L1")].deliveries
    writer = await asyncpg.connect(database_url)
    try:
        transaction = writer.transaction()
        await transaction.start()
        await outbox.enqueue(writer, [new(receiver, "L1", 2)])
        recording = asyncio.create_task(
            record(pool, settled((receiver, "L1"), delivered=[(head.id, head.id)]))
        )
        await eventually(lambda: waiting_for_a_lock(pool), message="the recorder waits")
        assert not recording.done()
        await transaction.commit()
        await recording
    finally:
        await writer.close()
    queue = (await outbox.claim(pool, 10, LEASE))[(receiver, "L1")]
    assert [d.correlation_id for d in queue.deliveries] == ["c2"]


async def test_claim_reads_only_due_queues_whatever_history_and_backlog(
    pool: asyncpg.Pool,
) -> None:
    """The claim's plan touches neither the history nor a down receiver's backlog: with 20,000
    delivered rows and 5,000 queued changes waiting for a retry, a claim of 16 reads 16 queue
    rows and their deliveries (EXPLAIN ANALYZE, not a timing)."""
    down, up = await platform(pool), await platform(pool)
    await pool.execute(
        "INSERT INTO deliveries_delivered SELECT g, $1, 'DE', 'EMA', 'XX', 'HUB', 'locations',"
        " 'RECEIVER', 'PATCH', '/x', '{}', 'c', 'L' || g, 1, now(), now(), NULL, NULL"
        " FROM generate_series(1000000, 1019999) g",
        up,
    )
    await enqueue(pool, *(new(down, f"D{n}", n) for n in range(5000)))
    await pool.execute("UPDATE outbox_queues SET next_attempt_at = now() + interval '1 hour'")
    await enqueue(pool, *(new(up, f"U{n}", n) for n in range(100)))
    await pool.execute("ANALYZE")
    plan = await pool.fetchval(
        "EXPLAIN (ANALYZE, FORMAT JSON) WITH due AS (SELECT receiver_platform_id, object_key"
        " FROM outbox_queues WHERE next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 16"
        " FOR UPDATE SKIP LOCKED) SELECT * FROM due"
    )
    nodes = list(_nodes(json.loads(plan)[0]["Plan"]))
    scans = [n for n in nodes if "Relation Name" in n]
    assert {n["Relation Name"] for n in scans} == {"outbox_queues"}
    assert all(n["Actual Rows"] <= 16 and not n.get("Rows Removed by Filter") for n in scans)
    claimed = await outbox.claim(pool, 16, LEASE, take=100)
    assert len(claimed) == 16 and {receiver for receiver, _ in claimed} == {up}


async def waiting_for_a_lock(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"))


def _nodes(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


async def test_prune_deletes_old_history_only_in_batches(pool: asyncpg.Pool) -> None:
    """Retention: history older than the cut is deleted `batch` rows at a time; newer history
    and the outbox are left alone."""
    receiver = await platform(pool)
    await pool.execute(
        "INSERT INTO deliveries_delivered SELECT g, $1, 'DE', 'EMA', 'XX', 'HUB', 'locations',"
        " 'RECEIVER', 'PUT', '/x', '{}', 'c', 'L', 1, now(),"
        " now() - make_interval(days => CASE WHEN g <= 5 THEN 8 ELSE 1 END), NULL, NULL"
        " FROM generate_series(1, 8) g",
        receiver,
    )
    await enqueue(pool, new(receiver, "L1", 1))
    week = 7 * 86400.0
    assert [await outbox.prune_delivered(pool, week, batch=2) for _ in range(4)] == [2, 2, 1, 0]
    assert await outbox.counts(pool) == {"DELIVERED": 3, "PENDING": 1}


async def test_0006_moves_history_out_and_queues_pending_work(pg_server: str) -> None:
    """On a database of 0005, 0006 moves DELIVERED rows to the history, keeps PENDING and DEAD
    ones, and gives every (receiver, object) with PENDING work its queue, due at its head's
    time."""
    async with database_before(pg_server, 6) as conn:
        receiver = await conn.fetchval(
            "INSERT INTO platforms (status) VALUES ('REGISTERED') RETURNING id"
        )
        for key, status, attempts in [
            ("L1", "DELIVERED", 1),
            ("L1", "PENDING", 2),
            ("L1", "PENDING", 0),
            ("L2", "DEAD", 12),
        ]:
            await conn.execute(
                "INSERT INTO deliveries (receiver_platform_id, to_country_code, to_party_id,"
                " from_country_code, from_party_id, module, interface, method, path, body,"
                " correlation_id, object_key, status, attempts, delivered_at)"
                " VALUES ($1, 'DE', 'EMA', 'XX', 'HUB', 'locations', 'RECEIVER', 'PUT', '/x',"
                " '{}', 'c', $2, $3, $4, CASE WHEN $3 = 'DELIVERED' THEN now() END)",
                receiver,
                key,
                status,
                attempts,
            )
        assert "0006_outbox_queues.sql" in await migrate(conn)
        assert await outbox.counts(conn) == {"DELIVERED": 1, "PENDING": 2, "DEAD": 1}
        queues = await conn.fetch("SELECT object_key FROM outbox_queues")
        assert [q["object_key"] for q in queues] == ["L1"]
        claimed = await outbox.claim(conn, 10, LEASE, take=10, merge_after=0)
        assert [d.attempts for d in claimed[(receiver, "L1")].deliveries] == [2, 0]


@pytest.mark.parametrize("status", ["PENDING", "DELIVERED", "DEAD"])
async def test_listing_by_status_reads_where_the_rows_live(pool: asyncpg.Pool, status: str) -> None:
    """`outbox list --status` finds each state: PENDING and DEAD in the outbox, DELIVERED in
    the history."""
    receiver = await platform(pool)
    await enqueue(pool, new(receiver, "L1", 1), new(receiver, "L2", 2), new(receiver, "L3", 3))
    claimed = await outbox.claim(pool, 10, LEASE)
    first, second = (claimed[(receiver, k)].deliveries[0].id for k in ("L1", "L2"))
    keys = [(receiver, k) for k in ("L1", "L2")]
    await record(pool, settled(*keys, delivered=[(first, first)], dead=[(second, "HTTP 400")]))
    listed = await outbox.listing(pool, status)
    expected = {"DELIVERED": ["L1"], "DEAD": ["L2"], "PENDING": ["L3"]}
    assert [d.object_key for d in listed] == expected[status]


async def test_claims_and_records_read_a_grown_outbox_by_its_batch_not_its_size(
    database_url: str,
) -> None:
    """Statements first prepared while the outbox was nearly empty still read only the rows
    of their batch once a backlog has grown it to 20,000 (plans made afresh each time: module
    docstring, Plans); a plan kept from the empty table reads every pending row on each claim
    and record."""
    conn = await asyncpg.connect(database_url)
    try:
        receiver = await conn.fetchval(
            "INSERT INTO platforms (status) VALUES ('REGISTERED') RETURNING id"
        )
        for n in range(8):  # past the plan cache's five custom plans, with a tiny table
            async with conn.transaction():
                await outbox.enqueue(conn, [new(receiver, f"W{n}", n)])
            claimed = await outbox.claim(conn, 10, LEASE, take=10, merge_after=0)
            head = claimed[(receiver, f"W{n}")].deliveries[0]
            await outbox.record(conn, settled((receiver, f"W{n}"), delivered=[(head.id, head.id)]))
        async with conn.transaction():
            await outbox.enqueue(conn, [new(receiver, f"L{n}", n) for n in range(20000)])
        before = await _outbox_rows_read(conn)
        claimed = await outbox.claim(conn, 64, LEASE, take=10, merge_after=0)
        heads = [(q.deliveries[0].id, q.deliveries[0].id) for q in claimed.values()]
        await outbox.record(conn, settled(*claimed, delivered=heads))
        assert len(heads) == 64
        assert await _outbox_rows_read(conn) - before < 1000
    finally:
        await conn.close()


async def _outbox_rows_read(conn: asyncpg.Connection) -> int:
    """Rows of `outbox` read so far by scans of any kind (this backend's counts flushed)."""
    await conn.execute("SELECT pg_stat_force_next_flush()")
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    read: int = await conn.fetchval(
        "SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables"
        " WHERE relname = 'outbox'"
    )
    return read
