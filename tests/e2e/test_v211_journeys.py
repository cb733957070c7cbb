"""OCPI 2.1.1 and 2.2.1 parties trading through the hub without knowing it (issue 11).

A 2.1.1 CPO (the enforcing `FakeParty211`: every body the hub sends it must be 2.1.1, strictly)
with a 2.2.1 eMSP, and a 2.2.1 CPO with a 2.1.1 eMSP, each over real HTTP: Token, Location,
Tariff, real-time authorization, START_SESSION with its asynchronous result, the Session, the
CDR. Each step checks what the other party received, in its own version.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from conformance.register import INTERFACES_211
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty, eventually, ok, registered
from tests.e2e.fakes import FakeParty
from tests.e2e.fakes211 import FakeParty211, cdr211, location211, session211, tariff211, token211

HUB = "/ocpi/2.2.1"


async def party211(parties: list[FakeParty], role: str, cc: str, pid: str) -> FakeParty211:
    modules = [(m, r) for m, r in INTERFACES_211[role].items() if m != "credentials"]
    party = await FakeParty211(role, cc, pid, modules=modules).start()
    parties.append(party)
    return party


def clean(party: FakeParty211) -> None:
    """Nothing the hub sent the 2.1.1 party was refused, nor any answer outside 2.1.1."""
    assert party.refusals == [] and party.breaches == [], (party.refusals, party.breaches)


async def test_a_211_cpo_and_a_221_emsp_run_the_whole_journey(
    hub: RunningHub, make_party: MakeParty, parties: list[FakeParty]
) -> None:
    """2.1.1 CPO NL*CPA, 2.2.1 eMSP DE*EMA: each gets the other's messages in its version."""
    cpo = await party211(parties, "CPO", "NL", "CPA")
    assert (await registered(hub, cpo)).peer_credentials is not None
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))

    # The eMSP's Token reaches the CPO in 2.1.1: auth_id, no owner fields, no ?type=.
    token = factories.token("U1")
    ok(await emsp.call_url("PUT", f"{hub.url}{HUB}/receiver/tokens/DE/EMA/U1", json=token), 201)
    await eventually(lambda: len(cpo.requests("tokens")) == 1)
    pushed = cpo.requests("tokens")[0]
    assert pushed.path.endswith("/tokens/DE/EMA/U1") and "type" not in pushed.query
    assert pushed.body["auth_id"] == token["contract_id"] and "country_code" not in pushed.body

    # The CPO's 2.1.1 Location reaches the eMSP in 2.2.1, owned by NL*CPA.
    ok(await cpo.push("locations", "NL/CPA/LOC1", location211("LOC1")), 201)
    await eventually(lambda: len(emsp.pushes()) == 1)
    location = emsp.pushes()[0].body
    assert (location["country_code"], location["party_id"]) == ("NL", "CPA")
    assert location["parking_type"] == "ON_STREET" and location["publish"] is True
    assert location["evses"][0]["connectors"][0]["max_voltage"] == 230
    assert location["evses"][0]["connectors"][0]["tariff_ids"] == ["T1"]

    # A 2.1.1 Tariff, then a 2.1.1 PATCH of it: the eMSP gets two whole 2.2.1 Tariffs.
    ok(await cpo.push("tariffs", "NL/CPA/T1", tariff211("T1")), 201)
    patch = {"currency": "CHF", "last_updated": "2024-01-02T10:00:00Z"}
    ok(await cpo.push("tariffs", "NL/CPA/T1", patch, method="PATCH"))
    await eventually(lambda: len(emsp.pushes(module="tariffs")) == 2)
    tariff = emsp.pushes(module="tariffs")[1]
    assert tariff.method == "PUT" and tariff.body["currency"] == "CHF"
    assert tariff.body["elements"] == tariff211("T1")["elements"]

    # Real-time authorization: asked in 2.1.1, answered by the 2.2.1 eMSP, back in 2.1.1.
    async def authorize(request: web.Request, body: Any) -> web.Response:
        info = {"allowed": "ALLOWED", "token": token, "authorization_reference": "AUTH1"}
        return emsp.reply(request, info)

    emsp.handlers["tokens"] = authorize
    info = ok(await cpo.authorize("U1", {"location_id": "LOC1", "evse_uids": ["LOC1-E1"]}))
    assert info == {"allowed": "ALLOWED"}

    # START_SESSION from the 2.2.1 eMSP: the CPO gets a 2.1.1 StartSession; its async 2.1.1
    # CommandResponse reaches the eMSP as a CommandResult.
    start = {
        "response_url": f"{emsp.url}/results/start1",
        "token": token,
        "location_id": "LOC1",
        "evse_uid": "LOC1-E1",
        "connector_id": "1",
    }
    answer = ok(
        await emsp.call_url(
            "POST", f"{hub.url}{HUB}/receiver/commands/START_SESSION", json=start,
            headers={"OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPA"},
        )
    )  # fmt: skip
    assert answer["result"] == "ACCEPTED" and isinstance(answer["timeout"], int)
    sent = cpo.objects["commands"]["START_SESSION"]
    assert "connector_id" not in sent and sent["token"]["auth_id"] == token["contract_id"]
    assert "/ocpi/2.1.1/" in sent["response_url"]
    ok(await cpo.command_result(sent["response_url"], "ACCEPTED"))
    await eventually(lambda: any(r.path == "/results/start1" for r in emsp.received))
    result = next(r for r in emsp.received if r.path == "/results/start1")
    assert result.body["result"] == "ACCEPTED"

    # The 2.1.1 Session names its driver by auth_id: the eMSP of that Token gets it in 2.2.1.
    session = session211("S1") | {"auth_id": token["contract_id"]}
    ok(await cpo.push("sessions", "NL/CPA/S1", session), 201)
    await eventually(lambda: len(emsp.requests("sessions")) == 1)
    got = emsp.requests("sessions")[0].body
    assert got["cdr_token"]["uid"] == "U1" and got["cdr_token"]["party_id"] == "EMA"
    assert (got["location_id"], got["evse_uid"], got["connector_id"]) == ("LOC1", "LOC1-E1", "1")
    assert got["total_cost"] == {"excl_vat": 2.75}

    # The 2.1.1 CDR: stored, answered with a 2.1.1 Location URL, delivered in 2.2.1.
    cdr = cdr211("C1") | {"auth_id": token["contract_id"]}
    posted = await cpo.post_cdr(cdr)
    ok(posted, 201)
    assert "/ocpi/2.1.1/" in (posted.header("Location") or "")
    await eventually(lambda: len(emsp.requests("cdrs")) == 1)
    got = emsp.requests("cdrs")[0].body
    assert got["cdr_location"]["evse_uid"] == "LOC1-E1" and got["end_date_time"]
    assert got["total_cost"] == {"excl_vat": 2.75} and got["cdr_token"]["uid"] == "U1"
    clean(cpo)


async def test_a_221_cpo_and_a_211_emsp_run_the_whole_journey(
    hub: RunningHub, make_party: MakeParty, parties: list[FakeParty]
) -> None:
    """2.2.1 CPO NL*CPA, 2.1.1 eMSP DE*EMB: the reverse journey."""
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await party211(parties, "EMSP", "DE", "EMB")
    await registered(hub, emsp)

    # The 2.1.1 eMSP's Token reaches the CPO in 2.2.1, owned by DE*EMB.
    ok(await emsp.push("tokens", "DE/EMB/U2", token211("U2")), 201)
    await eventually(lambda: len(cpo.pushes(module="tokens")) == 1)
    token = cpo.pushes(module="tokens")[0].body
    assert (token["country_code"], token["party_id"]) == ("DE", "EMB")
    assert token["contract_id"] == "NL-EMA-U2"

    # The CPO's Location and Tariff reach the eMSP in 2.1.1 (the fake refuses anything else).
    location = factories.location("NL", "CPA", "LOC1")
    ok(
        await cpo.call_url("PUT", f"{hub.url}{HUB}/receiver/locations/NL/CPA/LOC1", json=location),
        201,
    )
    tariff = factories.tariff("T1")
    ok(await cpo.call_url("PUT", f"{hub.url}{HUB}/receiver/tariffs/NL/CPA/T1", json=tariff), 201)
    await eventually(lambda: len(emsp.objects.get("locations", {})) == 1)
    await eventually(lambda: len(emsp.objects.get("tariffs", {})) == 1)
    stored = emsp.objects["locations"]["NL/CPA/LOC1"]
    assert "country_code" not in stored and stored["type"]

    # Real-time authorization asked by the 2.2.1 CPO, answered by the 2.1.1 eMSP: the hub adds
    # the Token the 2.2.1 answer needs.
    async def authorize(request: web.Request, body: Any) -> web.Response:
        return emsp.reply(request, {"allowed": "ALLOWED"})

    emsp.handlers["tokens"] = authorize
    info = ok(
        await cpo.call_url(
            "POST", f"{hub.url}{HUB}/sender/tokens/U2/authorize?type=RFID",
            json={"location_id": "LOC1"},
            headers={"OCPI-to-country-code": "DE", "OCPI-to-party-id": "EMB"},
        )
    )  # fmt: skip
    assert info["allowed"] == "ALLOWED" and info["token"]["uid"] == "U2"

    # START_SESSION from the 2.1.1 eMSP: the CPO gets a 2.2.1 StartSession; its CommandResult
    # reaches the eMSP as a 2.1.1 CommandResponse at its own response_url.
    async def command(request: web.Request, body: Any) -> web.Response:
        return cpo.reply(request, {"result": "ACCEPTED", "timeout": 30})

    cpo.handlers["commands"] = command
    start = {
        "response_url": emsp.response_url("start2"),
        "token": token211("U2"),
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
    }
    assert ok(await emsp.command("START_SESSION", start)) == {"result": "ACCEPTED"}
    sent = cpo.requests("commands")[0]
    assert sent.body["token"]["country_code"] == "DE" and sent.body["token"]["uid"] == "U2"
    result = await cpo.call_url("POST", sent.body["response_url"], json={"result": "ACCEPTED"})
    ok(result)
    await eventually(lambda: any("start2" in r.path for r in emsp.received))
    callback = next(r for r in emsp.received if "start2" in r.path)
    assert callback.body == {"result": "ACCEPTED"}

    # The CPO's Session and CDR reach the eMSP in 2.1.1, with the Location embedded.
    emb = ("DE", "EMB")
    session = factories.session(emsp=emb) | {"cdr_token": factories.cdr_token(emb, uid="U2")}
    ok(
        await cpo.call_url("PUT", f"{hub.url}{HUB}/receiver/sessions/NL/CPA/SESS1", json=session),
        201,
    )
    await eventually(lambda: "NL/CPA/SESS1" in emsp.objects.get("sessions", {}))
    got = emsp.objects["sessions"]["NL/CPA/SESS1"]
    assert got["location"]["id"] == "LOC1" and got["start_datetime"] == session["start_date_time"]
    cdr = factories.cdr(emsp=emb) | {"cdr_token": factories.cdr_token(emb, uid="U2")}
    ok(await cpo.call_url("POST", f"{hub.url}{HUB}/receiver/cdrs", json=cdr), 201)
    await eventually(lambda: len(emsp.requests("cdrs", "POST")) == 1)
    got = emsp.requests("cdrs", "POST")[0].body
    assert got["stop_date_time"] == cdr["end_date_time"] and got["total_cost"] == 4.6
    clean(emsp)


async def test_what_cannot_be_filled_is_refused_naming_the_field(
    hub: RunningHub, parties: list[FakeParty]
) -> None:
    """A 2.1.1 Session whose auth_id names no Token the hub holds (and is no eMA-ID) is 2001
    naming auth_id, with 2.1.1's status codes; nothing is stored, nothing delivered."""
    cpo = await party211(parties, "CPO", "NL", "CPA")
    await registered(hub, cpo)
    ok(await cpo.push("locations", "NL/CPA/LOC1", location211("LOC1")), 201)
    session = session211("S9") | {"auth_id": "no token of anyone"}
    refused = await cpo.push("sessions", "NL/CPA/S9", session)
    assert (refused.status, refused.status_code) == (200, 2001), refused.body
    assert "auth_id" in refused.body["status_message"]
    stored = await hub.pool.fetchval("SELECT count(*) FROM objects WHERE module = 'sessions'")
    assert stored == 0
    unknown = await cpo.call_url("GET", cpo.endpoints[("sessions", "RECEIVER")] + "/NL/CPA/S9")
    assert unknown.status_code != 1000 and unknown.status_code < 4000
