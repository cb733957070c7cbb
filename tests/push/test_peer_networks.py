"""OCPI_HUB_PEER_NETWORKS at each call the hub makes (push.networks, issue 7 §5 SSRF).

Only loopback is ever called: the allowed networks are narrowed to 127.0.0.1/32 and a fake party
listening on 127.0.0.2 stands for an address the hub must not reach. DNS is the one thing a test
cannot change, so names go through `Names`, a fixed table in place of the system resolver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ocpi_hub.core.networks import PeerNetworks
from ocpi_hub.push.client import PeerClient, PeerUnreachable, peer_client
from ocpi_hub.push.http import HttpClient
from ocpi_hub.push.networks import PeerNetworksResolver
from tests.e2e.fakes import FakeParty

NARROW = PeerNetworks.parse("127.0.0.1/32")


class Names:
    """A fixed name → addresses table, standing in for DNS (which tests cannot change)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.table:
            raise OSError(f"{host}: no such name")
        return list(self.table[host])


@pytest.fixture
async def inside() -> AsyncIterator[FakeParty]:
    """A party on 127.0.0.1, inside the narrowed networks; it accepts the token "t"."""
    party = await FakeParty("EMSP", "DE", "EMA").start()
    party.accepted_tokens.add("t")
    yield party
    await party.stop()


@pytest.fixture
async def outside() -> AsyncIterator[FakeParty]:
    """A party on 127.0.0.2, outside the narrowed networks; it accepts the token "t", so any
    request that reached it would be recorded."""
    party = await FakeParty("EMSP", "DE", "EMB", host="127.0.0.2").start()
    party.accepted_tokens.add("t")
    yield party
    await party.stop()


async def test_an_ip_address_outside_the_networks_is_never_called(
    inside: FakeParty, outside: FakeParty
) -> None:
    """An IP address in a URL is judged as a resolved name is: the listener on 127.0.0.2
    receives nothing while 127.0.0.1 is reached."""
    async with peer_client(NARROW) as client:
        with pytest.raises(PeerUnreachable, match=r"127\.0\.0\.2 is outside OCPI_HUB"):
            await client.request("GET", outside.versions_url, token="t", timeout=2)
        answer = await client.request("GET", inside.versions_url, token="t", timeout=2)

    assert answer.ok
    assert not outside.received
    assert [r.path for r in inside.received] == ["/ocpi/versions"]


async def test_a_name_is_judged_by_what_it_resolves_to_at_each_call(
    inside: FakeParty, outside: FakeParty
) -> None:
    """A name resolving outside the networks fails the call, naming the host and its address;
    addresses outside are dropped when others remain; what a name resolves to is read again at
    the next call (a DNS change after registration is caught)."""
    port_out = outside.url.rsplit(":", 1)[1]
    port_in = inside.url.rsplit(":", 1)[1]
    names = Names({"peer.test": ["127.0.0.2"], "mixed.test": ["127.0.0.2", "127.0.0.1"]})
    guard = PeerNetworksResolver(NARROW, names)
    async with HttpClient(resolve=guard.resolve) as http:
        client = PeerClient(http, guard)
        with pytest.raises(
            PeerUnreachable, match=r"peer.test \(resolves to 127.0.0.2\) is outside"
        ):
            await client.request("GET", f"http://peer.test:{port_out}/ocpi/versions", token="t",
                                 timeout=2)  # fmt: skip
        mixed = await client.request(
            "GET", f"http://mixed.test:{port_in}/ocpi/versions", token="t", timeout=2
        )
        names.table["peer.test"] = ["127.0.0.1"]  # the name moved
        moved = await client.request(
            "GET", f"http://peer.test:{port_in}/ocpi/versions", token="t", timeout=2
        )

    assert mixed.ok and moved.ok
    assert not outside.received
    assert len(inside.received) == 2


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.2:8080/ocpi/versions", "127.0.0.2 is outside"),
        ("http://peer.test/ocpi/versions", r"peer.test \(resolves to 127.0.0.2\)"),
        ("http://mixed.test/ocpi/versions", r"resolves to 127.0.0.1, 127.0.0.2"),
        ("http://unknown.test/x", "no such name"),
        ("ftp://127.0.0.1/x", "not an absolute http"),
        ("http://user@127.0.0.1/x", "not an absolute http"),
    ],
)
async def test_registration_wants_every_address_inside(url: str, reason: str) -> None:
    """At registration a URL must resolve, and only to allowed addresses: a name that mixes an
    allowed address with a refused one is a DNS-rebinding set-up, not a peer."""
    names = Names({"peer.test": ["127.0.0.2"], "mixed.test": ["127.0.0.1", "127.0.0.2"]})
    guard = PeerNetworksResolver(NARROW, names)

    with pytest.raises(OSError, match=reason):
        await guard.check_url(url)


async def test_registration_accepts_what_resolves_inside() -> None:
    """A literal address or a name inside the networks passes."""
    guard = PeerNetworksResolver(NARROW, Names({"emsp.test": ["127.0.0.1"]}))

    await guard.check_url("http://127.0.0.1:9/ocpi/versions")
    await guard.check_url("https://emsp.test/ocpi/versions")
