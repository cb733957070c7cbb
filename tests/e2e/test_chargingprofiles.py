"""ChargingProfiles through the hub, end to end: GET/PUT/DELETE relayed with response_url
proxied, results relayed, ActiveChargingProfile updates to the party that set a profile.

Spec: checklist §4.7 (ChargingProfiles), §1.2 (ids per hop), §1.6 (routing headers), §5 (hub
rules), §7.14 (the hub rewrites response_url).
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from ocpi_hub.core.types import parse_datetime
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.e2e.fakes import Answer, FakeParty, Received

RECEIVER = "/ocpi/2.2.1/receiver/chargingprofiles"
SENDER = "/ocpi/2.2.1/sender/chargingprofiles"
HUB_RESULTS = SENDER + "/results/"
IDS = {"X-Request-ID": "scsp-request-1", "X-Correlation-ID": "scsp-correlation-1"}
PROFILE = {
    "charging_rate_unit": "A",
    "min_charging_rate": 6.0,
    "charging_profile_period": [
        {"start_period": 0, "limit": 16.0},
        {"start_period": 900, "limit": 8},
    ],
}
ACTIVE = {"start_date_time": "2024-01-01T10:00:00Z", "charging_profile": PROFILE}
ACCEPTED = {"result": "ACCEPTED", "timeout": 30}


@pytest.fixture
async def sessions(hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty) -> None:
    """CPO NL/CPA's session S1 for eMSP DE/EMA and S2 for eMSP FR/EMB, stored at the hub."""
    for session_id, owner in (("S1", emsp), ("S2", emsp2)):
        session: dict[str, Any] = {
            "country_code": "NL",
            "party_id": "CPA",
            "id": session_id,
            "cdr_token": {"country_code": owner.country_code, "party_id": owner.party_id},
            "last_updated": "2024-01-01T10:00:00Z",
        }
        async with hub.pool.acquire() as conn:
            await objects.upsert(
                conn,
                ObjectKey("sessions", ("NL", "CPA"), session_id),
                session,
                parse_datetime(session["last_updated"]),
                owner.key,
            )


def answers(cpo: FakeParty, data: Any) -> list[web.Request]:
    """Make the CPO answer every chargingprofiles request with `data`; the requests it got
    (with their query strings, which the fake's record leaves out) are returned as they come."""
    seen: list[web.Request] = []

    async def handler(request: web.Request, body: Any) -> web.Response:
        seen.append(request)
        return cpo.reply(request, data)

    cpo.handlers["chargingprofiles"] = handler
    return seen


async def call(
    party: FakeParty, hub: RunningHub, method: str, path: str, body: Any = None, **headers: str
) -> Answer:
    return await party.call_url(method, hub.url + path, json=body, headers={**IDS, **headers})


def callbacks(party: FakeParty, path: str) -> list[Received]:
    return [r for r in party.received if r.path == path]


def hop(cpo: FakeParty, method: str) -> Received:
    (found,) = cpo.requests("chargingprofiles", method)
    return found


def assert_relayed(answer: Answer, hop: Received, cpo: FakeParty, requester: FakeParty) -> None:
    """FROM the requester TO the CPO, new request id, same correlation id; answer swapped."""
    assert (answer.status, answer.status_code, answer.data) == (200, 1000, ACCEPTED), answer.body
    assert answer.routing("from") == cpo.key and answer.routing("to") == requester.key
    assert hop.path == "/ocpi/2.2.1/chargingprofiles/S1"
    assert hop.routing("from") == requester.key and hop.routing("to") == cpo.key
    assert hop.header("X-Request-ID") not in (None, IDS["X-Request-ID"])
    assert hop.header("X-Correlation-ID") == IDS["X-Correlation-ID"]


async def post_result(
    hub: RunningHub, cpo: FakeParty, requester: FakeParty, hub_url: str, result: Any
) -> Received:
    """The CPO posts `result` to the hub's URL; return what reached the requester, which carries
    the correlation id of the CPO's POST (a hub keeps it on what it forwards, §1.2)."""
    assert hub_url.startswith(hub.url + HUB_RESULTS)
    ids = {"X-Correlation-ID": "cpo-result-correlation"}
    posted = await cpo.call_url("POST", hub_url, json=result, headers=ids)
    assert (posted.status, posted.status_code) == (200, 1000), posted.body
    await eventually(lambda: bool(callbacks(requester, "/cb/1")), message="result delivered")
    (delivered,) = callbacks(requester, "/cb/1")
    assert delivered.method == "POST" and delivered.body == result
    assert delivered.routing("from") == cpo.key and delivered.routing("to") == requester.key
    assert delivered.header("X-Correlation-ID") == "cpo-result-correlation"
    return delivered


# ---- the three requests ----------------------------------------------------------------------


async def test_put_profile_is_relayed_and_its_result_reaches_the_requester(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, sessions: None
) -> None:
    """PUT SetChargingProfile goes to the session's CPO with the hub's response_url; the
    ChargingProfileResult comes back to the requester's own URL unchanged (§4.7)."""
    answers(cpo, ACCEPTED)
    body = {"charging_profile": PROFILE, "response_url": emsp.url + "/cb/1", "x_scsp": 1}

    answer = await call(emsp, hub, "PUT", f"{RECEIVER}/S1", body)

    put = hop(cpo, "PUT")
    assert_relayed(answer, put, cpo, emsp)
    hub_url = put.body.pop("response_url")
    assert put.body == {"charging_profile": PROFILE, "x_scsp": 1}
    await post_result(hub, cpo, emsp, hub_url, {"result": "ACCEPTED"})
    assert not cpo2.requests("chargingprofiles")


async def test_get_profile_is_relayed_with_the_query_proxied(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, sessions: None
) -> None:
    """GET ?duration=&response_url=: duration kept, response_url the hub's; the
    ActiveChargingProfileResult reaches the requester (§4.7)."""
    seen = answers(cpo, ACCEPTED)

    answer = await call(
        emsp, hub, "GET", f"{RECEIVER}/S1?duration=900&response_url={emsp.url}/cb/1"
    )

    assert_relayed(answer, hop(cpo, "GET"), cpo, emsp)
    (request,) = seen
    assert request.query["duration"] == "900"
    await post_result(
        hub, cpo, emsp, request.query["response_url"], {"result": "ACCEPTED", "profile": ACTIVE}
    )


async def test_delete_profile_is_relayed_with_the_query_proxied(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, sessions: None
) -> None:
    """DELETE ?response_url=: relayed with the hub's URL; the ClearProfileResult reaches the
    requester (§4.7)."""
    seen = answers(cpo, ACCEPTED)

    answer = await call(emsp, hub, "DELETE", f"{RECEIVER}/S1?response_url={emsp.url}/cb/1")

    assert_relayed(answer, hop(cpo, "DELETE"), cpo, emsp)
    await post_result(hub, cpo, emsp, seen[0].query["response_url"], {"result": "UNKNOWN"})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/S1?response_url=https://e.example/cb", None),
        ("GET", "/S1?duration=900", None),
        ("GET", "/S1?duration=soon&response_url=https://e.example/cb", None),
        ("DELETE", "/S1", None),
        ("PUT", "/S1", {"charging_profile": PROFILE}),
        ("PUT", "/S1", {"charging_profile": {"limit": 3}, "response_url": "https://e.example/cb"}),
    ],
    ids=["GET no duration", "GET no response_url", "GET bad duration", "DELETE no response_url",
         "PUT no response_url", "PUT bad profile"],
)  # fmt: skip
async def test_incomplete_request_is_2001_and_not_relayed(
    hub: RunningHub,
    cpo: FakeParty,
    emsp: FakeParty,
    sessions: None,
    method: str,
    path: str,
    body: Any,
) -> None:
    """GET needs duration and response_url, DELETE response_url, PUT a SetChargingProfile (§4.7)."""
    answer = await call(emsp, hub, method, RECEIVER + path, body)

    assert answer.status_code == 2001, answer.body
    assert not cpo.requests("chargingprofiles")


async def test_unknown_session_is_answered_unknown_session(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, sessions: None
) -> None:
    """Open routing for a session the requester may not see (S2 is another eMSP's) or the hub
    does not know: UNKNOWN_SESSION, nothing relayed; OCPI-to still reaches the CPO (§4.7, §5)."""
    answers(cpo, ACCEPTED)
    query = f"?duration=60&response_url={emsp.url}/cb/1"

    for session_id in ("S2", "S9"):
        answer = await call(emsp, hub, "GET", f"{RECEIVER}/{session_id}{query}")
        assert (answer.status_code, answer.data["result"]) == (1000, "UNKNOWN_SESSION")
    assert not cpo.requests("chargingprofiles")
    addressed = await call(
        emsp, hub, "GET", f"{RECEIVER}/S9{query}",
        **{"OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPA"},
    )  # fmt: skip
    assert addressed.data == ACCEPTED
    assert hop(cpo, "GET").path == "/ocpi/2.2.1/chargingprofiles/S9"


async def test_result_after_the_timeout_is_refused_and_nothing_invented(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, sessions: None
) -> None:
    """Profiles have no TIMEOUT result: past the CPO's timeout the hub closes the request
    without telling the requester anything, and refuses the late result (§4.7)."""
    seen = answers(cpo, {"result": "ACCEPTED", "timeout": 1})
    await call(emsp, hub, "DELETE", f"{RECEIVER}/S1?response_url={emsp.url}/cb/1")

    await eventually(
        lambda: hub.pool.fetchval("SELECT state = 'TIMED_OUT' FROM response_urls"),
        message="the sweeper closed the request",
    )
    late = await cpo.call_url("POST", seen[0].query["response_url"], json={"result": "ACCEPTED"})

    assert late.status_code == 2000, late.body
    assert await hub.pool.fetchval("SELECT count(*) FROM deliveries") == 0
    assert not callbacks(emsp, "/cb/1")


async def test_invalid_result_is_2001_and_not_relayed(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, sessions: None
) -> None:
    """A result that is not the object its request expects is 2001; the right one still
    passes afterwards (§4.7 result objects)."""
    seen = answers(cpo, ACCEPTED)
    await call(emsp, hub, "GET", f"{RECEIVER}/S1?duration=60&response_url={emsp.url}/cb/1")
    hub_url = seen[0].query["response_url"]

    wrong = await cpo.call_url("POST", hub_url, json={"result": "TIMEOUT"})

    assert wrong.status_code == 2001, wrong.body
    await post_result(hub, cpo, emsp, hub_url, {"result": "REJECTED"})


# ---- ActiveChargingProfile updates from the CPO ----------------------------------------------


async def test_active_profile_reaches_the_party_that_set_it_and_no_one_else(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty, sessions: None
) -> None:
    """The CPO's PUT of an ActiveChargingProfile for S1 reaches the party whose PUT for S1 was
    ACCEPTED, FROM the CPO, and not the party that set a profile for S2 only (§4.7 MUST)."""
    answers(cpo, ACCEPTED)
    for party, session_id in ((emsp, "S1"), (emsp2, "S2")):
        body = {"charging_profile": PROFILE, "response_url": party.url + "/cb/1"}
        assert (await call(party, hub, "PUT", f"{RECEIVER}/{session_id}", body)).data == ACCEPTED
    update = {**ACTIVE, "x_cpo": "kept"}

    answer = await cpo.call_url("PUT", f"{hub.url}{SENDER}/S1", json=update, headers=IDS)

    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    await eventually(lambda: bool(emsp.requests("chargingprofiles", "PUT")))
    (pushed,) = emsp.requests("chargingprofiles", "PUT")
    assert pushed.path == "/ocpi/2.2.1/chargingprofiles/S1" and pushed.body == update
    assert pushed.routing("from") == cpo.key and pushed.routing("to") == emsp.key
    assert pushed.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
    assert not emsp2.requests("chargingprofiles")
    assert await hub.pool.fetchval("SELECT count(*) FROM deliveries WHERE method = 'PUT'") == 1


async def test_active_profile_for_a_session_nobody_set_is_404(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, sessions: None
) -> None:
    """No ActiveChargingProfile for sessions without an accepted PUT (§4.7 MUST): a REJECTED
    PUT does not count, and the hub refuses the update with 404, delivering nothing."""
    answers(cpo, {"result": "REJECTED", "timeout": 0})
    body = {"charging_profile": PROFILE, "response_url": emsp.url + "/cb/1"}
    assert (await call(emsp, hub, "PUT", f"{RECEIVER}/S1", body)).data["result"] == "REJECTED"

    answer = await cpo.call_url("PUT", f"{hub.url}{SENDER}/S1", json=ACTIVE)
    invalid = await cpo.call_url("PUT", f"{hub.url}{SENDER}/S1", json={"charging_profile": {}})

    assert (answer.status, answer.status_code) == (404, 2000), answer.body
    assert invalid.status_code == 2001, invalid.body
    assert await hub.pool.fetchval("SELECT count(*) FROM deliveries") == 0
