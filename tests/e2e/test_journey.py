"""The whole charging journey through the hub, one CPO and two eMSPs connected only to it
(issue 3): tariff and token broadcast → real-time authorization → START_SESSION with its async
result relayed → session PUT and PATCHes → a charging profile → STOP_SESSION → CDR → the eMSP
pages its CDRs. Each step checks what each party received, and that the second eMSP got only
what is meant for everyone."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty, eventually, ok, registered

MODULES = ["locations", "tariffs", "tokens", "sessions", "cdrs", "commands", "chargingprofiles"]
# A CPO owns locations, tariffs, sessions and CDRs and receives tokens, commands and profiles.
CPO_SENDS = {"locations", "tariffs", "sessions", "cdrs"}
HUB = "/ocpi/2.2.1"


def modules_of(role: str) -> list[tuple[str, str]]:
    sends = CPO_SENDS if role == "CPO" else set(MODULES) - CPO_SENDS
    offered = [(m, "SENDER" if m in sends else "RECEIVER") for m in MODULES]
    return [*offered, ("hubclientinfo", "RECEIVER")]


async def test_full_charging_journey(hub: RunningHub, make_party: MakeParty) -> None:
    """Every module in one journey; each message reaches the right party and no other."""
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA", modules_of("CPO")))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA", modules_of("EMSP")))
    other = await registered(hub, await make_party("EMSP", "FR", "EMB", modules_of("EMSP")))

    async def authorize(request: web.Request, body: Any) -> web.Response:
        token = emsp.objects["tokens"].get("DE/EMA/U1") or factories.token("U1")
        info = {"allowed": "ALLOWED", "token": token, "authorization_reference": "AUTH1"}
        return emsp.reply(request, info)

    async def command(request: web.Request, body: Any) -> web.Response:
        return cpo.reply(request, {"result": "ACCEPTED", "timeout": 30})

    async def profile(request: web.Request, body: Any) -> web.Response:
        return cpo.reply(request, {"result": "ACCEPTED", "timeout": 30})

    emsp.handlers["tokens"] = authorize
    cpo.handlers["commands"] = command
    cpo.handlers["chargingprofiles"] = profile

    # 1. The CPO's Location and Tariff reach both eMSPs.
    location = factories.location("NL", "CPA", "LOC1")
    ok(
        await cpo.call_url("PUT", f"{hub.url}{HUB}/receiver/locations/NL/CPA/LOC1", json=location),
        201,
    )
    ok(
        await cpo.call_url(
            "PUT", f"{hub.url}{HUB}/receiver/tariffs/NL/CPA/T1", json=factories.tariff("T1")
        ),
        201,
    )
    for party in (emsp, other):
        await eventually(
            lambda p=party: len(p.pushes()) == 1 and len(p.pushes(module="tariffs")) == 1
        )

    # 2. The eMSP's Token reaches the CPO (and not the other eMSP).
    token = factories.token("U1")
    ok(await emsp.call_url("PUT", f"{hub.url}{HUB}/receiver/tokens/DE/EMA/U1", json=token), 201)
    await eventually(lambda: len(cpo.pushes(module="tokens")) == 1)
    assert cpo.pushes(module="tokens")[0].body == token

    # 3. Real-time authorization, relayed to the token's eMSP and answered.
    refs = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}
    info = ok(
        await cpo.call_url(
            "POST", f"{hub.url}{HUB}/sender/tokens/U1/authorize?type=RFID", json=refs
        )
    )
    assert info["allowed"] == "ALLOWED" and info["authorization_reference"] == "AUTH1"
    assert [r.path for r in emsp.requests("tokens", "POST")] == [f"{HUB}/tokens/U1/authorize"]

    # 4. START_SESSION: routed to the Location's CPO; its async result reaches the eMSP's URL.
    start = {
        "response_url": f"{emsp.url}/callbacks/start",
        "token": token,
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "authorization_reference": "AUTH2",
    }
    started = ok(
        await emsp.call_url("POST", f"{hub.url}{HUB}/receiver/commands/START_SESSION", json=start)
    )
    assert started["result"] == "ACCEPTED"
    relayed = cpo.requests("commands", "POST")[-1]
    assert relayed.body["response_url"].startswith(hub.url)
    ok(await cpo.call_url("POST", relayed.body["response_url"], json={"result": "ACCEPTED"}))
    await eventually(
        lambda: (
            [r.body for r in emsp.received if r.path == "/callbacks/start"]
            == [{"result": "ACCEPTED"}]
        )
    )

    # 5. The Session: PUT and two PATCHes reach the eMSP only; periods are appended.
    sessions = f"{hub.url}{HUB}/receiver/sessions/NL/CPA/S1"
    session = factories.session("S1", authorization_reference="AUTH2")
    ok(await cpo.call_url("PUT", sessions, json=session), 201)
    for minute in (15, 30):
        patch = {
            "kwh": minute / 10,
            "charging_periods": [factories.charging_period(minute)],
            "last_updated": f"2024-03-01T10:{minute}:00Z",
        }
        ok(await cpo.call_url("PATCH", sessions, json=patch))
    await eventually(lambda: len(emsp.pushes(module="sessions")) == 3)
    assert [r.method for r in emsp.pushes(module="sessions")] == ["PUT", "PATCH", "PATCH"]
    listed = ok(
        await emsp.call_url("GET", f"{hub.url}{HUB}/sender/sessions?date_from=2024-01-01T00:00:00Z")
    )
    assert [len(s.get("charging_periods") or []) for s in listed] == [2]

    # 6. A charging profile set by the eMSP, its result relayed back.
    profile_body = {
        "charging_profile": {
            "charging_rate_unit": "A",
            "charging_profile_period": [{"start_period": 0, "limit": 16}],
        },
        "response_url": f"{emsp.url}/callbacks/profile",
    }
    ok(
        await emsp.call_url(
            "PUT", f"{hub.url}{HUB}/receiver/chargingprofiles/S1", json=profile_body
        )
    )
    set_profile = cpo.requests("chargingprofiles", "PUT")[-1]
    ok(await cpo.call_url("POST", set_profile.body["response_url"], json={"result": "ACCEPTED"}))
    await eventually(
        lambda: (
            [r.body for r in emsp.received if r.path == "/callbacks/profile"]
            == [{"result": "ACCEPTED"}]
        )
    )

    # 7. STOP_SESSION, routed by the stored Session.
    stop = {"response_url": f"{emsp.url}/callbacks/stop", "session_id": "S1"}
    ok(await emsp.call_url("POST", f"{hub.url}{HUB}/receiver/commands/STOP_SESSION", json=stop))
    stop_relayed = cpo.requests("commands", "POST")[-1]
    assert stop_relayed.path.endswith("/STOP_SESSION")
    ok(await cpo.call_url("POST", stop_relayed.body["response_url"], json={"result": "ACCEPTED"}))
    await eventually(
        lambda: (
            [r.body for r in emsp.received if r.path == "/callbacks/stop"]
            == [{"result": "ACCEPTED"}]
        )
    )
    ok(
        await cpo.call_url(
            "PATCH", sessions, json={"status": "COMPLETED", "last_updated": "2024-03-01T11:00:00Z"}
        )
    )

    # 8. The CDR: stored by the hub, delivered to the eMSP, found by its pull.
    cdr = factories.cdr("CDR1", session_id="S1")
    answer = await cpo.call_url("POST", f"{hub.url}{HUB}/receiver/cdrs", json=cdr)
    ok(answer, 201)
    assert answer.header("Location") == f"{hub.url}{HUB}/receiver/cdrs/NL/CPA/CDR1"
    await eventually(lambda: len(emsp.requests("cdrs", "POST")) == 1)
    assert emsp.requests("cdrs", "POST")[0].body == cdr
    pulled = ok(await emsp.call_url("GET", f"{hub.url}{HUB}/sender/cdrs"))
    assert [c["id"] for c in pulled] == ["CDR1"]

    # The other eMSP got the public data and nothing personal.
    await eventually(lambda: len(emsp.pushes(module="sessions")) == 4)
    assert other.pushes(module="tokens") == other.pushes(module="sessions") == []
    assert other.requests("cdrs") == other.requests("commands") == other.requests("tokens") == []
    assert not [r for r in other.received if r.path.startswith("/callbacks")]
    assert ok(await other.call_url("GET", f"{hub.url}{HUB}/sender/cdrs")) == []
