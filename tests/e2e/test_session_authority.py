"""Commands and charging profiles on someone else's session (issue 7 §5).

Where the hub holds the Session, only its eMSP (the party of its `cdr_token`) may stop it or
get, set or clear its charging profile through the hub, whichever way the request is addressed
(core.modules.sessions.may_act_on_session). An SCSP party may manage profiles of sessions it
does not own, never send commands. A Session the hub never saw is relayed as before: the CPO is
the authority on it. Refusals are 2001 with a REJECTED response as data; nothing is relayed.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty, registered, to_headers
from tests.e2e.fakes import Answer, FakeParty

COMMANDS = "/ocpi/2.2.1/receiver/commands/STOP_SESSION"
PROFILES = "/ocpi/2.2.1/receiver/chargingprofiles"
ACCEPTED = {"result": "ACCEPTED", "timeout": 30}
PROFILE = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 8}]}


@pytest.fixture
async def session_s1(hub: RunningHub, cpo: FakeParty, emsp: FakeParty) -> None:
    """CPO NL/CPA pushes Session S1 on a token of eMSP DE/EMA; the CPO answers every command and
    profile request ACCEPTED."""
    url = f"{hub.url}/ocpi/2.2.1/receiver/sessions/NL/CPA/S1"
    pushed = await cpo.call_url("PUT", url, json=factories.session("S1", emsp=emsp.key))
    assert pushed.status_code == 1000, pushed.body

    async def accept(request: web.Request, body: Any) -> web.Response:
        return cpo.reply(request, ACCEPTED)

    cpo.handlers["commands"] = accept
    cpo.handlers["chargingprofiles"] = accept


@pytest.fixture
async def scsp(hub: RunningHub, make_party: MakeParty) -> FakeParty:
    """An SCSP party, DE/SCS, registered at the hub."""
    modules = [("commands", "SENDER"), ("chargingprofiles", "SENDER")]
    return await registered(hub, await make_party("SCSP", "DE", "SCS", modules))


async def stop(party: FakeParty, hub: RunningHub, session_id: str, **headers: str) -> Answer:
    body = {"response_url": f"{party.url}/cb", "session_id": session_id}
    return await party.call_url("POST", hub.url + COMMANDS, json=body, headers=headers)


async def profile(
    party: FakeParty, hub: RunningHub, method: str, session_id: str, **headers: str
) -> Answer:
    callback = f"{party.url}/cb"
    url = f"{hub.url}{PROFILES}/{session_id}"
    if method == "PUT":
        body = {"charging_profile": PROFILE, "response_url": callback}
        return await party.call_url("PUT", url, json=body, headers=headers)
    query = (
        f"?duration=60&response_url={callback}" if method == "GET" else f"?response_url={callback}"
    )
    return await party.call_url(method, url + query, headers=headers)


async def test_stop_session_of_another_emsps_session_is_2001_however_addressed(
    hub: RunningHub, cpo: FakeParty, emsp2: FakeParty, session_s1: None
) -> None:
    """STOP_SESSION for S1 (DE/EMA's) from FR/EMB: with OCPI-to the CPO, 2001 with a REJECTED
    CommandResponse; by open routing, UNKNOWN_SESSION (it cannot see S1). The CPO hears
    nothing either way (issue 7 §5, checklist §4.6)."""
    direct = await stop(emsp2, hub, "S1", **to_headers(cpo))
    open_routed = await stop(emsp2, hub, "S1")

    assert (direct.status_code, direct.data["result"]) == (2001, "REJECTED"), direct.body
    assert "S1" in direct.body["status_message"]
    assert (open_routed.status_code, open_routed.data["result"]) == (1000, "UNKNOWN_SESSION")
    assert not cpo.requests("commands")
    assert await hub.pool.fetchval("SELECT count(*) FROM response_urls") == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_charging_profile_of_another_emsps_session_is_2001(
    hub: RunningHub, cpo: FakeParty, emsp2: FakeParty, session_s1: None, method: str
) -> None:
    """GET/PUT/DELETE chargingprofiles for S1 from FR/EMB with OCPI-to the CPO: 2001 with a
    REJECTED ChargingProfileResponse, nothing relayed (issue 7 §5, checklist §4.7)."""
    answer = await profile(emsp2, hub, method, "S1", **to_headers(cpo))

    assert answer.status_code == 2001, answer.body
    assert answer.data == {"result": "REJECTED", "timeout": 0}
    assert not cpo.requests("chargingprofiles")


async def test_the_sessions_own_emsp_is_relayed_however_addressed(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, session_s1: None
) -> None:
    """DE/EMA, whose token S1 runs on, stops it and sets its profile, with OCPI-to or by open
    routing: all relayed to the CPO (checklist §4.6, §4.7)."""
    answers = [
        await stop(emsp, hub, "S1", **to_headers(cpo)),
        await stop(emsp, hub, "S1"),
        await profile(emsp, hub, "PUT", "S1", **to_headers(cpo)),
        await profile(emsp, hub, "PUT", "S1"),
    ]

    assert [a.data for a in answers] == [ACCEPTED] * 4, [a.body for a in answers]
    assert len(cpo.requests("commands")) == 2
    assert len(cpo.requests("chargingprofiles")) == 2


async def test_a_session_the_hub_never_saw_is_relayed_to_the_cpo(
    hub: RunningHub, cpo: FakeParty, emsp2: FakeParty, session_s1: None
) -> None:
    """With OCPI-to the CPO and a session id the hub holds no Session for, the request goes to
    the CPO, the authority on its sessions (the hub cannot tell whose it is)."""
    stopped = await stop(emsp2, hub, "S9", **to_headers(cpo))
    profiled = await profile(emsp2, hub, "GET", "S9", **to_headers(cpo))

    assert stopped.data == ACCEPTED and profiled.data == ACCEPTED
    assert len(cpo.requests("commands")) == 1 and len(cpo.requests("chargingprofiles")) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_an_scsp_manages_profiles_of_sessions_it_does_not_own(
    hub: RunningHub, cpo: FakeParty, scsp: FakeParty, session_s1: None, method: str
) -> None:
    """An SCSP party may get, set and clear the profile of S1 (DE/EMA's): managing charging is
    its role in 2.2.1 (checklist §4.7: "Sender = SCSP or eMSP")."""
    answer = await profile(scsp, hub, method, "S1", **to_headers(cpo))

    assert answer.data == ACCEPTED, answer.body
    assert len(cpo.requests("chargingprofiles", method)) == 1


async def test_an_scsp_may_not_stop_a_session_it_does_not_own(
    hub: RunningHub, cpo: FakeParty, scsp: FakeParty, session_s1: None
) -> None:
    """Commands are the eMSP's (checklist §4.6): an SCSP stopping S1 is refused with 2001."""
    answer = await stop(scsp, hub, "S1", **to_headers(cpo))

    assert (answer.status_code, answer.data["result"]) == (2001, "REJECTED"), answer.body
    assert not cpo.requests("commands")
