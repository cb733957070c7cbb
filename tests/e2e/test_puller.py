"""The hub pulls a network that does not push to it (issue 8: ENAPI's dialect has a pull
schedule), against a fake ENAPI that only serves pulls: the hub's pages follow Link and stay
within the network's page cap, deltas carry date_from, and what is pulled reaches the local
parties entitled to it as if the network had pushed it, and no other network.

The hub here looks for due pulls every 0.05 s, with a delta every 0.5 s and a full list hourly
(the settings overriding ENAPI's daily/weekly schedule).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from ocpi_hub import dialects
from ocpi_hub.storage.repositories import outbox, platforms
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeNetwork, MakeParty, eventually, member_of, registered
from tests.e2e.fakes import FakeParty, Received
from tests.e2e.network_rules import ALL_MODULES
from tests.e2e.networks import FakeNetwork
from tests.e2e.test_network_dialects import REMOTE, REMOTE_CPO, REMOTE_EMSP
from tests.e2e.test_network_routing import NETWORK_MODULES
from tests.e2e.test_network_routing import joined as network_joined

PULLING = {"pull_interval": 0.05, "pull_delta_every": 0.5, "pull_full_every": 3600.0}
LOCAL_CPO, LOCAL_EMSP = ("NL", "CPA"), ("DE", "EMA")


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[RunningHub]:
    running = await start_hub(database_url, **PULLING)
    yield running
    await running.stop()
    await running.pool.close()


async def joined(hub: RunningHub, make_network: MakeNetwork, dialect: str) -> FakeNetwork:
    """The hub connected to a fake `dialect` network hosting the remote CPO and eMSP."""
    network = await make_network(dialect, REMOTE)
    await member_of(hub, network, dialect, REMOTE)
    return network


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def remote(body: dict[str, Any]) -> dict[str, Any]:
    """`body` as the remote CPO's (FR*CPX), changed now."""
    return {**body, "country_code": "FR", "party_id": "CPX", "last_updated": now()}


def lists(network: FakeNetwork, module: str) -> list[Received]:
    """The GETs of `module`'s Sender list the network answered, in order."""
    return [r for r in network.requests(module, "GET") if r.path.endswith(f"/{module}")]


def deltas(network: FakeNetwork, module: str) -> list[Received]:
    return [r for r in lists(network, module) if "date_from" in r.query]


async def test_the_local_emsp_receives_the_remote_cpos_pulled_locations(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """ENAPI pushes nothing here: the hub pulls its Locations Sender, page by page along Link
    (the network serves 2 a page), and the local eMSP is sent each Location of the remote
    CPO, FROM the hub like any broadcast. A Location of a party that is not behind the network
    is not taken."""
    network = await joined(hub, make_network, "enapi")
    network.dialect = replace(network.dialect, page_default=2)
    for i in range(5):
        network.hold("locations", remote(factories.location(id=f"RLOC{i}")))
    network.hold("locations", {**remote(factories.location(id="X1")), "party_id": "ZZZ"})

    await eventually(lambda: len(emsp.pushes()) == 5, message="five Locations at the eMSP")
    assert sorted(r.path.rsplit("/", 1)[1] for r in emsp.pushes()) == [f"RLOC{i}" for i in range(5)]
    assert all("/FR/CPX/" in r.path for r in emsp.pushes())
    assert {r.routing("from") for r in emsp.pushes()} == {("XX", "HUB")}
    followed = [r.query for r in lists(network, "locations") if "offset" in r.query]
    assert followed and {q["limit"] for q in followed} == {"2"}
    assert network.breaches == [] and network.refused == []


async def test_deltas_carry_date_from_and_bring_only_what_changed(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """After the first full list, each pull asks for the changes since the last complete pull
    started (date_from); a Location changed at the network reaches the eMSP again, and the ones
    that did not change are not sent twice."""
    network = await joined(hub, make_network, "enapi")
    network.hold("locations", remote(factories.location(id="RLOC1")))
    network.hold("locations", remote(factories.location(id="RLOC2")))
    await eventually(lambda: len(emsp.pushes()) == 2)
    assert "date_from" not in lists(network, "locations")[0].query

    changed = remote(factories.location(id="RLOC1", city="Lyon"))
    network.hold("locations", changed)
    await eventually(lambda: len(emsp.pushes()) == 3, message="the change at the eMSP")
    assert emsp.pushes()[-1].body["city"] == "Lyon"
    seen = len(deltas(network, "locations"))
    await eventually(lambda: len(deltas(network, "locations")) >= seen + 2, message="two deltas")
    assert len(emsp.pushes()) == 3
    froms = [r.query["date_from"] for r in deltas(network, "locations")]
    assert froms == sorted(froms) and all(f.endswith("Z") for f in froms)


async def test_pulled_personal_data_and_tokens_reach_the_parties_entitled(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """A remote eMSP's Token reaches the local CPO; the remote CPO's Session and CDR for the
    local eMSP's token reach that eMSP, FROM the remote CPO; a Session for a party the hub does
    not know is not taken."""
    network = await joined(hub, make_network, "enapi")
    token = factories.token("RT1", country_code="FR", party_id="EMX", last_updated=now())
    network.hold("tokens", token)
    network.hold("sessions", remote(factories.session("S1")))
    network.hold("sessions", remote(factories.session("S2", emsp=("BE", "NOP"))))
    network.hold("cdrs", remote(factories.cdr("C1")))

    await eventually(lambda: len(cpo.pushes(module="tokens")) == 1, message="token at the CPO")
    await eventually(lambda: len(emsp.pushes(module="sessions")) == 1, message="session")
    await eventually(lambda: len(emsp.requests("cdrs", "POST")) == 1, message="CDR")
    assert cpo.pushes(module="tokens")[0].path.endswith("/FR/EMX/RT1")
    [session] = emsp.pushes(module="sessions")
    assert session.path.endswith("/FR/CPX/S1") and session.routing("from") == REMOTE_CPO
    assert emsp.requests("cdrs", "POST")[0].body["id"] == "C1"
    assert network.refused == []


async def test_what_a_network_delivers_goes_to_no_other_network(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """A Location pulled from ENAPI goes to the local eMSP, never back to ENAPI nor to another
    network the hub is a member of (no loops, no reselling)."""
    network = await joined(hub, make_network, "enapi")
    other = await joined(hub, make_network, "eclearing")
    network.hold("locations", remote(factories.location(id="RLOC1")))

    await eventually(lambda: len(emsp.pushes()) == 1)
    queued = await outbox.listing(hub.pool, limit=1000)
    assert {d.to_party for d in queued if d.module == "locations"} == {LOCAL_EMSP}
    assert other.pushes() == [] and network.pushes() == []


async def test_the_last_pull_is_kept_across_a_restart(
    database_url: str, hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """The last pull of each module is stored: a hub started again on the same database goes on
    with deltas from where it was, not with a full list."""
    network = await joined(hub, make_network, "enapi")
    network.hold("locations", remote(factories.location(id="RLOC1")))
    await eventually(lambda: len(deltas(network, "locations")) >= 1, message="a delta")
    await hub.stop()
    full = len(lists(network, "locations")) - len(deltas(network, "locations"))

    again = await start_hub(database_url, **PULLING)
    try:
        before = len(lists(network, "locations"))
        await eventually(lambda: len(lists(network, "locations")) >= before + 2, message="pulls")
        assert len(lists(network, "locations")) - len(deltas(network, "locations")) == full
    finally:
        await again.stop()
        await again.pool.close()
    assert len(emsp.pushes()) == 1


# ---- page caps (rule 2) and HubClientInfo (rule 4) -------------------------------------------

# A network pulled as ENAPI is and capped as Gireve caps (§0; no shipped profile does both),
# that exchanges HubClientInfo: the profile of these tests, registered for them.
CAPPED = replace(
    dialects.ENAPI, name="enapi-capped", page_limits={"locations": 2}, hubclientinfo_partial=False
)


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(dialects.DIALECTS, CAPPED.name, CAPPED)  # type: ignore[arg-type]


async def capped_network(hub: RunningHub, make_network: MakeNetwork) -> FakeNetwork:
    """A fake ENAPI capping Locations at 2 a page and serving a HubClientInfo Sender, which the
    hub connected to as `enapi-capped`, its remote parties added."""
    network = await make_network("enapi", REMOTE)
    network.dialect = replace(
        network.dialect, page_caps={"locations": 2}, modules=ALL_MODULES - {"chargingprofiles"}
    )
    network.modules += [("hubclientinfo", "SENDER"), ("hubclientinfo", "RECEIVER")]
    await member_of(hub, network, CAPPED.name, REMOTE)
    return network


@pytest.mark.usefixtures("capped")
async def test_a_pull_never_asks_more_than_the_dialects_page_cap(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """Every page the hub asks of a capped network, the first and those it follows, asks at
    most the cap (2), so the network is never asked for more than it serves."""
    network = await capped_network(hub, make_network)
    for i in range(5):
        network.hold("locations", remote(factories.location(id=f"RLOC{i}")))

    await eventually(lambda: len(emsp.pushes()) == 5, message="five Locations at the eMSP")
    asked = [r.query.get("limit") for r in lists(network, "locations")]
    assert asked and set(asked) == {"2"}
    assert network.breaches == []


@pytest.mark.usefixtures("capped")
async def test_remote_parties_are_learned_from_the_networks_hubclientinfo_sender(
    hub: RunningHub, make_network: MakeNetwork
) -> None:
    """A pulled network that exchanges HubClientInfo has its Sender pulled: each party it lists
    becomes its remote party with the status listed, as a ClientInfo PUT would make it."""
    network = await capped_network(hub, make_network)
    network.member(("BE", "NEW", "EMSP"), status="OFFLINE")

    async def learned() -> bool:
        found = [p for p in await platforms.all_platforms(hub.pool) if p.network]
        return found[0].party("BE", "NEW", "EMSP") is not None

    await eventually(learned, message="BE*NEW a remote party of the network")
    status = await hub.pool.fetchval("SELECT connection_status FROM parties WHERE party_id = 'NEW'")
    assert status == "OFFLINE" and network.refused == []


async def test_enapi_hubclientinfo_is_neither_pulled_nor_pushed_and_a_clientinfo_cues_a_full_pull(
    hub: RunningHub, cpo: FakeParty, make_party: MakeParty, make_network: MakeNetwork
) -> None:
    """ENAPI only PUTs ClientInfo when an agreement is signed (§3): the hub never pulls its
    HubClientInfo nor pushes it ClientInfo, even where ENAPI lists the endpoints; each ClientInfo
    it PUTs is the cue for a full pull of it (§3 "use as trigger for a full pull")."""
    network = await make_network("enapi", REMOTE)
    network.modules += [("hubclientinfo", "SENDER"), ("hubclientinfo", "RECEIVER")]
    await member_of(hub, network, "enapi")
    await eventually(lambda: len(deltas(network, "locations")) >= 1, message="a delta")
    await registered(hub, await make_party("EMSP", "DE", "EMB"))  # a ClientInfo change
    fulls = len(lists(network, "locations")) - len(deltas(network, "locations"))

    signed = await network.sign_agreement(LOCAL_CPO, (*REMOTE_EMSP, "EMSP"))

    assert signed.status_code == 1000, signed.body
    await eventually(
        lambda: len(lists(network, "locations")) - len(deltas(network, "locations")) == fulls + 1,
        message="a full pull after the ClientInfo",
    )
    sent = await outbox.listing(hub.pool, limit=1000)
    assert [d for d in sent if d.module == "hubclientinfo" and d.to_party == ("DE", "ENA")] == []
    assert network.requests("hubclientinfo") == [] and network.refused == []


async def test_a_network_that_pushes_has_only_its_clientinfo_list_read(
    hub: RunningHub, emsp: FakeParty, make_party: MakeParty
) -> None:
    """A spec network pushes its objects to the hub, but announces a party behind it only in
    its HubClientInfo Sender list: the hub reads that list once the network is registered, and
    the party becomes a remote party of the network; no other Sender of it is read."""
    info = [("hubclientinfo", "SENDER"), ("hubclientinfo", "RECEIVER")]
    network = await make_party("HUB", "FR", "007", modules=NETWORK_MODULES + info)
    listed = [{"country_code": "FR", "party_id": "EMQ", "role": "EMSP", "status": "CONNECTED",
               "last_updated": now()}]  # fmt: skip

    async def clientinfo_list(request: Any, body: Any) -> Any:
        return network.reply(request, listed)

    network.handlers["hubclientinfo"] = clientinfo_list
    platform_id, _ = await network_joined(hub, network)

    async def learned() -> bool:
        found = await platforms.get(hub.pool, platform_id)
        return found is not None and found.party("FR", "EMQ", "EMSP") is not None

    await eventually(learned, message="FR*EMQ learned from the ClientInfo list")
    gets = {r.path.rsplit("/", 1)[1] for r in network.received if r.method == "GET"}
    assert "hubclientinfo" in gets and not gets & {"locations", "tariffs", "tokens", "cdrs"}
