"""What a request costs before its handler, and that the caching behind it never serves a stale
token (issue 7 §2). Costs are shown as behaviour, never timed: a request that needs no statement
on a table is answered while that table is locked against every reader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, registered, to_headers
from tests.e2e.fakes import FakeParty

CREDENTIALS = "/ocpi/2.2.1/credentials"
DETAILS = "/ocpi/2.2.1"
LOCATIONS = "/ocpi/2.2.1/sender/locations"


@pytest.fixture
async def second_hub(database_url: str) -> AsyncIterator[RunningHub]:
    """Another hub process on the same database as `hub`."""
    running = await start_hub(database_url)
    yield running
    await running.stop()
    await running.pool.close()


async def status(hub: RunningHub, party: FakeParty, path: str, token: str | None = None) -> int:
    answer = await party.call_url("GET", hub.url + path, token=token)
    return answer.status


async def test_a_request_runs_no_statement_on_platforms_before_its_handler(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """Authentication, the caller's liveness bookkeeping and the audience of a push come from
    memory: with the platform tables locked, a registered party is still authenticated, reads
    a page and pushes a Location that is queued for the eMSP (§2: one statement or none). (An
    unknown token is looked up in the database: it may be one issued a moment ago.)"""
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    for party in (cpo, emsp):
        assert await status(hub, party, DETAILS) == 200  # warm: last_seen written once
    locked = await hub.pool.acquire()
    try:
        async with locked.transaction():
            await locked.execute("LOCK TABLE platforms, parties IN ACCESS EXCLUSIVE MODE")
            assert await asyncio.wait_for(status(hub, cpo, DETAILS), 10) == 200
            assert await asyncio.wait_for(status(hub, emsp, LOCATIONS), 10) == 200
        async with locked.transaction():
            # Not platforms: queueing a delivery checks its foreign key to the receiver's row.
            await locked.execute("LOCK TABLE parties IN ACCESS EXCLUSIVE MODE")
            url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
            body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
            pushed = await asyncio.wait_for(cpo.call_url("PUT", url, json=body), 10)
            assert pushed.status == 201, pushed.body
            queued = await locked.fetch("SELECT to_party_id FROM deliveries")
            assert [r["to_party_id"] for r in queued] == ["EMA"]
    finally:
        await hub.pool.release(locked)


async def test_a_rotated_token_is_refused_at_once_by_every_hub_process(
    hub: RunningHub, second_hub: RunningHub, make_party: MakeParty
) -> None:
    """A party rotates its credentials at one hub process: as soon as it has the answer, the
    old token is refused and the new one accepted by the other process too; after DELETE at
    the other process, the first refuses it (§2, checklist §3.2)."""
    party = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    old = party.token_for_hub
    for running in (hub, second_hub):
        assert await status(running, party, DETAILS) == 200  # both hold it in memory
    token_b = party.issue_token_a()
    rotated = await party.call_url("PUT", hub.url + CREDENTIALS, json=party.credentials(token_b))
    assert rotated.status_code == 1000, rotated.body
    new = rotated.data["token"]
    assert await status(second_hub, party, DETAILS, token=old) == 401
    assert await status(second_hub, party, DETAILS, token=new) == 200
    deleted = await party.call_url("DELETE", second_hub.url + CREDENTIALS, token=new)
    assert deleted.status_code == 1000, deleted.body
    assert await status(hub, party, DETAILS, token=new) == 401


async def test_a_party_registered_through_one_process_is_routed_by_another(
    hub: RunningHub, second_hub: RunningHub, make_party: MakeParty
) -> None:
    """A platform registered at one process is known to another at once: it authenticates
    there, is found as a receiver, and is queued the pushes made there (§2: platforms cached
    and invalidated on change, across processes)."""
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    assert await status(second_hub, cpo, DETAILS) == 200  # loaded before the eMSP exists
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    url = f"{second_hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    pushed = await cpo.call_url("PUT", url, json=body)
    assert pushed.status == 201, pushed.body
    queued = await hub.pool.fetch("SELECT to_party_id FROM deliveries WHERE module = 'locations'")
    assert [r["to_party_id"] for r in queued] == ["EMA"]
    relayed = await cpo.call_url(
        "GET", second_hub.url + "/ocpi/2.2.1/sender/locations", headers=to_headers(emsp)
    )
    assert relayed.status == 200, relayed.body
