"""Credit exposure as stored and assessed (migration 0017, storage.credit_watch): the exposure
read from the ledger and the stored sessions in progress, the moves and events an assessment
stores, the HubClientInfo status they give the eMSP, and the suspension every process
reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from ocpi_hub.core.credit import Action, Level, Limit
from ocpi_hub.core.ledger import payment
from ocpi_hub.core.modules.hubclientinfo import PartyEvent
from ocpi_hub.core.parties import Party, Role
from ocpi_hub.settings import Settings
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.credit_watch import CreditWatch, exposure_of, reassess
from ocpi_hub.storage.repositories import clientinfo, credit, ledger, objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from tests import factories
from tests.storage.test_ledger import booked
from tests.storage.test_platforms import connected, listed, pushed, unregister

D = Decimal
EMSP, CPO, HUB = ("DE", "EMA"), ("NL", "CPA"), ("XX", "HUB")
SUSPEND = replace(Settings(), credit_action=Action.SUSPEND)


async def store(pool: asyncpg.Pool, module: str, body: dict[str, Any], **kw: Any) -> None:
    key = ObjectKey(module, (body["country_code"], body["party_id"]), body["id"])
    async with pool.acquire() as conn:
        await objects.upsert(conn, key, body, datetime.now(UTC), **kw)


async def over_its_limit(pool: asyncpg.Pool) -> None:
    """DE*EMA owes 4.60 EUR against a limit of 4.00 EUR."""
    await credit.set_limit(pool, EMSP, Limit(D("4.00"), "EUR"))
    await booked(pool, factories.cdr())


async def pay(pool: asyncpg.Pool, amount: str, reference: str = "INV-1") -> None:
    async with pool.acquire() as conn:
        entries = payment(EMSP, HUB, D(amount), "EUR")
        await ledger.record_payment(conn, EMSP, reference, entries)


def watch(pool: asyncpg.Pool, settings: Settings = SUSPEND) -> CreditWatch:
    return CreditWatch(pool, settings, DatabaseWatch(pool))


async def test_exposure_adds_what_is_owed_and_the_sessions_in_progress_priced_from_the_store(
    pool: asyncpg.Pool,
) -> None:
    """Owed 4.60 (a CDR booked); an ACTIVE session of 8 kWh with no periods, priced under its
    connector's TARIFF-AC at its stored Location: 2.00; a COMPLETED session and another eMSP's
    ACTIVE one do not count; a session at a Location the hub does not hold counts its
    total_cost, saying why."""
    await credit.set_limit(pool, EMSP, Limit(D("10"), "EUR"))
    await booked(pool, factories.cdr())
    await store(pool, "locations", factories.location("NL", "CPA", "LOC1"))
    await store(pool, "tariffs", factories.tariff("TARIFF-AC"))
    await store(pool, "sessions", factories.session("S1", kwh=8), audience=EMSP)
    await store(pool, "sessions", factories.session("S2", kwh=8, status="COMPLETED"),
                audience=EMSP)  # fmt: skip
    await store(pool, "sessions", factories.session("S3", kwh=8, emsp=("FR", "EMB")),
                audience=("FR", "EMB"))  # fmt: skip
    elsewhere = factories.session("S4", kwh=3, location_id="LOC9",
                                  total_cost={"excl_vat": 0.75})  # fmt: skip
    await store(pool, "sessions", elsewhere, audience=EMSP)

    [found] = await exposure_of(pool, EMSP, D("0.8"))

    assert (found.owed, found.in_progress, found.exposure) == (D("4.6"), D("2.75"), D("7.35"))
    assert found.level == Level.OK
    assert [(s.session, s.amount, s.by) for s in found.sessions] == [
        ("NL*CPA*S1", D("2.00"), "tariff TARIFF-AC"),
        ("NL*CPA*S4", D("0.75"), "total_cost"),
    ]
    assert "Location" in found.sessions[1].note


async def test_over_its_limit_an_emsp_is_suspended_and_shown_suspended_to_the_others(
    pool: asyncpg.Pool,
) -> None:
    """With the action suspend: a round stores over + suspended with why and its events, and
    the eMSP's ClientInfo is SUSPENDED, pushed to the CPO; a second round moves nothing."""
    cpo = await connected(pool, Party.of(*CPO, Role.CPO), "c1")
    await connected(pool, Party.of(*EMSP, Role.EMSP), "c2")
    await over_its_limit(pool)

    [done] = await watch(pool).round()

    assert [e.value for e in done.step.events] == ["over_limit", "suspended"]
    standing = await credit.standing(pool, EMSP)
    assert (standing.state.level, standing.state.suspended) == (Level.OVER, True)
    assert standing.why == (
        "credit suspended: exposure 4.60 EUR against a credit limit of 4.00 EUR"
    )
    assert await credit.suspended(pool) == {EMSP: standing.why}
    assert await listed(pool) == {"CPA": "CONNECTED", "EMA": "SUSPENDED"}
    assert (await pushed(pool))[-1] == (cpo, "/DE/EMA", "SUSPENDED")
    assert await watch(pool).round() == []
    [event] = await credit.events(pool, EMSP)
    assert (event["exposure"], event["limit_amount"], event["currency"]) == (
        D("4.6"), D("4.00"), "EUR",
    )  # fmt: skip


async def test_a_payment_under_the_limit_lifts_the_suspension_and_one_still_over_does_not(
    pool: asyncpg.Pool,
) -> None:
    """`reassess` (what `settlement pay` runs): 0.50 paid leaves 4.10, still over, suspended;
    0.60 more leaves 3.50, under: lifted, CONNECTED again."""
    await connected(pool, Party.of(*EMSP, Role.EMSP), "c2")
    await over_its_limit(pool)
    await watch(pool).round()

    await pay(pool, "0.50")
    still = await reassess(pool, EMSP, Settings())  # the command's own settings: alert
    assert still.step.events == () and (await credit.standing(pool, EMSP)).state.suspended

    await pay(pool, "0.60", "INV-2")
    lifted = await reassess(pool, EMSP, Settings())
    assert [e.value for e in lifted.step.events] == ["under_limit", "lifted"]
    assert await credit.suspended(pool) == {}
    assert await listed(pool) == {"EMA": "CONNECTED"}


async def test_with_the_action_alert_an_emsp_over_its_limit_is_not_suspended(
    pool: asyncpg.Pool,
) -> None:
    await connected(pool, Party.of(*EMSP, Role.EMSP), "c2")
    await over_its_limit(pool)
    [done] = await watch(pool, Settings()).round()
    assert [e.value for e in done.step.events] == ["over_limit"]
    assert await credit.suspended(pool) == {}
    assert await listed(pool) == {"EMA": "CONNECTED"}


async def test_a_limit_removed_lifts_the_suspension(pool: asyncpg.Pool) -> None:
    await over_its_limit(pool)
    await watch(pool).round()
    assert await credit.remove_limit(pool, EMSP)
    [done] = await watch(pool).round()
    assert [e.value for e in done.step.events] == ["under_limit", "lifted"]
    assert (await credit.standing(pool, EMSP)).why == "no credit limit"
    assert await watch(pool).round() == []  # nothing left to assess


async def test_a_suspended_emsp_re_registering_stays_suspended(pool: asyncpg.Pool) -> None:
    """A credentials PUT (REGISTERED) does not make a credit-suspended eMSP CONNECTED."""
    emsp = await connected(pool, Party.of(*EMSP, Role.EMSP), "c2")
    await over_its_limit(pool)
    await watch(pool).round()
    async with pool.acquire() as conn, conn.transaction():
        assert await clientinfo.apply_event(conn, emsp, PartyEvent.REGISTERED, HUB) == []
    assert await listed(pool) == {"EMA": "SUSPENDED"}


async def test_a_lift_does_not_undo_an_unregistration(pool: asyncpg.Pool) -> None:
    """Suspended for credit, then its credentials deleted: paying lifts the credit suspension
    but the unregistered eMSP stays SUSPENDED in HubClientInfo."""
    emsp = await connected(pool, Party.of(*EMSP, Role.EMSP), "c2")
    await over_its_limit(pool)
    await watch(pool).round()
    assert await unregister(pool, emsp, current="c2")
    await pay(pool, "4.60")
    lifted = await reassess(pool, EMSP, Settings())
    assert lifted.suspension_changed
    assert await listed(pool) == {"EMA": "SUSPENDED"}


async def test_a_suspension_is_read_as_committed_once_the_round_returns(
    pool: asyncpg.Pool,
) -> None:
    """What every authorization reads: the suspension and why after the round, nothing after
    the payment's assessment returned."""
    assert await credit.suspension(pool, EMSP) is None
    await over_its_limit(pool)
    await watch(pool).round()
    why = await credit.suspension(pool, EMSP)
    assert why is not None and why.startswith("credit suspended")
    await pay(pool, "4.60")
    await reassess(pool, EMSP, Settings())
    assert await credit.suspension(pool, EMSP) is None
