"""A direct peer speaking the `lenient` dialect (issue 8 "Profiles shipped": 403 instead of 401,
errors without the envelope, a one-item list for a single GET, lower-cased ids), against the
fake that answers so (tests/e2e/networks.py): the hub's own parties read spec answers, and the
outbox judges the peer's bare errors as it judges any other.
"""

from __future__ import annotations

from ocpi_hub.storage.repositories import outbox
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeNetwork, eventually, member_of, to_headers
from tests.e2e.fakes import FakeParty
from tests.e2e.networks import FakeNetwork

PEER_EMSP = ("NL", "LNT")


async def lenient_emsp(hub: RunningHub, make_network: MakeNetwork) -> FakeNetwork:
    """A lenient direct peer hosting one eMSP, which the hub connected to."""
    peer = await make_network("lenient", [(*PEER_EMSP, "EMSP")])
    await member_of(hub, peer, "lenient")
    return peer


async def pushed_location(cpo: FakeParty, peer: FakeNetwork, hub: RunningHub) -> None:
    """The local CPO's LOC1, delivered to the peer."""
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    assert (await cpo.call_url("PUT", url, json=body)).status_code == 1000
    await eventually(lambda: len(peer.pushes()) == 1, message="the peer has LOC1")


async def test_a_single_get_answered_as_a_list_is_relayed_as_the_object(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """The peer answers a GET of one Location with a one-item list, its ids lower-cased: the
    CPO that asked reads the Location itself (the ids as the peer sent them: CiStrings)."""
    peer = await lenient_emsp(hub, make_network)
    await pushed_location(cpo, peer, hub)

    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    answer = await cpo.call_url("GET", url, headers=to_headers(PEER_EMSP))

    assert answer.status_code == 1000, answer.body
    assert isinstance(answer.data, dict) and answer.data["id"] == "loc1"
    assert peer.requests("locations", "GET")[0].path.endswith("/NL/CPA/LOC1")


async def test_an_error_without_envelope_reaches_the_asker_as_an_ocpi_error(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """The peer answers an unknown Location with a bare HTTP 404: the CPO gets HTTP 404 with an
    OCPI client error (2000) quoting the peer, not the hub's 4000 for a broken answer."""
    peer = await lenient_emsp(hub, make_network)

    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/NOPE"
    answer = await cpo.call_url("GET", url, headers=to_headers(PEER_EMSP))

    assert (answer.status, answer.status_code) == (404, 2000), answer.body
    message = answer.body["status_message"]
    assert message == "answered HTTP 404 without an OCPI envelope: unknown"
    assert len(peer.requests("locations", "GET")) == 1


async def test_bare_refusals_of_a_push_are_retried_or_dead_lettered_by_status(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """A bare 503 is a server error (3000): retried until the peer takes the push. A bare 400
    is a client error (2000): dead-lettered at once, as any refused content is."""
    peer = await lenient_emsp(hub, make_network)
    peer.fail_next(2, 503, status_code=3000)  # the fake answers these without the envelope
    await pushed_location(cpo, peer, hub)
    assert [r.body for r in peer.refused] == [peer.pushes()[0].body] * 2

    peer.fail_next(1, 400, status_code=2001)
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC2"
    body = factories.location(country_code="NL", party_id="CPA", id="LOC2")
    assert (await cpo.call_url("PUT", url, json=body)).status_code == 1000

    async def dead() -> bool:
        return bool(await outbox.listing(hub.pool, status="DEAD"))

    await eventually(dead, message="LOC2 dead-lettered")
    [letter] = await outbox.listing(hub.pool, status="DEAD")
    assert letter.attempts == 1 and letter.last_error == "HTTP 400, status_code 2000"
    assert len(peer.pushes()) == 1


async def test_a_403_for_the_hubs_token_is_a_receiver_not_connected(
    hub: RunningHub, cpo: FakeParty, make_network: MakeNetwork
) -> None:
    """The peer refuses the hub's token with 403 (where the spec says 401): the CPO is told the
    peer cannot be reached with the hub's credentials (4003), as for a 401."""
    peer = await lenient_emsp(hub, make_network)
    peer.accepted_tokens.clear()

    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    answer = await cpo.call_url("GET", url, headers=to_headers(PEER_EMSP))

    assert answer.status_code == 4003, answer.body
    assert "refused the hub's credentials (HTTP 403)" in answer.body["status_message"]
