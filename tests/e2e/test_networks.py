"""The fake networks enforce their dialects (`tests/e2e/networks.py`): for each rule, a client
that breaks it is refused and one that follows it is served. Sections are those of
`shared/reference/hub-dialects.md`. Only the handshake tests need the hub."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from aiohttp import web

from ocpi_hub.core.routing import routing_headers as routed
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeNetwork, MakeParty
from tests.e2e.fakes import Answer, FakeParty
from tests.e2e.network_rules import Key
from tests.e2e.networks import FakeNetwork

REMOTE_CPO: Key = ("FR", "ABC")
REMOTE_EMSP: Key = ("FR", "EMX")
REMOTE = [(*REMOTE_CPO, "CPO"), (*REMOTE_EMSP, "EMSP")]
LOCAL_CPO: Key = ("NL", "CPA")
LOCAL_EMSP: Key = ("DE", "EMA")
STAMP = "2024-01-02T03:04:05Z"


def a_location(ident: str = "LOC1") -> dict[str, Any]:
    """A Location with every field Gireve requires beyond the spec (§2.3)."""
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "tariff_ids": ["T1"],
        "last_updated": STAMP,
    }
    evse = {
        "uid": "EVSE1",
        "evse_id": "NL*CPA*E1",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER"],
        "connectors": [connector],
        "last_updated": STAMP,
    }
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": ident,
        "publish": True,
        "address": "Main 1",
        "city": "Utrecht",
        "country": "NLD",
        "coordinates": {"latitude": "52.0", "longitude": "5.1"},
        "time_zone": "Europe/Amsterdam",
        "owner": {"name": "CPA owner"},
        "operator": {"name": "CPA operator"},
        "evses": [evse],
        "last_updated": STAMP,
    }


def a_token(uid: str = "AB12CD34", **changes: Any) -> dict[str, Any]:
    token = {
        "country_code": "DE",
        "party_id": "EMA",
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE-EMA-C1",
        "issuer": "EMA",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
    }
    return {**token, **changes}


class Client:
    """A party calling a fake network directly, with a token the network issued."""

    def __init__(self, party: FakeParty, network: FakeNetwork) -> None:
        self.party, self.network = party, network
        self.token = network.issue_token_a()

    async def call(self, method: str, path: str, **kw: Any) -> Answer:
        kw.setdefault("token", self.token)
        return await self.party.call_url(method, f"{self.network.url}/ocpi/{path}", **kw)


async def client_of(
    make_network: MakeNetwork, make_party: MakeParty, dialect: str
) -> tuple[FakeNetwork, Client]:
    network = await make_network(dialect, REMOTE)
    network.configure_member(LOCAL_CPO, "CPO")
    network.configure_member(LOCAL_EMSP, "EMSP")
    return network, Client(await make_party("CPO", *LOCAL_CPO), network)


CPO_TO_HUB = routed(LOCAL_CPO, ("FR", "007"))


# ---- Gireve (§2) -----------------------------------------------------------------------------


async def test_gireve_requires_tracing_ids(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """Gireve wants X-Request-ID and X-Correlation-ID on every request, versions too (§2.1)."""
    _, client = await client_of(make_network, make_party, "gireve")
    for name in ("X-Request-ID", "X-Correlation-ID"):
        refused = await client.call("GET", "versions", headers={name: ""})
        assert (refused.status, refused.status_code) == (400, 2001)
        assert name in refused.body["status_message"]
    assert (await client.call("GET", "versions")).status_code == 1000


async def test_gireve_requires_routing_headers_on_functional_requests(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """OCPI-from/to-* are mandatory on functional modules, not on versions (§2.2)."""
    _, client = await client_of(make_network, make_party, "gireve")
    refused = await client.call("GET", "2.2.1/locations")
    assert (refused.status, refused.status_code) == (400, 2001)
    assert "OCPI-from-country-code" in refused.body["status_message"]
    assert (await client.call("GET", "2.2.1/locations", headers=CPO_TO_HUB)).status_code == 1000
    assert (await client.call("GET", "2.2.1")).status_code == 1000


@pytest.mark.parametrize(
    ("dialect", "missing"),
    [
        ("gireve", {"chargingprofiles", "hubclientinfo"}),
        ("enapi", {"chargingprofiles", "hubclientinfo"}),
        ("eclearing", {"chargingprofiles"}),
    ],
)
async def test_network_offers_and_serves_only_its_modules(
    make_network: MakeNetwork, make_party: MakeParty, dialect: str, missing: set[str]
) -> None:
    """Version details list only implemented modules; the others are refused 404/2000 (Gireve
    §2.3 "Modules", ENAPI §3, e-clearing.net §4)."""
    network, client = await client_of(make_network, make_party, dialect)
    details = await client.call("GET", "2.2.1")
    offered = {e["identifier"] for e in details.data["endpoints"]}
    assert offered & missing == set()
    assert {"locations", "commands", "cdrs"} <= offered
    for module in missing:
        path = f"2.2.1/{module}/FR/ABC/X"
        refused = await client.call("PUT", path, json={}, headers=CPO_TO_HUB)
        assert (refused.status, refused.status_code) == (404, 2000)
    assert len(network.refused) == len(missing)


async def test_gireve_commands_are_start_and_stop_session_only(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """RESERVE_NOW is answered NOT_SUPPORTED; START_SESSION without evse_uid is 2001 naming
    the field; with it, the command reaches the remote CPO (§2.3 "Modules", "Commands")."""
    network, client = await client_of(make_network, make_party, "gireve")
    headers = routed(LOCAL_EMSP, REMOTE_CPO)
    reserve = await client.call("POST", "2.2.1/commands/RESERVE_NOW", json={}, headers=headers)
    assert (reserve.status_code, reserve.data["result"]) == (1000, "NOT_SUPPORTED")
    start = {"response_url": "http://127.0.0.1:1/r", "token": a_token(), "location_id": "L1"}
    path = "2.2.1/commands/START_SESSION"
    refused = await client.call("POST", path, json=start, headers=headers)
    assert (refused.status, refused.status_code) == (400, 2001)
    assert "evse_uid" in refused.body["status_message"]
    ok = await client.call("POST", path, json={**start, "evse_uid": "E1"}, headers=headers)
    assert ok.status_code == 1000
    assert [r.path for r in network.reached(REMOTE_CPO)] == ["/ocpi/2.2.1/commands/START_SESSION"]


@pytest.mark.parametrize(("module", "sender"), [("tokens", LOCAL_EMSP), ("sessions", LOCAL_CPO)])
async def test_gireve_refuses_patch_on_tokens_and_sessions(
    make_network: MakeNetwork, make_party: MakeParty, module: str, sender: Key
) -> None:
    """PATCH Tokens/Sessions is not implemented by Gireve: 405; a PUT passes (§2.3)."""
    _, client = await client_of(make_network, make_party, "gireve")
    path, headers = f"2.2.1/{module}/{sender[0]}/{sender[1]}/X1", routed(sender, ("FR", "007"))
    refused = await client.call("PATCH", path, json={"valid": False}, headers=headers)
    assert (refused.status, refused.status_code) == (405, 2000)
    assert (await client.call("PUT", path, json=a_token("X1"), headers=headers)).status_code == 1000


def without(obj: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of `obj` without the field at a path such as `evses.0.capabilities`."""
    copied = copy.deepcopy(obj)
    *steps, last = path.split(".")
    target: Any = copied
    for step in steps:
        target = target[int(step)] if step.isdigit() else target[step]
    del target[last]
    return copied


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("owner.name", "owner.name"),
        ("operator.name", "operator.name"),
        ("evses.0.capabilities", "evses[0].capabilities"),
        ("evses.0.evse_id", "evses[0].evse_id"),
        ("evses.0.connectors.0.tariff_ids", "evses[0].connectors[0].tariff_ids"),
    ],
)
async def test_gireve_location_requires_its_extra_fields(
    make_network: MakeNetwork, make_party: MakeParty, path: str, named: str
) -> None:
    """A pushed Location lacking a field Gireve requires is 2001 naming it (§2.3 Locations)."""
    _, client = await client_of(make_network, make_party, "gireve")
    url = "2.2.1/locations/NL/CPA/LOC1"
    refused = await client.call("PUT", url, json=without(a_location(), path), headers=CPO_TO_HUB)
    assert (refused.status, refused.status_code) == (400, 2001)
    assert refused.body["status_message"].startswith(named)
    assert (
        await client.call("PUT", url, json=a_location(), headers=CPO_TO_HUB)
    ).status_code == 1000


async def test_gireve_evse_ids_start_with_the_operator_id(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """Every evse_id of a pushed Location or EVSE starts with its CPO's operator id `CC*PID`
    (§2.1): another is 2001 naming the EVSE; separators do not matter."""
    _, client = await client_of(make_network, make_party, "gireve")
    location = a_location()
    location["evses"][0]["evse_id"] = "FR*ABC*E1"
    url = "2.2.1/locations/NL/CPA/LOC1"
    refused = await client.call("PUT", url, json=location, headers=CPO_TO_HUB)
    assert (refused.status, refused.status_code) == (400, 2001)
    assert refused.body["status_message"] == "evses[0].evse_id must start with NL*CPA"
    evse = {**location["evses"][0], "evse_id": "BE*CPA*E1"}
    refused = await client.call("PUT", f"{url}/EVSE1", json=evse, headers=CPO_TO_HUB)
    assert (refused.status, refused.status_code) == (400, 2001)
    location["evses"][0]["evse_id"] = "NLCPAE1"
    assert (await client.call("PUT", url, json=location, headers=CPO_TO_HUB)).status_code == 1000


async def test_gireve_tariff_requires_a_start_date_time(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """A pushed Tariff without start_date_time is 2001 naming it (§2.3 "Tariffs")."""
    _, client = await client_of(make_network, make_party, "gireve")
    tariff = {"country_code": "NL", "party_id": "CPA", "id": "T1", "currency": "EUR"}
    tariff |= {"elements": [], "last_updated": STAMP}
    url = "2.2.1/tariffs/NL/CPA/T1"
    refused = await client.call("PUT", url, json=tariff, headers=CPO_TO_HUB)
    assert (refused.status, refused.status_code) == (400, 2001)
    assert refused.body["status_message"].startswith("start_date_time")
    dated = tariff | {"start_date_time": STAMP}
    assert (await client.call("PUT", url, json=dated, headers=CPO_TO_HUB)).status_code == 1000


async def test_gireve_authorization_references_a_location(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """A real-time authorization without a Location is 2002 (§2.3 "Tokens (CPO side)": one
    location, 0..N EVSEs); with one it reaches the eMSP."""
    network, client = await client_of(make_network, make_party, "gireve")
    url, headers = "2.2.1/tokens/AB12CD34/authorize", routed(LOCAL_CPO, REMOTE_EMSP)
    for body in (None, {"evse_uids": ["EVSE1"]}):
        refused = await client.call("POST", url, json=body, headers=headers)
        assert (refused.status, refused.status_code) == (400, 2002)
    answered = await client.call("POST", url, json={"location_id": "LOC1"}, headers=headers)
    assert answered.status_code == 1000
    assert len(network.reached(REMOTE_EMSP)) == 1


async def test_gireve_accepts_only_configured_operators_in_their_role(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """OCPI-from must be an operator Gireve configured, in a role that may use the receiver
    (§2.1: eMSP-only operator calling a CPO receiver is rejected)."""
    network, client = await client_of(make_network, make_party, "gireve")
    url, body = "2.2.1/locations/NL/CPA/LOC1", a_location()
    stranger = await client.call("PUT", url, json=body, headers=routed(("BE", "XXX"), REMOTE_CPO))
    assert stranger.status_code == 2001 and "configured" in stranger.body["status_message"]
    wrong_role = await client.call("PUT", url, json=body, headers=routed(LOCAL_EMSP, REMOTE_CPO))
    assert wrong_role.status_code == 2001 and "may not" in wrong_role.body["status_message"]
    assert (await client.call("PUT", url, json=body, headers=CPO_TO_HUB)).status_code == 1000
    assert len(network.refused) == 2


async def test_gireve_token_must_be_base64(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """Gireve reads the 2.2.1 token base64-encoded: a raw token is 401 (§0 "Auth", §2.1)."""
    _, client = await client_of(make_network, make_party, "gireve")
    raw = await client.call("GET", "versions", raw_token=True)
    assert (raw.status, raw.status_code) == (401, 2000)
    assert (await client.call("GET", "versions")).status_code == 1000


@pytest.mark.parametrize(("module", "cap"), [("locations", 100), ("tariffs", 100)])
async def test_gireve_pages_are_capped(
    make_network: MakeNetwork, make_party: MakeParty, module: str, cap: int
) -> None:
    """Gireve serves at most its cap per page whatever limit is asked, with X-Limit,
    X-Total-Count and a Link to the rest (§0 "Paging")."""
    network, client = await client_of(make_network, make_party, "gireve")
    for i in range(cap + 20):
        network.hold(module, {"country_code": "FR", "party_id": "ABC", "id": f"X{i}"})
    first = await client.call("GET", f"2.2.1/{module}?limit=1000", headers=CPO_TO_HUB)
    assert len(first.data) == cap
    assert (first.header("X-Limit"), first.header("X-Total-Count")) == (str(cap), str(cap + 20))
    link = first.header("Link") or ""
    following = link[link.index("<") + 1 : link.index(">")]
    rest = await client.party.call_url("GET", following, token=client.token, headers=CPO_TO_HUB)
    assert len(rest.data) == 20 and rest.header("Link") is None


@pytest.mark.parametrize("module", ["tokens", "sessions", "cdrs"])
async def test_gireve_serves_no_list_of_pushed_modules(
    make_network: MakeNetwork, make_party: MakeParty, module: str
) -> None:
    """Tokens, Sessions and CDRs are pushed, never pulled from Gireve: GET list 405 (§2.3)."""
    _, client = await client_of(make_network, make_party, "gireve")
    refused = await client.call("GET", f"2.2.1/{module}", headers=CPO_TO_HUB)
    assert (refused.status, refused.status_code) == (405, 2000)


@pytest.mark.parametrize("dialect", ["gireve", "enapi", "eclearing", "lenient"])
async def test_network_refuses_an_unknown_receiver(
    make_network: MakeNetwork, make_party: MakeParty, dialect: str
) -> None:
    """OCPI-to naming nobody behind the network is 4001 (§1 status codes); a remote party
    named is served, and recorded as reaching it."""
    network, client = await client_of(make_network, make_party, dialect)
    network.agreements.add(frozenset((LOCAL_EMSP, REMOTE_CPO)))
    path = "2.2.1/commands/START_SESSION"
    body = {"response_url": "http://127.0.0.1:1/r", "token": a_token(), "location_id": "L1"}
    body["evse_uid"] = "E1"
    nobody = await client.call("POST", path, json=body, headers=routed(LOCAL_EMSP, ("BE", "NOP")))
    if dialect == "lenient":  # its errors come without the envelope
        assert nobody.body == b"unknown receiver BE*NOP"
    else:
        assert (nobody.status, nobody.status_code) == (200, 4001)
    assert len(network.refused) == 1
    known = await client.call("POST", path, json=body, headers=routed(LOCAL_EMSP, REMOTE_CPO))
    assert known.status_code == 1000
    assert len(network.reached(REMOTE_CPO)) == 1 and network.reached(REMOTE_EMSP) == []


# ---- ENAPI (§3) ------------------------------------------------------------------------------


async def test_enapi_routing_headers_are_optional(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """ENAPI accepts requests without OCPI-from/to (§3), where Gireve refuses them."""
    _, client = await client_of(make_network, make_party, "enapi")
    url = "2.2.1/locations/NL/CPA/LOC1"
    assert (await client.call("PUT", url, json=a_location())).status_code == 1000
    assert (await client.call("GET", "2.2.1/locations")).data[0]["id"] == "LOC1"


async def hub_stand_in(
    make_party: MakeParty, network: FakeNetwork, modules: list[tuple[str, str]]
) -> FakeParty:
    """A plain fake party in the hub's place, which the network registers with."""
    stand_in = await make_party("CPO", *LOCAL_CPO, modules=modules)
    answer = await network.register_with(stand_in.versions_url, stand_in.issue_token_a())
    assert answer.status_code == 1000, answer.body
    return stand_in


async def test_enapi_trades_only_under_a_signed_agreement(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """A request to a party behind ENAPI without a signed agreement is 4001 (§3); signing it
    lets the request through and PUTs the remote party's ClientInfo to the hub (§3
    HubClientInfo: "PUT to both sides when an agreement is signed")."""
    network, client = await client_of(make_network, make_party, "enapi")
    stand_in = await hub_stand_in(make_party, network, [("hubclientinfo", "RECEIVER")])
    path, headers = "2.2.1/locations/NL/CPA/LOC1", routed(LOCAL_CPO, REMOTE_EMSP)
    refused = await client.call("PUT", path, json=a_location(), headers=headers)
    assert (refused.status, refused.status_code) == (200, 4001)
    signed = await network.sign_agreement(LOCAL_CPO, (*REMOTE_EMSP, "EMSP"))
    assert signed.status_code == 1000
    [put] = stand_in.pushes("PUT", module="hubclientinfo")
    assert put.path.endswith("/hubclientinfo/FR/EMX")
    assert (put.body["role"], put.body["status"]) == ("EMSP", "CONNECTED")
    assert (await client.call("PUT", path, json=a_location(), headers=headers)).status_code == 1000


@pytest.mark.parametrize(
    ("dialect", "module", "limit"), [("enapi", "locations", "1000"), ("gireve", "cdrs", "20")]
)
async def test_network_pulls_with_a_window_and_its_page_size(
    make_network: MakeNetwork, make_party: MakeParty, dialect: str, module: str, limit: str
) -> None:
    """ENAPI pulls a Sender with date_from, date_to and limit 1000 (§3); Gireve pulls CDRs 20
    at a time (§0 "Paging"); both follow Link to the end."""
    network = await make_network(dialect, REMOTE)
    stand_in = await hub_stand_in(make_party, network, [(module, "SENDER")])
    pages = {"0": [a_location("L1"), a_location("L2")], "2": [a_location("L3")]}

    queries: list[dict[str, str]] = []

    async def serve(request: web.Request, body: Any) -> web.Response:
        queries.append(dict(request.query))
        offset = request.query.get("offset", "0")
        answer = stand_in.reply(request, pages[offset])
        if offset == "0":
            following = request.url.update_query(offset=2)
            answer.headers["Link"] = f'<{following}>; rel="next"'
        return answer

    stand_in.handlers[module] = serve
    got = await network.pull(module, date_from=STAMP, date_to="2024-02-01T00:00:00Z")
    assert [o["id"] for o in got] == ["L1", "L2", "L3"]
    window = {"date_from": STAMP, "date_to": "2024-02-01T00:00:00Z", "limit": limit}
    assert queries[0] == window


# ---- e-clearing.net (§4) ---------------------------------------------------------------------


@pytest.mark.parametrize(("dialect", "found"), [("eclearing", False), ("enapi", True)])
async def test_eclearing_ids_are_case_sensitive(
    make_network: MakeNetwork, make_party: MakeParty, dialect: str, found: bool
) -> None:
    """e-clearing.net: `loc1` and `LOC1` are different objects (§4); a spec network (ENAPI)
    compares ids case-insensitively (CiString, §1)."""
    _, client = await client_of(make_network, make_party, dialect)
    await client.call("PUT", "2.2.1/locations/NL/CPA/loc1", json=a_location("loc1"))
    upper = await client.call("GET", "2.2.1/locations/NL/CPA/LOC1")
    assert (upper.status_code == 1000) is found
    assert (await client.call("GET", "2.2.1/locations/NL/CPA/loc1")).status_code == 1000


async def test_eclearing_normalises_evse_ids(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """EVSE ids are compared without separators, upper case, and a duplicate so compared is
    dropped (§4: normalised ids, duplicates inside lists ignored)."""
    network, client = await client_of(make_network, make_party, "eclearing")
    location = a_location()
    twin = {**location["evses"][0], "uid": "EVSE2", "evse_id": "nl-cpa-e1"}
    location["evses"].append(twin)
    await client.call("PUT", "2.2.1/locations/NL/CPA/LOC1", json=location)
    served = await client.call("GET", "2.2.1/locations/NL/CPA/LOC1")
    assert [e["evse_id"] for e in served.data["evses"]] == ["NLCPAE1"]
    assert network.evse("nl*cpa*e1") is not None and network.evse("NL*CPA*E2") is None


async def test_eclearing_serves_its_own_receive_time(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """The last_updated e-clearing.net serves is its entry time, not the sender's (§4)."""
    _, client = await client_of(make_network, make_party, "eclearing")
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    await client.call("PUT", "2.2.1/tokens/DE/EMA/AB12CD34", json=a_token())
    served = await client.call("GET", "2.2.1/tokens/DE/EMA/AB12CD34")
    assert served.data["last_updated"] != STAMP and served.data["last_updated"] >= before


async def test_eclearing_fills_missing_required_fields_with_a_dash(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """A required field missing from what it received is served as "-" (§4)."""
    _, client = await client_of(make_network, make_party, "eclearing")
    token = a_token()
    del token["contract_id"], token["issuer"]
    await client.call("PUT", "2.2.1/tokens/DE/EMA/AB12CD34", json=token)
    served = await client.call("GET", "2.2.1/tokens/DE/EMA/AB12CD34")
    assert (served.data["contract_id"], served.data["issuer"], served.data["uid"]) == (
        "-",
        "-",
        "AB12CD34",
    )


# ---- a lenient direct peer (§1 pitfalls; issue 8's list of deviations) ------------------------


async def test_lenient_peer_answers_403_without_envelope_for_a_bad_token(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """A bad token is 403 (not 401), the body plain text, not an OCPI envelope."""
    _, client = await client_of(make_network, make_party, "lenient")
    refused = await client.call("GET", "versions", token="not-ours")
    assert (refused.status, refused.status_code, refused.body) == (403, None, b"unknown token")
    assert (await client.call("GET", "versions")).status_code == 1000


async def test_lenient_peer_errors_come_without_envelope(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """An unknown object is HTTP 404 with a plain-text body, no status_code."""
    _, client = await client_of(make_network, make_party, "lenient")
    missing = await client.call("GET", "2.2.1/locations/NL/CPA/NOPE")
    assert (missing.status, missing.status_code, missing.body) == (404, None, b"unknown")


async def test_lenient_peer_serves_one_object_as_a_lower_cased_one_item_list(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """A GET of one object answers a list of one, its ids lower-cased (ids found whatever their
    case: CiString)."""
    _, client = await client_of(make_network, make_party, "lenient")
    await client.call("PUT", "2.2.1/locations/NL/CPA/LOC1", json=a_location())
    [served] = (await client.call("GET", "2.2.1/locations/NL/CPA/loc1")).data
    assert (served["id"], served["evses"][0]["uid"], served["country_code"]) == (
        "loc1",
        "evse1",
        "NL",
    )


async def test_lenient_peer_takes_a_raw_token_and_sends_one(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """The peer reads a raw or base64 token and sends its own raw (§1: 2.1.1 habits)."""
    network, client = await client_of(make_network, make_party, "lenient")
    assert (await client.call("GET", "versions", raw_token=True)).status_code == 1000
    assert (await client.call("GET", "versions")).status_code == 1000
    other = await make_network("lenient")
    other.accepted_tokens.add("peer-token")
    assert (await network.call_url("GET", other.versions_url, token="peer-token")).status == 200
    assert other.received[-1].header("Authorization") == "Token peer-token"


# ---- the network as a client: on behalf of its remote parties --------------------------------


async def test_network_calls_on_behalf_of_its_remote_parties(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """Location, Token, authorization, command and CDR go out with OCPI-from = the remote
    party, OCPI-to = the party presented by the other side, and Gireve's tracing ids."""
    network = await make_network("gireve", REMOTE)
    modules = [
        (m, r) for m in ("locations", "tokens", "commands", "cdrs") for r in ("SENDER", "RECEIVER")
    ]
    stand_in = await hub_stand_in(make_party, network, modules)
    location = {**a_location(), "country_code": "FR", "party_id": "ABC"}
    assert (await network.push_location(REMOTE_CPO, location)).status_code == 1000
    assert (await network.push_token(REMOTE_EMSP, a_token())).status_code == 1000
    await network.authorize(REMOTE_CPO, "AB12CD34", {"location_id": "LOC1"})
    await network.command(REMOTE_EMSP, "STOP_SESSION", {"session_id": "S1"})
    await network.post_cdr(REMOTE_CPO, {"id": "CDR1"})
    paths = [r.path.removeprefix("/ocpi/2.2.1/") for r in stand_in.received[-5:]]
    assert paths == [
        "locations/FR/ABC/LOC1",
        "tokens/FR/EMX/AB12CD34",
        "tokens/AB12CD34/authorize",
        "commands/STOP_SESSION",
        "cdrs",
    ]
    senders = [r.routing("from") for r in stand_in.received[-5:]]
    assert senders == [REMOTE_CPO, REMOTE_EMSP, REMOTE_CPO, REMOTE_EMSP, REMOTE_CPO]
    assert {r.routing("to") for r in stand_in.received[-5:]} == {LOCAL_CPO}
    assert network.breaches == []  # the plain fake echoes the tracing ids


async def test_gireve_notes_an_answer_without_its_tracing_ids(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """Called by Gireve, a partner answers with the same X-Request-ID/X-Correlation-ID (§2.1):
    an answer without them is recorded as a breach."""
    network = await make_network("gireve", REMOTE)
    stand_in = await hub_stand_in(make_party, network, [("tokens", "RECEIVER")])

    async def forgetful(request: web.Request, body: Any) -> web.Response:
        return web.json_response({"status_code": 1000, "timestamp": STAMP})

    stand_in.handlers["tokens"] = forgetful
    assert (await network.push_token(REMOTE_EMSP, a_token())).status_code == 1000
    assert [b.split(": ")[1] for b in network.breaches] == [
        "X-Request-ID not echoed",
        "X-Correlation-ID not echoed",
    ]


async def test_enapi_token_encoding_is_configurable(
    make_network: MakeNetwork, make_party: MakeParty
) -> None:
    """ENAPI's token encoding is set per platform (§3): switched to raw, it reads a raw token
    and refuses a base64 one."""
    network, client = await client_of(make_network, make_party, "enapi")
    assert (await client.call("GET", "versions", raw_token=True)).status == 401
    network.token_base64 = False
    assert (await client.call("GET", "versions", raw_token=True)).status_code == 1000
    assert (await client.call("GET", "versions")).status == 401


# ---- the handshake with the hub, both ways ---------------------------------------------------


@pytest.mark.parametrize("dialect", ["gireve", "enapi", "eclearing", "lenient"])
async def test_hub_registers_with_a_network(
    hub: RunningHub, make_network: MakeNetwork, dialect: str
) -> None:
    """The hub registers with the network using the token A it issued (`ocpi-hub connect`);
    the network presents itself as HUB (a peer: its parties), and then reads the hub's
    endpoints with the token the hub gave it; no rule of the network was broken."""
    network = await make_network(dialect, REMOTE)
    await hub.connect(network.versions_url, network.issue_token_a())
    assert network.peer_credentials is not None and network.refused == []
    presented = [r["role"] for r in network.credentials("x")["roles"]]
    assert presented == (["HUB"] if dialect != "lenient" else ["CPO", "EMSP"])
    await network.discover()
    assert ("locations", "RECEIVER") in network.endpoints


@pytest.mark.parametrize("dialect", ["gireve", "enapi", "eclearing", "lenient"])
async def test_network_registers_with_the_hub(
    hub: RunningHub, make_network: MakeNetwork, dialect: str
) -> None:
    """The network as the initiator: token A from `ocpi-hub parties invite --role HUB` (a peer:
    its party; invited one party, it presents one), credentials POSTed, endpoints learned."""
    network = await make_network(dialect, REMOTE if dialect != "lenient" else REMOTE[:1])
    token_a = await hub.invite(network.role, network.country_code, network.party_id)
    answer = await network.register_with(hub.versions_url, token_a)
    assert answer.status_code == 1000, answer.body
    assert ("locations", "RECEIVER") in network.endpoints
