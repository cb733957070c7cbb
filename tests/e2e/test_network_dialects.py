"""The hub speaking each network's dialect (issue 8), against fakes that enforce it
(tests/e2e/networks.py): a rule the hub forgot is a refusal the fake records, and a test fails.

The hub connects to each network as `ocpi-hub connect --dialect NAME` does; the operator adds the
network's remote parties (`parties add --via`); Gireve is told our local parties out of band
(`configure_member`), as it configures its operators by hand (hub-dialects.md §2.1).
"""

from __future__ import annotations

from typing import Any

from ocpi_hub.storage.repositories import outbox, platforms
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeNetwork, eventually, member_of, to_headers
from tests.e2e.fakes import FakeParty
from tests.e2e.networks import FakeNetwork

REMOTE_CPO = ("FR", "CPX")
REMOTE_EMSP = ("FR", "EMX")
REMOTE = [(*REMOTE_CPO, "CPO"), (*REMOTE_EMSP, "EMSP")]


async def joined(hub: RunningHub, make_network: MakeNetwork, dialect: str) -> FakeNetwork:
    """The hub connected to a fake `dialect` network hosting REMOTE, our parties configured."""
    network = await make_network(dialect, REMOTE)
    network.configure_member(("NL", "CPA"), "CPO")
    network.configure_member(("DE", "EMA"), "EMSP")
    await member_of(hub, network, dialect, REMOTE)
    return network


def gireve_location(location_id: str = "LOC1", **overrides: Any) -> dict[str, Any]:
    """A Location of NL*CPA with the fields Gireve requires beyond the spec (§2.3)."""
    body = factories.location(country_code="NL", party_id="CPA", id=location_id, **overrides)
    body.setdefault("owner", {"name": "CPA Charging"})
    body.setdefault("operator", {"name": "CPA Operations"})
    for evse in body["evses"]:
        evse.setdefault("capabilities", ["RFID_READER"])
        for connector in evse["connectors"]:
            connector.setdefault("tariff_ids", ["T1"])
    return body


async def test_a_token_patch_reaches_gireve_as_a_put_of_the_whole_token(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """Gireve takes no PATCH on Tokens (§2.3): the hub sends it the whole stored Token with PUT,
    while a spec peer (the local CPO) gets the PATCH as sent."""
    network = await joined(hub, make_network, "gireve")
    url = f"{hub.url}/ocpi/2.2.1/receiver/tokens/DE/EMA/U1?type=RFID"
    assert (await emsp.call_url("PUT", url, json=factories.token("U1"))).status_code == 1000
    patch = {"valid": False, "last_updated": "2024-03-02T10:00:00Z"}
    assert (await emsp.call_url("PATCH", url, json=patch)).status_code == 1000

    await eventually(lambda: len(network.requests("tokens")) == 2, message="two pushes")
    await eventually(lambda: len(cpo.requests("tokens")) == 2, message="CPO got both")
    assert [r.method for r in network.requests("tokens")] == ["PUT", "PUT"]
    assert network.requests("tokens")[1].body == {**factories.token("U1"), **patch}
    assert [r.method for r in cpo.requests("tokens")] == ["PUT", "PATCH"]
    assert network.refused == []


async def test_a_location_gireve_cannot_take_is_stored_and_the_sender_told(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """A Location without the fields Gireve requires (§2.3) is stored and sent to the local
    eMSP, not to Gireve; the CPO's answer says so. A complete one reaches Gireve too."""
    network = await joined(hub, make_network, "gireve")
    base = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA"
    bare = factories.location(country_code="NL", party_id="CPA", id="LOC1")

    told = await cpo.call_url("PUT", f"{base}/LOC1", json=bare)
    complete = await cpo.call_url("PUT", f"{base}/LOC2", json=gireve_location("LOC2"))

    assert told.status_code == 1000 and complete.status_code == 1000
    message = told.body["status_message"]
    assert "not sent to FR*007" in message and "gireve requires owner.name" in message
    assert "status_message" not in complete.body
    await eventually(lambda: len(emsp.pushes()) == 2 and len(network.pushes()) == 1)
    assert network.pushes()[0].path.endswith("/NL/CPA/LOC2")
    assert network.refused == []


async def test_a_location_with_another_operators_evse_id_is_not_sent_to_gireve(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """Gireve wants every evse_id to start with its CPO's operator id CC*PID (§2.1): a Location
    with another is stored and sent to the local eMSP, not to Gireve, and the CPO told why."""
    network = await joined(hub, make_network, "gireve")
    body = gireve_location("LOC1")
    body["evses"][0]["evse_id"] = "FR*ABC*E1"
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"

    told = await cpo.call_url("PUT", url, json=body)

    assert told.status_code == 1000
    await eventually(lambda: len(emsp.pushes()) == 1)
    assert told.body["status_message"] == (
        "stored; not sent to FR*007: gireve requires evse_ids starting with NL*CPA: FR*ABC*E1"
    )
    assert network.refused == []


async def test_a_tariff_without_start_date_time_is_not_sent_to_gireve(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """Gireve requires a Tariff's start_date_time (§2.3 "Tariffs"): a Tariff without one is
    stored and sent to the local eMSP only, the CPO told why; a dated one reaches Gireve too."""
    network = await joined(hub, make_network, "gireve")
    base = f"{hub.url}/ocpi/2.2.1/receiver/tariffs/NL/CPA"

    told = await cpo.call_url("PUT", f"{base}/T1", json=factories.tariff("T1"))
    dated = factories.tariff("T2", start_date_time="2024-03-01T00:00:00Z")
    sent = await cpo.call_url("PUT", f"{base}/T2", json=dated)

    assert (told.status, told.status_code) == (201, 1000)
    assert told.body["status_message"] == (
        "stored; not sent to FR*007: gireve requires start_date_time"
    )
    assert (sent.status, sent.status_code) == (201, 1000) and "status_message" not in sent.body
    await eventually(lambda: len(emsp.pushes(module="tariffs")) == 2)
    await eventually(lambda: len(network.pushes(module="tariffs")) == 1)
    assert network.pushes(module="tariffs")[0].body == dated
    assert network.refused == []


async def test_an_authorization_gireve_cannot_take_is_answered_by_the_hub(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """Gireve wants an authorization to reference a Location (§2.3 "Tokens (CPO side)"): the
    hub answers the CPO 2002 naming location_id, and sends nothing, even for a token the CPO
    may allow alone (an incomplete request is no silence of the eMSP); with one it goes."""
    network = await joined(hub, make_network, "gireve")
    token = factories.token("AB12CD34", country_code="FR", party_id="EMX", whitelist="ALLOWED")
    assert (await network.push_token(REMOTE_EMSP, token)).status_code == 1000
    url = f"{hub.url}/ocpi/2.2.1/sender/tokens/AB12CD34/authorize"

    bare = await cpo.call_url("POST", url)  # LocationReferences are optional in the spec
    located = await cpo.call_url("POST", url, json={"location_id": "LOC1"})

    assert (bare.status, bare.status_code) == (200, 2002), bare.body
    assert bare.body["status_message"] == "gireve requires location_id (on the route to FR*EMX)"
    assert located.status_code == 1000, located.body
    [asked] = network.requests("tokens", "POST")
    assert asked.body == {"location_id": "LOC1"} and asked.routing("to") == REMOTE_EMSP
    assert network.refused == []


async def test_commands_gireve_cannot_take_are_answered_by_the_hub(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """Gireve implements START/STOP_SESSION only, and wants `evse_uid` in START_SESSION (§2.3):
    the hub answers RESERVE_NOW with NOT_SUPPORTED and an incomplete START_SESSION with 2001
    itself; a complete START_SESSION goes to the remote CPO."""
    network = await joined(hub, make_network, "gireve")
    base = f"{hub.url}/ocpi/2.2.1/receiver/commands"
    token = factories.token("U1")
    response_url = f"{emsp.url}/ocpi/2.2.1/commands/result/1"
    start = {"response_url": response_url, "token": token, "location_id": "RLOC1"}
    reserve = {**start, "expiry_date": "2030-01-01T00:00:00Z", "reservation_id": "R1"}
    to = to_headers(REMOTE_CPO)

    reserved = await emsp.call_url("POST", f"{base}/RESERVE_NOW", json=reserve, headers=to)
    bare = await emsp.call_url("POST", f"{base}/START_SESSION", json=start, headers=to)
    started = await emsp.call_url(
        "POST", f"{base}/START_SESSION", json={**start, "evse_uid": "EVSE1"}, headers=to
    )

    assert reserved.status_code == 1000 and reserved.data["result"] == "NOT_SUPPORTED"
    assert "does not implement RESERVE_NOW" in reserved.data["message"][0]["text"]
    assert bare.status_code == 2001 and bare.data["result"] == "REJECTED"
    assert "gireve requires evse_uid" in bare.body["status_message"]
    assert started.status_code == 1000, started.body
    assert [r.path.rsplit("/", 1)[1] for r in network.requests("commands")] == ["START_SESSION"]
    assert network.refused == []


async def test_a_fifo_network_has_one_queue(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """e-clearing.net forwards pushes through one FIFO queue (§4): every change for it waits in
    one outbox queue, in the order made, whatever object it changes."""
    network = await joined(hub, make_network, "eclearing")
    base = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA"
    for location_id in ("LOC1", "LOC2"):
        body = factories.location(country_code="NL", party_id="CPA", id=location_id)
        assert (await cpo.call_url("PUT", f"{base}/{location_id}", json=body)).status_code == 1000

    async def to_network() -> list[str]:
        sent = await outbox.listing(hub.pool, status="DELIVERED")
        return [
            d.object_key for d in sent if d.to_party == ("DE", "ECH") and d.module == "locations"
        ]

    async def both_recorded() -> bool:
        return len(await to_network()) == 2

    # An outcome is recorded after the network answered: wait for the record, not the push.
    await eventually(both_recorded, message="both recorded as delivered")
    assert await to_network() == ["*", "*"]
    assert [r.path.rsplit("/", 1)[1] for r in network.pushes()] == ["LOC1", "LOC2"]


async def test_naive_times_from_gireve_are_passed_on_with_z(
    hub: RunningHub, emsp: FakeParty, make_network: MakeNetwork
) -> None:
    """Gireve's examples carry DateTimes without `Z` (§2.4; the spec reads them as UTC too):
    what the hub stores and passes on from a lenient network is in the form it renders,
    with `Z` (DESIGN.md decision 8), not as sent."""
    network = await joined(hub, make_network, "gireve")
    naive = "2024-03-01T10:00:00"
    remote = factories.location(country_code="FR", party_id="CPX", id="RLOC1", last_updated=naive)

    from_gireve = await network.push_location(REMOTE_CPO, remote)

    assert from_gireve.status_code == 1000, from_gireve.body
    await eventually(lambda: len(emsp.pushes()) == 1)
    delivered = emsp.pushes()[0].body
    assert delivered["last_updated"] == naive + "Z"
    assert {e["last_updated"] for e in delivered["evses"]} == {naive + "Z"}


async def test_a_network_tells_the_hub_of_a_party_behind_it_by_hubclientinfo(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """ENAPI PUTs a ClientInfo when an agreement is signed (§3): the party becomes a remote
    party of ENAPI, reachable at once; a peer's ClientInfo PUT is refused and changes nothing."""
    network = await joined(hub, make_network, "enapi")
    answer = await network.sign_agreement(("NL", "CPA"), ("DE", "EMN", "EMSP"))
    url = f"{hub.url}/ocpi/2.2.1/receiver/hubclientinfo/DE/EMZ"
    info = {"country_code": "DE", "party_id": "EMZ", "role": "EMSP", "status": "CONNECTED",
            "last_updated": "2024-03-01T10:00:00Z"}  # fmt: skip
    refused = await cpo.call_url("PUT", url, json=info)

    assert answer.status_code == 1000, answer.body
    assert refused.status == 405 and refused.status_code == 2000
    [enapi] = [p for p in await platforms.all_platforms(hub.pool) if p.network]
    assert enapi.party("DE", "EMN", "EMSP") is not None and enapi.party("DE", "EMZ") is None


async def test_a_networks_clientinfo_about_our_own_party_is_no_route(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """ENAPI PUTs a ClientInfo naming the local CPO the hub presented to it: our own party
    reflected back, not a route through the network to it (that would be a loop). Accepted,
    and the CPO stays reachable directly only."""
    network = await joined(hub, make_network, "enapi")
    info = {"country_code": "NL", "party_id": "CPA", "role": "CPO", "status": "CONNECTED",
            "last_updated": "2024-03-01T10:00:00Z"}  # fmt: skip

    url = network.endpoints[("hubclientinfo", "RECEIVER")] + "/NL/CPA"
    answer = await network.call_url("PUT", url, json=info)

    assert answer.status_code == 1000, answer.body
    hosts = await platforms.platforms_of_party(hub.pool, "NL", "CPA")
    assert [p.network for p in hosts] == [False]
