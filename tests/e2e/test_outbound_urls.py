"""Server-side request forgery through the URLs a party gives the hub (issue 7 §5).

- A `response_url` (Commands, ChargingProfiles) must share its origin with a URL the requesting
  platform registered; anything else is 2001 and nothing is relayed (checklist §4.6, §4.7).
- Every URL a party gives the hub to call — versions URL, endpoints — must resolve into
  OCPI_HUB_PEER_NETWORKS at registration (else 3001, checklist §3.3) and at each call (else the
  call fails: 4003 on a relay).

Only loopback is used: the networks are narrowed to 127.0.0.1/32 and fake parties listening on
127.0.0.2 stand for what the hub must not reach; they record whatever reaches them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ocpi_hub.core.networks import PeerNetworks
from ocpi_hub.core.parties import PlatformStatus
from ocpi_hub.push.client import peer_client
from ocpi_hub.push.connect import ConnectFailed, connect
from ocpi_hub.storage.repositories import platforms
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import modules_of, registered, to_headers
from tests.e2e.fakes import FakeParty

NARROW = PeerNetworks.parse("127.0.0.1/32")
HANDSHAKE = ("/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials")


@pytest.fixture
async def narrow_hub(database_url: str) -> AsyncIterator[RunningHub]:
    """A hub whose operator allows only 127.0.0.1."""
    running = await start_hub(database_url, peer_networks=NARROW)
    yield running
    await running.stop()
    await running.pool.close()


async def start(parties: list[FakeParty], party: FakeParty) -> FakeParty:
    parties.append(await party.start())
    return party


async def statuses(hub: RunningHub) -> list[PlatformStatus]:
    return [platform.status for platform in await platforms.all_platforms(hub.pool)]


# ---- response_url --------------------------------------------------------------------------------


async def test_a_command_response_url_on_another_origin_is_2001(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, parties: list[FakeParty]
) -> None:
    """A response_url on a loopback listener at another port (not the eMSP's registered
    origin) is refused with 2001; the CPO hears nothing, no mapping is kept (§4.6)."""
    listener = await start(parties, FakeParty("OTHER", "XX", "LIS"))
    command = {"response_url": f"{listener.url}/cb", "session_id": "S1"}

    answer = await emsp.call_url(
        "POST", f"{hub.url}/ocpi/2.2.1/receiver/commands/STOP_SESSION", json=command,
        headers=to_headers(cpo),
    )  # fmt: skip

    assert answer.status_code == 2001, answer.body
    assert "response_url" in answer.body["status_message"]
    assert not cpo.requests("commands")
    assert not listener.received
    assert await hub.pool.fetchval("SELECT count(*) FROM response_urls") == 0


async def test_a_profile_response_url_on_another_origin_is_2001(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, parties: list[FakeParty]
) -> None:
    """GET, PUT and DELETE chargingprofiles with a response_url outside the requester's
    registered origins: 2001 each, nothing relayed (§4.7)."""
    listener = await start(parties, FakeParty("OTHER", "XX", "LIS"))
    elsewhere = f"{listener.url}/cb"
    path = f"{hub.url}/ocpi/2.2.1/receiver/chargingprofiles/S1"
    profile = {"charging_rate_unit": "A", "charging_profile_period": []}
    to = to_headers(cpo)

    answers = [
        await emsp.call_url("GET", f"{path}?duration=60&response_url={elsewhere}", headers=to),
        await emsp.call_url("DELETE", f"{path}?response_url={elsewhere}", headers=to),
        await emsp.call_url(
            "PUT", path, json={"charging_profile": profile, "response_url": elsewhere}, headers=to
        ),
    ]

    assert [a.status_code for a in answers] == [2001, 2001, 2001], [a.body for a in answers]
    assert not cpo.requests("chargingprofiles")
    assert not listener.received


# ---- OCPI_HUB_PEER_NETWORKS at registration --------------------------------------------------


async def test_registration_from_outside_the_networks_is_3001_and_never_called(
    narrow_hub: RunningHub, parties: list[FakeParty]
) -> None:
    """A party whose versions URL is on 127.0.0.2 registers: 3001 naming the setting, the hub
    never calls it, and it stays invited (§3.3: the server cannot use the client's API)."""
    party = await start(parties, FakeParty("CPO", "NL", "CPA", modules_of("CPO"), host="127.0.0.2"))
    token_a = await narrow_hub.invite("CPO", "NL", "CPA")

    answer = await party.register_with(narrow_hub.versions_url, token_a)

    assert answer.status_code == 3001, answer.body
    assert "OCPI_HUB_PEER_NETWORKS" in answer.body["status_message"]
    assert not party.received
    assert await statuses(narrow_hub) == [PlatformStatus.INVITED]


async def test_registration_with_an_endpoint_outside_the_networks_is_3001(
    narrow_hub: RunningHub, parties: list[FakeParty]
) -> None:
    """A party on 127.0.0.1 whose module endpoints are on 127.0.0.2: 3001 naming the endpoint;
    the listener there receives nothing; the party stays invited (§3.3)."""
    listener = await start(parties, FakeParty("OTHER", "XX", "LIS", host="127.0.0.2"))
    party = await start(
        parties, FakeParty("CPO", "NL", "CPA", modules_of("CPO"), endpoints_url=listener.url)
    )
    token_a = await narrow_hub.invite("CPO", "NL", "CPA")

    answer = await party.register_with(narrow_hub.versions_url, token_a)

    assert answer.status_code == 3001, answer.body
    assert "endpoint" in answer.body["status_message"]
    assert listener.url in answer.body["status_message"]
    assert not listener.received
    assert await statuses(narrow_hub) == [PlatformStatus.INVITED]


async def test_connect_to_a_peer_outside_the_networks_fails_before_calling_it(
    narrow_hub: RunningHub, parties: list[FakeParty]
) -> None:
    """`ocpi-hub connect` to a versions URL on 127.0.0.2: it fails naming the setting, the peer
    receives nothing, nothing is kept (§3.3, initiator side)."""
    peer = await start(parties, FakeParty("CPO", "BE", "CPC", modules_of("CPO"), host="127.0.0.2"))

    async with narrow_hub.pool.acquire() as conn, peer_client(NARROW) as client:
        with pytest.raises(ConnectFailed, match="OCPI_HUB_PEER_NETWORKS"):
            await connect(
                conn,
                client,
                narrow_hub.settings,
                versions_url=peer.versions_url,
                token_a=peer.issue_token_a(),
            )

    assert not peer.received
    assert await statuses(narrow_hub) == []


# ---- OCPI_HUB_PEER_NETWORKS at each call -------------------------------------------------------


async def test_a_party_registered_inside_is_not_called_once_outside(
    hub: RunningHub, database_url: str, cpo: FakeParty, parties: list[FakeParty]
) -> None:
    """An eMSP registered while its endpoints were allowed (127.0.0.2, default networks); the
    operator narrows OCPI_HUB_PEER_NETWORKS and restarts: a relay to it is now 4003 (the reason
    goes to the hub's log; the requester learns only that the party is unreachable), and
    nothing reaches 127.0.0.2 — while the hub that still allows it does reach it."""
    listener = await start(parties, FakeParty("OTHER", "XX", "LIS", host="127.0.0.2"))
    emsp = await start(
        parties, FakeParty("EMSP", "DE", "EMA", modules_of("EMSP"), endpoints_url=listener.url)
    )
    await registered(hub, emsp)
    listener.accepted_tokens = emsp.accepted_tokens  # it would record the hub's calls
    narrowed = await start_hub(database_url, peer_networks=NARROW)
    path = "/ocpi/2.2.1/receiver/tariffs/NL/CPA/T1"
    try:
        refused = await cpo.call_url("GET", narrowed.url + path, headers=to_headers(emsp))
        assert not listener.received
        allowed = await cpo.call_url("GET", hub.url + path, headers=to_headers(emsp))
    finally:
        await narrowed.stop()
        await narrowed.pool.close()

    assert refused.status_code == 4003, refused.body
    assert allowed.status_code == 2003, allowed.body  # the listener's own "unknown" answer
    assert [r.path for r in listener.received] == ["/ocpi/2.2.1/tariffs/NL/CPA/T1"]


async def test_re_registration_moving_endpoints_outside_is_3001_and_changes_nothing(
    narrow_hub: RunningHub, parties: list[FakeParty]
) -> None:
    """A registered party PUTs its credentials while its endpoints now point at 127.0.0.2:
    3001, nothing called there, and the registration stays as it was (§3.2 PUT)."""
    party = await start(parties, FakeParty("CPO", "NL", "CPA", modules_of("CPO")))
    await registered(narrow_hub, party)
    (before,) = await platforms.all_platforms(narrow_hub.pool)
    listener = await start(parties, FakeParty("OTHER", "XX", "LIS", host="127.0.0.2"))
    party.endpoints_url = listener.url
    token_b = party.issue_token_a()  # a fresh token the party accepts, as its new token B

    answer = await party.call_url(
        "PUT", f"{narrow_hub.url}/ocpi/2.2.1/credentials", json=party.credentials(token_b)
    )

    assert answer.status_code == 3001, answer.body
    assert not listener.received
    assert await platforms.all_platforms(narrow_hub.pool) == [before]
