"""The whole charging journey through the hub and another network (issue 8, "Done when"): a
local CPO with an eMSP behind a fake Gireve, and a local eMSP with a CPO behind a fake ENAPI.

Real HTTP everywhere. Each fake network enforces its dialect (tests/e2e/networks.py,
network_rules.py: written from shared/reference/hub-dialects.md, never from the hub's profiles),
so a rule the hub forgets is a refusal there and the journey fails. Every step checks both ends:
what the network received (method, path, OCPI-from/to as its dialect wants them, the token the
network issued in the encoding it reads, the body), what the local party received, and what
each side was answered. Sections (§) are those of hub-dialects.md.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeNetwork, MakeParty, eventually, member_of, ok, registered
from tests.e2e.fakes import FakeParty, Received, token_header
from tests.e2e.network_rules import Key
from tests.e2e.networks import FakeNetwork

HUB = "/ocpi/2.2.1"  # the hub's base path (sender/ and receiver/ below it)
OCPI = "/ocpi/2.2.1"  # a fake's module endpoints
HUB_PARTY: Key = ("XX", "HUB")  # the hub's own identity (tests.conftest.hub_settings)
GIREVE: Key = ("FR", "007")  # §2.1
ENAPI: Key = ("DE", "ENA")  # §3
LOCAL_CPO: Key = ("NL", "CPA")
LOCAL_EMSP: Key = ("DE", "EMA")
GIREVE_EMSP: Key = ("FR", "EMX")
ENAPI_CPO: Key = ("BE", "CPX")
UID = "0A1B2C3D"  # §2.3 "RFID uid": hex of a 4-byte UID, 8 upper-case digits, as Gireve wants
ACCEPTED = {"result": "ACCEPTED"}  # a CommandResult
RESPONSE = {"result": "ACCEPTED", "timeout": 30}  # the CPO's CommandResponse


def from_to(request: Received) -> tuple[Any, Any]:
    return request.routing("from"), request.routing("to")


def sent_by_hub(request: Received, network: FakeNetwork, sender: Key, to: Key) -> None:
    """A request the hub sent `network`: FROM `sender` TO `to`, with the token the network
    issued to it (base64, as both dialects read it, §0 "Auth", §3) and tracing ids (§2.1)."""
    assert from_to(request) == (sender, to), request
    assert network.hub_token is not None
    assert request.header("Authorization") == token_header(network.hub_token)
    assert request.header("X-Request-ID") and request.header("X-Correlation-ID")


def called_back(party: FakeParty, path: str) -> list[Received]:
    """The results POSTed to `party`'s own response_url `path`."""
    return [r for r in party.received if r.path == path and r.method == "POST"]


def accept_commands(party: FakeParty) -> None:
    """`party` answers every command ACCEPTED, its result to follow within 30 s."""

    async def command(request: web.Request, body: Any) -> web.Response:
        return party.reply(request, RESPONSE)

    party.handlers["commands"] = command


def allow_tokens(party: FakeParty, token: dict[str, Any]) -> None:
    """`party` (the eMSP's side) answers a real-time authorization of `token` ALLOWED."""

    async def authorize(request: web.Request, body: Any) -> web.Response:
        info = {"allowed": "ALLOWED", "token": token, "authorization_reference": "AUTH1"}
        return party.reply(request, info | ({"location": body} if body else {}))

    party.handlers["tokens"] = authorize


def gireve_location(location_id: str) -> dict[str, Any]:
    """A Location of the local CPO with the fields Gireve requires beyond the spec (§2.3
    "Locations (CPO→IOP)"): the factory's EVSEs carry evse_id, capabilities and tariff_ids."""
    return factories.location(
        *LOCAL_CPO,
        location_id,
        owner={"name": "CPA Charging"},
        operator={"name": "CPA Operations"},
    )


async def test_journey_of_a_local_cpo_and_an_emsp_behind_gireve(
    hub: RunningHub, make_party: MakeParty, make_network: MakeNetwork
) -> None:
    """Token → Location and Tariff → real-time authorization → START_SESSION and its result →
    Session PUT and PATCH (Gireve: PUTs of the whole Session) → STOP_SESSION and its result →
    CDR, between a local CPO and an eMSP behind Gireve; Gireve refuses nothing."""
    cpo = await registered(hub, await make_party("CPO", *LOCAL_CPO))
    gireve = await make_network("gireve", [(*GIREVE_EMSP, "EMSP")])
    gireve.configure_member(LOCAL_CPO, "CPO")  # §2.1: Gireve configures operators by hand
    await member_of(hub, gireve, "gireve", gireve.remote)  # Gireve announces no members
    token = factories.token(UID, country_code="FR", party_id="EMX", contract_id="FR-EMX-C0001")
    allow_tokens(gireve, token)
    accept_commands(cpo)

    # 1. Tokens: the eMSP's Token, pushed by Gireve, reaches the CPO FROM the hub (a broadcast)
    #    and is not sent back to Gireve.
    ok(await gireve.push_token(GIREVE_EMSP, token), 201)
    await eventually(lambda: len(cpo.pushes(module="tokens")) == 1, message="token at the CPO")
    [got] = cpo.pushes(module="tokens")
    assert (got.method, got.path, got.body) == ("PUT", f"{OCPI}/tokens/FR/EMX/{UID}", token)
    assert from_to(got) == (HUB_PARTY, LOCAL_CPO)

    # 2. Locations and Tariffs: the CPO's reach Gireve once each, FROM the CPO, TO FR*007.
    location = gireve_location("LOC1")
    tariff = factories.tariff("T1", start_date_time="2024-01-01T00:00:00Z")
    base = f"{hub.url}{HUB}/receiver"
    for module, body in (("locations", location), ("tariffs", tariff)):
        answer = await cpo.call_url("PUT", f"{base}/{module}/NL/CPA/{body['id']}", json=body)
        ok(answer, 201)
        assert "status_message" not in answer.body  # no receiver's dialect refused it
    await eventually(
        lambda: len(gireve.pushes()) == 1 and len(gireve.pushes(module="tariffs")) == 1,
        message="location and tariff at Gireve",
    )
    for module, body in (("locations", location), ("tariffs", tariff)):
        [push] = gireve.pushes(module=module)
        assert (push.method, push.path) == ("PUT", f"{OCPI}/{module}/NL/CPA/{body['id']}")
        assert push.body == body
        sent_by_hub(push, gireve, LOCAL_CPO, GIREVE)

    # 3. Real-time authorization: the CPO asks about the eMSP's token; open routing finds the
    #    token's eMSP behind Gireve; Gireve's answer comes back unchanged.
    references = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}
    url = f"{hub.url}{HUB}/sender/tokens/{UID}/authorize?type=RFID"
    authorized = await cpo.call_url("POST", url, json=references)
    info = ok(authorized)
    assert (info["allowed"], info["authorization_reference"]) == ("ALLOWED", "AUTH1")
    assert info["token"] == token
    assert from_to(authorized) == (GIREVE_EMSP, LOCAL_CPO)
    [asked] = gireve.requests("tokens")  # the token it sent was never sent back
    assert (asked.method, asked.path, asked.body) == (
        "POST",
        f"{OCPI}/tokens/{UID}/authorize",
        references,
    )
    sent_by_hub(asked, gireve, LOCAL_CPO, GIREVE_EMSP)

    # 4. START_SESSION from the eMSP, OCPI-to the Location's CPO (§2.2); the CPO's result is
    #    proxied back to Gireve's response_url.
    start = {
        "response_url": f"{gireve.url}/results/start",
        "token": token,
        "location_id": "LOC1",
        "evse_uid": "EVSE1",  # §2.3 "Commands": mandatory
        "authorization_reference": "AUTH1",
    }
    started = await gireve.command(GIREVE_EMSP, "START_SESSION", start, to=LOCAL_CPO)
    assert ok(started) == RESPONSE
    assert from_to(started) == (LOCAL_CPO, GIREVE_EMSP)
    [command] = cpo.requests("commands")
    assert (command.method, command.path) == ("POST", f"{OCPI}/commands/START_SESSION")
    assert from_to(command) == (GIREVE_EMSP, LOCAL_CPO)
    hub_url = command.body["response_url"]
    assert hub_url.startswith(f"{hub.url}{HUB}/sender/commands/START_SESSION/")
    assert command.body == {**start, "response_url": hub_url}
    ok(await cpo.call_url("POST", hub_url, json=ACCEPTED))
    await eventually(lambda: len(called_back(gireve, "/results/start")) == 1, message="result")
    [result] = called_back(gireve, "/results/start")
    assert result.body == ACCEPTED
    sent_by_hub(result, gireve, LOCAL_CPO, GIREVE_EMSP)

    # 5. Sessions: the CPO's PUT and PATCH (open routing: the token's eMSP is behind Gireve)
    #    reach Gireve as PUTs of the whole Session, since it takes no PATCH (§2.3 "Sessions").
    sessions = f"{base}/sessions/NL/CPA/S1"
    session = factories.session("S1", emsp=GIREVE_EMSP, authorization_reference="AUTH1")
    ok(await cpo.call_url("PUT", sessions, json=session), 201)
    patch = {
        "kwh": 1.5,
        "charging_periods": [factories.charging_period(15)],
        "last_updated": "2024-03-01T10:15:00Z",
    }
    ok(await cpo.call_url("PATCH", sessions, json=patch))
    await eventually(lambda: len(gireve.pushes(module="sessions")) == 2, message="sessions")
    puts = gireve.pushes(module="sessions")
    assert [(p.method, p.path) for p in puts] == [("PUT", f"{OCPI}/sessions/NL/CPA/S1")] * 2
    assert [p.body for p in puts] == [session, {**session, **patch}]
    for put in puts:
        sent_by_hub(put, gireve, LOCAL_CPO, GIREVE_EMSP)

    # 6. STOP_SESSION from the eMSP, OCPI-to the CPO; its result proxied back to Gireve. The
    #    CPO then completes the Session: one more whole PUT.
    stop = {"response_url": f"{gireve.url}/results/stop", "session_id": "S1"}
    stopped = await gireve.command(GIREVE_EMSP, "STOP_SESSION", stop, to=LOCAL_CPO)
    assert ok(stopped) == RESPONSE
    command = cpo.requests("commands")[-1]
    assert command.path == f"{OCPI}/commands/STOP_SESSION"
    assert from_to(command) == (GIREVE_EMSP, LOCAL_CPO)
    assert command.body["session_id"] == "S1"
    ok(await cpo.call_url("POST", command.body["response_url"], json=ACCEPTED))
    await eventually(lambda: len(called_back(gireve, "/results/stop")) == 1, message="result")
    [result] = called_back(gireve, "/results/stop")
    assert result.body == ACCEPTED
    sent_by_hub(result, gireve, LOCAL_CPO, GIREVE_EMSP)
    completed = {"status": "COMPLETED", "last_updated": "2024-03-01T11:00:00Z"}
    ok(await cpo.call_url("PATCH", sessions, json=completed))
    await eventually(lambda: len(gireve.pushes(module="sessions")) == 3, message="completed")
    final = gireve.pushes(module="sessions")[2]
    assert (final.method, final.body) == ("PUT", {**session, **patch, **completed})

    # 7. The CDR: stored by the hub, POSTed to Gireve for the eMSP, FROM the CPO.
    cdr = factories.cdr("CDR1", session_id="S1", emsp=GIREVE_EMSP)
    posted = await cpo.call_url("POST", f"{base}/cdrs", json=cdr)
    ok(posted, 201)
    assert posted.header("Location") == f"{base}/cdrs/NL/CPA/CDR1"
    await eventually(lambda: len(gireve.pushes("POST", module="cdrs")) == 1, message="CDR")
    [delivered] = gireve.pushes("POST", module="cdrs")
    assert (delivered.path, delivered.body) == (f"{OCPI}/cdrs", cdr)
    sent_by_hub(delivered, gireve, LOCAL_CPO, GIREVE_EMSP)

    # Gireve refused nothing, and the hub answered it with its own tracing ids (§2.1).
    assert gireve.refused == [] and gireve.breaches == []
    assert gireve.requests("commands") == []  # the eMSP's commands went one way only


async def test_journey_of_a_local_emsp_and_a_cpo_behind_enapi(
    hub: RunningHub, make_party: MakeParty, make_network: MakeNetwork
) -> None:
    """Token → Location and Tariff → real-time authorization → START_SESSION and its result →
    Session PUT and PATCH → STOP_SESSION and its result → CDR, between a local eMSP and a CPO
    behind ENAPI under a signed roaming agreement; ENAPI refuses nothing."""
    emsp = await registered(hub, await make_party("EMSP", *LOCAL_EMSP))
    enapi = await make_network("enapi", [(*ENAPI_CPO, "CPO")])
    await member_of(hub, enapi, "enapi")
    # §3: parties trade only under an agreement; signing it PUTs the CPO's ClientInfo to the
    # hub, which makes it a remote party of ENAPI.
    ok(await enapi.sign_agreement(LOCAL_EMSP, (*ENAPI_CPO, "CPO")))
    token = factories.token("U1")
    allow_tokens(emsp, token)
    accept_commands(enapi)

    # 1. Tokens: the eMSP's Token reaches ENAPI once, FROM the eMSP, TO ENAPI's own party.
    tokens = f"{hub.url}{HUB}/receiver/tokens/DE/EMA/U1"
    ok(await emsp.call_url("PUT", tokens, json=token), 201)
    await eventually(lambda: len(enapi.pushes(module="tokens")) == 1, message="token at ENAPI")
    [push] = enapi.pushes(module="tokens")
    assert (push.method, push.path, push.body) == ("PUT", f"{OCPI}/tokens/DE/EMA/U1", token)
    sent_by_hub(push, enapi, LOCAL_EMSP, ENAPI)

    # 2. Locations and Tariffs: the CPO's, pushed by ENAPI, reach the eMSP FROM the hub (a
    #    broadcast), and are not sent back to ENAPI.
    location = factories.location(*ENAPI_CPO, "LOC1")
    tariff = factories.tariff("T1", country_code="BE", party_id="CPX")
    ok(await enapi.push_location(ENAPI_CPO, location), 201)
    pushed = await enapi.send(ENAPI_CPO, "PUT", "tariffs", "RECEIVER", "BE/CPX/T1", json=tariff)
    ok(pushed, 201)
    await eventually(
        lambda: len(emsp.pushes()) == 1 and len(emsp.pushes(module="tariffs")) == 1,
        message="location and tariff at the eMSP",
    )
    for module, body in (("locations", location), ("tariffs", tariff)):
        [got] = emsp.pushes(module=module)
        path = f"{OCPI}/{module}/BE/CPX/{body['id']}"
        assert (got.method, got.path, got.body) == ("PUT", path, body)
        assert from_to(got) == (HUB_PARTY, LOCAL_EMSP)

    # 3. Real-time authorization: the CPO behind ENAPI asks; open routing finds the eMSP by its
    #    stored token; the eMSP's answer goes back to ENAPI unchanged.
    references = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}
    authorized = await enapi.authorize(ENAPI_CPO, "U1", references)
    info = ok(authorized)
    assert (info["allowed"], info["token"], info["location"]) == ("ALLOWED", token, references)
    assert from_to(authorized) == (LOCAL_EMSP, ENAPI_CPO)
    [asked] = emsp.requests("tokens", "POST")
    assert (asked.path, asked.body) == (f"{OCPI}/tokens/U1/authorize", references)
    assert from_to(asked) == (ENAPI_CPO, LOCAL_EMSP)

    # 4. START_SESSION from the eMSP: open routing finds the Location's CPO behind ENAPI; the
    #    result ENAPI posts for the CPO is proxied to the eMSP's own response_url.
    start = {
        "response_url": f"{emsp.url}/callbacks/start",
        "token": token,
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "authorization_reference": "AUTH1",
    }
    commands = f"{hub.url}{HUB}/receiver/commands"
    started = await emsp.call_url("POST", f"{commands}/START_SESSION", json=start)
    assert ok(started) == RESPONSE
    assert from_to(started) == (ENAPI_CPO, LOCAL_EMSP)
    [command] = enapi.requests("commands")
    assert (command.method, command.path) == ("POST", f"{OCPI}/commands/START_SESSION")
    sent_by_hub(command, enapi, LOCAL_EMSP, ENAPI_CPO)
    hub_url = command.body["response_url"]
    assert hub_url.startswith(f"{hub.url}{HUB}/sender/commands/START_SESSION/")
    assert command.body == {**start, "response_url": hub_url}
    ok(await enapi.post_result(ENAPI_CPO, hub_url, ACCEPTED, to=LOCAL_EMSP))
    await eventually(lambda: len(called_back(emsp, "/callbacks/start")) == 1, message="result")
    [result] = called_back(emsp, "/callbacks/start")
    assert result.body == ACCEPTED and from_to(result) == (ENAPI_CPO, LOCAL_EMSP)

    # 5. Sessions: ENAPI pushes the CPO's PUT and PATCH (open routing: the token's eMSP); the
    #    eMSP gets each as sent, FROM the CPO; periods are appended in the hub's copy.
    sessions_tail = "BE/CPX/S1"
    session = factories.session("S1", owner=ENAPI_CPO, authorization_reference="AUTH1")
    patch = {
        "kwh": 1.5,
        "charging_periods": [factories.charging_period(15)],
        "last_updated": "2024-03-01T10:15:00Z",
    }
    for method, body, status in (("PUT", session, 201), ("PATCH", patch, 200)):
        answer = await enapi.send(
            ENAPI_CPO, method, "sessions", "RECEIVER", sessions_tail, json=body
        )
        ok(answer, status)
    await eventually(lambda: len(emsp.pushes(module="sessions")) == 2, message="sessions")
    got_sessions = emsp.pushes(module="sessions")
    assert [(r.method, r.body) for r in got_sessions] == [("PUT", session), ("PATCH", patch)]
    assert {r.path for r in got_sessions} == {f"{OCPI}/sessions/BE/CPX/S1"}
    assert {from_to(r) for r in got_sessions} == {(ENAPI_CPO, LOCAL_EMSP)}
    listed = ok(
        await emsp.call_url("GET", f"{hub.url}{HUB}/sender/sessions?date_from=2024-01-01T00:00:00Z")
    )
    assert [len(s["charging_periods"]) for s in listed] == [1]

    # 6. STOP_SESSION from the eMSP: routed by the stored Session to its CPO behind ENAPI; the
    #    result comes back the same way as START_SESSION's.
    stop = {"response_url": f"{emsp.url}/callbacks/stop", "session_id": "S1"}
    stopped = await emsp.call_url("POST", f"{commands}/STOP_SESSION", json=stop)
    assert ok(stopped) == RESPONSE
    command = enapi.requests("commands")[-1]
    assert (command.path, command.body["session_id"]) == (f"{OCPI}/commands/STOP_SESSION", "S1")
    sent_by_hub(command, enapi, LOCAL_EMSP, ENAPI_CPO)
    ok(await enapi.post_result(ENAPI_CPO, command.body["response_url"], ACCEPTED, LOCAL_EMSP))
    await eventually(lambda: len(called_back(emsp, "/callbacks/stop")) == 1, message="result")
    [result] = called_back(emsp, "/callbacks/stop")
    assert result.body == ACCEPTED and from_to(result) == (ENAPI_CPO, LOCAL_EMSP)

    # 7. The CDR: ENAPI posts the CPO's CDR; the hub stores it and delivers it to the eMSP.
    cdr = factories.cdr("CDR1", owner=ENAPI_CPO, session_id="S1")
    posted = await enapi.post_cdr(ENAPI_CPO, cdr)
    ok(posted, 201)
    assert posted.header("Location") == f"{hub.url}{HUB}/receiver/cdrs/BE/CPX/CDR1"
    await eventually(lambda: len(emsp.requests("cdrs", "POST")) == 1, message="CDR")
    [delivered] = emsp.requests("cdrs", "POST")
    assert (delivered.path, delivered.body) == (f"{OCPI}/cdrs", cdr)
    assert from_to(delivered) == (ENAPI_CPO, LOCAL_EMSP)

    # ENAPI refused nothing and got back nothing it sent.
    assert enapi.refused == []
    assert enapi.requests("locations") == enapi.requests("tariffs") == []
    assert enapi.requests("sessions") == enapi.requests("cdrs") == []
