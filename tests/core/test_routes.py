"""Routes to a party and the audience of a broadcast across peers and networks (core.routes)."""

from __future__ import annotations

import pytest

from ocpi_hub.core.handshake import check_invited
from ocpi_hub.core.parties import (
    InterfaceRole,
    Party,
    Role,
)
from ocpi_hub.core.routes import audience, exported, first_route, routes
from ocpi_hub.errors import InvalidParameters
from tests.factories import platform

EMSP = Party.of("FR", "EMX", Role.EMSP)
GIREVE = platform(1, Party.of("FR", "007", Role.HUB), EMSP, Party.of("FR", "EMY", Role.EMSP))
ENAPI = platform(2, Party.of("DE", "ENA", Role.HUB), EMSP)
DIRECT = platform(3, EMSP)
LOCAL_EMSP = platform(4, Party.of("DE", "EMA", Role.EMSP))


def test_a_direct_connection_is_the_first_route_then_networks_in_order() -> None:
    """A party connected directly and seen through two networks: direct first, then the
    networks in the order they were connected."""
    assert [p.id for p in routes([ENAPI, GIREVE, DIRECT], EMSP.key)] == [3, 1, 2]
    assert [p.id for p in routes([ENAPI, GIREVE], EMSP.key)] == [1, 2]


def test_an_unregistered_route_is_passed_over() -> None:
    """The first route that is registered carries the traffic."""
    gone = platform(3, EMSP, status="UNREGISTERED")

    assert first_route([gone, ENAPI, GIREVE], EMSP.key) is GIREVE


def test_a_network_is_in_an_audience_once_as_its_own_party() -> None:
    """However many remote eMSPs a network hosts, a broadcast goes to it once, addressed to its
    HUB party; peers get one per party of the wanted roles."""
    found = audience(
        [GIREVE, LOCAL_EMSP], frozenset({Role.EMSP}), "locations", InterfaceRole.RECEIVER
    )

    assert [(party.key, p.id) for party, p in found] == [(("FR", "007"), 1), (("DE", "EMA"), 4)]


def test_network_data_is_never_exported_to_a_network_nor_sent_back() -> None:
    """What came from a network reaches peers only; what a peer sent reaches networks and other
    peers, never its own platform."""
    assert not exported(GIREVE, ENAPI)
    assert not exported(GIREVE, GIREVE)
    assert exported(GIREVE, LOCAL_EMSP)
    assert exported(LOCAL_EMSP, GIREVE)
    assert not exported(LOCAL_EMSP, LOCAL_EMSP)


def test_an_invited_network_presents_its_hub_role_and_any_members() -> None:
    """An invited HUB must present its HUB identity; its other roles are remote parties. An
    invited CPO or eMSP still presents exactly what was invited."""
    hub = {Party.of("FR", "007", Role.HUB)}
    check_invited(hub | {EMSP}, hub)
    with pytest.raises(InvalidParameters, match=r"invited FR\*007 \(HUB\)"):
        check_invited({EMSP}, hub)
    with pytest.raises(InvalidParameters):
        check_invited({EMSP, Party.of("FR", "EMY", Role.EMSP)}, {EMSP})
