"""A local OCPI eMSP roaming on Hubject (issue 10): Hubject's AuthorizeStart for the eMSP's
card reaches the eMSP as an OCPI real-time authorization FROM the Hubject operator, and its
answer goes back to Hubject; a card no eMSP of the hub holds is NotAuthorized without asking
anyone. Against the enforcing FakeHubject (its answers are validated against the OICP schemas).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests import factories
from tests.e2e.conftest import MakeParty, ok, registered
from tests.e2e.processes import cli
from tests.oicp.certs import TestCA
from tests.oicp.fake_hubject import FakeHubject
from tests.oicp.test_hubject_cpo import connected_hub, listener

HUB = "/ocpi/2.2.1"
LOCAL_EMSP = ("DE", "EMA")
PROVIDER_ID = "DE*EMA"
HUBJECT_CPO = "FR*CPX"  # an operator behind Hubject
UID = "0A1B2C3D"


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
