"""Relayed path traversal (issue 7 §5): the ids a requester puts in a URL never steer the hub's
own call elsewhere at the receiver.

A CPO sending `GET .../receiver/locations/BE/CPB/..%2F..%2F..%2Fcredentials` with OCPI-to = an
eMSP must not make the hub call `{eMSP locations}/BE/CPB/../../../credentials` with the hub's
token for that eMSP. Every id the hub puts in a URL it calls is a valid OCPI id of its field
(core.urls), re-encoded, and anything else is 2001 before a request leaves the hub: the
receiver gets nothing. Only the query parameters the spec defines for a URL travel.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import to_headers
from tests.e2e.fakes import Answer, FakeParty, Received

HANDSHAKE = ("/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials")
# Ids as a hostile requester encodes them in its URL.
HOSTILE_IDS = {
    "traversal": "..%2F..%2F..%2Fcredentials",
    "dot-dot": "%2e%2e",
    "dot": "%2E",
    "query": "LOC1%3Fx%3D1",
    "fragment": "LOC1%23x",
    "backslash": "..%5C..%5Ccredentials",
    "double-encoded": "%252e%252e",
    "over-long": "L" * 37,
    "control": "LOC%0A1",
}


def heard(party: FakeParty) -> list[Received]:
    """What reached `party` besides its registration handshake."""
    return [r for r in party.received if r.path not in HANDSHAKE]


async def send(
    party: FakeParty, hub: RunningHub, method: str, path: str, body: Any = None, **headers: str
) -> Answer:
    """`path` sent exactly as written, encoding included."""
    url = URL(hub.url + path, encoded=True)
    return await party.call_url(method, url, json=body, headers=headers)


def refused(answer: Answer) -> None:
    assert answer.status_code == 2001, answer.body


# ---- one request per relayed module, each hostile id ------------------------------------------


@pytest.mark.parametrize("bad", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
async def test_locations_relay_refuses_hostile_ids(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, bad: str
) -> None:
    """Locations Receiver GET/PUT/PATCH, at every level, with OCPI-to an eMSP: 2001, and the
    eMSP hears nothing (issue 7 §5, checklist §4.1)."""
    to = to_headers(emsp)
    base = "/ocpi/2.2.1/receiver/locations/NL/CPA"
    for path in (f"{base}/{bad}", f"{base}/LOC1/{bad}", f"{base}/LOC1/EVSE1/{bad}"):
        refused(await send(cpo, hub, "GET", path, **to))
    refused(await send(cpo, hub, "PUT", f"{base}/{bad}", factories.location(id="X"), **to))
    refused(await send(cpo, hub, "PATCH", f"{base}/{bad}", {"last_updated": "2024-01-01"}, **to))

    assert not heard(emsp)


@pytest.mark.parametrize("bad", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
async def test_tariffs_relay_refuses_hostile_ids(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, bad: str
) -> None:
    """Tariffs Receiver GET/PUT/DELETE with OCPI-to an eMSP: 2001, nothing relayed — the DELETE
    that would have unregistered the hub at the eMSP included (issue 7 §5, checklist §4.4)."""
    to = to_headers(emsp)
    path = f"/ocpi/2.2.1/receiver/tariffs/NL/CPA/{bad}"
    for method in ("GET", "DELETE"):
        refused(await send(cpo, hub, method, path, **to))
    refused(await send(cpo, hub, "PUT", path, factories.tariff(), **to))

    assert not heard(emsp)


@pytest.mark.parametrize("bad", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
async def test_sessions_relay_refuses_hostile_ids(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, bad: str
) -> None:
    """Sessions Receiver GET/PUT with OCPI-to the token's eMSP: 2001, nothing relayed, nothing
    kept (issue 7 §5, checklist §4.2)."""
    to = to_headers(emsp)
    path = f"/ocpi/2.2.1/receiver/sessions/NL/CPA/{bad}"
    refused(await send(cpo, hub, "GET", path, **to))
    decoded = URL(hub.url + path, encoded=True).path.rsplit("/", 1)[1]
    body = factories.session(decoded[:36])
    answer = await send(cpo, hub, "PUT", path, body, **to)

    assert answer.status_code == 2001, answer.body
    assert not heard(emsp)
    assert await hub.pool.fetchval("SELECT count(*) FROM objects") == 0


@pytest.mark.parametrize("bad", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
async def test_tokens_relay_refuses_hostile_ids(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, bad: str
) -> None:
    """Tokens Receiver GET/PUT/PATCH with OCPI-to a CPO, and real-time authorization with OCPI-to
    an eMSP: 2001, nothing relayed (issue 7 §5, checklist §4.5)."""
    path = f"/ocpi/2.2.1/receiver/tokens/DE/EMA/{bad}?type=RFID"
    to_cpo = to_headers(cpo)
    refused(await send(emsp, hub, "GET", path, **to_cpo))
    refused(await send(emsp, hub, "PUT", path, factories.token("X"), **to_cpo))
    refused(await send(emsp, hub, "PATCH", path, {"last_updated": "2024-01-01"}, **to_cpo))
    authorize = f"/ocpi/2.2.1/sender/tokens/{bad}/authorize"
    refused(await send(cpo, hub, "POST", authorize, **to_headers(emsp)))

    assert not heard(cpo)
    assert not heard(emsp)


@pytest.mark.parametrize("bad", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
async def test_chargingprofiles_relay_refuses_hostile_session_ids(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, bad: str
) -> None:
    """ChargingProfiles GET/PUT/DELETE with OCPI-to the CPO: 2001, nothing relayed, no
    response_url mapping left open (issue 7 §5, checklist §4.7)."""
    to = to_headers(cpo)
    callback = f"response_url={emsp.url}/cb/1"
    path = f"/ocpi/2.2.1/receiver/chargingprofiles/{bad}"
    refused(await send(emsp, hub, "GET", f"{path}?duration=60&{callback}", **to))
    refused(await send(emsp, hub, "DELETE", f"{path}?{callback}", **to))
    profile = {"charging_rate_unit": "A", "charging_profile_period": []}
    body = {"charging_profile": profile, "response_url": f"{emsp.url}/cb/1"}
    refused(await send(emsp, hub, "PUT", path, body, **to))

    assert not heard(cpo)
    assert await hub.pool.fetchval("SELECT count(*) FROM response_urls") == 0


@pytest.mark.parametrize("bad", ["..%2F..%2Fcredentials", "STOP_SESSION%3Fx%3D1", "%2e%2e"])
async def test_commands_relay_only_known_command_types(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, bad: str
) -> None:
    """A command's URL segment is a CommandType or nothing: anything else is HTTP 404 (no such
    endpoint, checklist §4.6) and the CPO hears nothing."""
    body = {"response_url": f"{emsp.url}/cb/1", "session_id": "S1"}
    answer = await send(emsp, hub, "POST", f"/ocpi/2.2.1/receiver/commands/{bad}", body,
                        **to_headers(cpo))  # fmt: skip

    assert answer.status == 404, answer.body
    assert not heard(cpo)


# ---- broadcasts: nothing stored, nothing queued -----------------------------------------------


@pytest.mark.parametrize("bad", ["..%2F..%2Fcredentials", "LOC1%3Fx%3D1", "%252e%252e"])
async def test_a_broadcast_push_with_a_hostile_id_is_not_stored_or_queued(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, bad: str
) -> None:
    """A Location the hub could only deliver to a URL outside the eMSPs' endpoints is refused
    with 2001 as a whole: not stored, no delivery queued (issue 7 §5, DESIGN.md decision 7)."""
    decoded = URL(f"http://h/{bad}", encoded=True).path[1:]
    body = factories.location(country_code="NL", party_id="CPA", id=decoded)

    answer = await send(cpo, hub, "PUT", f"/ocpi/2.2.1/receiver/locations/NL/CPA/{bad}", body)

    refused(answer)
    assert await hub.pool.fetchval("SELECT count(*) FROM objects") == 0
    assert await hub.pool.fetchval("SELECT count(*) FROM deliveries") == 0
    assert not heard(emsp)


# ---- what does travel ---------------------------------------------------------------------------


async def test_valid_ids_travel_re_encoded_and_only_the_spec_query(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A valid id with characters a URL must encode arrives decoded to the same id; a query
    parameter the spec does not define for the URL is not relayed, `type` on Tokens is
    (checklist §4.5)."""
    seen: list[web.Request] = []

    async def record(request: web.Request, body: Any) -> web.Response:
        seen.append(request)
        return cpo.reply(request, None)

    cpo.handlers["tokens"] = record
    emsp.handlers["locations"] = record
    get = "/ocpi/2.2.1/receiver/locations/NL/CPA/LOC%201*A;B?x=1"
    put = "/ocpi/2.2.1/receiver/tokens/DE/EMA/U%2B1?type=APP_USER&x=1"

    await send(cpo, hub, "GET", get, **to_headers(emsp))
    await send(emsp, hub, "PUT", put, factories.token("U+1", type="APP_USER"), **to_headers(cpo))

    location, token = seen
    assert location.match_info["tail"] == "NL/CPA/LOC 1*A;B"
    assert location.raw_path == "/ocpi/2.2.1/locations/NL/CPA/LOC%201*A%3BB"
    assert token.match_info["tail"] == "DE/EMA/U+1"
    assert token.query_string == "type=APP_USER"
