"""A dialect: how one network or peer bends OCPI, as data (DESIGN.md "the next shape").

A `Platform` carries the name of its dialect; the one seam that speaks to it (outbound client,
inbound middleware, delivery planner) reads the `Dialect` and applies it. No module handler ever
tests a dialect. Each shipped profile is one module beside this one, each rule with a comment
naming its source in `shared/reference/hub-dialects.md`.

The default, `ocpi-2.2.1`, is the spec strictly: every rule at its spec value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Delivery", "Dialect", "Presents", "PullSchedule"]


class Delivery(StrEnum):
    """How pushes to the network are ordered."""

    PER_OBJECT = "per-object"  # FIFO per (receiver, object), the hub's outbox default
    FIFO = "fifo"  # one queue per network: stop and retry until the head is accepted
    # One queue per module: one push at a time per kind of message (Hubject: "push operations
    # must be strictly sequential per operation", hub-dialects.md §5.1), modules side by side.
    PER_MODULE = "per-module"


class Presents(StrEnum):
    """What the hub puts in its credentials roles towards the network."""

    PARTIES = "parties"  # each local party served there, as a platform hosting many parties
    HUB = "hub"  # the hub's own HUB role only: the network configures members out of band


@dataclass(frozen=True)
class PullSchedule:
    """The network does not push to us: we pull its Sender interfaces (seconds)."""

    delta_every: float  # GET with date_from = the last successful pull
    full_every: float  # a whole list, to catch what a delta misses


@dataclass(frozen=True)
class Dialect:
    """One network's or peer's profile. Every field's default is the OCPI 2.2.1 spec."""

    name: str
    summary: str
    version: str = "2.2.1"
    # Token in `Authorization` as we send it: base64 (2.2.1) or raw. Inbound we accept both.
    token_base64: bool = True
    # OCPI-from/to on every functional request (the spec: only when a hub routes).
    routing_headers: bool = False
    # The network's own party (a hub's HUB role), OCPI-to of what is not for one remote party.
    hub_party: tuple[str, str] | None = None
    # Module identifiers the network does not implement: the hub answers its own parties locally.
    missing_modules: frozenset[str] = frozenset()
    # CommandTypes the network does not implement.
    missing_commands: frozenset[str] = frozenset()
    # Modules whose PATCHes it refuses: the hub sends a PUT of the whole stored object instead.
    put_instead_of_patch: frozenset[str] = frozenset()
    # Largest page it serves or accepts, per module.
    page_limits: Mapping[str, int] = field(default_factory=dict)
    # Ids compare exactly (the spec: CiString, case-insensitive).
    ids_case_sensitive: bool = False
    # EVSE ids compare with separators removed and upper-cased.
    evse_ids_normalised: bool = False
    # Every evse_id of a Location must start with its CPO's operator id (eMI3 `CC*PID`,
    # compared without separators): one that does not is not sent.
    evse_ids_of_owner: bool = False
    # Fields it requires beyond the spec, per module, as JSON paths ("evses[].evse_id"); a
    # command's request body under "commands/<CommandType>" ("commands/START_SESSION"), a real-time
    # authorization's LocationReferences under "tokens/authorize".
    required_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields it adds beyond the spec, per module, as JSON paths: kept as they come, never refused.
    added_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # It sends DateTimes without the `Z` (UTC by the spec too): they are given it before they
    # are stored and passed on, in the form the hub renders (dialects.as_spec).
    lenient_timestamps: bool = False
    delivery: Delivery = Delivery.PER_OBJECT
    presents: Presents = Presents.PARTIES
    # None: it pushes to us. Otherwise we pull it on this schedule.
    pull: PullSchedule | None = None
    # HubClientInfo only as PUTs from the network when a roaming agreement is signed: we neither
    # pull nor push hubclientinfo with it, and each ClientInfo it sends cues a full pull.
    hubclientinfo_partial: bool = False
    # Direct-peer deviations (the `lenient` profile).
    forbidden_as_unauthorized: bool = False  # 403 where the spec says 401
    errors_without_envelope: bool = False  # error answers that are not an OCPI envelope
    single_object_as_list: bool = False  # a GET of one object answered as a one-item list
    lower_case_ids: bool = False  # ids sent lower-cased
    # A CPO's real-time authorization of a token no party of the hub holds is asked of this
    # network (its HUB party), which finds the token's eMSP among its members.
    foreign_tokens: bool = False
    # Not OCPI at all: the protocol the hub's client translates every request to this
    # platform into, by the bridge of that name (push.client: `PeerClient.bridges`); None: OCPI.
    bridge: str | None = None
    # Where each rule comes from: field name -> source (hub-dialects.md section, [S]/[I]/[?]).
    sources: Mapping[str, str] = field(default_factory=dict)
