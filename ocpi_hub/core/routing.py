"""Hub routing decisions (checklist §1.6 and §5), sans I/O.

One decision for every functional module: given the request's method, the interface it reached,
and its OCPI-to pair, the hub answers from its own store (LOCAL), stores and fans the request out
to every interested party (BROADCAST), relays it to the party OCPI-to names (DIRECT), or finds
the one destination from the content (OPEN).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.errors import InvalidParameters

PartyKey = tuple[str, str]  # (country_code, party_id), upper case

TO_COUNTRY = "OCPI-to-country-code"
TO_PARTY = "OCPI-to-party-id"
FROM_COUNTRY = "OCPI-from-country-code"
FROM_PARTY = "OCPI-from-party-id"

# Platform-to-hub modules: never routed, never with routing headers (checklist §1.6, §5).
CONFIGURATION_MODULES = frozenset(
    {ModuleID.CREDENTIALS.value, "versions", ModuleID.HUB_CLIENT_INFO.value}
)

# Only data meant for everyone is broadcast (checklist §5): never sessions or CDRs.
# Who owns each broadcast module's objects: CPOs their Locations and Tariffs, eMSPs their Tokens.
BROADCAST_OWNER: Mapping[ModuleID, Role] = {
    ModuleID.LOCATIONS: Role.CPO,
    ModuleID.TARIFFS: Role.CPO,
    ModuleID.TOKENS: Role.EMSP,
}
BROADCAST_MODULES = frozenset(BROADCAST_OWNER)

# Who receives a broadcast, by the sender's role: the "opposite" roles (checklist §5).
BROADCAST_AUDIENCE: Mapping[Role, frozenset[Role]] = {
    Role.CPO: frozenset({Role.EMSP, Role.NSP, Role.OTHER}),
    Role.EMSP: frozenset({Role.CPO}),
    Role.OTHER: frozenset({Role.CPO}),
}

PUSH_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Route(StrEnum):
    LOCAL = "LOCAL"  # the hub answers from its own store (GET-all, single objects)
    BROADCAST = "BROADCAST"  # the hub stores, answers, then delivers to every audience party
    DIRECT = "DIRECT"  # the hub relays to the one party named by OCPI-to and relays its answer
    OPEN = "OPEN"  # open routing: the hub finds the one destination from the content


@dataclass(frozen=True)
class Decision:
    route: Route
    to: PartyKey | None = None


def _pair(headers: Mapping[str, str], country: str, party: str) -> PartyKey | None:
    cc, pid = headers.get(country), headers.get(party)
    if cc is None and pid is None:
        return None
    if not cc or not pid or len(cc) > 2 or len(pid) > 3:
        raise InvalidParameters(
            f"{country} and {party} must come as a pair of CiString(2), CiString(3)"
        )
    return (cc.upper(), pid.upper())


def parse_routing_headers(headers: Mapping[str, str]) -> tuple[PartyKey | None, PartyKey | None]:
    """(from, to) from the OCPI routing headers; None where a pair is absent; 2001 on half pairs."""
    return _pair(headers, FROM_COUNTRY, FROM_PARTY), _pair(headers, TO_COUNTRY, TO_PARTY)


def routing_headers(sender: PartyKey, receiver: PartyKey) -> dict[str, str]:
    """The four headers for a message from `sender` to `receiver`."""
    return {
        FROM_COUNTRY: sender[0],
        FROM_PARTY: sender[1],
        TO_COUNTRY: receiver[0],
        TO_PARTY: receiver[1],
    }


def decide(
    module: ModuleID, interface: InterfaceRole, method: str, to: PartyKey | None, hub: PartyKey
) -> Decision:
    """Where a functional-module request goes (checklist §1.6, §5), for every module.

    - GET on a Sender interface: answered from the hub's store (GET-all and single objects);
      OCPI-to naming a party narrows it to that party's objects (`to` is set).
    - OCPI-to naming another party: relay it there (DIRECT), GET or push, either interface.
    - OCPI-to the hub, or absent, on a Receiver push of Locations, Tariffs or Tokens: store and
      broadcast. Such data has no single destination, and the spec lets a hub broadcast what it
      cannot route by content.
    - Any other push without a named party: open routing (OPEN). The handler finds the one
      destination from the content: a Session's or CDR's token owner, a command's Location or
      Session owner, an authorization's Token owner.
    - A GET on a Receiver interface without a named party: the hub's own copy (LOCAL).
    """
    addressed = to if to is not None and to != hub else None
    if method == "GET" and interface == InterfaceRole.SENDER:
        return Decision(Route.LOCAL, addressed)
    if addressed is not None:
        return Decision(Route.DIRECT, addressed)
    if method in PUSH_METHODS:
        if interface == InterfaceRole.RECEIVER and module in BROADCAST_MODULES:
            return Decision(Route.BROADCAST)
        return Decision(Route.OPEN)
    return Decision(Route.LOCAL)


def delivered_from(routed_to_one: bool, sender: PartyKey, hub: PartyKey) -> PartyKey:
    """OCPI-from of what the hub delivers from its outbox after accepting a push (§1.6).

    A push routed to the one party its content names (personal data: a Session or CDR under
    open routing, OCPI-to the hub, or OCPI-to that party) travels "as Via Hub": FROM the party
    that sent it, TO its receiver, so the receiver knows whose it is. A broadcast travels FROM
    the hub, TO each receiver.
    """
    return sender if routed_to_one else hub


def broadcast_audience(sender_role: Role) -> frozenset[Role]:
    return BROADCAST_AUDIENCE.get(sender_role, frozenset())
