"""Tokens through the hub, end to end: broadcast PUT/PATCH to CPOs, (uid, type) identity, refusals,
the sender list, and real-time authorization relayed to the token's eMSP within its time budget.

Spec: checklist §1.2 (ids per hop), §1.4 (HTTP/OCPI codes, 404 + 2004), §1.5 (paging), §1.6
(routing headers), §1.7 (client owned objects), §1.8 (PUT vs PATCH), §4.5 (Tokens), §5 (hub rules).
The test hub's authorization budget is 1 s, its forward timeout 2 s (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty, eventually, registered, to_headers
from tests.e2e.fakes import Answer, FakeParty
from tests.factories import token as a_token

RECEIVER = "/ocpi/2.2.1/receiver/tokens"
SENDER = "/ocpi/2.2.1/sender/tokens"
PUSHED = "/ocpi/2.2.1/tokens"  # below each party's own Tokens endpoint
HUB = ("XX", "HUB")
EMSP_KEY, CPO_KEY = ("DE", "EMA"), ("NL", "CPA")
IDS = {"X-Request-ID": "request-1", "X-Correlation-ID": "correlation-1"}
SLOWER_THAN_BUDGET = 1.5  # above the 1 s authorization budget, below the 2 s forward timeout


def assert_ok(answer: Answer, status: int = 200) -> None:
    assert (answer.status, answer.status_code) == (status, 1000), answer.body


async def deliveries(hub: RunningHub) -> int:
    async with hub.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM deliveries")
    return count


@dataclass
class Seen:
    """What a party's Tokens endpoint was asked, query included (the fake records paths only)."""

    requests: list[tuple[str, str, Any]] = field(default_factory=list)

    def authorizations(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[1].split("?")[0].endswith("/authorize")]


def answering(party: FakeParty, answer: Any = None, *, status: int = 200, code: int = 1000) -> Seen:
    """Make `party` record its Tokens requests with their query, and answer authorizations
    with `answer` (a function of the request body, or data)."""
    seen = Seen()

    async def handler(request: web.Request, body: Any) -> web.Response:
        seen.requests.append((request.method, request.path_qs, body))
        if request.path.endswith("/authorize"):
            data = answer(body) if callable(answer) else answer
            return party.reply(request, data, status=status, code=code)
        return party.reply(request, None)

    party.handlers["tokens"] = handler
    return seen


@dataclass
class World:
    """Two CPOs with a Tokens receiver; two eMSPs with a Tokens sender (and receiver)."""

    hub: RunningHub
    cpos: list[FakeParty]
    emsps: list[FakeParty]

    @property
    def cpo(self) -> FakeParty:
        return self.cpos[0]

    @property
    def emsp(self) -> FakeParty:
        return self.emsps[0]

    def url(self, *parts: str, query: str = "") -> str:
        return "/".join([self.hub.url + RECEIVER, *parts]) + query

    async def push(
        self, method: str, body: Any, uid: str = "U1", query: str = "", party: Any = None, **kw: Any
    ) -> Answer:
        sender = party or self.emsp
        owner = sender.key if party is not None else EMSP_KEY
        return await sender.call_url(method, self.url(*owner, uid, query=query), json=body, **kw)

    async def authorize(
        self, uid: str = "U1", query: str = "", body: Any = None, **kw: Any
    ) -> Answer:
        url = f"{self.hub.url}{SENDER}/{uid}/authorize{query}"
        return await self.cpo.call_url("POST", url, json=body, **kw)

    def token_requests(self) -> list[list[tuple[str, str]]]:
        """(method, path) of every Tokens request each party received, barriers left out."""
        return [
            [(r.method, r.path) for r in p.requests("tokens") if "BARRIER" not in r.path]
            for p in (*self.cpos, *self.emsps)
        ]

    async def settled(self) -> None:
        """Barrier: a fresh token push reached both CPOs and nothing is pending in the outbox."""
        barrier = f"BARRIER{uuid.uuid4().hex[:8]}"
        assert_ok(await self.push("PUT", a_token(barrier), barrier), 201)
        await eventually(
            lambda: all(any(barrier in r.path for r in p.requests("tokens")) for p in self.cpos),
            message="barrier delivered",
        )
        async with asyncio.timeout(10), self.hub.pool.acquire() as conn:
            while await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'PENDING'"):
                await asyncio.sleep(0.02)  # polling under a deadline, like `eventually`

    async def stored(self) -> list[Any]:
        """Every Token the hub serves to a CPO, barriers left out."""
        answer = await self.cpo.call_url("GET", self.hub.url + SENDER)
        assert_ok(answer)
        return [t for t in answer.data if "BARRIER" not in t["uid"]]


@pytest.fixture
async def world(hub: RunningHub, make_party: MakeParty) -> World:
    cpo_modules = [("tokens", "RECEIVER")]
    emsp_modules = [("tokens", "SENDER"), ("tokens", "RECEIVER")]
    cpos = [
        await registered(hub, await make_party("CPO", "NL", "CPA", modules=cpo_modules)),
        await registered(hub, await make_party("CPO", "BE", "CPB", modules=cpo_modules)),
    ]
    emsps = [
        await registered(hub, await make_party("EMSP", "DE", "EMA", modules=emsp_modules)),
        await registered(hub, await make_party("EMSP", "FR", "EMB", modules=emsp_modules)),
    ]
    return World(hub, cpos, emsps)


# ---- broadcast to CPOs ----------------------------------------------------------------------


@pytest.mark.parametrize("to", [None, HUB], ids=["open routing", "OCPI-to hub"])
async def test_put_and_patch_reach_every_cpo_and_no_emsp(
    world: World, to: tuple[str, str] | None
) -> None:
    """An eMSP's Token PUT/PATCH: stored, FROM hub TO each CPO, one correlation (§1.6, §5)."""
    token = a_token(x_vendor=[1, "two"])
    headers = IDS | (to_headers(to) if to else {})
    patch = {"valid": False, "last_updated": "2024-03-01T11:00:00Z"}

    put = await world.push("PUT", token, headers=headers)
    patched = await world.push("PATCH", patch, headers=headers)

    assert_ok(put, 201)
    assert_ok(patched, 200)
    assert put.routing("from") == HUB and put.routing("to") == EMSP_KEY
    assert put.header("X-Request-ID") == IDS["X-Request-ID"]
    cpos = world.cpos
    await eventually(lambda: all(len(c.pushes(module="tokens")) == 2 for c in cpos))
    request_ids = set()
    for cpo in cpos:
        put_hop, patch_hop = cpo.pushes(module="tokens")
        assert [(h.method, h.path) for h in (put_hop, patch_hop)] == [
            ("PUT", f"{PUSHED}/DE/EMA/U1"),
            ("PATCH", f"{PUSHED}/DE/EMA/U1"),
        ]
        assert (put_hop.body, patch_hop.body) == (token, patch)
        for hop in (put_hop, patch_hop):
            assert hop.routing("from") == HUB and hop.routing("to") == cpo.key
            assert hop.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
            request_ids.add(hop.header("X-Request-ID"))
    assert len(request_ids) == 4 and IDS["X-Request-ID"] not in request_ids
    await world.settled()
    assert world.token_requests()[2:] == [[], []], "no eMSP receives another eMSP's Token"
    assert await world.stored() == [token | patch], "PATCH merged into the stored Token"


async def test_type_is_part_of_the_identity(world: World) -> None:
    """Same uid, two types = two Tokens, pushed, paged and patched apart (§4.5 `?type=`)."""
    seen = answering(world.cpo)
    rfid, app = a_token(), a_token(type="APP_USER", contract_id="DE-EMA-APP1")
    patch = {"whitelist": "ALWAYS", "last_updated": "2024-03-01T11:00:00Z"}

    assert_ok(await world.push("PUT", rfid), 201)
    assert_ok(await world.push("PUT", app, query="?type=APP_USER"), 201)
    assert_ok(await world.push("PATCH", patch, query="?type=APP_USER"), 200)
    assert_ok(await world.push("PUT", rfid | {"valid": False}, query="?type=RFID"), 200)

    page = await world.cpo.call_url("GET", world.hub.url + SENDER + "?limit=1")
    assert page.header("X-Total-Count") == "2" and page.header("Link") is not None
    assert await world.stored() == [rfid | {"valid": False}, app | patch]
    got = await world.emsp.call_url("GET", world.url(*EMSP_KEY, "U1", query="?type=APP_USER"))
    assert got.data == app | patch
    default = await world.emsp.call_url("GET", world.url(*EMSP_KEY, "u1"))
    assert default.data == rfid | {"valid": False}, "no ?type= means RFID, uid in any case"
    await eventually(lambda: len(seen.requests) == 4)
    # Order is kept per Token, so compare each Token's own sequence: the query travels along.
    by_token = {
        kind: [(m, path) for m, path, _ in seen.requests if ("APP_USER" in path) == (kind == "APP")]
        for kind in ("RFID", "APP")
    }
    assert by_token == {
        "RFID": [("PUT", f"{PUSHED}/DE/EMA/U1"), ("PUT", f"{PUSHED}/DE/EMA/U1?type=RFID")],
        "APP": [
            ("PUT", f"{PUSHED}/DE/EMA/U1?type=APP_USER"),
            ("PATCH", f"{PUSHED}/DE/EMA/U1?type=APP_USER"),
        ],
    }


async def test_cpo_pages_tokens_and_an_emsp_sees_only_its_own(world: World) -> None:
    """GET all on the Tokens sender: CPOs see every Token, an eMSP only its own (§1.5, §5)."""
    assert_ok(await world.push("PUT", a_token("U1"), "U1"), 201)
    assert_ok(await world.push("PUT", a_token("U2"), "U2"), 201)
    theirs = a_token("U3", country_code="FR", party_id="EMB")
    assert_ok(await world.push("PUT", theirs, "U3", party=world.emsps[1]), 201)

    for cpo in world.cpos:
        page = await cpo.call_url("GET", world.hub.url + SENDER + "?limit=2")
        assert [t["uid"] for t in page.data] == ["U1", "U2"]
        assert page.header("X-Total-Count") == "3" and page.header("Link") is not None
    narrowed = await world.cpo.call_url(
        "GET", world.hub.url + SENDER, headers=to_headers(world.emsps[1].key)
    )
    assert narrowed.data == [theirs]
    own = await world.emsps[1].call_url("GET", world.hub.url + SENDER)
    assert_ok(own)
    assert own.data == [theirs] and own.header("X-Total-Count") == "1"


async def test_push_to_one_cpo_is_relayed_once_with_its_query(world: World) -> None:
    """OCPI-to a CPO: relayed to it only, `?type=` once, answer relayed, not stored (§1.6, §5)."""
    cpo, cpo2 = world.cpos
    seen = answering(cpo)
    token = a_token(type="APP_USER")

    answer = await world.push(
        "PUT", token, query="?type=APP_USER", headers=IDS | to_headers(cpo.key)
    )

    assert_ok(answer)
    assert answer.routing("from") == cpo.key and answer.routing("to") == EMSP_KEY
    assert seen.requests == [("PUT", f"{PUSHED}/DE/EMA/U1?type=APP_USER", token)]
    (hop,) = cpo.requests("tokens")
    assert hop.routing("from") == EMSP_KEY and hop.routing("to") == cpo.key
    assert hop.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
    assert cpo2.requests("tokens") == []
    assert await world.stored() == [] and await deliveries(world.hub) == 0


# ---- refusals -------------------------------------------------------------------------------


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@dataclass(frozen=True)
class Bad:
    """One refused push: what is sent where, and the answer it must get."""

    method: str
    body: Any  # bytes are sent as they are, anything else as JSON
    mentions: str  # what the status_message must contain, e.g. the field at fault
    http: int = 200
    code: int = 2001
    query: str = ""
    uid: str = "U1"  # the uid in the URL


PATCH_VALID = {"valid": False, "last_updated": "2024-03-01T11:00:00Z"}
BAD_INPUT = {
    "invalid JSON": Bad("PUT", b'{"uid": "U1",', "JSON", http=400, code=2000),
    "body is a list": Bad("PUT", [a_token()], "object"),
    "uid differs": Bad("PUT", a_token("U2"), "uid:"),
    "type differs from the default": Bad("PUT", a_token(type="APP_USER"), "type:"),
    "type differs from ?type=": Bad("PUT", a_token(), "type:", query="?type=APP_USER"),
    "unknown ?type=": Bad("PUT", a_token(), "type:", query="?type=CARD"),
    "country_code differs": Bad("PUT", a_token(country_code="FR"), "country_code:"),
    "party_id differs": Bad("PUT", a_token(party_id="EMB"), "party_id:"),
    "no whitelist": Bad("PUT", _without(a_token(), "whitelist"), "whitelist:"),
    "whitelist SOMETIMES": Bad("PUT", a_token(whitelist="SOMETIMES"), "whitelist:"),
    "valid as a string": Bad("PUT", a_token(valid="true"), "valid:"),
    "uid of 37": Bad("PUT", a_token("U" * 37), "uid:", uid="U" * 37),
    "PATCH without last_updated": Bad("PATCH", {"valid": False}, "last_updated:", uid="U0"),
    "PATCH leaving an invalid token": Bad(
        "PATCH", PATCH_VALID | {"valid": "no"}, "valid:", uid="U0"
    ),
    "PATCH changing the uid": Bad("PATCH", PATCH_VALID | {"uid": "U9"}, "uid:", uid="U0"),
    "PATCH of an unknown token": Bad("PATCH", PATCH_VALID, "U1", http=404, code=2004),
    "PATCH of the other type": Bad(
        "PATCH", PATCH_VALID, "APP_USER", http=404, code=2004, query="?type=APP_USER", uid="U0"
    ),
}


@pytest.mark.parametrize("bad", BAD_INPUT.values(), ids=BAD_INPUT)
async def test_bad_input_is_refused_and_changes_nothing(world: World, bad: Bad) -> None:
    """URL/body mismatches, invalid Tokens, bad PATCHes: 400/2001/404+2004; nothing kept (§1.7)."""
    assert_ok(await world.push("PUT", a_token("U0"), "U0"), 201)
    await world.settled()
    before = await world.stored(), world.token_requests(), await deliveries(world.hub)
    url = world.url(*EMSP_KEY, bad.uid, query=bad.query)
    sent = {"data": bad.body} if isinstance(bad.body, bytes) else {"json": bad.body}

    answer = await world.emsp.call_url(bad.method, url, **sent)

    assert (answer.status, answer.status_code) == (bad.http, bad.code), answer.body
    assert bad.mentions in answer.body["status_message"], answer.body
    assert await deliveries(world.hub) == before[2]
    await world.settled()
    assert (await world.stored(), world.token_requests()) == before[:2]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize(
    ("caller", "owner"),
    [
        ("cpo", ("NL", "CPA")),  # a CPO is no Token owner
        ("cpo", ("DE", "EMA")),  # nor may it push for an eMSP
        ("emsp2", ("DE", "EMA")),  # another eMSP's Tokens
    ],
)
async def test_url_party_not_the_callers_emsp_is_404(
    world: World, method: str, caller: str, owner: tuple[str, str]
) -> None:
    """A CPO cannot push Tokens, nor an eMSP another's: HTTP 404 + 2001, no change (§1.7)."""
    assert_ok(await world.push("PUT", a_token()), 201)
    await world.settled()
    before = await world.stored(), world.token_requests()
    party = world.cpo if caller == "cpo" else world.emsps[1]
    body = (
        a_token(country_code=owner[0], party_id=owner[1], valid=False)
        if method == "PUT"
        else {"valid": False, "last_updated": "2024-03-01T11:00:00Z"}
    )

    answer = await party.call_url(method, world.url(*owner, "U1"), json=body)

    assert (answer.status, answer.status_code) == (404, 2001), answer.body
    await world.settled()
    assert (await world.stored(), world.token_requests()) == before


# ---- real-time authorization --------------------------------------------------------------


def authorization_info(body: Any, allowed: str = "ALLOWED") -> dict[str, Any]:
    info: dict[str, Any] = {"allowed": allowed, "token": a_token(), "authorization_reference": "A1"}
    if body:
        info["location"] = {"location_id": body["location_id"], "evse_uids": ["EVSE1"]}
    return info


LOCATION = {"location_id": "LOC1", "evse_uids": ["EVSE1", "EVSE2"]}


@pytest.mark.parametrize("body", [LOCATION, None], ids=["with LocationReferences", "no body"])
async def test_authorization_is_relayed_to_the_owner_and_answered(
    world: World, body: dict[str, Any] | None
) -> None:
    """POST authorize reaches the token's eMSP FROM the CPO; its answer comes back (§4.5, §5)."""
    assert_ok(await world.push("PUT", a_token()), 201)
    owner_seen = answering(world.emsp, authorization_info)
    other_seen = answering(world.emsps[1], authorization_info)

    answer = await world.authorize(body=body, headers=IDS)

    assert_ok(answer)
    assert answer.data == authorization_info(body)
    assert answer.routing("from") == EMSP_KEY and answer.routing("to") == CPO_KEY
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    assert answer.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
    (asked,) = owner_seen.authorizations()
    assert asked == ("POST", f"{PUSHED}/U1/authorize?type=RFID", body)
    (hop,) = world.emsp.requests("tokens", "POST")
    assert hop.routing("from") == CPO_KEY and hop.routing("to") == EMSP_KEY
    assert hop.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
    assert hop.header("X-Request-ID") not in (None, IDS["X-Request-ID"])
    assert other_seen.requests == [] and world.emsps[1].requests("tokens") == []


async def test_authorization_goes_to_the_owner_of_that_type(world: World) -> None:
    """(uid, type) picks the owner: the APP_USER token's eMSP is asked, not the RFID's (§4.5)."""
    assert_ok(await world.push("PUT", a_token()), 201)
    app = a_token(type="APP_USER", country_code="FR", party_id="EMB")
    assert_ok(await world.push("PUT", app, query="?type=APP_USER", party=world.emsps[1]), 201)
    rfid_seen = answering(world.emsp, authorization_info)
    app_seen = answering(world.emsps[1], lambda body: authorization_info(body, "NO_CREDIT"))

    answer = await world.authorize(query="?type=APP_USER")

    assert_ok(answer)
    assert answer.data["allowed"] == "NO_CREDIT"
    assert answer.routing("from") == world.emsps[1].key
    assert [r[1] for r in app_seen.authorizations()] == [f"{PUSHED}/U1/authorize?type=APP_USER"]
    assert rfid_seen.requests == []


async def test_unknown_token_is_404_with_2004_and_no_data(world: World) -> None:
    """Authorizing a token the hub knows nowhere: HTTP 404, status_code 2004, no data (§4.5)."""
    assert_ok(await world.push("PUT", a_token()), 201)
    seen = [answering(emsp, authorization_info) for emsp in world.emsps]

    for query, uid in [("", "U9"), ("?type=APP_USER", "U1")]:
        answer = await world.authorize(uid, query)
        assert (answer.status, answer.status_code) == (404, 2004), answer.body
        assert "data" not in answer.body
    assert [s.requests for s in seen] == [[], []]


async def test_emsp_errors_are_relayed_unchanged(world: World) -> None:
    """The eMSP's 404/2004 and 2002 reach the CPO unchanged, with no fallback (§1.4, §4.5, §5)."""
    assert_ok(await world.push("PUT", a_token(whitelist="ALLOWED_OFFLINE")), 201)
    answering(world.emsp, None, status=404, code=2004)
    unknown_there = await world.authorize("U7", headers=to_headers(EMSP_KEY))
    answering(world.emsp, None, code=2002)
    needs_location = await world.authorize()

    assert (unknown_there.status, unknown_there.status_code) == (404, 2004), unknown_there.body
    assert unknown_there.routing("from") == EMSP_KEY
    assert (needs_location.status, needs_location.status_code) == (200, 2002)
    assert "data" not in needs_location.body


async def test_several_owners_need_ocpi_to(world: World) -> None:
    """Two eMSPs with the same (uid, type): 2001 without OCPI-to, the named one with it (§5)."""
    assert_ok(await world.push("PUT", a_token()), 201)
    theirs = a_token(country_code="FR", party_id="EMB")
    assert_ok(await world.push("PUT", theirs, party=world.emsps[1]), 201)
    seen = [answering(emsp, authorization_info) for emsp in world.emsps]

    ambiguous = await world.authorize()
    named = await world.authorize(headers=to_headers(world.emsps[1].key))

    assert ambiguous.status_code == 2001, ambiguous.body
    assert "OCPI-to" in ambiguous.body["status_message"]
    assert_ok(named)
    assert named.routing("from") == world.emsps[1].key
    assert (len(seen[0].requests), len(seen[1].requests)) == (0, 1)


BAD_AUTHORIZE = {
    "LocationReferences without location_id": ({"evse_uids": ["E1"]}, 200, 2001),
    "location_id of 37": ({"location_id": "L" * 37}, 200, 2001),
    "a list": ([LOCATION], 200, 2001),
    "not JSON": (b"{", 400, 2000),
}


@pytest.mark.parametrize(("body", "http", "code"), BAD_AUTHORIZE.values(), ids=BAD_AUTHORIZE)
async def test_bad_authorization_requests_are_refused(
    world: World, body: Any, http: int, code: int
) -> None:
    """A body that is not LocationReferences: 400/2001, and the eMSP is not asked (§4.5)."""
    assert_ok(await world.push("PUT", a_token()), 201)
    seen = answering(world.emsp, authorization_info)
    url = f"{world.hub.url}{SENDER}/U1/authorize"
    sent = {"data": body} if isinstance(body, bytes) else {"json": body}

    answer = await world.cpo.call_url("POST", url, **sent)
    bad_type = await world.authorize(query="?type=CARD")
    by_emsp = await world.emsps[1].call_url("POST", url, json=LOCATION)

    assert (answer.status, answer.status_code) == (http, code), answer.body
    assert bad_type.status_code == 2001 and "type:" in bad_type.body["status_message"]
    assert by_emsp.status_code == 2001, "real-time authorization is asked by a CPO"
    assert seen.requests == []


# ---- the time budget and the fallback -------------------------------------------------------


async def _slow(emsp: FakeParty) -> None:
    emsp.delay = SLOWER_THAN_BUDGET


async def _offline(emsp: FakeParty) -> None:
    await emsp.go_offline()


async def _not_ocpi(emsp: FakeParty) -> None:
    emsp.fail_next(1, status=502)


async def _unregistered(emsp: FakeParty) -> None:
    answer = await emsp.call_url("DELETE", emsp.endpoints[("credentials", "SENDER")])
    assert answer.status_code == 1000, answer.body


FAILURES = {
    "slow eMSP": (_slow, 4002),
    "eMSP offline": (_offline, 4003),
    "eMSP unregistered": (_unregistered, 4003),
    "eMSP answers HTTP 502 without OCPI": (_not_ocpi, 4000),
}


@pytest.mark.parametrize(("fail", "code"), FAILURES.values(), ids=FAILURES)
async def test_never_token_without_an_answer_is_a_hub_error(
    world: World, fail: Any, code: int
) -> None:
    """Whitelist NEVER and no eMSP answer within the budget: 4002/4003/4000 (§4.5, §5)."""
    assert_ok(await world.push("PUT", a_token(whitelist="NEVER")), 201)
    answering(world.emsp, authorization_info)
    await fail(world.emsp)

    answer = await world.authorize(body=LOCATION, headers=IDS)

    assert (answer.status, answer.status_code) == (200, code), answer.body
    assert "data" not in answer.body
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    assert answer.routing("to") == CPO_KEY


@pytest.mark.parametrize(("fail", "_code"), FAILURES.values(), ids=FAILURES)
@pytest.mark.parametrize(
    ("whitelist", "valid", "allowed"),
    [
        ("ALLOWED_OFFLINE", True, "ALLOWED"),
        ("ALLOWED_OFFLINE", False, "BLOCKED"),
        ("ALLOWED", True, "ALLOWED"),
        ("ALWAYS", True, "ALLOWED"),
    ],
)
async def test_hub_answers_on_behalf_when_the_whitelist_allows(
    world: World, fail: Any, _code: int, whitelist: str, valid: bool, allowed: str
) -> None:
    """No eMSP answer, whitelist ALWAYS/ALLOWED/ALLOWED_OFFLINE: the hub answers 1000 from the
    stored token, ALLOWED if valid else BLOCKED, saying so in `info` (§4.5 whitelists)."""
    token = a_token(whitelist=whitelist, valid=valid)
    assert_ok(await world.push("PUT", token), 201)
    answering(world.emsp, lambda body: authorization_info(body, "NOT_ALLOWED"))
    await fail(world.emsp)

    answer = await world.authorize(body=LOCATION)

    assert_ok(answer)
    assert answer.data["allowed"] == allowed
    assert answer.data["token"] == token
    assert answer.data["location"] == LOCATION
    assert "on its behalf" in answer.data["info"]["text"]
    assert answer.routing("from") == HUB and answer.routing("to") == CPO_KEY


async def test_fallback_also_serves_a_named_emsp(world: World) -> None:
    """OCPI-to naming the owner, eMSP offline, ALLOWED_OFFLINE: answered from its token (§4.5)."""
    token = a_token(whitelist="ALLOWED_OFFLINE")
    assert_ok(await world.push("PUT", token), 201)
    await world.emsp.go_offline()

    answer = await world.authorize(headers=to_headers(EMSP_KEY))
    unknown_party = await world.authorize(headers=to_headers(("BE", "ZZZ")))

    assert_ok(answer)
    assert (answer.data["allowed"], answer.data["token"]) == ("ALLOWED", token)
    assert "location" not in answer.data
    assert unknown_party.status_code == 4001, unknown_party.body
