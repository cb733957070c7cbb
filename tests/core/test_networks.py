"""OCPI_HUB_PEER_NETWORKS: the addresses the hub may call (core.networks, issue 7 §5 SSRF).

Only the pure check is exercised here: tests never send anything beyond loopback."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.networks import DEFAULT_PEER_NETWORKS, PeerNetworks

DEFAULT = PeerNetworks.default()


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # cloud metadata service
        "169.254.0.1",
        "fe80::1",
        "fe80::1%eth0",
        "224.0.0.251",
        "239.255.255.250",
        "ff02::1",
        "0.0.0.0",
        "0.1.2.3",
        "::",
        "::ffff:169.254.169.254",  # IPv4-mapped: reaches the IPv4 address
        "::ffff:0.0.0.0",
    ],
)
def test_default_refuses_link_local_multicast_and_unspecified(address: str) -> None:
    """The default allows everything but link-local, multicast and unspecified addresses."""
    assert not DEFAULT.allows(address)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.0.0.2", "::1", "10.1.2.3", "192.168.1.1", "8.8.8.8", "2001:db8::1"],
)
def test_default_allows_loopback_private_and_public(address: str) -> None:
    """Loopback and private networks stay allowed by default (a hub and its parties on one
    machine or network); operators on the public internet narrow the setting."""
    assert DEFAULT.allows(address)


def test_narrowed_to_one_address_refuses_its_neighbour() -> None:
    """`127.0.0.1/32` allows 127.0.0.1 only: 127.0.0.2, ::1 and the rest are refused."""
    narrow = PeerNetworks.parse("127.0.0.1/32")

    assert narrow.allows("127.0.0.1")
    assert not narrow.allows("127.0.0.2")
    assert not narrow.allows("::1")
    assert not narrow.allows("8.8.8.8")


def test_an_exclusion_wins_over_an_allowed_network() -> None:
    """`!CIDR` carves a network out of the allowed ones, whatever the order."""
    networks = PeerNetworks.parse("!10.1.0.0/16, 10.0.0.0/8")

    assert networks.allows("10.2.0.1")
    assert not networks.allows("10.1.0.1")


@pytest.mark.parametrize("text", ["", "!10.0.0.0/8", "10.0.0.0/33", "example.com", "10.0.0.0/8,x"])
def test_a_setting_that_is_not_cidrs_fails_at_start(text: str) -> None:
    """A mistyped setting stops the hub at start with the entry named, rather than allowing or
    refusing addresses by accident."""
    with pytest.raises(ValueError, match="OCPI_HUB_PEER_NETWORKS"):
        PeerNetworks.parse(text)


def test_names_are_never_allowed() -> None:
    """Only addresses are judged: a host name must be resolved first (push.networks)."""
    assert not DEFAULT.allows("metadata.google.internal")


def test_the_setting_reads_back_as_written() -> None:
    """str() gives the setting's text, so the README, the help and the logs agree."""
    assert str(DEFAULT) == DEFAULT_PEER_NETWORKS
    assert PeerNetworks.parse(str(DEFAULT)) == DEFAULT


@given(st.ip_addresses(v=4))
def test_mapped_ipv6_is_judged_as_its_ipv4_address(address: ipaddress.IPv4Address) -> None:
    """::ffff:a.b.c.d reaches a.b.c.d, so it gets a.b.c.d's answer."""
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert DEFAULT.allows(mapped) == DEFAULT.allows(address)
