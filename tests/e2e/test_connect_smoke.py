"""The hub as initiator of the credentials handshake."""

from ocpi_hub.storage.repositories import platforms
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty
from tests.e2e.fakes import FakeParty


async def test_hub_connects_to_a_peer_that_issued_token_a(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """`connect` discovers the peer with token A, POSTs token B, stores token C (checklist §3.3)."""
    peer: FakeParty = await make_party("EMSP", "BE", "EMC")
    token_a = peer.issue_token_a()
    platform_id = await hub.connect(peer.versions_url, token_a)
    platform = await platforms.get(hub.pool, platform_id)
    assert platform is not None and platform.registered
    assert platform.outgoing_token == peer.hub_token
    assert peer.callback_answers[0].status_code == 1000
    answer = await peer.call_url("GET", f"{hub.url}/ocpi/2.2.1/sender/locations")
    assert answer.status_code == 1000
