"""Fraud signals end to end (issue 9 §6): a CPO and an eMSP trade through a hub whose checker
(completed Sessions, CDRs) and fraud watch (authorizations) run every 0.05 s; what they send
raises the alerts core.fraud defines, read back with the real `ocpi-hub fraud alerts` command,
and the hub answering for a silent eMSP refuses a token with an open high-severity alert."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, eventually, registered
from tests.e2e.fakes import FakeParty
from tests.e2e.processes import cli

WATCH = {"fraud_interval": 0.05, "check_interval": 0.05, "fraud_refused_burst": 3,
         "fraud_refused_window": 600.0}  # fmt: skip
AMSTERDAM = {"latitude": "52.367600", "longitude": "4.904100"}
PARIS = {"latitude": "48.856600", "longitude": "2.352200"}
UID = "012345678"  # the CdrToken uid of tests.factories
TOKEN_SUBJECT = f"DE*EMA*{UID}"


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[RunningHub]:
    running = await start_hub(database_url, **WATCH)
    yield running
    await running.stop()
    await running.pool.close()


async def alerts(hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]) -> list[Any]:
    """What `ocpi-hub fraud alerts --json` prints."""
    assert hub.settings.database_url is not None
    done = await asyncio.to_thread(
        cli, hub_env_for(hub.settings.database_url), "fraud", "alerts", "--json"
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


async def codes(hub: RunningHub) -> set[tuple[str, str]]:
    rows = await hub.pool.fetch("SELECT code, subject FROM fraud_alerts WHERE closed_at IS NULL")
    return {(r["code"], r["subject"]) for r in rows}


async def put(party: FakeParty, hub: RunningHub, module: str, body: dict[str, Any]) -> None:
    owner, ident = f"{body['country_code']}/{body['party_id']}", body.get("uid") or body["id"]
    url = f"{hub.url}/ocpi/2.2.1/receiver/{module}/{owner}/{ident}"
    answer = await party.call_url("PUT", url, json=body)
    assert answer.status_code == 1000, answer.body


def answers_authorizations(emsp: FakeParty, allowed: str) -> None:
    async def handler(request: web.Request, body: Any) -> web.Response:
        if request.path.endswith("/authorize"):
            return emsp.reply(request, {"allowed": allowed, "token": factories.token(UID)})
        return emsp.reply(request, None)

    emsp.handlers["tokens"] = handler


async def test_paris_half_an_hour_after_amsterdam_raises_an_alert_and_the_hub_refuses_the_token(
    hub: RunningHub,
    make_party: MakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """One token charges in Amsterdam until 10:30 and in Paris from 11:00 (both sessions
    completed): IMPOSSIBLE_TRAVEL
    (high), listed by the CLI with both sessions. Then the eMSP falls silent: the hub, answering
    on its behalf for an ALLOWED-listed token, says NOT_ALLOWED and names the alert."""
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await put(emsp, hub, "tokens", factories.token(UID, whitelist="ALLOWED"))
    for ident, where in (("LAMS", AMSTERDAM), ("LPAR", PARIS)):
        await put(cpo, hub, "locations", factories.location("NL", "CPA", ident, coordinates=where))
    await put(cpo, hub, "sessions", factories.session(
        "S1", location_id="LAMS", start_date_time="2024-03-01T10:00:00Z",
        end_date_time="2024-03-01T10:30:00Z", status="COMPLETED"))  # fmt: skip
    await put(cpo, hub, "sessions", factories.session(
        "S2", location_id="LPAR", start_date_time="2024-03-01T11:00:00Z",
        end_date_time="2024-03-01T12:00:00Z", status="COMPLETED"))  # fmt: skip

    await eventually(lambda: _has(hub, ("IMPOSSIBLE_TRAVEL", TOKEN_SUBJECT)))
    [alert] = await alerts(hub, hub_env_for)
    assert (alert["code"], alert["severity"]) == ("IMPOSSIBLE_TRAVEL", "high")
    assert alert["evidence"]["sessions"] == ["NL*CPA*S1", "NL*CPA*S2"]

    await emsp.go_offline()
    url = f"{hub.url}/ocpi/2.2.1/sender/tokens/{UID}/authorize"
    answer = await cpo.call_url("POST", url, json={"location_id": "LPAR"})
    assert answer.status_code == 1000, answer.body
    assert answer.data["allowed"] == "NOT_ALLOWED"
    assert "IMPOSSIBLE_TRAVEL" in answer.data["info"]["text"]


async def test_refusals_in_a_burst_and_an_unusual_charge_raise_alerts(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """Three authorizations at one EVSE refused by the eMSP: REFUSED_BURST for the token and
    for the EVSE. Twenty ordinary CDRs at an EVSE, then one of 500 kWh: UNUSUAL_CHARGE."""
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await put(emsp, hub, "tokens", factories.token(UID))
    answers_authorizations(emsp, "BLOCKED")
    url = f"{hub.url}/ocpi/2.2.1/sender/tokens/{UID}/authorize"
    where = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}
    for _ in range(3):
        answer = await cpo.call_url("POST", url, json=where)
        assert answer.data["allowed"] == "BLOCKED", answer.body
    for i in range(21):
        energy = 500 if i == 20 else 10 + i % 3
        cdr = factories.cdr(f"C{i}", total_energy=energy)
        posted = await cpo.call_url("POST", f"{hub.url}/ocpi/2.2.1/receiver/cdrs", json=cdr)
        assert posted.status_code == 1000, posted.body

    expected = {
        ("REFUSED_BURST", TOKEN_SUBJECT),
        ("REFUSED_BURST", "NL*CPA*LOC1*EVSE1"),
        ("UNUSUAL_CHARGE", "NL*CPA*LOC1*EVSE1"),
    }
    await eventually(lambda: _all(hub, expected), message=str(expected))


async def _has(hub: RunningHub, alert: tuple[str, str]) -> bool:
    return alert in await codes(hub)


async def _all(hub: RunningHub, expected: set[tuple[str, str]]) -> bool:
    return expected <= await codes(hub)
