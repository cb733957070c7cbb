"""Proxied response_urls in PostgreSQL: state changes race safely, TIMEOUT exactly once.

Spec: checklist §4.6 (CommandResult after CommandResponse.timeout), §4.7, §7.14 (hub proxying of
response_url); DESIGN.md decision 4 (several hub processes share one database).
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest

from ocpi_hub.core.parties import ModuleID, Party, Role
from ocpi_hub.storage.repositories import platforms, results
from ocpi_hub.storage.repositories.results import ProxiedRequest, State
from ocpi_hub.web.modules.commands import TIMEOUT_RESULT
from ocpi_hub.web.results import sweep
from tests.conftest import hub_settings

EMSP = ("DE", "EMA")
CPO = ("NL", "CPA")
_ids = itertools.count()


@pytest.fixture
async def platform_ids(pool: asyncpg.Pool) -> tuple[int, int]:
    """(eMSP platform id, CPO platform id)."""
    async with pool.acquire() as conn:
        emsp = await platforms.invite(
            conn, token="a-emsp", name="EMA", party=Party.of(*EMSP, Role.EMSP)
        )
        cpo = await platforms.invite(
            conn, token="a-cpo", name="CPA", party=Party.of(*CPO, Role.CPO)
        )
    return emsp.id, cpo.id


def proxied(
    platform_ids: tuple[int, int],
    *,
    kind: str = "START_SESSION",
    reservation_id: str | None = None,
    expires_at: datetime | None = None,
) -> ProxiedRequest:
    return ProxiedRequest(
        id=f"r{next(_ids)}",
        module=ModuleID.COMMANDS.value,
        kind=kind,
        requester_platform_id=platform_ids[0],
        requester=EMSP,
        response_url="https://emsp.example/cb/1",
        receiver_platform_id=platform_ids[1],
        receiver=CPO,
        correlation_id="corr-1",
        reservation_id=reservation_id,
        expires_at=expires_at,
    )


async def accepted(pool: asyncpg.Pool, request: ProxiedRequest, wait: float) -> None:
    await results.insert(pool, request, 30)
    assert await results.answered(pool, request.id, "ACCEPTED", wait)


async def state_of(pool: asyncpg.Pool, request_id: str) -> State:
    found = await results.get(pool, request_id)
    assert found is not None
    return found.state


async def test_concurrent_sweepers_time_each_request_out_once(
    pool: asyncpg.Pool, platform_ids: tuple[int, int], database_url: str
) -> None:
    """Four sweepers at once on one database queue one TIMEOUT per overdue command (§4.6)."""
    overdue = [proxied(platform_ids) for _ in range(30)]
    for request in overdue:
        await accepted(pool, request, 0)
    waiting = proxied(platform_ids)
    await accepted(pool, waiting, 60)
    settings = hub_settings(database_url, 8080)

    swept = await asyncio.gather(
        *(sweep(pool, settings, ModuleID.COMMANDS, TIMEOUT_RESULT) for _ in range(4))
    )

    assert sum(swept) == 30
    rows = await pool.fetch("SELECT url, body, object_key, from_country_code FROM deliveries")
    assert sorted(r["object_key"] for r in rows) == sorted(f"commands/{r.id}" for r in overdue)
    assert {r["url"] for r in rows} == {"https://emsp.example/cb/1"}
    assert {orjson.loads(r["body"])["result"] for r in rows} == {"TIMEOUT"}
    assert {r["from_country_code"] for r in rows} == {"XX"}, "the hub made the TIMEOUT up"
    assert {await state_of(pool, r.id) for r in overdue} == {State.TIMED_OUT}
    assert await state_of(pool, waiting.id) == State.ACCEPTED
    assert await sweep(pool, settings, ModuleID.COMMANDS, TIMEOUT_RESULT) == 0


async def test_result_after_timeout_is_refused(
    pool: asyncpg.Pool, platform_ids: tuple[int, int], database_url: str
) -> None:
    """Once TIMEOUT was reported, the CPO's late result finds the request closed (§4.6)."""
    request = proxied(platform_ids)
    await accepted(pool, request, 0)
    await sweep(pool, hub_settings(database_url, 8080), ModuleID.COMMANDS, TIMEOUT_RESULT)

    assert await results.take_result(pool, request.id) is None


async def test_result_before_the_timeout_stops_the_sweeper(
    pool: asyncpg.Pool, platform_ids: tuple[int, int], database_url: str
) -> None:
    """A result taken first closes the request: no TIMEOUT follows (§4.6)."""
    request = proxied(platform_ids)
    await accepted(pool, request, 0)

    taken = await results.take_result(pool, request.id)
    swept = await sweep(pool, hub_settings(database_url, 8080), ModuleID.COMMANDS, TIMEOUT_RESULT)

    assert taken is not None and swept == 0
    assert await state_of(pool, request.id) == State.CLOSED
    assert await results.take_result(pool, request.id) is None, "one result, then closed"


async def test_early_result_wins_over_the_synchronous_answer(
    pool: asyncpg.Pool, platform_ids: tuple[int, int]
) -> None:
    """A result posted before the CPO's CommandResponse is back is taken; the late ACCEPTED
    answer then changes nothing, so no deadline (and no TIMEOUT) follows (§4.6)."""
    request = proxied(platform_ids)
    await results.insert(pool, request, 30)

    assert await results.take_result(pool, request.id) is not None
    assert not await results.answered(pool, request.id, "ACCEPTED", 0)
    assert await state_of(pool, request.id) == State.CLOSED


async def test_not_accepted_answer_closes_the_request(
    pool: asyncpg.Pool, platform_ids: tuple[int, int]
) -> None:
    """REJECTED (or any answer but ACCEPTED) means no result will come: closed (§4.6)."""
    request = proxied(platform_ids)
    await results.insert(pool, request, 30)

    assert await results.answered(pool, request.id, "REJECTED", None)

    assert await state_of(pool, request.id) == State.CLOSED
    assert await results.take_result(pool, request.id) is None


async def test_reservation_stays_open_until_it_expires(
    pool: asyncpg.Pool, platform_ids: tuple[int, int]
) -> None:
    """An accepted RESERVE_NOW keeps its URL for the CPO's CANCELED_RESERVATION until
    expiry_date (§4.6 "CPO-initiated cancellation"); an expired one closes with the result."""
    ahead = datetime.now(UTC) + timedelta(hours=1)
    live = proxied(platform_ids, kind="RESERVE_NOW", reservation_id="r-1", expires_at=ahead)
    past = proxied(platform_ids, kind="RESERVE_NOW", reservation_id="r-2")
    for request in (live, past):
        await accepted(pool, request, 60)

    first = await results.take_result(pool, live.id, ahead)
    cancelled = await results.take_result(pool, live.id, None)
    expired = await results.take_result(pool, past.id, datetime.now(UTC) - timedelta(seconds=1))

    assert first is not None and first.state == State.ANSWERED
    assert cancelled is not None and cancelled.state == State.CLOSED
    assert expired is not None and expired.state == State.CLOSED


async def test_cancel_reservation_finds_the_latest_reserve_now_of_that_emsp(
    pool: asyncpg.Pool, platform_ids: tuple[int, int]
) -> None:
    """CANCEL_RESERVATION open routing: the CPO of this eMSP's RESERVE_NOW with that id,
    compared case-insensitively; another eMSP's reservation ids are not its (§4.6)."""
    await results.insert(
        pool, proxied(platform_ids, kind="RESERVE_NOW", reservation_id="Res-7"), 30
    )

    assert await results.reservation_receiver(pool, EMSP, "RES-7") == CPO
    assert await results.reservation_receiver(pool, ("FR", "EMB"), "RES-7") is None
    assert await results.reservation_receiver(pool, EMSP, "RES-8") is None


async def test_profile_senders_are_kept_per_cpo_and_session(pool: asyncpg.Pool) -> None:
    """Who set a profile is remembered per (CPO, session), once per party (§4.7)."""
    await results.remember_profile_sender(pool, CPO, "s1", EMSP)
    await results.remember_profile_sender(pool, CPO, "S1", EMSP)
    await results.remember_profile_sender(pool, CPO, "S1", ("FR", "SCS"))
    await results.remember_profile_sender(pool, ("NL", "CPB"), "S1", ("BE", "EMC"))

    assert await results.profile_senders(pool, CPO, "s1") == [EMSP, ("FR", "SCS")]
    assert await results.profile_senders(pool, CPO, "S2") == []


async def test_purge_forgets_only_what_is_closed_and_old(
    pool: asyncpg.Pool, platform_ids: tuple[int, int]
) -> None:
    """Retention: closed requests and old profile senders go; open requests stay."""
    closed, open_ = proxied(platform_ids), proxied(platform_ids)
    await results.insert(pool, closed, 30)
    await results.insert(pool, open_, 30)
    await results.close(pool, closed.id)
    await results.remember_profile_sender(pool, CPO, "S1", EMSP)
    await pool.execute("UPDATE response_urls SET updated_at = now() - interval '2 days'")
    await pool.execute("UPDATE charging_profile_senders SET updated_at = now() - interval '2 days'")

    assert await results.purge(pool, 3600) == 2

    assert await results.get(pool, closed.id) is None
    assert await results.get(pool, open_.id) is not None
