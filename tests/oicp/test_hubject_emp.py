"""A local OCPI eMSP roaming on Hubject (issue 10): Hubject's AuthorizeStart for the eMSP's
card reaches the eMSP as an OCPI real-time authorization FROM the Hubject operator, and its
answer goes back to Hubject; a card no eMSP of the hub holds is NotAuthorized without asking
anyone. Against the enforcing FakeHubject (its answers are validated against the OICP schemas).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests import factories
from tests.e2e.conftest import MakeParty, eventually, ok, registered
from tests.e2e.conftest import to_headers as to
from tests.e2e.fakes import FakeParty
from tests.e2e.processes import cli
from tests.e2e.test_puller import PULLING
from tests.oicp import examples
from tests.oicp.certs import TestCA
from tests.oicp.fake_hubject import FakeHubject
from tests.oicp.hubject_operations import ack
from tests.oicp.test_hubject_cpo import connected_hub, listener

HUB = "/ocpi/2.2.1"
LOCAL_EMSP = ("DE", "EMA")
PROVIDER_ID = "DE*EMA"
HUBJECT_CPO = "FR*CPX"  # an operator behind Hubject
UID = "0A1B2C3D"
HUBJECT_EVSE = "FR*CPX*E1"
HUBJECT_PARTY = ("FR", "CPX")
EVCO = "DE-EMA-C00000001-4"


async def test_hubject_asks_a_local_emsp_about_its_card(
    database_url: str, fake_hubject: FakeHubject, hubject_ca: TestCA, make_party: MakeParty
) -> None:
    """AuthorizeStart for the eMSP's card: the eMSP is asked (FROM FR*CPX, the operator, now a
    remote CPO via Hubject) and its ALLOWED is Authorized at Hubject; an unknown card is
    NotAuthorized and nobody is asked."""
    cert = hubject_ca.server("emp.ocpi.test")
    fake_hubject.partner("emp.ocpi.test", provider_ids=(PROVIDER_ID,))
    hub, env = await connected_hub(database_url, fake_hubject, cert)
    try:
        emsp = await registered(hub, await make_party("EMSP", *LOCAL_EMSP))
        card = factories.token(UID)
        url = f"{hub.url}{HUB}/receiver/tokens/DE/EMA/{UID}"
        ok(await emsp.call_url("PUT", url, json=card), 201)

        async def authorize(request: web.Request, body: Any) -> web.Response:
            info = {"allowed": "ALLOWED", "token": card, "authorization_reference": "EMA-1"}
            return emsp.reply(request, info)

        emsp.handlers["tokens"] = authorize
        enabled = cli(env, "hubject", "enable", "--party", "DE*EMA", "--provider-id", PROVIDER_ID)
        assert enabled.returncode == 0, enabled.stderr
        start = {
            "OperatorID": HUBJECT_CPO,
            "EvseID": "FR*CPX*E1",
            "Identification": {"RFIDMifareFamilyIdentification": {"UID": UID}},
        }
        answered = await fake_hubject.authorize_start(listener(hub), start)
        assert answered.body["AuthorizationStatus"] == "Authorized", answered.body
        [asked] = [r for r in emsp.requests("tokens") if r.method == "POST"]
        assert asked.path.endswith(f"/tokens/{UID}/authorize")
        assert asked.routing("from") == ("FR", "CPX") and asked.routing("to") == LOCAL_EMSP

        unknown = {
            **start,
            "Identification": {"RFIDMifareFamilyIdentification": {"UID": "FFFFFFFF"}},
        }
        refused = await fake_hubject.authorize_start(listener(hub), unknown)
        assert refused.body["AuthorizationStatus"] == "NotAuthorized"
        assert len([r for r in emsp.requests("tokens") if r.method == "POST"]) == 1
    finally:
        await hub.stop()
        await hub.pool.close()


def statuses(emsp: FakeParty) -> dict[str, str]:
    """The status of each EVSE in the Locations the eMSP was sent, the latest winning."""
    return {
        evse["evse_id"]: evse["status"]
        for push in emsp.pushes("PUT")
        if "/FR/CPX/" in push.path
        for evse in push.body["evses"]
    }


async def test_journey_of_a_local_emsp_with_a_cpo_behind_hubject(
    database_url: str, fake_hubject: FakeHubject, hubject_ca: TestCA, make_party: MakeParty
) -> None:
    """A Hubject operator's EVSE data and statuses pulled and sent to the eMSP as Locations; a
    status change reaching it by the next delta; the eMSP's remote start and stop carried out
    by Hubject's CPO; the CDR Hubject forwards reaching the eMSP, enriched from the stored
    EVSE data; and a CDR Hubject did not forward fetched by the CDR pull."""
    fake = fake_hubject
    record = examples.evse_data_record(
        HUBJECT_EVSE, ChargingPoolID="FR*CPX*P0001", HubOperatorID=HUBJECT_CPO
    )
    fake.seed_evse_data(HUBJECT_CPO, [record], operator_name="CPX Charging")
    fake.seed_evse_status(HUBJECT_CPO, {HUBJECT_EVSE: "Available"})
    cpx = fake.cpo(HUBJECT_CPO, remote_start=lambda b: ack(True), remote_stop=lambda b: ack(True))
    cert = hubject_ca.server("emp-journey.ocpi.test")
    fake.partner("emp-journey.ocpi.test", provider_ids=(PROVIDER_ID,))
    # Hubject allows 6 status pulls a minute: a test pulling every half second raises that
    # limit on both sides (the limit itself: test_oicp_client).
    fake.rate_limits["eRoamingPullEvseStatus"] = 600
    limits = {"eRoamingPullEvseStatus": 600}
    hub, env = await connected_hub(database_url, fake, cert, **PULLING, hubject_rate_limits=limits)
    try:
        emsp = await registered(hub, await make_party("EMSP", *LOCAL_EMSP))
        enabled = cli(env, "hubject", "enable", "--party", "DE*EMA", "--provider-id", PROVIDER_ID)
        assert enabled.returncode == 0, enabled.stderr

        # 1. EVSE data and status: a Location of FR*CPX, a remote CPO via Hubject from now on.
        await eventually(lambda: statuses(emsp).get(HUBJECT_EVSE) == "AVAILABLE",
                         message="the Hubject operator's Location at the eMSP")  # fmt: skip
        [pushed] = [p for p in emsp.pushes("PUT") if "/FR/CPX/" in p.path]
        location = pushed.body
        assert (location["city"], location["country"]) == ("Leipzig", "DEU")
        assert location["operator"]["name"] == "CPX Charging"
        [evse] = location["evses"]
        fake.seed_evse_status(HUBJECT_CPO, {HUBJECT_EVSE: "Occupied"})
        await eventually(lambda: statuses(emsp).get(HUBJECT_EVSE) == "CHARGING",
                         message="the status change by the next delta")  # fmt: skip

        # 2. The eMSP starts a charge there: Hubject's CPO is asked, the eMSP gets its
        #    CommandResponse and CommandResult.
        start = {
            "response_url": emsp.url + "/callbacks/start",
            "token": factories.token(UID, contract_id=EVCO),
            "location_id": location["id"],
            "evse_uid": evse["uid"],
            "authorization_reference": "EMA-START-1",
        }
        url = f"{hub.url}{HUB}/receiver/commands/START_SESSION"
        response = ok(await emsp.call_url("POST", url, json=start, headers=to(HUBJECT_PARTY)))
        assert response["result"] == "ACCEPTED"
        [(operation, asked)] = cpx.received
        assert operation == "eRoamingAuthorizeRemoteStart" and asked["EvseID"] == HUBJECT_EVSE
        session_id = asked["SessionID"]
        await eventually(lambda: [r for r in emsp.received if r.path == "/callbacks/start"],
                         message="the CommandResult")  # fmt: skip
        [result] = [r for r in emsp.received if r.path == "/callbacks/start"]
        assert result.body["result"] == "ACCEPTED"

        # 3. ... and stops it by the authorization_reference it started it with.
        stop = {"response_url": emsp.url + "/callbacks/stop", "session_id": "EMA-START-1"}
        url = f"{hub.url}{HUB}/receiver/commands/STOP_SESSION"
        response = ok(await emsp.call_url("POST", url, json=stop, headers=to(HUBJECT_PARTY)))
        assert response["result"] == "ACCEPTED"
        assert fake.sessions[session_id].stopped

        # 4. Hubject forwards the CDR: an OCPI CDR to the eMSP FROM the operator, its
        #    Location from the stored EVSE data.
        cdr = examples.charge_detail_record(
            session_id, EvseID=HUBJECT_EVSE, Identification=examples.remote(EVCO),
            HubOperatorID=HUBJECT_CPO, HubProviderID=PROVIDER_ID,
        )  # fmt: skip
        forwarded = await fake.forward_cdr(listener(hub), cdr)
        assert forwarded.body["Result"] is True, forwarded.body
        await eventually(lambda: emsp.requests("cdrs", "POST"), message="the CDR at the eMSP")
        [delivered] = emsp.requests("cdrs", "POST")
        assert delivered.routing("from") == HUBJECT_PARTY
        assert delivered.body["id"] == session_id and delivered.body["total_energy"] == 14.75
        assert delivered.body["cdr_location"]["city"] == "Leipzig"
        assert delivered.body["cdr_location"]["evse_id"] == HUBJECT_EVSE

        # 5. A CDR Hubject holds but did not forward: fetched by the CDR pull.
        missed = examples.charge_detail_record(
            "7c1d2e3f-0000-4000-8000-000000000002", EvseID=HUBJECT_EVSE,
            Identification=examples.remote(EVCO), HubOperatorID=HUBJECT_CPO,
            HubProviderID=PROVIDER_ID,
        )  # fmt: skip
        fake.seed_cdr(missed, PROVIDER_ID)
        await eventually(lambda: len(emsp.requests("cdrs", "POST")) == 2,
                         message="the pulled CDR at the eMSP")  # fmt: skip
        assert emsp.requests("cdrs", "POST")[-1].body["id"] == missed["SessionID"]
    finally:
        await hub.stop()
        await hub.pool.close()
