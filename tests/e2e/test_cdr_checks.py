"""CDR checks and reconciliation end to end (issue 9 §2, §4): a CPO pushes Locations, Tariffs,
Sessions and CDRs through a hub whose checker runs every 0.05 s; the findings are the ones the
records imply, the eMSP receives every CDR as sent, a check never holds a delivery back, and a
missing CDR is found after the grace and closed when it arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ocpi_hub.storage.repositories import findings
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, drained, eventually, registered
from tests.e2e.fakes import Answer, FakeParty

RECEIVER = "/ocpi/2.2.1/receiver"
CHECKS = {"check_interval": 0.05}


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[RunningHub]:
    running = await start_hub(database_url, **CHECKS)
    yield running
    await running.stop()
    await running.pool.close()


async def put(cpo: FakeParty, hub: RunningHub, module: str, obj: dict[str, Any]) -> Answer:
    url = f"{hub.url}{RECEIVER}/{module}/{obj['country_code']}/{obj['party_id']}/{obj['id']}"
    answer = await cpo.call_url("PUT", url, json=obj)
    assert answer.status_code == 1000, answer.body
    return answer


async def post_cdr(cpo: FakeParty, hub: RunningHub, cdr: dict[str, Any]) -> None:
    answer = await cpo.call_url("POST", f"{hub.url}{RECEIVER}/cdrs", json=cdr)
    assert (answer.status, answer.status_code) == (201, 1000), answer.body


async def the_cpos_place(cpo: FakeParty, hub: RunningHub) -> None:
    """NL*CPA's LOC1 (a 22.08 kW EVSE1) and its tariff TARIFF-AC in EUR."""
    await put(cpo, hub, "locations", factories.location(party_id="CPA"))
    await put(cpo, hub, "tariffs", factories.tariff("TARIFF-AC"))


async def open_codes(hub: RunningHub) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in await findings.listing(hub.pool):
        found.setdefault(str(row.subject), []).append(row.code)
    return found


def posted(party: FakeParty) -> list[Any]:
    return [r.body for r in party.pushes("POST", module="cdrs")]


async def test_what_a_cpo_sends_is_checked_and_delivered_as_sent(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A CDR that agrees with everything the hub holds has no finding; one with more energy
    than its EVSE delivers, another currency than its tariff's and a Session the hub never saw
    has those three. Both reach the eMSP exactly as sent."""
    await the_cpos_place(cpo, hub)
    await put(cpo, hub, "sessions", factories.completed_session())
    good = factories.plausible_cdr()
    odd = factories.plausible_cdr(
        "CDR2",
        session_id="SESS2",
        total_energy=30,
        currency="USD",
        start_date_time="2024-03-01T10:00:30Z",
    )
    await post_cdr(cpo, hub, good)
    await post_cdr(cpo, hub, odd)

    expected = {
        "NL*CPA*CDR2": ["ENERGY_ABOVE_MAX_POWER", "CURRENCY_MISMATCH", "CDR_WITHOUT_SESSION"]
    }

    async def found() -> bool:
        return await open_codes(hub) == expected

    await eventually(found, message=f"the findings are {expected}")
    await drained(hub)
    assert posted(emsp) == [good, odd]
    checked = "SELECT count(*) FROM checked_objects WHERE checked_at IS NOT NULL"
    assert await hub.pool.fetchval(checked) == 3, "both CDRs and the Session, once each"
    (row,) = [r for r in await findings.listing(hub.pool) if r.code == "CURRENCY_MISMATCH"]
    assert row.parties == ["NL*CPA", "DE*EMA"]
    assert row.evidence == {"currency": "USD", "tariff_id": "TARIFF-AC", "tariff_currency": "EUR"}


async def test_a_check_never_holds_a_delivery_back(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """With the checker's tables locked against everyone, a CDR is still stored, answered and
    delivered; it is checked once they are free again."""
    await the_cpos_place(cpo, hub)
    cdr = factories.plausible_cdr(total_energy=30)
    locked = await hub.pool.acquire()
    try:
        async with locked.transaction():
            await locked.execute(
                "LOCK TABLE checked_objects, findings, reconciliations IN ACCESS EXCLUSIVE MODE"
            )
            await asyncio.wait_for(post_cdr(cpo, hub, cdr), 10)
            await eventually(lambda: posted(emsp) == [cdr], message="the eMSP has the CDR")
            assert await locked.fetchval("SELECT count(*) FROM findings") == 0
    finally:
        await hub.pool.release(locked)

    async def found() -> bool:
        return await open_codes(hub) == {"NL*CPA*CDR1": ["ENERGY_ABOVE_MAX_POWER"]}

    await eventually(found, message="the CDR is checked once the tables are free")


@pytest.fixture
async def reconciling_hub(database_url: str) -> AsyncIterator[RunningHub]:
    """Reconciliation every 0.1 s, and a grace of under a second (0.72 s)."""
    running = await start_hub(
        database_url, check_interval=0.05, reconcile_interval=0.1, cdr_grace_hours=0.0002
    )
    yield running
    await running.stop()
    await running.pool.close()


async def test_a_missing_cdr_is_found_after_the_grace_and_closed_when_it_arrives(
    reconciling_hub: RunningHub, make_party: MakeParty
) -> None:
    """The completed Session's CDR is found missing; then the CPO sends it, the eMSP has it,
    and the finding is closed."""
    hub = reconciling_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await the_cpos_place(cpo, hub)
    await put(cpo, hub, "sessions", factories.completed_session())

    async def missing() -> bool:
        return await open_codes(hub) == {"NL*CPA*SESS1": ["MISSING_CDR"]}

    await eventually(missing, message="the Session's CDR is found missing")
    await post_cdr(cpo, hub, factories.plausible_cdr())

    async def closed() -> bool:
        rows = await findings.listing(hub.pool, resolved=True)
        return [(r.code, r.resolved_at is not None) for r in rows] == [("MISSING_CDR", True)]

    await eventually(closed, message="the finding is closed once the CDR is there")
    await drained(hub)
    assert posted(emsp) == [factories.plausible_cdr()]
