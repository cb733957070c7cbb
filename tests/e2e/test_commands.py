"""Commands through the hub, end to end: routing, response_url proxying, results and timeouts.

Spec: checklist §4.6 (Commands), §1.2 (ids per hop), §1.4 (hub codes), §1.6 (routing headers
"Via Hub" and open routing), §5 (hub rules), §7.14 (the hub rewrites response_url, as OCN does).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from ocpi_hub.core.parties import ModuleID
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.modules.commands import TIMEOUT_RESULT
from ocpi_hub.web.results import sweep
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, eventually, registered
from tests.e2e.conftest import to_headers as to
from tests.e2e.fakes import Answer, FakeParty, Received

RECEIVER = "/ocpi/2.2.1/receiver/commands"
HUB_RESULTS = "/ocpi/2.2.1/sender/commands"
IDS = {"X-Request-ID": "emsp-request-1", "X-Correlation-ID": "emsp-correlation-1"}
CALLBACK = "/callbacks/cmd1"
TOKEN = {
    "country_code": "DE",
    "party_id": "EMA",
    "uid": "0102030405",
    "type": "RFID",
    "contract_id": "DE-EMA-C12345678-X",
    "issuer": "EMA",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2024-01-01T10:00:00Z",
}


# ---- parties and helpers ------------------------------------------------------------------


@pytest.fixture
async def cpo(hub: RunningHub, make_party: MakeParty) -> FakeParty:
    """CPO NL/CPA, owner of Location LOC1 (stored at the hub)."""
    party = await registered(hub, await make_party("CPO", "NL", "CPA"))
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    assert (await party.call_url("PUT", url, json=body)).status == 201
    return party


def answers(party: FakeParty, data: Any, code: int = 1000) -> None:
    """Make `party` answer every command with `data` (a CommandResponse) and `code`."""

    async def handler(request: web.Request, body: Any) -> web.Response:
        return party.reply(request, data, code=code)

    party.handlers["commands"] = handler


def start_session(emsp: FakeParty, **overrides: Any) -> dict[str, Any]:
    return {
        "response_url": emsp.url + CALLBACK,
        "token": TOKEN,
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "x_emsp_note": "kept",
        **overrides,
    }


async def command(emsp: FakeParty, hub: RunningHub, kind: str, body: Any, **headers: str) -> Answer:
    return await emsp.call_url(
        "POST", f"{hub.url}{RECEIVER}/{kind}", json=body, headers={**IDS, **headers}
    )


def callbacks(party: FakeParty, path: str = CALLBACK) -> list[Received]:
    return [r for r in party.received if r.path == path]


def heard(party: FakeParty) -> list[Received]:
    """What reached `party` besides the registration handshake."""
    handshake = ("/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials")
    return [r for r in party.received if r.path not in handshake]


def the_command(cpo: FakeParty) -> Received:
    (hop,) = cpo.requests("commands", "POST")
    return hop


async def deliveries(hub: RunningHub) -> int:
    return int(await hub.pool.fetchval("SELECT count(*) FROM deliveries"))


async def state(hub: RunningHub) -> list[str]:
    return [
        r[0] for r in await hub.pool.fetch("SELECT state FROM response_urls ORDER BY created_at")
    ]


ACCEPTED = {"result": "ACCEPTED", "timeout": 30}


# ---- the happy path ------------------------------------------------------------------------


async def test_start_session_reaches_the_location_owner_with_the_hub_response_url(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty
) -> None:
    """START_SESSION without OCPI-to goes to the CPO owning the stored Location, FROM the eMSP,
    new request id, same correlation id, response_url rewritten to the hub (§4.6, §1.6, §5)."""
    answers(cpo, ACCEPTED)
    body = start_session(emsp)

    answer = await command(emsp, hub, "START_SESSION", body)

    assert (answer.status, answer.status_code, answer.data) == (200, 1000, ACCEPTED), answer.body
    assert answer.routing("from") == cpo.key and answer.routing("to") == emsp.key
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    assert answer.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
    hop = the_command(cpo)
    assert hop.path == "/ocpi/2.2.1/commands/START_SESSION"
    assert hop.routing("from") == emsp.key and hop.routing("to") == cpo.key
    assert hop.header("X-Request-ID") not in (None, IDS["X-Request-ID"])
    assert hop.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
    rewritten = hop.body.pop("response_url")
    assert rewritten.startswith(f"{hub.url}{HUB_RESULTS}/START_SESSION/")
    assert emsp.url not in rewritten
    assert hop.body == {k: v for k, v in body.items() if k != "response_url"}
    assert not cpo2.requests("commands"), "the other CPO hears nothing"


async def test_command_result_reaches_the_original_response_url(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """The CPO's CommandResult, posted to the hub's URL, reaches the eMSP's own response_url
    unchanged, FROM the CPO, with the result request's own correlation id (a hub keeps the
    correlation id of what it forwards, §1.2); a second one is refused (§4.6)."""
    answers(cpo, ACCEPTED)
    await command(emsp, hub, "START_SESSION", start_session(emsp))
    hub_url = the_command(cpo).body["response_url"]
    result = {"result": "ACCEPTED", "message": [{"language": "en", "text": "ok"}], "x_cp": 7}

    ids = {"X-Correlation-ID": "cpo-result-correlation"}
    posted = await cpo.call_url("POST", hub_url, json=result, headers=ids)

    assert (posted.status, posted.status_code) == (200, 1000), posted.body
    await eventually(lambda: bool(callbacks(emsp)), message="result delivered")
    (delivered,) = callbacks(emsp)
    assert delivered.method == "POST" and delivered.body == result
    assert delivered.routing("from") == cpo.key and delivered.routing("to") == emsp.key
    assert delivered.header("X-Correlation-ID") == "cpo-result-correlation"
    assert not heard(emsp2)
    again = await cpo.call_url("POST", hub_url, json={"result": "FAILED"})
    assert (again.status, again.status_code) == (200, 2000), again.body
    assert await deliveries(hub) == 1


async def test_result_that_never_comes_is_reported_as_timeout_once(
    hub: RunningHub, database_url: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """No CommandResult within the CPO's `timeout`: the eMSP gets a TIMEOUT result, once,
    though two hub processes sweep the database; a late result is refused (§4.6)."""
    second = await start_hub(database_url)
    try:
        answers(cpo, {"result": "ACCEPTED", "timeout": 1})
        started = time.monotonic()
        await command(emsp, hub, "START_SESSION", start_session(emsp))

        await eventually(lambda: bool(callbacks(emsp)), message="TIMEOUT delivered")

        assert time.monotonic() - started >= 1.0, "not before the CPO's timeout"
        (delivered,) = callbacks(emsp)
        assert delivered.body["result"] == "TIMEOUT"
        assert delivered.routing("from") == ("XX", "HUB")
        assert delivered.header("X-Correlation-ID") == IDS["X-Correlation-ID"]
        late = await cpo.call_url("POST", the_command(cpo).body["response_url"], json=ACCEPTED)
        assert late.status_code == 2000, late.body
        assert await state(hub) == ["TIMED_OUT"]
        assert await deliveries(hub) == 1
    finally:
        await second.stop()
        await second.pool.close()


async def test_rejected_command_closes_with_no_result_to_wait_for(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A REJECTED CommandResponse is relayed as is and no TIMEOUT ever follows (§4.6)."""
    rejected = {"result": "REJECTED", "timeout": 0, "message": [{"language": "en", "text": "no"}]}
    answers(cpo, rejected)

    answer = await command(emsp, hub, "START_SESSION", start_session(emsp))

    assert (answer.status_code, answer.data) == (1000, rejected)
    assert await state(hub) == ["CLOSED"]
    assert await sweep(hub.pool, hub.settings, ModuleID.COMMANDS, TIMEOUT_RESULT) == 0
    assert await deliveries(hub) == 0


async def test_only_the_commanded_platform_may_post_the_result(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty
) -> None:
    """The hub's response_url takes results from the CPO it sent the command to, at the URL of
    that command type; anyone else gets 404 and nothing is relayed (§4.6, DESIGN.md 5)."""
    answers(cpo, ACCEPTED)
    await command(emsp, hub, "START_SESSION", start_session(emsp))
    hub_url = the_command(cpo).body["response_url"]
    result = {"result": "ACCEPTED"}

    other_cpo = await cpo2.call_url("POST", hub_url, json=result)
    the_emsp = await emsp.call_url("POST", hub_url, json=result)
    other_type = await cpo.call_url(
        "POST", hub_url.replace("START_SESSION", "STOP_SESSION"), json=result
    )
    guessed = await cpo.call_url("POST", hub_url.rsplit("/", 1)[0] + "/not-an-id", json=result)

    for refused in (other_cpo, the_emsp, other_type, guessed):
        assert refused.status == 404, refused.body
    assert await deliveries(hub) == 0
    posted = await cpo.call_url("POST", hub_url, json=result)
    assert posted.status_code == 1000, posted.body


# ---- routing ---------------------------------------------------------------------------------


def a_session(owner: FakeParty, emsp: FakeParty, id: str = "S1") -> dict[str, Any]:
    token = {"uid": "0102030405", "type": "RFID", "contract_id": "C1"}
    return {
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "id": id,
        "cdr_token": {**token, "country_code": emsp.country_code, "party_id": emsp.party_id},
        "status": "ACTIVE",
        "last_updated": "2024-01-01T10:00:00Z",
    }


async def store_session(hub: RunningHub, session: dict[str, Any], audience: FakeParty) -> None:
    """A Session as the hub stores it (owner CPO, visible to the token's eMSP)."""
    key = ObjectKey("sessions", (session["country_code"], session["party_id"]), session["id"])
    async with hub.pool.acquire() as conn:
        await objects.upsert(
            conn, key, session, parse_datetime(session["last_updated"]), audience.key
        )


async def test_stop_session_goes_to_the_cpo_owning_the_stored_session(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """STOP_SESSION without OCPI-to goes to the CPO of the stored Session; an eMSP that may
    not see that session gets UNKNOWN_SESSION and nothing is relayed (§4.6, §5)."""
    await store_session(hub, a_session(cpo2, emsp), emsp)
    answers(cpo2, ACCEPTED)
    body = {"response_url": emsp.url + CALLBACK, "session_id": "S1"}

    answer = await command(emsp, hub, "STOP_SESSION", body)
    foreign = await command(emsp2, hub, "STOP_SESSION", {**body, "response_url": emsp2.url + "/x"})

    assert (answer.status_code, answer.data) == (1000, ACCEPTED), answer.body
    hop = the_command(cpo2)
    assert hop.path == "/ocpi/2.2.1/commands/STOP_SESSION"
    assert hop.routing("from") == emsp.key and hop.routing("to") == cpo2.key
    assert foreign.status_code == 1000 and foreign.data["result"] == "UNKNOWN_SESSION"
    assert len(cpo2.requests("commands")) == 1
    assert not cpo.requests("commands")


async def test_ocpi_to_wins_over_open_routing(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty
) -> None:
    """OCPI-to naming a CPO wins over the stored Location's owner (§1.6 "Via Hub")."""
    answers(cpo2, ACCEPTED)

    answer = await command(emsp, hub, "START_SESSION", start_session(emsp), **to(cpo2))

    assert answer.status_code == 1000, answer.body
    assert the_command(cpo2).routing("to") == cpo2.key
    assert not cpo.requests("commands")


async def test_reservation_is_cancelled_at_the_cpo_that_took_it(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty
) -> None:
    """CANCEL_RESERVATION without OCPI-to goes to the CPO of the RESERVE_NOW with that id, and
    the reservation's response_url stays open for the CPO's CANCELED_RESERVATION (§4.6)."""
    answers(cpo, ACCEPTED)
    reserve = {
        "response_url": emsp.url + "/callbacks/reserve",
        "token": TOKEN,
        "expiry_date": "2099-01-01T00:00:00Z",
        "reservation_id": "R1",
        "location_id": "LOC1",
    }
    await command(emsp, hub, "RESERVE_NOW", reserve)
    reserve_url = the_command(cpo).body["response_url"]
    cancel = {"response_url": emsp.url + "/callbacks/cancel", "reservation_id": "r1"}

    answer = await command(emsp, hub, "CANCEL_RESERVATION", cancel)
    results = [{"result": "ACCEPTED"}, {"result": "CANCELED_RESERVATION"}]
    for result in results:
        assert (await cpo.call_url("POST", reserve_url, json=result)).status_code == 1000

    assert answer.status_code == 1000, answer.body
    hops = cpo.requests("commands", "POST")
    assert [h.path.rsplit("/", 1)[1] for h in hops] == ["RESERVE_NOW", "CANCEL_RESERVATION"]
    assert hops[1].body["response_url"].startswith(f"{hub.url}{HUB_RESULTS}/CANCEL_RESERVATION/")
    await eventually(lambda: len(callbacks(emsp, "/callbacks/reserve")) == 2)
    assert [r.body for r in callbacks(emsp, "/callbacks/reserve")] == results
    assert not cpo2.requests("commands")


async def test_cancel_of_an_unknown_reservation_is_2001_rejected(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """No RESERVE_NOW with that id went through the hub: 2001 with REJECTED, nothing relayed."""
    body = {"response_url": emsp.url + CALLBACK, "reservation_id": "NOPE"}

    answer = await command(emsp, hub, "CANCEL_RESERVATION", body)

    assert (answer.status_code, answer.data["result"]) == (2001, "REJECTED"), answer.body
    assert not cpo.requests("commands")


# ---- refusals --------------------------------------------------------------------------------


async def test_unknown_location_is_2003_with_rejected(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A command for a Location the hub does not know: 2003 with a REJECTED CommandResponse
    (the spec's unknown-location diagram), HTTP 200, nothing relayed (§4.6, §1.4)."""
    for kind, body in [
        ("START_SESSION", start_session(emsp, location_id="LOC9")),
        (
            "UNLOCK_CONNECTOR",
            {"response_url": emsp.url, "location_id": "LOC9", "evse_uid": "E", "connector_id": "1"},
        ),
    ]:
        answer = await command(emsp, hub, kind, body)

        assert (answer.status, answer.status_code) == (200, 2003), answer.body
        assert answer.data["result"] == "REJECTED"
    assert not cpo.requests("commands")
    assert await state(hub) == []


Setup = Callable[[FakeParty], Awaitable[dict[str, str]]]


async def _unknown_party(cpo: FakeParty) -> dict[str, str]:
    return {"OCPI-to-country-code": "BE", "OCPI-to-party-id": "ZZZ"}


async def _slow_cpo(cpo: FakeParty) -> dict[str, str]:
    answers(cpo, ACCEPTED)
    cpo.delay = 3.0  # the test hub's forward timeout is 2 s
    return {}


@pytest.mark.parametrize(
    ("setup", "code"), [(_unknown_party, 4001), (_slow_cpo, 4002)], ids=["unknown TO", "slow CPO"]
)
async def test_undeliverable_command_gets_a_hub_error(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, setup: Setup, code: int
) -> None:
    """Unknown OCPI-to → 4001; a CPO slower than the forward timeout → 4002, within it; no
    result is expected afterwards (§1.4, §5)."""
    headers = await setup(cpo)
    started = time.monotonic()

    answer = await command(emsp, hub, "START_SESSION", start_session(emsp), **headers)

    assert answer.status_code == code, answer.body
    assert time.monotonic() - started < 3.0, "the hub answers by its own timeout"
    assert answer.header("X-Request-ID") == IDS["X-Request-ID"]
    assert set(await state(hub)) <= {"CLOSED"}


@pytest.mark.parametrize(
    ("kind", "body", "status", "code"),
    [
        ("SELF_DESTRUCT", {"response_url": "https://e.example/1"}, 404, 2000),
        ("START_SESSION", {"response_url": "https://e.example/1", "token": TOKEN}, 200, 2001),
        ("STOP_SESSION", {"response_url": "/relative", "session_id": "S1"}, 200, 2001),
        ("START_SESSION", ["not", "an", "object"], 200, 2001),
    ],
    ids=["unknown command", "no location_id", "relative response_url", "not an object"],
)
async def test_invalid_command_is_refused_before_any_relay(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, kind: str, body: Any, status: int, code: int
) -> None:
    """Unknown CommandType → 404; an invalid command object or response_url → 2001 (§4.6, §1.4)."""
    answer = await command(emsp, hub, kind, body)

    assert (answer.status, answer.status_code) == (status, code), answer.body
    assert not cpo.requests("commands")


async def test_start_session_with_another_emsps_token_is_2001(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """An eMSP only uses its own tokens (§4.6 MUST): another party's token is refused."""
    body = start_session(emsp, token={**TOKEN, "party_id": "EMB", "country_code": "FR"})

    answer = await command(emsp, hub, "START_SESSION", body)

    assert answer.status_code == 2001, answer.body
    assert not cpo.requests("commands")
