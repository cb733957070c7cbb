"""The hub as a member of other networks (issue 8): a network is a platform presenting a HUB role,
the parties behind it are remote parties of that platform, and traffic to them goes over it.

The network here is the plain spec (dialect ocpi-2.2.1): a fake party presenting role HUB FR*007.
Dialect rules are tested with the fakes that enforce them (tests/e2e/networks.py).
"""

from __future__ import annotations

import pytest

from ocpi_hub.core.parties import Party, PlatformKind
from ocpi_hub.core.routing import routing_headers as from_to
from ocpi_hub.storage.repositories import platforms
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import (
    MakeParty,
    drained,
    eventually,
    modules_of,
    registered,
    to_headers,
)
from tests.e2e.fakes import Answer, FakeParty

REMOTE_EMSP = ("FR", "EMX")
REMOTE_CPO = ("FR", "CPX")
NETWORK_MODULES = sorted(set(modules_of("CPO")) | set(modules_of("EMSP")))


async def joined(
    hub: RunningHub, network: FakeParty, *remote: tuple[str, str, str]
) -> tuple[int, Answer]:
    """`network` registers with the hub as invited (`parties invite --role HUB`); the operator
    adds its remote parties (`parties add --via`). Returns its platform id and the hub's answer
    to its registration."""
    token_a = await hub.invite("HUB", *network.key)
    registration = await network.register_with(hub.versions_url, token_a)
    assert registration.status_code == 1000, registration.body
    platform = next(
        p for p in await platforms.all_platforms(hub.pool) if p.party(*network.key) is not None
    )
    async with hub.pool.acquire() as conn:
        for country_code, party_id, role in remote:
            added = await platforms.add_remote(
                conn, platform.id, Party.of(country_code, party_id, role), name=None,
                source="OPERATOR", hub=("XX", "HUB"),
            )  # fmt: skip
            assert added
    return platform.id, registration


@pytest.fixture
async def network(hub: RunningHub, make_party: MakeParty) -> FakeParty:
    return await make_party("HUB", "FR", "007", modules=NETWORK_MODULES)


async def test_an_invited_network_registers_and_is_presented_the_local_parties(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, network: FakeParty
) -> None:
    """A HUB that registers is a network; the hub answers with its HUB role and each local party
    it serves there, with business details, as a platform hosting many parties does."""
    platform_id, registration = await joined(hub, network)

    platform = await platforms.get(hub.pool, platform_id)
    assert platform is not None and platform.kind == PlatformKind.NETWORK
    roles = {(r["country_code"], r["party_id"], r["role"]) for r in registration.data["roles"]}
    assert roles == {("XX", "HUB", "HUB"), ("NL", "CPA", "CPO"), ("DE", "EMA", "EMSP")}
    names = {r["party_id"]: r["business_details"]["name"] for r in registration.data["roles"]}
    assert names["CPA"] == "Fake CPO CPA"


async def test_a_broadcast_reaches_a_network_once_from_its_owner(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, network: FakeParty
) -> None:
    """A local CPO's Location goes to the network once — not once per remote party — addressed
    to the network's own party, FROM the CPO the hub presents there; local eMSPs get it FROM
    the hub as before."""
    await joined(hub, network, (*REMOTE_EMSP, "EMSP"), ("FR", "EMY", "EMSP"))
    body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    assert (await cpo.call_url("PUT", url, json=body)).status_code == 1000

    await eventually(lambda: len(network.pushes()) == 1 and len(emsp.pushes()) == 1)
    push = network.pushes()[0]
    assert push.routing("from") == ("NL", "CPA") and push.routing("to") == ("FR", "007")
    assert emsp.pushes()[0].routing("from") == ("XX", "HUB")


async def test_a_remote_emsps_token_is_stored_as_its_own_and_never_sent_back(
    hub: RunningHub, cpo: FakeParty, network: FakeParty
) -> None:
    """The network pushes a Token of a remote eMSP: it is stored as that eMSP's, broadcast to
    the local CPO, and not sent back to the network it came from."""
    await joined(hub, network, (*REMOTE_EMSP, "EMSP"))
    token = factories.token("RU1", country_code="FR", party_id="EMX")
    url = f"{hub.url}/ocpi/2.2.1/receiver/tokens/FR/EMX/RU1"
    answer = await network.call_url(
        "PUT", url, json=token, headers=from_to(REMOTE_EMSP, ("XX", "HUB"))
    )

    assert answer.status_code == 1000, answer.body
    await eventually(lambda: len(cpo.pushes(module="tokens")) == 1)
    assert cpo.pushes(module="tokens")[0].body == token
    assert network.pushes(module="tokens") == []


async def test_an_authorization_for_a_remote_token_goes_over_the_network(
    hub: RunningHub, cpo: FakeParty, network: FakeParty
) -> None:
    """A local CPO asks about a remote eMSP's token, naming it in OCPI-to: the request goes to
    the network with OCPI-to the remote eMSP and OCPI-from the CPO; its answer comes back."""
    await joined(hub, network, (*REMOTE_EMSP, "EMSP"))
    url = f"{hub.url}/ocpi/2.2.1/sender/tokens/RU1/authorize?type=RFID"
    answer = await cpo.call_url(
        "POST", url, json={"location_id": "LOC1"}, headers=to_headers(REMOTE_EMSP)
    )

    assert answer.status_code == 1000, answer.body
    [asked] = network.requests("tokens", "POST")
    assert asked.path.endswith("/tokens/RU1/authorize")
    assert asked.routing("to") == REMOTE_EMSP and asked.routing("from") == ("NL", "CPA")


async def test_a_cdr_for_a_remote_emsp_is_delivered_over_the_network(
    hub: RunningHub, cpo: FakeParty, network: FakeParty
) -> None:
    """Open routing finds the CDR's eMSP behind the network: one POST there, OCPI-to the remote
    eMSP, OCPI-from the CPO."""
    await joined(hub, network, (*REMOTE_EMSP, "EMSP"))
    cdr = factories.cdr(cdr_token=factories.cdr_token(REMOTE_EMSP))
    answer = await cpo.call_url("POST", f"{hub.url}/ocpi/2.2.1/receiver/cdrs", json=cdr)

    assert answer.status_code == 1000, answer.body
    await eventually(lambda: len(network.pushes("POST", module="cdrs")) == 1)
    post = network.pushes("POST", module="cdrs")[0]
    assert post.routing("to") == REMOTE_EMSP and post.routing("from") == ("NL", "CPA")


async def test_data_from_one_network_never_reaches_another(
    hub: RunningHub, emsp: FakeParty, network: FakeParty, make_party: MakeParty
) -> None:
    """A remote CPO's Location pushed by one network reaches the local eMSP, and neither the
    network it came from nor a second network: no loops, no reselling of a network's data."""
    other = await make_party("HUB", "DE", "ENA", modules=NETWORK_MODULES)
    await joined(hub, network, (*REMOTE_CPO, "CPO"))
    await joined(hub, other, ("DE", "EMZ", "EMSP"))
    body = factories.location(country_code="FR", party_id="CPX", id="RLOC1")
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/FR/CPX/RLOC1"
    answer = await network.call_url(
        "PUT", url, json=body, headers=from_to(REMOTE_CPO, ("XX", "HUB"))
    )

    assert answer.status_code == 1000, answer.body
    await eventually(lambda: len(emsp.pushes()) == 1)
    assert emsp.pushes()[0].body == body
    assert network.pushes() == [] and other.pushes() == []


async def test_a_network_connected_with_the_spec_dialect_is_presented_the_local_parties(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, network: FakeParty
) -> None:
    """`connect` with the default dialect cannot know beforehand that the peer is a network: it
    POSTs the hub's HUB role only; once the answer shows a HUB role, it PUTs its credentials
    with every local party, and calls the network with the token that answer gave."""
    await hub.connect(network.versions_url, network.issue_token_a())

    sent = [r for r in network.received if r.path == "/ocpi/2.2.1/credentials"]
    assert [r.method for r in sent] == ["POST", "PUT"]
    roles = [{(r["country_code"], r["party_id"], r["role"]) for r in s.body["roles"]} for s in sent]
    assert roles[0] == {("XX", "HUB", "HUB")}
    assert roles[1] == {("XX", "HUB", "HUB"), ("NL", "CPA", "CPO"), ("DE", "EMA", "EMSP")}
    body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    assert (await cpo.call_url("PUT", url, json=body)).status_code == 1000
    await eventually(lambda: len(network.pushes()) == 1)  # accepted with the newest token only


def client_infos(party: FakeParty) -> set[str]:
    """The parties whose ClientInfo `party` was pushed, as CC/PID."""
    return {r.path.rsplit("/hubclientinfo/", 1)[1] for r in party.requests("hubclientinfo", "PUT")}


async def test_a_networks_parties_are_announced_to_peers_never_to_another_network(
    hub: RunningHub, make_party: MakeParty, network: FakeParty
) -> None:
    """A remote party added to one network is pushed as a ClientInfo to the local parties that
    take HubClientInfo; another network is told of the local parties only, by push and in the
    hub's ClientInfo list, never of the first network's parties (no reselling of a network)."""
    info = [("hubclientinfo", "RECEIVER")]
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA", modules_of("EMSP") + info))
    other = await make_party("HUB", "DE", "ENA", modules=NETWORK_MODULES + info)
    await joined(hub, other)  # first: what the other network joins later would be pushed to it
    await joined(hub, network, (*REMOTE_EMSP, "EMSP"))

    await eventually(lambda: {"FR/EMX", "FR/007"} <= client_infos(emsp))
    await drained(hub)
    listed = await other.call_url("GET", f"{hub.url}/ocpi/2.2.1/sender/hubclientinfo")
    assert {(i["country_code"], i["party_id"]) for i in listed.data} == {("DE", "EMA")}
    await eventually(lambda: "DE/EMA" in client_infos(other))
    assert client_infos(other) == {"DE/EMA"}
