"""The hub's routing decision and routing headers, without sockets (checklist §1.6, §5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.routing import (
    BROADCAST_MODULES,
    Decision,
    Route,
    broadcast_audience,
    decide,
    delivered_from,
    parse_routing_headers,
    routing_headers,
)
from ocpi_hub.errors import InvalidParameters

HUB = ("XX", "HUB")
EMSP = ("DE", "EMA")
LOCATIONS, SENDER, RECEIVER = ModuleID.LOCATIONS, InterfaceRole.SENDER, InterfaceRole.RECEIVER


@pytest.mark.parametrize(
    ("interface", "method", "to", "expected"),
    [
        (RECEIVER, "PUT", HUB, Decision(Route.BROADCAST)),
        (RECEIVER, "PATCH", None, Decision(Route.BROADCAST)),
        (RECEIVER, "PUT", EMSP, Decision(Route.DIRECT, EMSP)),
        (RECEIVER, "GET", EMSP, Decision(Route.DIRECT, EMSP)),
        (RECEIVER, "GET", HUB, Decision(Route.LOCAL)),
        (RECEIVER, "GET", None, Decision(Route.LOCAL)),
        (SENDER, "GET", HUB, Decision(Route.LOCAL)),
        (SENDER, "GET", None, Decision(Route.LOCAL)),
        (SENDER, "GET", EMSP, Decision(Route.LOCAL, EMSP)),
    ],
)
def test_decision_table_for_locations(
    interface: InterfaceRole, method: str, to: tuple[str, str] | None, expected: Decision
) -> None:
    """Broadcast to the hub or with no OCPI-to; relay to a named party; sender GETs from the
    store, narrowed by OCPI-to."""
    assert decide(LOCATIONS, interface, method, to, HUB) == expected


@pytest.mark.parametrize(
    ("module", "interface", "method", "to", "expected"),
    [
        (ModuleID.SESSIONS, RECEIVER, "PUT", None, Decision(Route.OPEN)),
        (ModuleID.SESSIONS, RECEIVER, "PATCH", HUB, Decision(Route.OPEN)),
        (ModuleID.SESSIONS, RECEIVER, "PUT", EMSP, Decision(Route.DIRECT, EMSP)),
        (ModuleID.CDRS, RECEIVER, "POST", None, Decision(Route.OPEN)),
        (ModuleID.COMMANDS, RECEIVER, "POST", None, Decision(Route.OPEN)),
        (ModuleID.COMMANDS, RECEIVER, "POST", ("NL", "CPA"), Decision(Route.DIRECT, ("NL", "CPA"))),
        (ModuleID.TOKENS, SENDER, "POST", None, Decision(Route.OPEN)),
        (ModuleID.TOKENS, SENDER, "POST", EMSP, Decision(Route.DIRECT, EMSP)),
        (ModuleID.TOKENS, RECEIVER, "PUT", None, Decision(Route.BROADCAST)),
        (ModuleID.TARIFFS, RECEIVER, "DELETE", HUB, Decision(Route.BROADCAST)),
        (ModuleID.CDRS, SENDER, "GET", None, Decision(Route.LOCAL)),
    ],
)
def test_decision_table_for_personal_data_commands_and_authorization(
    module: ModuleID,
    interface: InterfaceRole,
    method: str,
    to: tuple[str, str] | None,
    expected: Decision,
) -> None:
    """Personal data, commands and authorizations are never broadcast: with no named party
    the hub routes them by content (open routing, checklist §5)."""
    assert decide(module, interface, method, to, HUB) == expected


parties = st.one_of(
    st.none(),
    st.just(HUB),
    st.tuples(st.sampled_from(["NL", "DE"]), st.sampled_from(["CPA", "EMA"])),
)


@given(
    st.sampled_from(list(ModuleID)),
    st.sampled_from(list(InterfaceRole)),
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    parties,
)
def test_decision_invariants(
    module: ModuleID, interface: InterfaceRole, method: str, to: tuple[str, str] | None
) -> None:
    """GET is never broadcast; only Locations, Tariffs and Tokens are; a Sender GET is never
    relayed; a relay always names a party other than the hub; a push with no named party is
    broadcast or open-routed, never answered locally (checklist §5)."""
    decision = decide(module, interface, method, to, HUB)
    if decision.route == Route.BROADCAST:
        assert method != "GET" and module in BROADCAST_MODULES and interface == RECEIVER
    if interface == SENDER and method == "GET":
        assert decision.route == Route.LOCAL
    if method != "GET" and (to is None or to == HUB):
        assert decision.route in (Route.BROADCAST, Route.OPEN)
    if decision.route == Route.DIRECT:
        assert decision.to is not None and decision.to != HUB
    if to is None or to == HUB:
        assert decision.to is None


def test_routing_headers_round_trip_and_normalise_case() -> None:
    """Headers come in pairs and compare case-insensitively (CiString)."""
    headers = routing_headers(("nl", "cpa"), HUB)
    assert parse_routing_headers(headers) == (("NL", "CPA"), HUB)
    assert parse_routing_headers({}) == (None, None)


@pytest.mark.parametrize(
    "headers",
    [
        {"OCPI-to-country-code": "NL"},
        {"OCPI-from-party-id": "CPA"},
        {"OCPI-to-country-code": "NLD", "OCPI-to-party-id": "CPA"},
        {"OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPAX"},
        {"OCPI-to-country-code": "", "OCPI-to-party-id": "CPA"},
    ],
)
def test_half_or_overlong_pairs_are_2001(headers: dict[str, str]) -> None:
    """A lone header of a pair, or one longer than its CiString, is invalid (2001)."""
    with pytest.raises(InvalidParameters):
        parse_routing_headers(headers)


def test_broadcast_audience_is_the_opposite_roles() -> None:
    """CPO data goes to eMSP, NSP and OTHER; eMSP and OTHER data to CPOs (checklist §5)."""
    assert broadcast_audience(Role.CPO) == {Role.EMSP, Role.NSP, Role.OTHER}
    assert broadcast_audience(Role.EMSP) == {Role.CPO}
    assert broadcast_audience(Role.OTHER) == {Role.CPO}
    assert broadcast_audience(Role.HUB) == frozenset()


def test_a_push_routed_to_one_party_is_delivered_from_its_sender() -> None:
    """§1.6: open routing is answered "as Via Hub" (FROM the requesting party); only a
    broadcast is delivered FROM the hub."""
    cpo = ("NL", "CPA")
    assert delivered_from(True, cpo, HUB) == cpo
    assert delivered_from(False, cpo, HUB) == HUB
