"""A local OCPI CPO roaming on Hubject (issue 10): set-up by the CLI, RFID authorization of a
token only Hubject knows, remote start from a Hubject EMP, the end of the Session
(AuthorizeStop) and the CDR (ChargeDetailRecord under Hubject's SessionID), through the hub's
OICP bridge to a FakeHubject: a real mutual-TLS server that enforces OICP 2.3 and fails the
test on any violation (tests/oicp/fake_hubject.py). Both ends are checked at each step.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from typing import Any

import orjson
from aiohttp import web

from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, eventually, ok, registered
from tests.e2e.fakes import FakeParty
from tests.e2e.processes import cli, hub_env
from tests.oicp.certs import Certificate, TestCA
from tests.oicp.fake_hubject import FakeHubject

HUB = "/ocpi/2.2.1"
LOCAL_CPO = ("NL", "CPA")
OPERATOR_ID = "NL*CPA"
PROVIDER_ID = "DE*8EO"  # an EMP behind Hubject
EMP_PARTY = ("DE", "8EO")
UID = "0A1B2C3D"
HOTLINE = "+31201234567"
EVSE_ID = "NL*CPA*EEVSE1"
RESPONSE = {"result": "ACCEPTED", "timeout": 30}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def connected_hub(
    database_url: str, fake: FakeHubject, cert: Certificate, **settings: object
) -> tuple[RunningHub, dict[str, str]]:
    """A hub listening for Hubject's calls, connected to `fake` by `ocpi-hub hubject connect`."""
    hub = await start_hub(database_url, oicp_port=free_port(), **settings)
    env = hub_env(database_url, hub.settings.port)
    done = cli(env, "hubject", "connect", "--base-url", fake.url, "--cert", str(cert.cert),
               "--key", str(cert.key), "--ca", str(cert.ca), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    # serve notices the connection within web.oicp.WATCH_INTERVAL and starts listening.
    await eventually(lambda: _listening(hub.settings.oicp_port), message="the OICP listener")
    return hub, env


async def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`ocpi-hub ARGS` in a thread: the fake Hubject it calls answers on this event loop."""
    return await asyncio.to_thread(cli, env, *args)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_hubject_connect_refuses_files_that_do_not_load(
    database_url: str, hubject_ca: TestCA, tmp_path: Any
) -> None:
    """A key that is not the certificate's, or a missing file: exit 1 naming why, nothing
    stored; enable and resync then refused for want of a network, and enable's bad
    hotlines before that."""
    mine, other = hubject_ca.client("ocpi-hub"), hubject_ca.client("someone-else")
    env = hub_env(database_url, free_port())
    for cert, key in ((mine.cert, other.key), (mine.cert, tmp_path / "missing.pem")):
        done = cli(env, "hubject", "connect", "--base-url", "https://hbs.test/api/oicp",
                   "--cert", str(cert), "--key", str(key), "--ca", str(mine.ca))  # fmt: skip
        assert done.returncode == 1 and "certificate files do not load" in done.stderr
    losses = cli(env, "hubject", "losses", "--json")
    assert losses.returncode == 0 and losses.stdout.strip() == "[]"
    enable = ("hubject", "enable", "--party", "NL*CPA", "--operator-id", OPERATOR_ID)
    enabled = cli(env, *enable, "--hotline", HOTLINE)
    assert enabled.returncode == 1 and "no Hubject network" in enabled.stderr
    # An operator without a hotline OICP takes, or a provider with one: refused first.
    for extra, why in (((), "needs --hotline"), (("--hotline", "0201234567"), "+ and 5 to 15")):
        refused = cli(env, *enable, *extra)
        assert refused.returncode == 1 and why in refused.stderr, refused.stderr
    provider = cli(env, "hubject", "enable", "--party", "DE*EMA", "--provider-id", "DE-EMA",
                   "--hotline", HOTLINE)  # fmt: skip
    assert provider.returncode == 1 and "a provider has none" in provider.stderr
    resync = cli(env, "hubject", "resync")
    assert resync.returncode == 1 and "no Hubject network" in resync.stderr


def accept_commands(party: FakeParty) -> None:
    async def command(request: web.Request, body: Any) -> web.Response:
        return party.reply(request, RESPONSE)

    party.handlers["commands"] = command


async def test_journey_of_a_local_cpo_with_an_emp_behind_hubject(
    database_url: str, fake_hubject: FakeHubject, hubject_ca: TestCA, make_party: MakeParty
) -> None:
    """RFID authorization of a card no party of the hub holds (Hubject's EMP answers), the
    Session's end (AuthorizeStop), the CDR (one per SessionID), and a remote start from the
    Hubject EMP answered on the CPO's CommandResponse."""
    # One certificate both ways, as Hubject issues it: our client certificate, and the
    # listener's server certificate for the host Hubject calls.
    cert = hubject_ca.server("hub.ocpi.test")
    fake_hubject.partner("hub.ocpi.test", operator_ids=(OPERATOR_ID,))
    hub, env = await connected_hub(database_url, fake_hubject, cert)
    try:
        cpo = await registered(hub, await make_party("CPO", *LOCAL_CPO))
        enabled = await run(env, "hubject", "enable", "--party", "NL*CPA", "--operator-id",
                            OPERATOR_ID, "--hotline", HOTLINE, "--json")  # fmt: skip
        assert enabled.returncode == 0, enabled.stderr
        # Enabling an operator is a full load of what it has: nothing yet.
        assert orjson.loads(enabled.stdout)["loaded"]["evses"] == 0
        await _journey(hub, fake_hubject, cpo, env)
    finally:
        await hub.stop()
        await hub.pool.close()


def pushes(fake: FakeHubject, operation: str) -> list[Any]:
    return [call.body for call in fake.received if call.operation == operation]


async def _journey(hub: RunningHub, fake: FakeHubject, cpo: FakeParty, env: dict[str, str]) -> None:
    base = f"{hub.url}{HUB}/receiver"
    location = factories.location(*LOCAL_CPO, "LOC1", evse_count=1)
    ok(await cpo.call_url("PUT", f"{base}/locations/NL/CPA/LOC1", json=location), 201)

    # 0. The Location is EVSE data at Hubject (an insert), its status an EVSE status.
    await eventually(lambda: EVSE_ID in fake.current_evse_data(OPERATOR_ID), message="EVSE data")
    record = fake.current_evse_data(OPERATOR_ID)[EVSE_ID]
    assert record["Address"]["City"] == "Amsterdam" and record["HotlinePhoneNumber"] == HOTLINE
    assert record["Plugs"] == ["Type 2 Outlet"]
    [pushed] = [p for p in pushes(fake, "eRoamingPushEvseData") if p["ActionType"] == "insert"]
    assert pushed["OperatorEvseData"]["OperatorID"] == OPERATOR_ID
    await eventually(
        lambda: fake.current_evse_status(OPERATOR_ID).get(EVSE_ID) == "Available",
        message="the EVSE's status",
    )
    # A change of status alone is a status push, and no EVSE data push.
    data_pushes = len(pushes(fake, "eRoamingPushEvseData"))
    charging = {"status": "CHARGING", "last_updated": "2024-03-01T10:05:00Z"}
    ok(await cpo.call_url("PATCH", f"{base}/locations/NL/CPA/LOC1/EVSE1", json=charging))
    await eventually(
        lambda: fake.current_evse_status(OPERATOR_ID).get(EVSE_ID) == "Occupied",
        message="CHARGING pushed as Occupied",
    )
    assert len(pushes(fake, "eRoamingPushEvseData")) == data_pushes
    # The CPO's Tariff: a pricing product, and the EVSE's product (its connector's tariff).
    tariff = factories.tariff("TARIFF-AC")
    ok(await cpo.call_url("PUT", f"{base}/tariffs/NL/CPA/TARIFF-AC", json=tariff), 201)
    await eventually(lambda: fake.evse_pricing.current(), message="the EVSE pricing")
    [product] = [s.record for s in fake.pricing_products.current().values()]
    assert product["ReferenceUnit"] == "KILOWATT_HOUR" and product["PricePerReferenceUnit"] == 0.25
    [evse_pricing] = [s.record for s in fake.evse_pricing.current().values()]
    assert evse_pricing["EvseID"] == EVSE_ID
    assert evse_pricing["EvseIDProductList"] == [product["ProductID"]]

    # 1. A card no party of the hub holds: the hub asks Hubject, which asks its EMPs.
    emp = fake.emp(PROVIDER_ID, authorize_start=lambda body: {"AuthorizationStatus": "Authorized"})
    references = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}
    url = f"{hub.url}{HUB}/sender/tokens/{UID}/authorize?type=RFID"
    info = ok(await cpo.call_url("POST", url, json=references))
    assert info["allowed"] == "ALLOWED"
    session_id = info["authorization_reference"]
    assert session_id in fake.sessions
    assert (info["token"]["country_code"], info["token"]["party_id"]) == EMP_PARTY
    [(operation, asked)] = emp.received
    assert operation == "eRoamingAuthorizeStart"
    assert asked["EvseID"] == "NL*CPA*EEVSE1" and asked["OperatorID"] == OPERATOR_ID
    assert asked["Identification"] == {"RFIDMifareFamilyIdentification": {"UID": UID}}

    # 2. The Session of that charge, routed to the EMP behind Hubject; its end is AuthorizeStop.
    token = factories.cdr_token(EMP_PARTY, uid=UID)
    session = factories.session(
        "S1", owner=LOCAL_CPO, emsp=EMP_PARTY, authorization_reference=session_id, cdr_token=token
    )
    sessions = f"{base}/sessions/NL/CPA/S1"
    ok(await cpo.call_url("PUT", sessions, json=session), 201)
    ended = {"status": "COMPLETED", "end_date_time": "2024-03-01T11:00:00Z",
             "last_updated": "2024-03-01T11:00:00Z"}  # fmt: skip
    ok(await cpo.call_url("PATCH", sessions, json=ended))
    await eventually(lambda: fake.sessions[session_id].stopped, message="AuthorizeStop")

    # 3. The CDR: a ChargeDetailRecord under Hubject's SessionID.
    cdr = factories.cdr(
        "CDR1", owner=LOCAL_CPO, emsp=EMP_PARTY, authorization_reference=session_id,
        cdr_token=token, session_id="S1",
        cdr_location=factories.cdr_location(evse_id="NL*CPA*EEVSE1"),
    )  # fmt: skip
    ok(await cpo.call_url("POST", f"{base}/cdrs", json=cdr), 201)
    await eventually(lambda: session_id in fake.cdrs, message="the CDR at Hubject")
    record = fake.cdrs[session_id].record
    assert record["EvseID"] == "NL*CPA*EEVSE1" and record["ConsumedEnergy"] == 11.5

    # 4. Hubject's EMP starts a charge at the CPO's EVSE: START_SESSION reaches the CPO FROM the
    #    EMP, and Hubject is answered on the CPO's CommandResponse.
    accept_commands(cpo)
    start = {
        "ProviderID": PROVIDER_ID,
        "EvseID": "NL*CPA*EEVSE1",
        "Identification": {"RemoteIdentification": {"EvcoID": "DE-8EO-CAB123456-X"}},
    }
    answered = await fake.remote_start(listener(hub), start)
    assert answered.body["Result"] is True, answered.body
    [command] = cpo.requests("commands")
    assert command.path.endswith("/commands/START_SESSION")
    assert command.routing("from") == EMP_PARTY and command.routing("to") == LOCAL_CPO
    assert (command.body["location_id"], command.body["evse_uid"]) == ("LOC1", "EVSE1")
    assert command.body["token"]["contract_id"] == "DE-8EO-CAB123456-X"
    # Hubject's SessionID is the authorization_reference, and is echoed in its answer.
    assert answered.body["SessionID"] == command.body["authorization_reference"]

    # 5. ... and stops it: STOP_SESSION of the CPO's Session with that authorization_reference.
    remote_session = factories.session(
        "S2", owner=LOCAL_CPO, emsp=EMP_PARTY, authorization_reference=answered.body["SessionID"],
        cdr_token=factories.cdr_token(EMP_PARTY, uid="DE-8EO-CAB123456-X"),
    )  # fmt: skip
    ok(await cpo.call_url("PUT", f"{base}/sessions/NL/CPA/S2", json=remote_session), 201)
    stop = {"SessionID": answered.body["SessionID"], "ProviderID": PROVIDER_ID, "EvseID": EVSE_ID}
    stopped = await fake.remote_stop(listener(hub), stop)
    assert stopped.body["Result"] is True, stopped.body
    [_, stop_command] = cpo.requests("commands")
    assert stop_command.path.endswith("/commands/STOP_SESSION")
    assert stop_command.body["session_id"] == "S2"

    # 6. A full load on demand: Hubject then holds exactly what the CPO has.
    resynced = await run(env, "hubject", "resync", "--json")
    assert resynced.returncode == 0, resynced.stderr
    [loaded] = orjson.loads(resynced.stdout)
    assert (loaded["evses"], loaded["statuses"], loaded["tariffs_pushed"]) == (1, 1, 1)
    assert [p["ActionType"] for p in pushes(fake, "eRoamingPushEvseData")][-1] == "fullLoad"

    # 7. An EVSE REMOVED leaves Hubject: its data record is deleted.
    removed = {"status": "REMOVED", "last_updated": "2024-03-01T12:00:00Z"}
    ok(await cpo.call_url("PATCH", f"{base}/locations/NL/CPA/LOC1/EVSE1", json=removed))
    await eventually(
        lambda: EVSE_ID not in fake.current_evse_data(OPERATOR_ID), message="the EVSE deleted"
    )


def listener(hub: RunningHub) -> str:
    return f"https://127.0.0.1:{hub.settings.oicp_port}"
