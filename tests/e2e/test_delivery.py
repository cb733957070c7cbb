"""Durable delivery of broadcast pushes through the outbox (DESIGN.md decision 4, issue §6)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ocpi_hub.storage.repositories import outbox
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
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
    assert await statuses(hub) == {"DELIVERED": 4}


async def test_retry_after_is_honoured(hub: RunningHub, cpo: FakeParty, emsp: FakeParty) -> None:
    """A 429 with Retry-After: 30 keeps the delivery pending for at least 30 s (RFC 9110)."""
    emsp.fail_next(1, status=429, retry_after="30")
    before = datetime.now(UTC)
    await put_location(hub, cpo, "LOC1")
    await eventually(lambda: len(emsp.refused) == 1)

    await eventually_async(hub, lambda counts: counts == {"PENDING": 1})
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
