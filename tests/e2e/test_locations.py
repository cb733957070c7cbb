"""Locations through the hub, end to end: broadcast push, PUT/PATCH, refusals, the sender list.

Spec: checklist §1.2 (ids), §1.4 (HTTP/OCPI codes), §1.5 (paging), §1.6 (routing headers),
§1.7 (client owned objects), §1.8 (PUT vs PATCH), §1.9 (types), §4.1 (Locations), §5 (hub rules).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import orjson
import pytest

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually, registered, to_headers
from tests.e2e.fakes import Answer, FakeParty

RECEIVER = "/ocpi/2.2.1/receiver/locations"
SENDER = "/ocpi/2.2.1/sender/locations"
PUSHED_PATH = "/ocpi/2.2.1/locations"  # below each eMSP's Locations endpoint
HUB = ("XX", "HUB")
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


# ---- helpers ------------------------------------------------------------------------------


def receiver_url(hub: RunningHub, *parts: str) -> str:
    return "/".join([hub.url + RECEIVER, *parts])


def sender_url(hub: RunningHub, *parts: str, query: str = "") -> str:
    return "/".join([hub.url + SENDER, *parts]) + (f"?{query}" if query else "")


def stamp(minute: int) -> str:
    """Distinct, increasing OCPI DateTimes, one a minute."""
    return f"2024-03-01T{10 + minute // 60:02d}:{minute % 60:02d}:00Z"


def a_location(id: str = "LOC1", **overrides: Any) -> dict[str, Any]:
    return factories.location(**{"country_code": "NL", "party_id": "CPA", "id": id, **overrides})


async def put(party: FakeParty, hub: RunningHub, body: Any, *parts: str, **kw: Any) -> Answer:
    return await party.call_url("PUT", receiver_url(hub, "NL", "CPA", *parts), json=body, **kw)


async def patch(party: FakeParty, hub: RunningHub, body: Any, *parts: str) -> Answer:
    return await party.call_url("PATCH", receiver_url(hub, "NL", "CPA", *parts), json=body)


async def get(party: FakeParty, hub: RunningHub, *parts: str, **kw: Any) -> Answer:
    return await party.call_url("GET", sender_url(hub, *parts), **kw)


def assert_ok(answer: Answer, status: int = 200) -> None:
    assert (answer.status, answer.status_code) == (status, 1000), answer.body


def assert_unknown(answer: Answer) -> None:
    assert (answer.status, answer.status_code) == (404, 2003), answer.body


async def deliveries(hub: RunningHub) -> list[tuple[str, str, str, str]]:
    """(to_country_code, to_party_id, method, path) of every delivery in the outbox."""
    async with hub.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT to_country_code, to_party_id, method, path FROM deliveries ORDER BY id"
        )
    return [tuple(r) for r in rows]


def next_url(answer: Answer) -> str | None:
    link = answer.header("Link")
    if link is None:
        return None
    match = LINK.match(link)
    assert match, link
    return match.group("url")


async def walk(
    party: FakeParty, url: str, between: Callable[[int], Any] | None = None
) -> list[Answer]:
    """Every page of a list GET, following Link rel="next" to the end."""
    pages: list[Answer] = []
    next_page: str | None = url
    while next_page is not None:
        answer = await party.call_url("GET", next_page)
        assert_ok(answer)
        pages.append(answer)
        assert len(pages) <= 50, "the Link chain does not end"
        if between is not None:
            await between(len(pages))
        next_page = next_url(answer)
    return pages


def ids_of(pages: list[Answer]) -> list[str]:
    return [location["id"] for page in pages for location in page.data]


# ---- a CPO's Location, pushed through the hub to two eMSPs ---------------------------------


@dataclass
class World:
    hub: RunningHub
    cpo: FakeParty
    emsps: list[FakeParty]

    async def settled(self) -> None:
        """Barrier: a fresh push has reached every eMSP and the outbox holds nothing pending, so
        whatever was owed to the eMSPs before has been received."""
        barrier = f"BARRIER{uuid.uuid4().hex[:8]}"
        assert_ok(await put(self.cpo, self.hub, a_location(barrier), barrier), 201)
        await eventually(
            lambda: all(any(barrier in r.path for r in p.pushes()) for p in self.emsps),
            message="barrier push delivered",
        )
        async with asyncio.timeout(10), self.hub.pool.acquire() as conn:
            while await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'PENDING'"):
                await asyncio.sleep(0.02)  # polling under a deadline, like `eventually`

    def pushed(self) -> list[list[tuple[str, str]]]:
        """(method, path) of every push each eMSP received, barriers left out."""
        return [
            [(r.method, r.path) for r in p.pushes() if "BARRIER" not in r.path] for p in self.emsps
        ]


@pytest.fixture
async def world(hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty) -> World:
    """LOC1 (EVSE1 with connector 1) stored at the hub and delivered to both eMSPs."""
    world = World(hub, cpo, [emsp, emsp2])
    assert_ok(await put(cpo, hub, a_location(), "LOC1"), 201)
    await eventually(lambda: all(len(p.pushes()) == 1 for p in world.emsps))
    return world


@pytest.mark.parametrize("to", [None, HUB], ids=["open routing", "OCPI-to hub"])
async def test_broadcast_fan_out_headers_and_body(
    hub: RunningHub,
    make_party: Any,
    emsp: FakeParty,
    emsp2: FakeParty,
    to: tuple[str, str] | None,
) -> None:
    """Broadcast: FROM hub, TO each eMSP, new request id, same correlation, body kept (§1.6, §5)."""
    cpo = await registered(
        hub,
        await make_party(
            "CPO", "NL", "CPA", modules=[("locations", "SENDER"), ("locations", "RECEIVER")]
        ),
    )
    fractional = "2024-03-01T10:00:00.123Z"
    location = a_location(last_updated=fractional, x_vendor={"kept": [1, "two", None]})
    location["evses"][0]["x_evse_note"] = "unknown EVSE field"
    location["evses"][0]["connectors"][0]["x_connector_note"] = 1.5
    headers = {"X-Request-ID": "cpo-request-1", "X-Correlation-ID": "cpo-correlation-1"}
    if to is not None:
        headers |= to_headers(to)

    answer = await put(cpo, hub, location, "LOC1", headers=headers)

    assert_ok(answer, 201)
    assert answer.routing("to") == ("NL", "CPA")
    assert answer.routing("from") == HUB
    assert answer.header("X-Request-ID") == "cpo-request-1"
    assert answer.header("X-Correlation-ID") == "cpo-correlation-1"

    await eventually(lambda: len(emsp.pushes()) == 1 and len(emsp2.pushes()) == 1)
    request_ids = set()
    for receiver in (emsp, emsp2):
        (delivery,) = receiver.pushes()
        assert (delivery.method, delivery.path) == ("PUT", f"{PUSHED_PATH}/NL/CPA/LOC1")
        assert delivery.routing("from") == HUB
        assert delivery.routing("to") == receiver.key
        assert delivery.header("X-Correlation-ID") == "cpo-correlation-1"
        request_ids.add(delivery.header("X-Request-ID"))
        assert delivery.body == location
        assert delivery.body["last_updated"] == fractional
    assert None not in request_ids and "cpo-request-1" not in request_ids
    assert len(request_ids) == 2, "each hop has its own X-Request-ID"
    assert (await get(emsp, hub, "LOC1")).data == location, "stored as sent"

    # Deliveries are queued with the write: none was ever owed to the CPO itself, and what
    # is sent is the CPO's request body byte for byte.
    assert {d[:2] for d in await deliveries(hub)} == {emsp.key, emsp2.key}
    async with hub.pool.acquire() as conn:
        sent = {r[0] for r in await conn.fetch("SELECT body FROM deliveries")}
    assert sent == {orjson.dumps(location).decode()}
    assert cpo.pushes() == []


async def test_put_answers_201_when_new_and_200_when_replacing(world: World) -> None:
    """PUT creates (HTTP 201) or replaces whole (HTTP 200) (§1.4, §1.8)."""
    hub, cpo = world.hub, world.cpo
    replacement = a_location(name="Renamed", last_updated=stamp(1))
    del replacement["postal_code"]

    assert_ok(await put(cpo, hub, replacement, "LOC1"), 200)

    stored = (await get(cpo, hub, "LOC1")).data
    assert stored == replacement, "a PUT replaces the whole object; omitted fields are gone"


async def test_patch_at_every_level_and_parents_follow(world: World) -> None:
    """PATCH per level; a child bumps its parents' last_updated; pushed in order (§1.8, §4.1)."""
    hub, cpo = world.hub, world.cpo

    assert_ok(await patch(cpo, hub, {"name": "Patched", "last_updated": stamp(1)}, "LOC1"))
    assert_ok(
        await patch(cpo, hub, {"status": "CHARGING", "last_updated": stamp(2)}, "LOC1", "EVSE1")
    )
    assert_ok(
        await patch(cpo, hub, {"max_amperage": 16, "last_updated": stamp(3)}, "LOC1", "EVSE1", "1")
    )

    location = (await get(cpo, hub, "LOC1")).data
    evse = location["evses"][0]
    connector = evse["connectors"][0]
    assert location["name"] == "Patched"
    assert location["address"] == "Museumplein 6", "a PATCH leaves other fields alone"
    assert evse["status"] == "CHARGING"
    assert connector["max_amperage"] == 16
    assert connector["standard"] == "IEC_62196_T2"
    assert connector["last_updated"] == evse["last_updated"] == location["last_updated"]
    assert location["last_updated"] == stamp(3)
    assert (await get(cpo, hub, "LOC1", "EVSE1")).data == evse
    assert (await get(cpo, hub, "LOC1", "EVSE1", "1")).data == connector
    changed = await cpo.call_url("GET", sender_url(hub, query=f"date_from={stamp(3)}"))
    assert [loc["id"] for loc in changed.data] == ["LOC1"], "found by its bumped last_updated"

    expected = [
        ("PUT", f"{PUSHED_PATH}/NL/CPA/LOC1"),
        ("PATCH", f"{PUSHED_PATH}/NL/CPA/LOC1"),
        ("PATCH", f"{PUSHED_PATH}/NL/CPA/LOC1/EVSE1"),
        ("PATCH", f"{PUSHED_PATH}/NL/CPA/LOC1/EVSE1/1"),
    ]
    await world.settled()
    assert world.pushed() == [expected, expected]


async def test_put_of_new_children_adds_them(world: World) -> None:
    """PUT of a new EVSE/Connector adds it (201, then 200) and bumps its parents (§4.1, §1.4)."""
    hub, cpo = world.hub, world.cpo
    evse2 = factories.evse("EVSE2", last_updated=stamp(5))
    connector2 = factories.connector("2", last_updated=stamp(6))

    assert_ok(await put(cpo, hub, evse2, "LOC1", "EVSE2"), 201)
    assert_ok(await put(cpo, hub, {**evse2, "status": "BLOCKED"}, "LOC1", "EVSE2"), 200)
    assert_ok(await put(cpo, hub, connector2, "LOC1", "EVSE1", "2"), 201)
    assert_ok(await put(cpo, hub, {**connector2, "max_voltage": 400}, "LOC1", "EVSE1", "2"), 200)

    location = (await get(cpo, hub, "LOC1")).data
    evse1 = location["evses"][0]
    assert [e["uid"] for e in location["evses"]] == ["EVSE1", "EVSE2"]
    assert location["evses"][1] == {**evse2, "status": "BLOCKED"}
    assert [c["id"] for c in evse1["connectors"]] == ["1", "2"]
    assert evse1["connectors"][1] == {**connector2, "max_voltage": 400}
    assert evse1["last_updated"] == location["last_updated"] == stamp(6)
    await world.settled()
    assert [m for m, _ in world.pushed()[0]] == ["PUT"] * 5


async def test_receiver_get_answers_from_the_store(world: World, make_party: Any) -> None:
    """Receiver GET without OCPI-to answers from the store, 404/2003 if unknown (§4.1, §1.7)."""
    hub, cpo = world.hub, world.cpo
    location = a_location()

    async def read(party: FakeParty, *parts: str) -> Answer:
        return await party.call_url("GET", receiver_url(hub, "NL", "CPA", *parts))

    assert (await read(cpo, "LOC1")).data == location
    assert (await read(cpo, "loc1", "evse1")).data == location["evses"][0]
    assert (await read(cpo, "LOC1", "EVSE1", "1")).data == location["evses"][0]["connectors"][0]
    for unknown in (("LOC9",), ("LOC1", "EVSE9"), ("LOC1", "EVSE1", "9")):
        assert_unknown(await read(cpo, *unknown))
    other = await registered(hub, await make_party("CPO", "BE", "CPB"))
    assert (await read(other, "LOC1")).status == 404


async def test_patches_reach_emsps_in_order_even_after_a_retry(world: World) -> None:
    """eMSPs get one Location's PATCHes in the order sent, across a retry (§1.8, §5)."""
    hub, cpo = world.hub, world.cpo
    first, second = world.emsps
    first.fail_next(1, 503)
    statuses = ["CHARGING", "AVAILABLE", "BLOCKED", "OUTOFORDER", "AVAILABLE", "RESERVED"]

    for n, status in enumerate(statuses, start=1):
        body = {"status": status, "last_updated": stamp(n)}
        assert_ok(await patch(cpo, hub, body, "LOC1", "EVSE1"))

    def seen(party: FakeParty) -> list[str]:
        return [r.body["status"] for r in party.pushes("PATCH") if r.body.get("status")]

    await eventually(lambda: len(seen(first)) == len(seen(second)) == len(statuses))
    assert [r.body["status"] for r in first.refused] == ["CHARGING"], "the first try failed"
    assert seen(first) == statuses, "the retried PATCH still came first"
    assert seen(second) == statuses


async def test_concurrent_patches_leave_emsps_with_the_hubs_state(world: World) -> None:
    """Racing PATCHes reach eMSPs in the hub's order, ending in its state (§1.8, §5)."""
    hub, cpo = world.hub, world.cpo
    bodies = [{"physical_reference": f"R{n}", "last_updated": stamp(n)} for n in range(1, 13)]

    answers = await asyncio.gather(*(patch(cpo, hub, b, "LOC1", "EVSE1") for b in bodies))

    assert all((a.status, a.status_code) == (200, 1000) for a in answers)
    final = (await get(cpo, hub, "LOC1", "EVSE1")).data
    await world.settled()
    orders = [[r.body["physical_reference"] for r in p.pushes("PATCH")] for p in world.emsps]
    assert orders[0] == orders[1], "both eMSPs saw one order"
    assert sorted(orders[0]) == sorted(b["physical_reference"] for b in bodies)
    assert orders[0][-1] == final["physical_reference"], "the last delivered is the hub's state"


# ---- refused input changes nothing --------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One refused request: what is sent where, and the answer it must get."""

    method: str
    parts: tuple[str, ...]
    body: Any  # bytes are sent as they are, anything else as JSON
    http: int = 200
    code: int = 2001
    mentions: str = ""  # what the status_message must contain, e.g. the field at fault


def _evse(**overrides: Any) -> dict[str, Any]:
    return factories.evse("EVSE1", **overrides)


def _connector(**overrides: Any) -> dict[str, Any]:
    return factories.connector("1", **overrides)


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


LONG_ID = "L" * 37
PLUS_OFFSET = "2024-03-01T10:00:00+00:00"
LOC, EVSE, CONN = ("LOC1",), ("LOC1", "EVSE1"), ("LOC1", "EVSE1", "1")

BAD_INPUT = {
    "invalid JSON": Bad("PUT", LOC, b'{"id": "LOC1",', http=400, code=2000, mentions="JSON"),
    "body is a list": Bad("PUT", LOC, [a_location()], mentions="object"),
    "body is a string": Bad("PATCH", LOC, "LOC1", mentions="object"),
    "location id differs": Bad("PUT", LOC, a_location("LOC2"), mentions="id:"),
    "evse uid differs": Bad("PUT", EVSE, factories.evse("EVSE2"), mentions="uid:"),
    "connector id differs": Bad("PUT", CONN, factories.connector("2"), mentions="id:"),
    "patched id differs": Bad(
        "PATCH", LOC, {"id": "LOC2", "last_updated": stamp(1)}, mentions="id:"
    ),
    "country_code differs": Bad(
        "PUT", LOC, a_location(country_code="DE"), mentions="country_code:"
    ),
    "party_id differs": Bad("PUT", LOC, a_location(party_id="CPB"), mentions="party_id:"),
    "PATCH location without last_updated": Bad(
        "PATCH", LOC, {"name": "x"}, mentions="last_updated:"
    ),
    "PATCH evse without last_updated": Bad(
        "PATCH", EVSE, {"status": "BLOCKED"}, mentions="last_updated:"
    ),
    "PATCH connector without last_updated": Bad(
        "PATCH", CONN, {"max_amperage": 16}, mentions="last_updated:"
    ),
    "no address": Bad("PUT", LOC, _without(a_location(), "address"), mentions="address:"),
    "no evse connectors": Bad("PUT", EVSE, _without(_evse(), "connectors"), mentions="connectors:"),
    "id of 37 characters": Bad("PUT", (LONG_ID,), a_location(LONG_ID), mentions="id:"),
    "city of 46 characters": Bad("PUT", LOC, a_location(city="C" * 46), mentions="city:"),
    "status FREE": Bad("PUT", EVSE, _evse(status="FREE"), mentions="status:"),
    "patched status FREE": Bad(
        "PATCH", EVSE, {"status": "FREE", "last_updated": stamp(1)}, mentions="status:"
    ),
    "standard Type2": Bad("PUT", CONN, _connector(standard="Type2"), mentions="standard:"),
    "last_updated with +00:00": Bad(
        "PUT", LOC, a_location(last_updated=PLUS_OFFSET), mentions="last_updated:"
    ),
    "patched last_updated with +00:00": Bad(
        "PATCH", CONN, {"max_amperage": 16, "last_updated": PLUS_OFFSET}, mentions="last_updated:"
    ),
    "PATCH unknown location": Bad(
        "PATCH", ("LOC9",), {"last_updated": stamp(1)}, http=404, code=2003
    ),
    "PATCH unknown evse": Bad(
        "PATCH", ("LOC1", "EVSE9"), {"last_updated": stamp(1)}, http=404, code=2003
    ),
    "PATCH unknown connector": Bad(
        "PATCH", ("LOC1", "EVSE1", "9"), {"last_updated": stamp(1)}, http=404, code=2003
    ),
    "PUT evse under unknown location": Bad("PUT", ("LOC9", "EVSE1"), _evse(), http=404, code=2003),
    "PUT connector under unknown evse": Bad(
        "PUT", ("LOC1", "EVSE9", "1"), _connector(), http=404, code=2003
    ),
}


async def snapshot(world: World) -> tuple[list[Any], int]:
    """What a refused request must not change: the stored Locations and the outbox."""
    listing = await world.cpo.call_url("GET", sender_url(world.hub))
    assert_ok(listing)
    return listing.data, len(await deliveries(world.hub))


async def assert_nothing_changed(world: World, before: tuple[list[Any], int]) -> None:
    assert await snapshot(world) == before
    pushed = world.pushed()
    await world.settled()
    assert world.pushed() == pushed, "no eMSP received anything for the refused request"


@pytest.mark.parametrize("bad", BAD_INPUT.values(), ids=BAD_INPUT.keys())
async def test_bad_input_is_refused_and_changes_nothing(world: World, bad: Bad) -> None:
    """Bad input: 400, 2001 or 404/2003; nothing stored or pushed (§1.4, §1.7-§1.9, §4.1)."""
    before = await snapshot(world)
    url = receiver_url(world.hub, "NL", "CPA", *bad.parts)
    sent = {"data": bad.body} if isinstance(bad.body, bytes) else {"json": bad.body}

    answer = await world.cpo.call_url(bad.method, url, **sent)

    assert (answer.status, answer.status_code) == (bad.http, bad.code), answer.body
    assert bad.mentions in answer.body.get("status_message", ""), answer.body
    await assert_nothing_changed(world, before)


@pytest.mark.parametrize(
    ("caller", "owner"),
    [
        ("emsp", ("DE", "EMA")),  # an eMSP is not a Location owner
        ("other_cpo", ("NL", "CPA")),  # another CPO's objects
        ("cpo", ("NL", "CPB")),  # a party the caller does not host
    ],
)
async def test_url_party_not_the_callers_is_404(
    world: World, make_party: Any, caller: str, owner: tuple[str, str]
) -> None:
    """A URL party that is not one of the caller's CPOs: HTTP 404 + 2001, no change (§1.7)."""
    callers = {"cpo": world.cpo, "emsp": world.emsps[0]}
    if caller == "other_cpo":
        callers[caller] = await registered(world.hub, await make_party("CPO", "NL", "CPB"))
    before = await snapshot(world)
    for method, body in (
        ("PUT", factories.location(*owner, "LOC1")),
        ("PATCH", {"last_updated": stamp(1)}),
    ):
        url = receiver_url(world.hub, *owner, "LOC1")
        answer = await callers[caller].call_url(method, url, json=body)
        assert (answer.status, answer.status_code) == (404, 2001), answer.body
    await assert_nothing_changed(world, before)


async def test_token_a_or_no_token_is_401(world: World) -> None:
    """Token A or no token on the Locations module: HTTP 401, no change (§1.1, §1.4)."""
    token_a = await world.hub.invite("CPO", "NL", "CPZ")
    url = receiver_url(world.hub, "NL", "CPA", "LOC1")
    before = await snapshot(world)

    with_token_a = await world.cpo.call_url("PUT", url, json=a_location(), token=token_a)
    assert world.cpo.session is not None
    async with world.cpo.session.put(url, json=a_location()) as response:
        without_token = (response.status, await response.json())

    assert (with_token_a.status, with_token_a.status_code) == (401, 2000)
    assert without_token[0] == 401 and without_token[1]["status_code"] == 2000
    list_with_token_a = await world.cpo.call_url("GET", sender_url(world.hub), token=token_a)
    assert list_with_token_a.status == 401
    await assert_nothing_changed(world, before)


# ---- Sender interface -----------------------------------------------------------------------


async def test_sender_get_single_objects(world: World) -> None:
    """Sender GET of one Location, EVSE or Connector; unknown ones → 404/2003 (§4.1, §1.4)."""
    hub, emsp = world.hub, world.emsps[0]
    location = a_location()
    evse = location["evses"][0]

    assert (await get(emsp, hub, "LOC1")).data == location
    assert (await get(emsp, hub, "LOC1", "EVSE1")).data == evse
    assert (await get(emsp, hub, "LOC1", "EVSE1", "1")).data == evse["connectors"][0]
    for unknown in (("LOC9",), ("LOC1", "EVSE9"), ("LOC1", "EVSE1", "9"), ("LOC9", "EVSE1")):
        assert_unknown(await get(emsp, hub, *unknown))


async def test_ids_are_case_insensitive(hub: RunningHub, cpo: FakeParty, emsp: FakeParty) -> None:
    """CiString ids match in any case, on the sender GETs and on the receiver URL (§1.9)."""
    location = a_location("Loc-A")
    location["evses"][0]["uid"] = "Evse-A"
    location["evses"][0]["connectors"][0]["id"] = "Con-A"
    assert_ok(await put(cpo, hub, location, "Loc-A"), 201)

    assert (await get(emsp, hub, "LOC-A")).data == location
    assert (await get(emsp, hub, "loc-a", "EVSE-A")).data["uid"] == "Evse-A"
    assert (await get(emsp, hub, "LOC-a", "evse-a", "CON-A")).data["id"] == "Con-A"

    url = f"{hub.url}{RECEIVER}/nl/cpa/LOC-A/EVSE-a"
    assert_ok(
        await cpo.call_url("PATCH", url, json={"status": "BLOCKED", "last_updated": stamp(1)})
    )
    assert (await get(emsp, hub, "Loc-A", "Evse-A")).data["status"] == "BLOCKED"
    assert len((await emsp.call_url("GET", sender_url(hub))).data) == 1, "still one Location"


async def test_ocpi_to_narrows_the_sender_to_one_cpo(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, make_party: Any
) -> None:
    """GET on the sender with OCPI-to naming a CPO serves only its Locations (§5, GET All)."""
    other = await registered(hub, await make_party("CPO", "BE", "CPB"))
    assert_ok(await put(cpo, hub, a_location(), "LOC1"), 201)
    theirs = factories.location(country_code="BE", party_id="CPB", id="LOC1", name="Theirs")
    assert_ok(await other.call_url("PUT", receiver_url(hub, "BE", "CPB", "LOC1"), json=theirs), 201)

    narrowed = await emsp.call_url("GET", sender_url(hub), headers=to_headers(other.key))
    assert_ok(narrowed)
    assert narrowed.data == [theirs]
    assert narrowed.header("X-Total-Count") == "1"
    assert (await get(emsp, hub, "LOC1", headers=to_headers(other.key))).data == theirs
    assert (await get(emsp, hub, "LOC1")).status_code == 2001, "ambiguous without OCPI-to"
    assert len((await emsp.call_url("GET", sender_url(hub))).data) == 2
    unknown = await emsp.call_url("GET", sender_url(hub), headers=to_headers(("BE", "ZZZ")))
    assert unknown.status_code == 4001, unknown.body


# ---- paging over 120 Locations ----------------------------------------------------------------

COUNT = 120


def paged_id(n: int) -> str:
    """Creation order that is not the ids' sort order."""
    return f"P{(n * 37) % COUNT:03d}"


@pytest.fixture
async def paged(hub: RunningHub, cpo: FakeParty) -> list[str]:
    """120 Locations, created one after another with last_updated minute n; ids in that order."""
    ids = [paged_id(n) for n in range(COUNT)]
    for n, id in enumerate(ids):
        body = a_location(id, evse_count=0, last_updated=stamp(n))
        assert_ok(await put(cpo, hub, body, id), 201)
    return ids


def page_headers(answer: Answer) -> tuple[str | None, str | None]:
    return answer.header("X-Total-Count"), answer.header("X-Limit")


async def test_paged_walk_follows_links(hub: RunningHub, emsp: FakeParty, paged: list[str]) -> None:
    """Link walk: each Location once, creation order, paging headers, absolute Link (§1.5)."""
    pages = await walk(emsp, sender_url(hub, query="limit=50"))

    assert [len(p.data) for p in pages] == [50, 50, 20]
    assert ids_of(pages) == paged
    assert all(page_headers(p) == (str(COUNT), "50") for p in pages)
    links = [next_url(p) for p in pages]
    assert links[-1] is None
    for link in links[:-1]:
        assert link is not None and link.startswith(hub.url + SENDER + "?")
        assert parse_qs(urlsplit(link).query)["limit"] == ["50"]


async def test_limit_is_capped_and_offset_paging_matches_links(
    hub: RunningHub, emsp: FakeParty, paged: list[str]
) -> None:
    """limit above the cap is capped; offset paging equals the Link pages (§1.5)."""
    capped = await emsp.call_url("GET", sender_url(hub, query="limit=500"))
    assert_ok(capped)
    assert len(capped.data) == 50 and page_headers(capped) == (str(COUNT), "50")
    assert parse_qs(urlsplit(next_url(capped) or "").query)["limit"] == ["50"]

    by_link = await walk(emsp, sender_url(hub, query="limit=50"))
    for n, linked in enumerate(by_link):
        plain = await emsp.call_url("GET", sender_url(hub, query=f"offset={50 * n}&limit=50"))
        assert plain.data == linked.data
        assert page_headers(plain) == (str(COUNT), "50")
    beyond = await emsp.call_url("GET", sender_url(hub, query="offset=120"))
    assert_ok(beyond)
    assert beyond.data == [] and next_url(beyond) is None


async def test_date_filters_are_inclusive_exclusive_and_repeated(
    hub: RunningHub, emsp: FakeParty, paged: list[str]
) -> None:
    """date_from is inclusive, date_to exclusive, and both are repeated in every Link (§1.5)."""
    query = f"date_from={quote(stamp(10))}&date_to={quote(stamp(20))}&limit=4"

    pages = await walk(emsp, sender_url(hub, query=query))

    assert ids_of(pages) == paged[10:20]
    assert [len(p.data) for p in pages] == [4, 4, 2]
    assert all(page_headers(p) == ("10", "50") for p in pages)
    for page in pages[:-1]:
        params = parse_qs(urlsplit(next_url(page) or "").query)
        assert params["date_from"] == [stamp(10)] and params["date_to"] == [stamp(20)]


@pytest.mark.parametrize(
    "query", ["limit=50", f"date_to={quote(stamp(COUNT))}&limit=50"], ids=["all", "date_to"]
)
async def test_update_during_walk_leaves_no_gap(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, paged: list[str], query: str
) -> None:
    """An update during a Link walk causes no gap or repeat, also under date_to (§1.5)."""

    async def update_first_page(pages_seen: int) -> None:
        if pages_seen == 1:
            for id in paged[:3]:
                body = a_location(id, evse_count=0, last_updated=stamp(COUNT + 5))
                assert_ok(await put(cpo, hub, body, id), 200)

    pages = await walk(emsp, sender_url(hub, query=query), between=update_first_page)

    assert ids_of(pages) == paged


@pytest.mark.parametrize(
    "query",
    [
        "offset=-1",
        "offset=abc",
        "offset=1.5",
        "limit=0",
        "limit=-5",
        "limit=ten",
        "date_from=yesterday",
        f"date_from={quote(PLUS_OFFSET)}",
        "date_to=2024-13-01T00:00:00Z",
        "cursor=!!",
    ],
)
async def test_bad_paging_parameters_are_2001(hub: RunningHub, emsp: FakeParty, query: str) -> None:
    """Malformed offset, limit, date_from/date_to: 2001 (§1.5, §1.9)."""
    answer = await emsp.call_url("GET", sender_url(hub, query=query))
    assert answer.status_code == 2001, answer.body
