"""Sessions through the hub, end to end: routed to the token's eMSP only, PATCH appending charging
periods, the scoped sender list, relays to one party, and charging preferences back to the CPO.

Spec: checklist §4.2 (Sessions), §1.5 (paging, date_from), §1.6 (routing headers), §1.7 (client
owned objects), §1.8 (PUT vs PATCH), §5 (hub rules: open routing, personal data never broadcast).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.e2e.conftest import to_headers as to
from tests.e2e.fakes import Answer, FakeParty
from tests.factories import charging_period as a_period
from tests.factories import session as a_session

RECEIVER = "/ocpi/2.2.1/receiver/sessions"
SENDER = "/ocpi/2.2.1/sender/sessions"
PUSHED = "/ocpi/2.2.1/sessions"  # below each party's own Sessions endpoint
HUB = ("XX", "HUB")
CPA = ("NL", "CPA")
EVER = "date_from=2000-01-01T00:00:00Z"


# ---- parties: a CPO offering the Sessions sender, eMSPs offering the receiver ---------------


# ---- helpers ------------------------------------------------------------------------------


async def push(
    method: str,
    cpo: FakeParty,
    hub: RunningHub,
    body: Any,
    session_id: str = "SESS1",
    *,
    owner: tuple[str, str] = CPA,
    headers: dict[str, str] | None = None,
) -> Answer:
    url = f"{hub.url}{RECEIVER}/{owner[0]}/{owner[1]}/{session_id}"
    return await cpo.call_url(method, url, json=body, headers=headers)


async def listing(party: FakeParty, hub: RunningHub, query: str = EVER) -> Answer:
    return await party.call_url("GET", f"{hub.url}{SENDER}?{query}")


def assert_ok(answer: Answer, status: int = 200) -> None:
    assert (answer.status, answer.status_code) == (status, 1000), answer.body


def assert_refused(answer: Answer, status: int, code: int) -> None:
    assert (answer.status, answer.status_code) == (status, code), answer.body


async def drained(hub: RunningHub) -> None:
    """Wait until the outbox holds nothing pending: whatever was owed has been received."""
    deadline = time.monotonic() + 10
    async with hub.pool.acquire() as conn:
        while await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'PENDING'"):
            assert time.monotonic() < deadline, "the outbox never drained"
            await asyncio.sleep(0.02)


async def delivery_count(hub: RunningHub) -> int:
    async with hub.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM deliveries")
    return count


def pushed(party: FakeParty) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in party.pushes(module="sessions")]


# ---- open routing: stored, then delivered to the token's eMSP only -------------------------


@pytest.mark.parametrize("addressed", [None, HUB], ids=["open routing", "OCPI-to hub"])
async def test_put_reaches_only_the_token_emsp(
    hub: RunningHub,
    cpo: FakeParty,
    emsp: FakeParty,
    emsp2: FakeParty,
    addressed: tuple[str, str] | None,
) -> None:
    """Session PUT → the token's eMSP only, FROM the CPO TO it as "Via Hub" (open routing and
    OCPI-to the hub alike: §1.6), same correlation id; nobody else (§5)."""
    session = a_session(charging_periods=[a_period(0)], x_vendor={"kept": 1})
    headers = {"X-Request-ID": "cpo-req-1", "X-Correlation-ID": "cpo-corr-1"}
    headers |= to(addressed) if addressed else {}

    answer = await push("PUT", cpo, hub, session, headers=headers)

    assert_ok(answer, 201)
    assert answer.routing("from") == HUB and answer.routing("to") == CPA
    await eventually(lambda: len(emsp.pushes(module="sessions")) == 1)
    await drained(hub)
    (delivery,) = emsp.pushes(module="sessions")
    assert (delivery.method, delivery.path) == ("PUT", f"{PUSHED}/NL/CPA/SESS1")
    assert delivery.routing("from") == CPA, "the CPO that sent it, not the hub"
    assert delivery.routing("to") == emsp.key
    assert delivery.header("X-Correlation-ID") == "cpo-corr-1"
    assert delivery.header("X-Request-ID") not in (None, "cpo-req-1")
    assert delivery.body == session
    assert emsp2.requests("sessions") == [], "a second eMSP receives nothing"
    assert cpo.requests("sessions") == []


async def test_patch_appends_periods_and_is_delivered_as_sent(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """PUT with 3 periods, PATCH with 1 → 4 at the hub; the eMSP gets the PATCH as sent (§4.2)."""
    three = [a_period(0), a_period(15), a_period(30)]
    assert_ok(await push("PUT", cpo, hub, a_session(charging_periods=three)), 201)
    patch = {"kwh": 4.5, "charging_periods": [a_period(45)], "last_updated": "2024-03-01T10:45:00Z"}

    assert_ok(await push("PATCH", cpo, hub, patch))
    quiet = {"status": "COMPLETED", "last_updated": "2024-03-01T11:00:00Z"}
    assert_ok(await push("PATCH", cpo, hub, quiet))
    assert_ok(await push("PATCH", cpo, hub, {**quiet, "charging_periods": []}))

    (stored,) = (await listing(cpo, hub)).data
    assert stored["charging_periods"] == [*three, a_period(45)]
    assert (stored["kwh"], stored["status"]) == (4.5, "COMPLETED")
    assert stored["last_updated"] == "2024-03-01T11:00:00Z"
    assert (await listing(emsp, hub)).data == [stored]
    await eventually(lambda: len(emsp.pushes(module="sessions")) == 4)
    assert [m for m, _, _ in pushed(emsp)] == ["PUT", "PATCH", "PATCH", "PATCH"]
    assert pushed(emsp)[1][2] == patch, "the PATCH is relayed as the CPO sent it"
    assert {r.routing("from") for r in emsp.pushes(module="sessions")} == {CPA}, "§1.6 Via Hub"


@pytest.mark.parametrize("periods", ["absent", []], ids=["absent", "empty"])
async def test_put_replaces_periods_and_without_them_clears(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, periods: Any
) -> None:
    """A PUT replaces the Session, periods included; none (absent or []) clears them (§4.2)."""
    assert_ok(await push("PUT", cpo, hub, a_session(charging_periods=[a_period(0)] * 3)), 201)
    replacement = a_session(kwh=2, last_updated="2024-03-01T10:30:00Z")
    if periods != "absent":
        replacement["charging_periods"] = periods

    assert_ok(await push("PUT", cpo, hub, replacement))

    (stored,) = (await listing(cpo, hub)).data
    assert stored == replacement
    assert not stored.get("charging_periods")


async def test_patch_needs_last_updated_and_a_known_session(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """PATCH without last_updated → 2001; PATCH of an unknown Session → 404 (§1.8, §4.2)."""
    assert_ok(await push("PUT", cpo, hub, a_session()), 201)

    no_stamp = await push("PATCH", cpo, hub, {"kwh": 1})
    unknown = await push(
        "PATCH", cpo, hub, {"kwh": 1, "last_updated": "2024-03-02T00:00:00Z"}, "S9"
    )
    invalid = await push("PATCH", cpo, hub, {"kwh": "1", "last_updated": "2024-03-02T00:00:00Z"})

    assert_refused(no_stamp, 200, 2001)
    assert_refused(unknown, 404, 2001)
    assert_refused(invalid, 200, 2001)
    assert "kwh" in invalid.body["status_message"]
    await drained(hub)
    assert [m for m, _, _ in pushed(emsp)] == ["PUT"], "refused PATCHes reach no one"


UNKNOWN_TOKEN = a_session(emsp=("BE", "ZZZ"))["cdr_token"]
BAD_PUTS: dict[str, tuple[dict[str, Any], dict[str, Any], int, int]] = {
    "URL id differs from body id": ({"id": "OTHER"}, {}, 200, 2001),
    "URL party_id differs from body": ({"party_id": "CPB"}, {}, 200, 2001),
    "URL party not the caller's": ({}, {"owner": ("NL", "CPB")}, 404, 2001),
    "required field missing": ({"cdr_token": None}, {}, 200, 2001),
    "token eMSP unknown to the hub": ({"cdr_token": UNKNOWN_TOKEN}, {}, 200, 2001),
}  # fmt: skip


@pytest.mark.parametrize(("change", "where", "status", "code"), BAD_PUTS.values(), ids=BAD_PUTS)
async def test_refused_put_changes_nothing(
    hub: RunningHub,
    cpo: FakeParty,
    emsp: FakeParty,
    change: dict[str, Any],
    where: dict[str, Any],
    status: int,
    code: int,
) -> None:
    """URL/body disagreements, foreign parties, invalid Sessions, a token eMSP the hub does not
    know: refused, nothing stored or delivered (§1.7, §1.9, §5; unknown eMSP is our 2001)."""
    answer = await push("PUT", cpo, hub, {**a_session(), **change}, **where)

    assert_refused(answer, status, code)
    assert (await listing(cpo, hub)).data == []
    assert await delivery_count(hub) == 0


# ---- the sender list and by-id reads are scoped to the caller ------------------------------


async def test_sender_list_is_scoped_and_needs_date_from(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """GET-all: a party sees Sessions it owns or is meant for; date_from required (§1.5, §4.2)."""
    assert_ok(await push("PUT", cpo, hub, a_session("S1"), "S1"), 201)
    assert_ok(await push("PUT", cpo, hub, a_session("S2", emsp=emsp2.key), "S2"), 201)
    s3 = a_session("S3", owner=cpo2.key)
    assert_ok(await push("PUT", cpo2, hub, s3, "S3", owner=cpo2.key), 201)

    seen = {}
    for party in (cpo, cpo2, emsp, emsp2):
        answer = await listing(party, hub)
        assert_ok(answer)
        seen[party.party_id] = [session["id"] for session in answer.data]
        assert answer.header("X-Total-Count") == str(len(answer.data))
    assert seen == {"CPA": ["S1", "S2"], "CPB": ["S3"], "EMA": ["S1", "S3"], "EMB": ["S2"]}
    assert_refused(await listing(emsp, hub, query="limit=5"), 200, 2001)
    later = await listing(emsp, hub, query="date_from=2024-03-02T00:00:00Z")
    assert later.data == []


async def test_reading_another_partys_session_is_refused(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """Receiver GET by id: the owner CPO gets the hub's copy, any other party 404 (§1.7, §5)."""
    session = a_session()
    assert_ok(await push("PUT", cpo, hub, session), 201)
    url = f"{hub.url}{RECEIVER}/NL/CPA/SESS1"

    mine = await cpo.call_url("GET", url)
    assert_ok(mine)
    assert mine.data == session
    for other in (cpo2, emsp2, emsp):
        assert_refused(await other.call_url("GET", url), 404, 2001)
    assert_refused(await cpo.call_url("GET", url.replace("SESS1", "SESS9")), 404, 2001)


# ---- OCPI-to one party: relayed at once, the hub keeps a copy ------------------------------


async def test_ocpi_to_the_token_emsp_is_relayed_and_kept(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """OCPI-to the token's eMSP: relayed FROM the CPO, its answer back; copy kept (§1.6, §5)."""
    session = a_session(charging_periods=[a_period(0)])
    headers = {"X-Correlation-ID": "corr-direct", **to(emsp.key)}

    answer = await push("PUT", cpo, hub, session, headers=headers)
    patched = await push(
        "PATCH",
        cpo,
        hub,
        {"charging_periods": [a_period(15)], "last_updated": "2024-03-01T10:15:00Z"},
        headers=headers,
    )

    assert_ok(answer)  # the eMSP's own answer (HTTP 200), relayed unchanged
    assert_ok(patched)
    assert answer.routing("from") == emsp.key and answer.routing("to") == CPA
    (put_hop, patch_hop) = emsp.pushes(module="sessions")
    assert (put_hop.method, put_hop.path, put_hop.body) == (
        "PUT",
        f"{PUSHED}/NL/CPA/SESS1",
        session,
    )
    assert put_hop.routing("from") == CPA and put_hop.routing("to") == emsp.key
    assert put_hop.header("X-Correlation-ID") == "corr-direct"
    assert patch_hop.method == "PATCH"
    assert await delivery_count(hub) == 0, "relayed at once, never queued"
    (kept,) = (await listing(emsp, hub)).data
    assert kept["charging_periods"] == [a_period(0), a_period(15)]
    assert (await listing(emsp2, hub)).data == []
    assert emsp2.requests("sessions") == []


async def test_ocpi_to_another_party_is_refused(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """OCPI-to a party that does not own the token: 2001, nothing relayed or kept (§5)."""
    answer = await push("PUT", cpo, hub, a_session(), headers=to(emsp2.key))

    assert_refused(answer, 200, 2001)
    assert "DE*EMA" in answer.body["status_message"]
    assert emsp.requests("sessions") == [] and emsp2.requests("sessions") == []
    assert (await listing(cpo, hub)).data == []


async def test_session_refused_by_the_emsp_is_not_kept(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """The eMSP's 2xxx answer reaches the CPO unchanged and the hub keeps nothing (§5)."""

    async def refuse(request: web.Request, body: Any) -> web.Response:
        return emsp.reply(request, None, code=2001)

    emsp.handlers["sessions"] = refuse

    answer = await push("PUT", cpo, hub, a_session(), headers=to(emsp.key))

    assert_refused(answer, 200, 2001)
    assert answer.routing("from") == emsp.key
    assert (await listing(cpo, hub)).data == []


async def test_relay_to_an_unreachable_emsp_is_4003_and_not_kept(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """OCPI-to the token's eMSP while it is down: 4003 from the hub, nothing kept (§1.4, §5)."""
    await emsp.go_offline()

    answer = await push("PUT", cpo, hub, a_session(), headers=to(emsp.key))

    assert_refused(answer, 200, 4003)
    assert answer.routing("from") == HUB and answer.routing("to") == CPA
    assert (await listing(cpo, hub)).data == []
    assert await delivery_count(hub) == 0


# ---- charging preferences: from the eMSP, relayed to the CPO owning the Session ------------


async def test_charging_preferences_are_relayed_to_the_cpo(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """PUT {sender}/sessions/{id}/charging_preferences → the owning CPO's Sessions sender
    endpoint, FROM the eMSP; the ChargingPreferencesResponse comes back unchanged (§4.2)."""

    async def accept(request: web.Request, body: Any) -> web.Response:
        return cpo.reply(request, "ACCEPTED")

    cpo.handlers["sessions"] = accept
    assert_ok(await push("PUT", cpo, hub, a_session()), 201)
    preferences = {"profile_type": "FAST", "departure_time": "2024-03-01T18:00:00Z"}
    url = f"{hub.url}{SENDER}/SESS1/charging_preferences"

    answer = await emsp.call_url(
        "PUT", url, json=preferences, headers={"X-Correlation-ID": "corr-pref"}
    )

    assert_ok(answer)
    assert answer.data == "ACCEPTED"
    assert answer.routing("from") == CPA and answer.routing("to") == emsp.key
    (hop,) = cpo.requests("sessions")
    assert (hop.method, hop.path) == ("PUT", f"{PUSHED}/SESS1/charging_preferences")
    assert hop.body == preferences
    assert hop.routing("from") == emsp.key and hop.routing("to") == CPA
    assert hop.header("X-Correlation-ID") == "corr-pref"
    assert cpo2.requests("sessions") == []

    # Only the Session's eMSP may send preferences; the CPO itself is not it either.
    for other in (emsp2, cpo):
        assert_refused(await other.call_url("PUT", url, json=preferences), 404, 2001)
    unknown = url.replace("SESS1", "SESS9")
    assert_refused(await emsp.call_url("PUT", unknown, json=preferences), 404, 2001)
    invalid = await emsp.call_url("PUT", url, json={"profile_type": "SLOW"})
    assert_refused(invalid, 200, 2001)
    assert len(cpo.requests("sessions")) == 1
