"""Requests addressed to one party through the hub: relayed there, its answer relayed back.

Spec: checklist §1.2 (request/correlation ids per hop), §1.4 (4001-4003), §1.6 (routing headers
"Via Hub"), §5 (routing obligations; data pushed TO one party is forwarded, not stored).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import RECEIVER_MODULES, eventually, registered
from tests.e2e.fakes import Answer, FakeParty, Received

RECEIVER = "/ocpi/2.2.1/receiver/locations"
HOP_PATH = "/ocpi/2.2.1/locations/NL/CPA/LOC1"
IDS = {"X-Request-ID": "cpo-request-7", "X-Correlation-ID": "cpo-correlation-7"}


@dataclass
class ScriptedParty(FakeParty):
    """A fake whose Locations receiver records and stores as usual, then answers `reply`."""

    reply: dict[str, Any] = field(default_factory=dict)
    reply_status: int = 200

    async def _module(self, request: web.Request) -> web.Response:
        await super()._module(request)
        ids = {h: request.headers.get(h, "") for h in ("X-Request-ID", "X-Correlation-ID")}
        return web.json_response(self.reply, status=self.reply_status, headers=ids)


def addressed_to(party: tuple[str, str]) -> dict[str, str]:
    return {
        **IDS,
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "CPA",
        "OCPI-to-country-code": party[0],
        "OCPI-to-party-id": party[1],
    }


def location(**overrides: Any) -> dict[str, Any]:
    return factories.location(country_code="NL", party_id="CPA", id="LOC1", **overrides)


async def send(
    cpo: FakeParty, hub: RunningHub, method: str, to: tuple[str, str], *parts: str, **kw: Any
) -> Answer:
    url = "/".join([hub.url + RECEIVER, "NL", "CPA", "LOC1", *parts])
    return await cpo.call_url(method, url, headers=addressed_to(to), **kw)


async def assert_not_stored(hub: RunningHub, reader: FakeParty) -> None:
    """The hub kept nothing: the sender GET does not know LOC1 and the outbox is empty."""
    answer = await reader.call_url("GET", f"{hub.url}/ocpi/2.2.1/sender/locations/LOC1")
    assert (answer.status, answer.status_code) == (404, 2003), answer.body
    async with hub.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM deliveries") == 0


def assert_hop(hop: Received, method: str, path: str, receiver: tuple[str, str]) -> None:
    """One relayed request: FROM the CPO, TO the receiver, new request id, same correlation."""
    assert (hop.method, hop.path) == (method, path)
    assert hop.routing("from") == ("NL", "CPA")
    assert hop.routing("to") == receiver
    assert hop.header("X-Request-ID") not in (None, IDS["X-Request-ID"])
    assert hop.header("X-Correlation-ID") == IDS["X-Correlation-ID"]


def assert_answer_from(answer: Answer, receiver: tuple[str, str]) -> None:
    """The relayed answer: FROM the receiver, TO the CPO, the CPO's own request id."""
    assert answer.routing("from") == receiver
    assert answer.routing("to") == ("NL", "CPA")
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    assert answer.header("X-Correlation-ID") == IDS["X-Correlation-ID"]


@pytest.fixture
async def scripted(hub: RunningHub, parties: list[FakeParty]) -> ScriptedParty:
    """eMSP DE/EMA with a scripted Locations receiver, registered with the hub."""
    party = ScriptedParty("EMSP", "DE", "EMA", modules=list(RECEIVER_MODULES))
    await party.start()
    parties.append(party)
    await registered(hub, party)
    return party


REPLIES = {
    "accepted": (200, {"status_code": 1000, "data": {"echo": "ok"}}),
    "refused 2001": (200, {"status_code": 2001, "status_message": "EMA: bad evses"}),
    "server error 3000": (200, {"status_code": 3000, "data": ["debug"], "status_message": "x"}),
    "unknown 2003 with HTTP 404": (404, {"status_code": 2003, "status_message": "unknown"}),
}


@pytest.mark.parametrize(("http", "reply"), REPLIES.values(), ids=REPLIES.keys())
async def test_put_to_one_emsp_is_relayed_and_not_stored(
    hub: RunningHub,
    cpo: FakeParty,
    scripted: ScriptedParty,
    emsp2: FakeParty,
    http: int,
    reply: dict[str, Any],
) -> None:
    """OCPI-to an eMSP: relayed to it only, answer relayed unchanged, not stored (§1.6, §5)."""
    scripted.reply_status = http
    scripted.reply = {**reply, "timestamp": "2024-03-01T10:00:00.5Z"}
    body = location(x_extra="kept")

    answer = await send(cpo, hub, "PUT", scripted.key, json=body)

    assert answer.status == http
    assert answer.body == scripted.reply
    assert_answer_from(answer, scripted.key)
    (hop,) = [r for r in scripted.received if "/locations" in r.path]
    assert_hop(hop, "PUT", HOP_PATH, scripted.key)
    assert hop.body == body
    assert not [r for r in emsp2.received if "/locations" in r.path], "nothing for emsp2"
    await assert_not_stored(hub, emsp2)


async def test_receiver_get_to_one_emsp_returns_its_copy(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Receiver GET with OCPI-to an eMSP returns the eMSP's own copy (§4.1, §1.6, §5)."""
    stored_at_hub = location()
    put_url = f"{hub.url}{RECEIVER}/NL/CPA/LOC1"
    assert (await cpo.call_url("PUT", put_url, json=stored_at_hub)).status == 201
    await eventually(lambda: "NL/CPA/LOC1" in emsp.locations)
    emsp.locations["NL/CPA/LOC1"] = location(name="The eMSP's own copy")

    answer = await send(cpo, hub, "GET", emsp.key)
    unknown = await send(cpo, hub, "GET", emsp.key, "EVSE9")

    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    assert answer.data == emsp.locations["NL/CPA/LOC1"] != stored_at_hub
    assert_answer_from(answer, emsp.key)
    assert (unknown.status, unknown.status_code) == (404, 2003), unknown.body
    gets = [r for r in emsp.received if r.method == "GET" and "/locations/" in r.path]
    assert len(gets) == 2
    assert_hop(gets[0], "GET", HOP_PATH, emsp.key)
    assert_hop(gets[1], "GET", HOP_PATH + "/EVSE9", emsp.key)


# ---- the receiver cannot be reached ---------------------------------------------------------


async def _unknown(emsp: FakeParty) -> tuple[str, str]:
    return ("BE", "ZZZ")


async def _unregistered(emsp: FakeParty) -> tuple[str, str]:
    answer = await emsp.call_url("DELETE", emsp.endpoints[("credentials", "SENDER")])
    assert answer.status_code == 1000, answer.body
    return emsp.key


async def _unreachable(emsp: FakeParty) -> tuple[str, str]:
    await emsp.stop()
    return emsp.key


async def _refuses_hub_token(emsp: FakeParty) -> tuple[str, str]:
    emsp.accepted_tokens = set()  # it answers the hub's calls with HTTP 401
    return emsp.key


async def _too_slow(emsp: FakeParty) -> tuple[str, str]:
    emsp.delay = 3.0  # the test hub's forward timeout is 2 s
    return emsp.key


Setup = Callable[[FakeParty], Awaitable[tuple[str, str]]]
UNDELIVERABLE: dict[str, tuple[Setup, int]] = {
    "unknown party 4001": (_unknown, 4001),
    "unregistered party 4003": (_unregistered, 4003),
    "unreachable party 4003": (_unreachable, 4003),
    "party refusing the hub's token 4003": (_refuses_hub_token, 4003),
    "answer after the timeout 4002": (_too_slow, 4002),
}


@pytest.mark.parametrize(("setup", "code"), UNDELIVERABLE.values(), ids=UNDELIVERABLE.keys())
async def test_undeliverable_request_gets_a_hub_error(
    hub: RunningHub,
    cpo: FakeParty,
    emsp: FakeParty,
    emsp2: FakeParty,
    setup: Setup,
    code: int,
) -> None:
    """Unknown TO → 4001, not connected (or refusing the hub's own token: never a 401 for the
    requester, whose credentials are fine) → 4003, too slow → 4002; nothing stored (§1.4, §5)."""
    to = await setup(emsp)
    started = time.monotonic()

    answer = await send(cpo, hub, "PUT", to, json=location())

    assert (answer.status, answer.status_code) == (200, code), answer.body
    assert time.monotonic() - started < 3.0, "the hub answers by its own timeout"
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    assert answer.routing("to") == ("NL", "CPA")
    await assert_not_stored(hub, emsp2)


MALFORMED = {
    "half a TO pair": {"OCPI-to-country-code": "DE"},
    "TO party id of 4": {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "EMAX"},
    "FROM not the caller's": {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "EMA"},
}


@pytest.mark.parametrize("headers", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_routing_headers_are_2001(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, headers: dict[str, str]
) -> None:
    """Half or over-long routing pairs, or a FROM not the caller's: 2001, no relay (§1.6)."""
    url = f"{hub.url}{RECEIVER}/NL/CPA/LOC1"

    answer = await cpo.call_url("PUT", url, json=location(), headers=headers)

    assert answer.status_code == 2001, answer.body
    assert not [r for r in emsp.received if "/locations" in r.path]
    await assert_not_stored(hub, emsp)


# ---- an unknown receiver is 4001 before anything else ----------------------------------------

NOBODY = {"OCPI-to-country-code": "BE", "OCPI-to-party-id": "ZZZ"}  # no platform hosts BE*ZZZ
OTHER_EMSP_TOKEN = factories.token(country_code="FR", party_id="EMB")
RESPONSE_URL = "response_url=https://emsp.example.com/cb/1"
# Every route that carries a request to a party, as (who sends it, method, path below
# /ocpi/2.2.1/, body), each with content the hub would refuse (2001) or route elsewhere if it
# read it first: a Session and a CDR naming a known eMSP that is not OCPI-to, bodies naming
# another party, invalid objects.
ADDRESSED: dict[str, tuple[str, str, str, Any]] = {
    "location PUT": (
        "cpo",
        "PUT",
        "receiver/locations/NL/CPA/LOC1",
        factories.location(party_id="CPB"),
    ),
    "location PATCH": ("cpo", "PATCH", "receiver/locations/NL/CPA/LOC1", {"name": 1}),
    "tariff PUT": ("cpo", "PUT", "receiver/tariffs/NL/CPA/T1", factories.tariff(party_id="CPB")),
    "tariff DELETE": ("cpo", "DELETE", "receiver/tariffs/NL/CPA/T1", None),
    "session PUT": ("cpo", "PUT", "receiver/sessions/NL/CPA/S1", factories.session("S1")),
    "session PATCH": ("cpo", "PATCH", "receiver/sessions/NL/CPA/S1", {"kwh": 1}),
    "CDR POST": ("cpo", "POST", "receiver/cdrs", factories.cdr()),
    "CDR POST of another CPO": ("cpo", "POST", "receiver/cdrs", factories.cdr(owner=("NL", "CPB"))),
    "token PUT": ("emsp", "PUT", "receiver/tokens/DE/EMA/U1", OTHER_EMSP_TOKEN),
    "token PATCH": ("emsp", "PATCH", "receiver/tokens/DE/EMA/U1", {"valid": False}),
    "authorize": ("cpo", "POST", "sender/tokens/U1/authorize", {"location_id": 7}),
    "START_SESSION with another's token": (
        "emsp",
        "POST",
        "receiver/commands/START_SESSION",
        {"response_url": "https://emsp.example.com/cb/1", "token": OTHER_EMSP_TOKEN},
    ),
    "command result": ("cpo", "POST", "sender/commands/START_SESSION/nope", {"result": "?"}),
    "charging profile PUT": ("emsp", "PUT", "receiver/chargingprofiles/S1", {"x": 1}),
    "charging profile DELETE": ("emsp", "DELETE", "receiver/chargingprofiles/S1", None),
    "charging profile GET": ("emsp", "GET", f"receiver/chargingprofiles/S1?{RESPONSE_URL}", None),
    "profile result": ("cpo", "POST", "sender/chargingprofiles/results/nope", {"result": "?"}),
    "active profile": ("cpo", "PUT", "sender/chargingprofiles/S1", {"x": 1}),
    "charging preferences": ("emsp", "PUT", "sender/sessions/S1/charging_preferences", {"x": 1}),
}


@pytest.mark.parametrize(("sender", "method", "path", "body"), ADDRESSED.values(), ids=ADDRESSED)
async def test_unknown_ocpi_to_is_4001_whatever_the_content_says(
    hub: RunningHub,
    cpo: FakeParty,
    emsp: FakeParty,
    sender: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    """OCPI-to naming a party the hub does not know: 4001 on every push route, before the
    content is read, even when the content names another known party (§1.4, §5)."""
    party = cpo if sender == "cpo" else emsp

    answer = await party.call_url(
        method, f"{hub.url}/ocpi/2.2.1/{path}", json=body, headers={**IDS, **NOBODY}
    )

    assert (answer.status, answer.status_code) == (200, 4001), answer.body
    assert "BE*ZZZ" in answer.body["status_message"]
    assert answer.routing("to") == party.key
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    for other in (cpo, emsp):
        reached = [r for r in other.received if r.path.startswith("/ocpi/2.2.1/")]
        assert [r for r in reached if "credentials" not in r.path] == [], "nothing relayed"
    async with hub.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM objects") == 0
        assert await conn.fetchval("SELECT count(*) FROM deliveries") == 0
