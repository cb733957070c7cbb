"""Tariffs through the hub, end to end: broadcast PUT and DELETE, refusals, the sender list.

Spec: checklist §1.2 (ids per hop), §1.4 (HTTP/OCPI codes), §1.5 (paging), §1.6 (routing headers),
§1.7 (client owned objects), §4.4 (Tariffs), §5 (broadcast, GET all, relay to one party).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty, eventually, registered, to_headers
from tests.e2e.fakes import Answer, FakeParty
from tests.factories import tariff as a_tariff

RECEIVER = "/ocpi/2.2.1/receiver/tariffs"
SENDER = "/ocpi/2.2.1/sender/tariffs"
PUSHED = "/ocpi/2.2.1/tariffs"  # below each receiver's own Tariffs endpoint
HUB = ("XX", "HUB")
CPO_KEY = ("NL", "CPA")
IDS = {"X-Request-ID": "cpo-request-1", "X-Correlation-ID": "cpo-correlation-1"}


def assert_ok(answer: Answer, status: int = 200) -> None:
    assert (answer.status, answer.status_code) == (status, 1000), answer.body


async def deliveries(hub: RunningHub) -> int:
    async with hub.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM deliveries")
    return count


@dataclass
class World:
    """A CPO (which offers a Tariffs receiver itself), a second CPO and two eMSPs."""

    hub: RunningHub
    cpo: FakeParty
    cpo2: FakeParty
    emsps: list[FakeParty]

    def url(self, *parts: str) -> str:
        return "/".join([self.hub.url + RECEIVER, *parts])

    async def put(self, body: Any, *parts: str, **kw: Any) -> Answer:
        return await self.cpo.call_url("PUT", self.url(*CPO_KEY, *parts), json=body, **kw)

    async def listing(self, reader: FakeParty, query: str = "", **kw: Any) -> Answer:
        return await reader.call_url("GET", self.hub.url + SENDER + query, **kw)

    def tariff_requests(self) -> list[list[tuple[str, str]]]:
        """(method, path) of every Tariffs request each party received, barriers left out."""
        return [
            [(r.method, r.path) for r in p.requests("tariffs") if "BARRIER" not in r.path]
            for p in (self.cpo, self.cpo2, *self.emsps)
        ]

    async def settled(self) -> None:
        """Barrier: a fresh broadcast has reached both eMSPs, so whatever was queued before it
        for them has been delivered (the outbox keeps per-receiver order by object only, so
        we also wait for the outbox to drain)."""
        barrier = f"BARRIER{uuid.uuid4().hex[:8]}"
        assert_ok(await self.put(a_tariff(barrier), barrier), 201)
        await eventually(
            lambda: all(any(barrier in r.path for r in p.requests("tariffs")) for p in self.emsps),
            message="barrier delivered",
        )
        async with asyncio.timeout(10), self.hub.pool.acquire() as conn:
            while await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'PENDING'"):
                await asyncio.sleep(0.02)  # polling under a deadline, like `eventually`

    async def stored(self, reader: FakeParty) -> list[Any]:
        """The Tariffs the sender list serves, barriers left out."""
        answer = await self.listing(reader)
        assert_ok(answer)
        return [t for t in answer.data if "BARRIER" not in t["id"]]


@pytest.fixture
async def world(hub: RunningHub, make_party: MakeParty) -> World:
    tariffs_both = [("tariffs", "SENDER"), ("tariffs", "RECEIVER")]
    receiver = [("tariffs", "RECEIVER")]
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA", modules=tariffs_both))
    cpo2 = await registered(hub, await make_party("CPO", "BE", "CPB", modules=receiver))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA", modules=receiver))
    emsp2 = await registered(hub, await make_party("EMSP", "FR", "EMB", modules=receiver))
    return World(hub, cpo, cpo2, [emsp, emsp2])


# ---- broadcast ------------------------------------------------------------------------------


@pytest.mark.parametrize("to", [None, HUB], ids=["open routing", "OCPI-to hub"])
async def test_put_reaches_every_emsp_and_no_cpo(world: World, to: tuple[str, str] | None) -> None:
    """A CPO's Tariff PUT: stored, broadcast FROM hub TO each eMSP, same correlation (§1.6, §5)."""
    tariff = a_tariff(x_vendor={"kept": True}, last_updated="2024-03-01T10:00:00.123Z")
    headers = IDS | (to_headers(to) if to else {})

    answer = await world.put(tariff, "T1", headers=headers)

    assert_ok(answer, 201)
    assert answer.routing("from") == HUB and answer.routing("to") == CPO_KEY
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    await eventually(lambda: all(len(p.pushes(module="tariffs")) == 1 for p in world.emsps))
    request_ids = set()
    for emsp in world.emsps:
        (push,) = emsp.pushes(module="tariffs")
        assert (push.method, push.path) == ("PUT", f"{PUSHED}/NL/CPA/T1")
        assert push.routing("from") == HUB and push.routing("to") == emsp.key
        assert push.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
        request_ids.add(push.header("X-Request-ID"))
        assert push.body == tariff
    assert len(request_ids) == 2 and IDS["X-Request-ID"] not in request_ids
    await world.settled()
    cpo_requests, cpo2_requests, *_ = world.tariff_requests()
    assert cpo_requests == [] and cpo2_requests == [], "no CPO receives a CPO's Tariff"
    assert await world.stored(world.emsps[0]) == [tariff], "stored as sent"

    replaced = await world.put(a_tariff(currency="GBP"), "T1")
    assert_ok(replaced, 200)
    t1 = f"{PUSHED}/NL/CPA/T1"
    await eventually(
        lambda: all(
            [r.path for r in p.pushes(module="tariffs")].count(t1) == 2 for p in world.emsps
        )
    )
    assert all(p.objects["tariffs"]["NL/CPA/T1"]["currency"] == "GBP" for p in world.emsps)


async def test_delete_removes_and_broadcasts(world: World) -> None:
    """DELETE removes the stored Tariff and reaches every eMSP after its PUT (§4.4, §5)."""
    assert_ok(await world.put(a_tariff(), "T1"), 201)

    answer = await world.cpo.call_url("DELETE", world.url("NL", "CPA", "T1"), headers=IDS)

    assert_ok(answer)
    assert answer.data is None
    await eventually(lambda: all(len(p.pushes("DELETE", module="tariffs")) for p in world.emsps))
    for emsp in world.emsps:
        methods = [(r.method, r.path) for r in emsp.requests("tariffs")]
        assert methods == [("PUT", f"{PUSHED}/NL/CPA/T1"), ("DELETE", f"{PUSHED}/NL/CPA/T1")]
        (delete,) = emsp.pushes("DELETE", module="tariffs")
        assert delete.routing("from") == HUB and delete.routing("to") == emsp.key
        assert delete.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
        assert delete.body is None
        assert "NL/CPA/T1" not in emsp.objects["tariffs"]
    assert (await world.listing(world.emsps[0])).data == []
    gone = await world.cpo.call_url("GET", world.url("NL", "CPA", "T1"))
    assert (gone.status, gone.status_code) == (404, 2000), gone.body


async def test_delete_of_unknown_tariff_is_404_and_broadcasts_nothing(world: World) -> None:
    """DELETE of a Tariff the hub does not hold: HTTP 404 + 2000, nothing queued (§1.4, §4.4)."""
    answer = await world.cpo.call_url("DELETE", world.url("NL", "CPA", "T9"))

    assert (answer.status, answer.status_code) == (404, 2000), answer.body
    assert "T9" in answer.body["status_message"]
    assert await deliveries(world.hub) == 0


# ---- reads ----------------------------------------------------------------------------------


async def test_receiver_get_returns_the_stored_copy(world: World) -> None:
    """Receiver GET of the CPO's own Tariff returns what the hub holds; unknown → 404 (§4.4)."""
    tariff = a_tariff("Tar-1")
    assert_ok(await world.put(tariff, "Tar-1"), 201)

    found = await world.cpo.call_url("GET", world.url("nl", "cpa", "TAR-1"))
    unknown = await world.cpo.call_url("GET", world.url("NL", "CPA", "T9"))

    assert_ok(found)
    assert found.data == tariff
    assert (unknown.status, unknown.status_code) == (404, 2000), unknown.body


async def test_sender_list_and_single_tariffs_for_every_party(
    world: World, make_party: MakeParty
) -> None:
    """GET all: every connected party pages every Tariff; OCPI-to narrows to one CPO (§1.5, §5)."""
    theirs = a_tariff("T1", country_code="BE", party_id="CPB", currency="EUR")
    assert_ok(await world.put(a_tariff("T1"), "T1"), 201)
    assert_ok(await world.put(a_tariff("T2"), "T2"), 201)
    put_theirs = await world.cpo2.call_url("PUT", world.url("BE", "CPB", "T1"), json=theirs)
    assert_ok(put_theirs, 201)

    for reader in (world.emsps[0], world.cpo2):
        page = await world.listing(reader, "?limit=2")
        assert_ok(page)
        assert [(t["party_id"], t["id"]) for t in page.data] == [("CPA", "T1"), ("CPA", "T2")]
        assert page.header("X-Total-Count") == "3" and page.header("X-Limit") == "50"
        assert page.header("Link") is not None
    narrowed = await world.listing(world.emsps[0], headers=to_headers(("BE", "CPB")))
    assert narrowed.data == [theirs] and narrowed.header("X-Total-Count") == "1"

    reader = world.emsps[1]
    single = await reader.call_url("GET", world.hub.url + SENDER + "/T2")
    assert_ok(single)
    assert single.data == a_tariff("T2")
    ambiguous = await reader.call_url("GET", world.hub.url + SENDER + "/T1")
    assert ambiguous.status_code == 2001, ambiguous.body
    named = await reader.call_url(
        "GET", world.hub.url + SENDER + "/T1", headers=to_headers(("BE", "CPB"))
    )
    assert named.data == theirs
    unknown = await reader.call_url("GET", world.hub.url + SENDER + "/T9")
    assert (unknown.status, unknown.status_code) == (404, 2000), unknown.body


# ---- relay to one party -----------------------------------------------------------------------


async def test_put_to_one_emsp_is_relayed_and_not_stored(world: World) -> None:
    """OCPI-to an eMSP: relayed to it only, FROM the CPO, answer relayed, not stored (§1.6, §5)."""
    emsp, emsp2 = world.emsps
    headers = IDS | to_headers(emsp.key)

    answer = await world.put(a_tariff(), "T1", headers=headers)

    assert_ok(answer)
    assert answer.routing("from") == emsp.key and answer.routing("to") == CPO_KEY
    (hop,) = emsp.requests("tariffs")
    assert (hop.method, hop.path) == ("PUT", f"{PUSHED}/NL/CPA/T1")
    assert hop.routing("from") == CPO_KEY and hop.routing("to") == emsp.key
    assert hop.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
    assert hop.header("X-Request-ID") != IDS["X-Request-ID"]
    assert emsp2.requests("tariffs") == []
    assert (await world.listing(emsp2)).data == []
    assert await deliveries(world.hub) == 0


# ---- refusals -------------------------------------------------------------------------------


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _component(**overrides: Any) -> dict[str, Any]:
    """A Tariff whose one price component has `overrides`."""
    component = {"type": "ENERGY", "price": 0.25, "step_size": 1, **overrides}
    return a_tariff(elements=[{"price_components": [component]}])


BAD_INPUT: dict[str, tuple[Any, int, int, str]] = {
    "invalid JSON": (b'{"id": "T1",', 400, 2000, "JSON"),
    "body is a list": ([a_tariff()], 200, 2001, "object"),
    "id differs": (a_tariff("T2"), 200, 2001, "id:"),
    "country_code differs": (a_tariff(country_code="DE"), 200, 2001, "country_code:"),
    "party_id differs": (a_tariff(party_id="CPB"), 200, 2001, "party_id:"),
    "no elements": (_without(a_tariff(), "elements"), 200, 2001, "elements:"),
    "empty elements": (a_tariff(elements=[]), 200, 2001, "elements:"),
    "no currency": (_without(a_tariff(), "currency"), 200, 2001, "currency:"),
    "currency of 4": (a_tariff(currency="EURO"), 200, 2001, "currency:"),
    "price as a string": (_component(price="0.25"), 200, 2001, "price:"),
    "dimension KWH": (_component(type="KWH"), 200, 2001, "type:"),
    "restriction time 24:00": (
        a_tariff(
            elements=[
                {
                    "price_components": [{"type": "TIME", "price": 1, "step_size": 60}],
                    "restrictions": {"start_time": "24:00"},
                }
            ]
        ),
        200,
        2001,
        "start_time:",
    ),
    "last_updated with +00:00": (
        a_tariff(last_updated="2024-03-01T10:00:00+00:00"),
        200,
        2001,
        "last_updated:",
    ),
}


@pytest.mark.parametrize(("body", "http", "code", "mentions"), BAD_INPUT.values(), ids=BAD_INPUT)
async def test_bad_input_is_refused_and_changes_nothing(
    world: World, body: Any, http: int, code: int, mentions: str
) -> None:
    """URL/body mismatches and invalid Tariffs: 400 or 2001; nothing stored or sent (§1.7, §4.4)."""
    sent = {"data": body} if isinstance(body, bytes) else {"json": body}

    answer = await world.cpo.call_url("PUT", world.url("NL", "CPA", "T1"), **sent)

    assert (answer.status, answer.status_code) == (http, code), answer.body
    assert mentions in answer.body["status_message"], answer.body
    assert await deliveries(world.hub) == 0
    assert (await world.listing(world.emsps[0])).data == []
    await world.settled()
    assert world.tariff_requests() == [[], [], [], []]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize(
    ("caller", "owner"),
    [
        ("emsp", ("DE", "EMA")),  # an eMSP is no Tariff owner
        ("emsp", ("NL", "CPA")),  # nor may it push for a CPO
        ("cpo2", ("NL", "CPA")),  # another CPO's Tariffs
        ("cpo", ("NL", "CPZ")),  # a party the caller does not host
    ],
)
async def test_url_party_not_the_callers_cpo_is_404(
    world: World, method: str, caller: str, owner: tuple[str, str]
) -> None:
    """An eMSP cannot push Tariffs, nor a CPO another's: HTTP 404 + 2001, no change (§1.7)."""
    assert_ok(await world.put(a_tariff(), "T1"), 201)
    await world.settled()
    before = await world.stored(world.emsps[0]), world.tariff_requests()
    callers = {"cpo": world.cpo, "cpo2": world.cpo2, "emsp": world.emsps[0]}
    body = a_tariff(country_code=owner[0], party_id=owner[1]) if method == "PUT" else None

    answer = await callers[caller].call_url(method, world.url(*owner, "T1"), json=body)

    assert (answer.status, answer.status_code) == (404, 2001), answer.body
    await world.settled()
    assert (await world.stored(world.emsps[0]), world.tariff_requests()) == before
