"""Ids compared as the sending platform's dialect compares them (issue 8, "id case"), wherever the
hub matches an id a platform sent with a stored object: the object a PATCH names, a PUT that
would replace it, the token of a real-time authorization, the Location of a command.

e-clearing.net's ids are case-sensitive (hub-dialects.md §4): `loc1` is not `LOC1` there, so it
is not here either. The spec's ids are CiStrings: a network speaking it (ENAPI) and the lenient
peer, which sends its ids lower-cased, name the stored objects in any case.
"""

from __future__ import annotations

import pytest

from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeNetwork, eventually, member_of
from tests.e2e.fakes import FakeParty
from tests.e2e.networks import FakeNetwork
from tests.e2e.test_network_dialects import REMOTE, REMOTE_CPO, REMOTE_EMSP

STAMP = "2024-03-02T10:00:00Z"


async def joined(hub: RunningHub, make_network: MakeNetwork, dialect: str) -> FakeNetwork:
    """The hub connected to a fake `dialect` network hosting the remote CPO and eMSP."""
    network = await make_network(dialect, REMOTE)
    await member_of(hub, network, dialect, REMOTE)
    return network


@pytest.mark.parametrize(("dialect", "found"), [("eclearing", False), ("enapi", True)])
async def test_a_patch_names_the_stored_location_as_the_networks_ids_compare(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork, dialect: str, found: bool
) -> None:
    """A remote CPO's PATCH of `loc1`, and of EVSE `evse1`, when the hub holds LOC1/EVSE1:
    from e-clearing.net they name objects the hub does not hold (404, 2003, nothing changed or
    sent); from a spec network they name LOC1 and its EVSE. The exact ids work from both."""
    network = await joined(hub, make_network, dialect)
    location = factories.location(country_code="FR", party_id="CPX", id="LOC1")
    assert (await network.push_location(REMOTE_CPO, location)).status_code == 1000
    status = {"status": "CHARGING", "last_updated": STAMP}

    lower = await network.send(
        REMOTE_CPO, "PATCH", "locations", "RECEIVER", "FR/CPX/loc1", json={"last_updated": STAMP}
    )
    evse = await network.send(
        REMOTE_CPO, "PATCH", "locations", "RECEIVER", "FR/CPX/LOC1/evse1", json=status
    )
    exact = await network.send(
        REMOTE_CPO, "PATCH", "locations", "RECEIVER", "FR/CPX/LOC1/EVSE1", json=status
    )

    outcome = (200, 1000) if found else (404, 2003)
    assert (lower.status, lower.status_code) == outcome, lower.body
    assert (evse.status, evse.status_code) == outcome, evse.body
    assert exact.status_code == 1000, exact.body
    patches = 3 if found else 1
    await eventually(lambda: len(emsp.pushes("PATCH")) == patches, message="the PATCHes taken")
    assert len(emsp.pushes("PUT")) == 1


async def test_a_put_a_case_sensitive_network_tells_apart_is_refused_not_merged(
    hub: RunningHub, make_network: MakeNetwork
) -> None:
    """e-clearing.net's `loc1` beside the LOC1 the hub holds: two Locations there, one id here
    (CiString). The hub refuses the second with 2001 rather than let it replace the first."""
    network = await joined(hub, make_network, "eclearing")
    first = factories.location(country_code="FR", party_id="CPX", id="LOC1", city="Paris")
    second = factories.location(country_code="FR", party_id="CPX", id="loc1", city="Lyon")
    assert (await network.push_location(REMOTE_CPO, first)).status_code == 1000

    refused = await network.push_location(REMOTE_CPO, second)

    assert refused.status_code == 2001, refused.body
    assert "holds 'LOC1' of FR*CPX" in refused.body["status_message"]
    held = await objects.get(hub.pool, ObjectKey("locations", REMOTE_CPO, "LOC1"))
    assert held is not None and held["city"] == "Paris"


@pytest.mark.parametrize(("dialect", "found"), [("eclearing", False), ("enapi", True)])
async def test_an_authorization_names_the_token_as_the_networks_ids_compare(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork, dialect: str, found: bool
) -> None:
    """A remote CPO authorizes uid `ab12cd34` when the local eMSP's Token is AB12CD34: from
    e-clearing.net an unknown Token (404, 2004, the eMSP not asked); from a spec network the
    eMSP is asked."""
    network = await joined(hub, make_network, dialect)
    url = f"{hub.url}/ocpi/2.2.1/receiver/tokens/DE/EMA/AB12CD34"
    assert (await emsp.call_url("PUT", url, json=factories.token("AB12CD34"))).status_code == 1000

    answer = await network.authorize(REMOTE_CPO, "ab12cd34")

    if found:
        assert answer.status_code == 1000, answer.body
        assert len(emsp.requests("tokens", "POST")) == 1
    else:
        assert (answer.status, answer.status_code) == (404, 2004), answer.body
        assert emsp.requests("tokens", "POST") == []
    exact = await network.authorize(REMOTE_CPO, "AB12CD34")
    assert exact.status_code == 1000, exact.body


async def test_a_command_from_a_case_sensitive_network_names_the_exact_location(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """A remote eMSP behind e-clearing.net starts a session at `loc1` when the local CPO's
    Location is LOC1: unknown Location (2003, REJECTED), nothing relayed; at LOC1 it goes to
    the CPO."""
    network = await joined(hub, make_network, "eclearing")
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    assert (await cpo.call_url("PUT", url, json=body)).status_code == 1000
    token = factories.token("RT1", country_code="FR", party_id="EMX")
    start = {"response_url": f"{network.url}/result/1", "token": token, "evse_uid": "EVSE1"}

    lower = await network.command(REMOTE_EMSP, "START_SESSION", {**start, "location_id": "loc1"})
    exact = await network.command(REMOTE_EMSP, "START_SESSION", {**start, "location_id": "LOC1"})

    assert lower.status_code == 2003 and lower.data["result"] == "REJECTED", lower.body
    assert exact.status_code == 1000, exact.body
    assert len(cpo.requests("commands", "POST")) == 1


async def test_lower_cased_ids_from_the_lenient_peer_name_the_stored_objects(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """The lenient peer sends its ids lower-cased (issue 8): CiStrings, the same ids. Its
    PATCH of EVSE `evse1` of `loc1` changes the LOC1/EVSE1 it PUT, and the eMSP gets both."""
    peer = await make_network("lenient", [("NL", "LNT", "CPO")])
    await member_of(hub, peer, "lenient")
    location = factories.location(country_code="NL", party_id="LNT", id="LOC1")
    assert (await peer.push_location(peer.key, location)).status_code == 1000
    status = {"status": "CHARGING", "last_updated": STAMP}

    patched = await peer.send(
        peer.key, "PATCH", "locations", "RECEIVER", "NL/LNT/LOC1/EVSE1", json=status
    )

    assert patched.status_code == 1000, patched.body
    await eventually(lambda: len(emsp.pushes()) == 2, message="PUT and PATCH at the eMSP")
    held = await objects.get(hub.pool, ObjectKey("locations", ("NL", "LNT"), "LOC1"))
    assert held is not None and held["id"] == "loc1"  # as the peer sent it
    assert held["evses"][0]["status"] == "CHARGING"
