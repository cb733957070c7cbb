"""OCPI 2.2.1 HubClientInfo (checklist §4.8, §5): the hub tells every platform who is connected.

HubClientInfo is a configuration module: the hub owns it, it is never routed, and it carries no
routing headers. The hub is its Sender (a paged list of ClientInfo) and pushes a ClientInfo to
every platform offering the Receiver interface whenever a party's ConnectionStatus changes.

What the hub's own events mean for a party's ConnectionStatus (`TRANSITIONS`, defined once):

| event                                   | new status | applies when the party is |
|-----------------------------------------|------------|---------------------------|
| INVITED (`ocpi-hub parties invite`)     | PLANNED    | anything else             |
| REGISTERED (credentials POST/PUT,       | CONNECTED  | anything else             |
|   or `ocpi-hub connect`)                |            |                           |
| UNREGISTERED (credentials DELETE)       | SUSPENDED  | anything else             |
| UNREACHABLE (the liveness probe failed) | OFFLINE    | CONNECTED only            |
| HEARD_FROM (probe answered, or the      | CONNECTED  | OFFLINE only              |
|   platform called the hub)              |            |                           |
| CREDIT_SUSPENDED (an eMSP over its      | SUSPENDED  | CONNECTED or OFFLINE      |
|   credit limit, core.credit)            |            |                           |
| CREDIT_LIFTED (its suspension lifted;   | CONNECTED  | SUSPENDED only            |
|   its platform registered, reachable)   |            |                           |
| CREDIT_LIFTED_UNREACHABLE (lifted; its  | OFFLINE    | SUSPENDED only            |
|   platform marked unreachable)          |            |                           |

UNREACHABLE and HEARD_FROM are narrow on purpose: a probe says nothing about a party that is
only PLANNED or already SUSPENDED, and a call from a platform must not resurrect either.

The CREDIT_ events concern one eMSP, not a platform: a party whose credit is suspended
(issue 9 §7) is SUSPENDED whatever its platform does meanwhile (`next_status` with
`credit_suspended`: an event that would make it CONNECTED or OFFLINE leaves it SUSPENDED), and
its lift is stored only for a party of a registered platform, so a credentials DELETE
(UNREGISTERED, also SUSPENDED) is never undone by a payment.

Who is told (`snapshot_after`): a change is pushed to every *other* registered platform with a
hubclientinfo Receiver. A platform that (re-)registers, or comes back from OFFLINE, is also sent
the ClientInfo of every other party the hub knows, so it starts with (or regains) the full
picture instead of waiting for the next change.

This module is sans-I/O: the storage layer applies the table, the push layer runs the probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum, auto
from types import MappingProxyType

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.parties import Party, Role
from ocpi_hub.core.types import CiString2, CiString3, DateTime, format_datetime


class ConnectionStatus(OcpiEnum):
    CONNECTED = auto()
    OFFLINE = auto()
    PLANNED = auto()
    SUSPENDED = auto()


class ClientInfo(OcpiModel):
    """One party as the hub sees it; every field is required (checklist §4.8)."""

    party_id: CiString3
    country_code: CiString2
    role: Role
    status: ConnectionStatus
    last_updated: DateTime

    @classmethod
    def of(cls, party: Party, status: ConnectionStatus | str, last_updated: datetime) -> ClientInfo:
        """The ClientInfo of a stored party; the hub's own times render as `...ssZ`."""
        return cls(
            party_id=party.party_id,
            country_code=party.country_code,
            role=party.role,
            status=ConnectionStatus(status),
            last_updated=format_datetime(last_updated),
        )


def remote_party(info: ClientInfo) -> Party:
    """The party a network's ClientInfo tells of (issue 8: a remote party of that network,
    whether the network PUT it or the hub pulled it). ValueError for a hub: a hub behind a
    network is not a party the hub routes to."""
    if info.role == Role.HUB:
        raise ValueError("role: a hub behind a network is not a party the hub routes to")
    return Party.of(info.country_code, info.party_id, info.role)


class PartyEvent(StrEnum):
    """Something the hub saw happen to a platform, and so to each party it hosts."""

    INVITED = auto()
    REGISTERED = auto()
    UNREGISTERED = auto()
    UNREACHABLE = auto()
    HEARD_FROM = auto()
    CREDIT_SUSPENDED = auto()
    CREDIT_LIFTED = auto()
    CREDIT_LIFTED_UNREACHABLE = auto()


@dataclass(frozen=True)
class Transition:
    """What an event does to a party: the status it moves to, and from which statuses (None:
    from any other status)."""

    status: ConnectionStatus
    sources: frozenset[ConnectionStatus] | None = None

    def applies_to(self, current: ConnectionStatus) -> bool:
        if current == self.status:
            return False  # not a change: nothing to store, nothing to push
        return self.sources is None or current in self.sources


_S = ConnectionStatus
TRANSITIONS = MappingProxyType(
    {
        PartyEvent.INVITED: Transition(_S.PLANNED),
        PartyEvent.REGISTERED: Transition(_S.CONNECTED),
        PartyEvent.UNREGISTERED: Transition(_S.SUSPENDED),
        PartyEvent.UNREACHABLE: Transition(_S.OFFLINE, frozenset({_S.CONNECTED})),
        PartyEvent.HEARD_FROM: Transition(_S.CONNECTED, frozenset({_S.OFFLINE})),
        PartyEvent.CREDIT_SUSPENDED: Transition(
            _S.SUSPENDED, frozenset({_S.CONNECTED, _S.OFFLINE})
        ),
        PartyEvent.CREDIT_LIFTED: Transition(_S.CONNECTED, frozenset({_S.SUSPENDED})),
        PartyEvent.CREDIT_LIFTED_UNREACHABLE: Transition(_S.OFFLINE, frozenset({_S.SUSPENDED})),
    }
)
_CREDIT_EVENTS = frozenset(
    {PartyEvent.CREDIT_SUSPENDED, PartyEvent.CREDIT_LIFTED, PartyEvent.CREDIT_LIFTED_UNREACHABLE}
)


def next_status(
    event: PartyEvent, current: ConnectionStatus, *, credit_suspended: bool = False
) -> ConnectionStatus | None:
    """The party's status after `event`, or None when the event changes nothing. A party whose
    credit is suspended stays SUSPENDED through the platform's events (module docstring)."""
    transition = TRANSITIONS[event]
    if not transition.applies_to(current):
        return None
    status = transition.status
    if credit_suspended and event not in _CREDIT_EVENTS and status in (_S.CONNECTED, _S.OFFLINE):
        return None if current == _S.SUSPENDED else _S.SUSPENDED
    return status


def snapshot_after(event: PartyEvent, changed: bool) -> bool:
    """Whether the platform the event happened to is sent every other party's ClientInfo.

    Always on registration: a credentials PUT may be the moment a platform starts offering the
    Receiver interface. On coming back from OFFLINE only if something did change, since
    HEARD_FROM happens on every (throttled) call a platform makes.
    """
    if event == PartyEvent.REGISTERED:
        return True
    return event == PartyEvent.HEARD_FROM and changed
