"""Durable delivery of broadcast pushes through the outbox (DESIGN.md decision 4, issue §6)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from ocpi_hub.storage.repositories import outbox, platforms
from ocpi_hub.storage.repositories.outbox import NewDelivery
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, eventually, registered
from tests.e2e.fakes import Answer, FakeParty


def receiver_url(hub: RunningHub, *path: str) -> str:
    return f"{hub.url}/ocpi/2.2.1/receiver/locations/" + "/".join(path)


async def put_location(
    hub: RunningHub, cpo: FakeParty, location_id: str, **fields: object
) -> Answer:
    body = factories.location(country_code="NL", party_id="CPA", id=location_id, **fields)
    answer = await cpo.call_url("PUT", receiver_url(hub, "NL", "CPA", location_id), json=body)
    assert answer.status_code == 1000, answer.body
    return answer


async def statuses(hub: RunningHub) -> dict[str, int]:
    return await outbox.counts(hub.pool)


async def test_emsp_answering_503_receives_the_push_later_in_order(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """An eMSP down with 503 gets the PUT and then the PATCH, in that order, once it is back;
    the other eMSP is not held up by it."""
    emsp.fail_next(3, status=503)
    await put_location(hub, cpo, "LOC1")
    patch = {"name": "Renamed", "last_updated": "2024-02-01T00:00:00Z"}
    answer = await cpo.call_url("PATCH", receiver_url(hub, "NL", "CPA", "LOC1"), json=patch)
    assert answer.status_code == 1000
    await eventually(lambda: len(emsp2.pushes()) == 2)
    await eventually(lambda: len(emsp.pushes()) == 2)
    assert [r.method for r in emsp.pushes()] == ["PUT", "PATCH"]
    assert len(emsp.refused) == 3
    assert [r.method for r in emsp.refused] == ["PUT"] * 3
    await eventually_async(hub, lambda counts: counts == {"DELIVERED": 4})  # recorded in batches


async def test_retry_after_is_honoured(hub: RunningHub, cpo: FakeParty, emsp: FakeParty) -> None:
    """A 429 with Retry-After: 30 keeps the delivery pending for at least 30 s (RFC 9110)."""
    emsp.fail_next(1, status=429, retry_after="30")
    before = datetime.now(UTC)
    await put_location(hub, cpo, "LOC1")
    await eventually(lambda: len(emsp.refused) == 1)

    await eventually_async(hub, lambda counts: counts == {"PENDING": 1})
    # The refusal reaches the fake before the hub records it (outcomes are written in batches).
    await eventually(lambda: attempted(hub, "PENDING"), message="the attempt recorded")
    deliveries = await outbox.listing(hub.pool, "PENDING")
    assert deliveries[0].attempts == 1
    assert deliveries[0].next_attempt_at >= before + timedelta(seconds=29)
    assert "HTTP 429" in (deliveries[0].last_error or "")
    assert emsp.pushes() == []


async def test_dead_letter_after_last_attempt_then_replay(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """After push_max_attempts failures a delivery is DEAD; a replay delivers it."""
    attempts = hub.settings.push_max_attempts
    emsp.fail_next(attempts, status=500)
    await put_location(hub, cpo, "LOC1")
    await eventually(lambda: len(emsp.refused) == attempts)
    await eventually_async(hub, lambda counts: counts == {"DEAD": 1})
    dead = await outbox.listing(hub.pool, "DEAD")
    assert dead[0].attempts == attempts and "HTTP 500" in (dead[0].last_error or "")
    assert await outbox.replay(hub.pool, None) == 1
    await eventually(lambda: len(emsp.pushes()) == 1)
    await eventually_async(hub, lambda counts: counts == {"DELIVERED": 1})


async def test_receiver_refusing_the_content_is_dead_at_once(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """An OCPI 2xxx answer is the receiver refusing the object: no retry, dead-lettered."""
    emsp.fail_next(1, status=200, status_code=2001)
    await put_location(hub, cpo, "LOC1")
    await eventually_async(hub, lambda counts: counts == {"DEAD": 1})
    assert len(emsp.refused) == 1
    dead = await outbox.listing(hub.pool, "DEAD")
    assert dead[0].attempts == 1 and "status_code 2001" in (dead[0].last_error or "")


async def test_the_worker_listens_again_after_losing_its_connection(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """The backend LISTENing for new deliveries is terminated (as an outage or a failover
    would): the worker opens another and LISTENs there, instead of polling from then on; pushes
    are delivered throughout."""
    listening = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        f" AND query = 'LISTEN \"{outbox.CHANNEL}\"'"
    )
    await eventually(lambda: hub.pool.fetchval(listening), message="the worker listens")
    first = await hub.pool.fetchval(listening)
    await hub.pool.execute("SELECT pg_terminate_backend($1)", first)

    async def listening_again() -> bool:
        return await hub.pool.fetchval(listening) not in (None, first)

    await eventually(listening_again, message="the worker listens on a new connection")
    await put_location(hub, cpo, "LOC1")
    await eventually(lambda: len(emsp.pushes()) == 1)


async def test_offline_emsp_receives_pushes_when_back(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Connection refused is retried like any outage; nothing is lost while the eMSP is away."""
    await emsp.go_offline()
    for n in range(5):
        await put_location(hub, cpo, f"LOC{n}")
    await eventually_async(hub, lambda counts: counts.get("PENDING") == 5)
    await emsp.come_back()
    await eventually(lambda: len(emsp.pushes()) == 5, timeout=15)
    assert sorted(r.path.rsplit("/", 1)[1] for r in emsp.pushes()) == [f"LOC{n}" for n in range(5)]


async def test_unregistered_emsp_gets_nothing_more(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """After an eMSP deletes its credentials, its pending deliveries are dead-lettered."""
    await emsp.go_offline()
    await put_location(hub, cpo, "LOC1")
    await eventually_async(hub, lambda counts: counts.get("PENDING") == 1)
    # The eMSP's server is down but it can still call the hub as a client.
    answer = await emsp.call_url("DELETE", f"{hub.url}/ocpi/2.2.1/credentials")
    assert answer.status_code == 1000
    await emsp.come_back()
    await eventually_async(hub, lambda counts: counts == {"DEAD": 1}, timeout=15)
    dead = await outbox.listing(hub.pool, "DEAD")
    assert dead[0].last_error == "receiver no longer connected"
    assert emsp.pushes() == []


async def attempted(hub: RunningHub, status: str) -> bool:
    """Whether an attempt of the newest delivery in `status` is recorded."""
    found = await outbox.listing(hub.pool, status)
    return bool(found) and found[0].attempts > 0


async def eventually_async(
    hub: RunningHub, check: Callable[[dict[str, int]], bool], timeout: float = 10.0
) -> None:
    """Poll the outbox counts until `check(counts)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        counts = await statuses(hub)
        if check(counts):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox counts never matched: {counts}")
        await asyncio.sleep(0.02)


async def test_changes_queued_while_down_are_merged(
    database_url: str, make_party: MakeParty
) -> None:
    """A Location PUT and three PATCHes of it, queued while the eMSP is unreachable, reach it
    as one PUT of the final Location once it is back (here every waiting delivery merges:
    push_merge_after 0); all four are recorded delivered, the three carried ones naming the
    delivery that carried them (issue 7 §1, core.delivery)."""
    hub = await start_hub(database_url, push_merge_after=0.0, push_max_attempts=100)
    try:
        cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
        emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
        await emsp.go_offline()
        await put_location(hub, cpo, "LOC1")
        for n in range(3):
            patch = {"name": f"Name {n}", "last_updated": f"2024-02-0{n + 1}T00:00:00Z"}
            url = receiver_url(hub, "NL", "CPA", "LOC1")
            assert (await cpo.call_url("PATCH", url, json=patch)).status_code == 1000
        # Two more failed attempts: the second was claimed after all four were queued, so
        # whatever is sent once the eMSP is back carries them all.
        queued = await head_attempts(hub)
        await eventually(
            lambda: head_attempted(hub, queued + 2), timeout=15, message="two more attempts"
        )
        await emsp.come_back()
        await eventually_async(hub, lambda counts: counts == {"DELIVERED": 4}, timeout=15)
        (put,) = emsp.pushes()
        stored = await emsp.call_url("GET", f"{hub.url}/ocpi/2.2.1/sender/locations/LOC1")
        history = sorted(await outbox.listing(hub.pool, "DELIVERED"), key=lambda d: d.id)
    finally:
        await hub.stop()
        await hub.pool.close()
    assert (put.method, put.path) == ("PUT", "/ocpi/2.2.1/locations/NL/CPA/LOC1")
    assert put.body == stored.data
    assert (put.body["name"], put.body["last_updated"]) == ("Name 2", "2024-02-03T00:00:00Z")
    assert [d.merged_into for d in history] == [None] + [history[0].id] * 3


async def head_attempts(hub: RunningHub) -> int:
    """Attempts recorded for the oldest pending delivery."""
    pending = await outbox.listing(hub.pool, "PENDING")
    return pending[-1].attempts


async def head_attempted(hub: RunningHub, times: int) -> bool:
    return await head_attempts(hub) >= times


async def test_a_receiver_that_keeps_up_gets_every_change(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Below push_merge_after (60 s by default) nothing is merged, even when changes queue up
    behind a failing attempt: the eMSP gets the PUT and each PATCH as they were made."""
    emsp.fail_next(2, status=503)
    await put_location(hub, cpo, "LOC1")
    for n in range(3):
        patch = {"name": f"Name {n}", "last_updated": f"2024-02-0{n + 1}T00:00:00Z"}
        url = receiver_url(hub, "NL", "CPA", "LOC1")
        assert (await cpo.call_url("PATCH", url, json=patch)).status_code == 1000
    await eventually_async(hub, lambda counts: counts == {"DELIVERED": 4})
    assert [r.method for r in emsp.pushes()] == ["PUT", "PATCH", "PATCH", "PATCH"]
    assert [r.body["name"] for r in emsp.pushes("PATCH")] == ["Name 0", "Name 1", "Name 2"]


async def test_a_receiver_that_missed_the_put_is_sent_the_whole_object(
    hub: RunningHub, cpo: FakeParty, make_party: MakeParty
) -> None:
    """An eMSP that answers an EVSE PATCH with 404/2003 — it connected after the Location was
    PUT, so it lacks it — is sent a PUT of the Location as the hub stores it, instead of a dead
    letter (issue 7 §1)."""
    await put_location(hub, cpo, "LOC1")  # no eMSP is connected yet: nobody receives it
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    emsp.handlers["locations"] = lambda request, body: lacking_unless_put(emsp, request)
    patch = {"status": "CHARGING", "last_updated": "2024-02-01T00:00:00Z"}
    answer = await cpo.call_url(
        "PATCH", receiver_url(hub, "NL", "CPA", "LOC1", "EVSE1"), json=patch
    )
    assert answer.status_code == 1000
    await eventually_async(hub, lambda counts: counts == {"DELIVERED": 1})
    sent = [(r.method, r.path.rsplit("/locations", 1)[1]) for r in emsp.pushes()]
    assert sent == [("PATCH", "/NL/CPA/LOC1/EVSE1"), ("PUT", "/NL/CPA/LOC1")]
    put = emsp.pushes()[1]
    stored = await emsp.call_url("GET", f"{hub.url}/ocpi/2.2.1/sender/locations/LOC1")
    assert put.body == stored.data and put.body["evses"][0]["status"] == "CHARGING"
    assert put.routing("from") == ("XX", "HUB") and put.routing("to") == emsp.key
    (delivered,) = await outbox.listing(hub.pool, "DELIVERED")
    assert (delivered.method, delivered.attempts) == ("PUT", 2)


async def test_a_patch_of_an_object_the_hub_does_not_hold_is_dead_on_404(
    hub: RunningHub, emsp: FakeParty
) -> None:
    """The 404 rule needs the stored object: with none to send, the PATCH is dead-lettered
    as before, saying why."""
    emsp.handlers["locations"] = lambda request, body: lacking_unless_put(emsp, request)
    (receiver,) = await platforms.platforms_of_party(hub.pool, *emsp.key)
    delivery = NewDelivery(
        receiver_platform_id=receiver.id,
        to_party=emsp.key,
        from_party=("XX", "HUB"),
        module="locations",
        interface="RECEIVER",
        method="PATCH",
        path="/NL/CPA/GONE",
        body='{"name": "x", "last_updated": "2024-02-01T00:00:00Z"}',
        correlation_id="c-gone",
        object_key="locations/NL/CPA/GONE/",
    )
    async with hub.pool.acquire() as conn, conn.transaction():
        await outbox.enqueue(conn, [delivery])
    await eventually_async(hub, lambda counts: counts == {"DEAD": 1})
    (dead,) = await outbox.listing(hub.pool, "DEAD")
    assert dead.last_error == "HTTP 404, status_code 2003; the hub holds no copy to send"


async def test_two_workers_keep_each_objects_changes_in_order_once(
    hub: RunningHub, database_url: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """With a second hub (a second outbox worker) on the database, every status change of each
    EVSE reaches the eMSP exactly once, in the order the CPO made it (DESIGN.md decision 4)."""
    second = await start_hub(database_url)
    try:
        for n in range(4):
            await put_location(hub, cpo, f"LOC{n}")
        made: dict[str, list[str]] = {f"LOC{n}": [] for n in range(4)}
        for minute in range(10):
            for location in made:
                at = f"2024-02-01T00:{minute:02d}:00Z"
                made[location].append(at)
                patch = {"status": "CHARGING" if minute % 2 else "AVAILABLE", "last_updated": at}
                url = receiver_url(hub, "NL", "CPA", location, "EVSE1")
                assert (await cpo.call_url("PATCH", url, json=patch)).status_code == 1000
        await eventually_async(hub, lambda counts: counts == {"DELIVERED": 44}, timeout=20)
    finally:
        await second.stop()
        await second.pool.close()
    for location, sent in made.items():
        received = [
            r.body["last_updated"] for r in emsp.pushes("PATCH") if f"/{location}/" in r.path
        ]
        assert received == sent, location


async def lacking_unless_put(party: FakeParty, request: web.Request) -> web.Response:
    """A receiver that holds only what it was PUT: a PATCH of anything else is 404/2003."""

    def location(path: str) -> tuple[str, ...]:
        return tuple(path.split("/locations/", 1)[1].split("/")[:3])

    if request.method == "PATCH" and location(request.path) not in {
        location(r.path) for r in party.pushes("PUT")
    }:
        return party.reply(request, None, status=404, code=2003)
    return party.reply(request, None)


async def test_serve_prunes_history_older_than_the_retention(database_url: str) -> None:
    """A hub prunes delivered history older than OCPI_HUB_DELIVERED_RETENTION_DAYS when it
    starts (then every few minutes); newer history stays."""
    running = await start_hub(database_url, delivered_retention_days=1.0)
    try:
        await running.pool.execute(
            "INSERT INTO deliveries_delivered SELECT g, 1, 'DE', 'EMA', 'XX', 'HUB', 'locations',"
            " 'RECEIVER', 'PUT', '/x', '{}', 'c', 'L', 1, now(),"
            " now() - make_interval(hours => CASE WHEN g <= 3 THEN 25 ELSE 23 END), NULL, NULL"
            " FROM generate_series(1, 5) g"
        )
    finally:
        await running.stop()
        await running.pool.close()
    restarted = await start_hub(database_url, delivered_retention_days=1.0)
    try:
        await eventually_async(restarted, lambda counts: counts == {"DELIVERED": 2})
        kept = await restarted.pool.fetch("SELECT id FROM deliveries_delivered ORDER BY id")
    finally:
        await restarted.stop()
        await restarted.pool.close()
    assert [r["id"] for r in kept] == [4, 5]
