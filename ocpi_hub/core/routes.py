"""Which connection carries what: routes to a party, and the audience of a broadcast (issue 8).

A party is reached over a *route*: the platform that connects it directly, or a network (another
hub the hub is a member of) whose platform holds it as a remote party. The same party may have
several routes: connected directly and seen through a network, or seen through two networks.

- `routes` orders a party's routes, best first: the route chosen for it (`choose`), then the
  *static order*: a direct connection before any network, then networks in the order they were
  connected. Everything that sends to one party takes the first of these that can carry it.
- `choose` is route choice (issue 8): per party with more than one registered route, the
  operator's preference, else the route measured best (core.route_quality), with hysteresis.
- `audience` is who a broadcast goes to: each party of the wanted roles on a registered peer
  platform offering the interface, and each registered network offering it **once**, addressed
  to the network's own HUB party: the network distributes to its members, so a change is not
  sent once per remote party.
- `exported` says whether data may go to a platform: what came from a network never goes to a
  network (no loops, no reselling of one network's data to another).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ocpi_hub.core.parties import InterfaceRole, Party, Platform, Role
from ocpi_hub.core.route_quality import Figures

__all__ = [
    "DIRECT",
    "MOVED_MODULES",
    "Choice",
    "Preference",
    "audience",
    "choose",
    "exported",
    "foreign_token_route",
    "multi_routed",
    "network_party",
    "parse_preference",
    "remote_parties",
    "routed",
    "routes",
]

PartyKey = tuple[str, str]


def network_party(platform: Platform) -> Party | None:
    """The network's own identity (its HUB role); None for a peer."""
    if not platform.network:
        return None
    return next((party for party in platform.parties if party.role == Role.HUB), None)


def routes(
    platforms: Iterable[Platform], party: PartyKey, chosen: int | None = None
) -> list[Platform]:
    """The platforms hosting `party`, best route first: the `chosen` one (route choice), then
    direct connections, then networks, each in id order."""
    hosting = [p for p in platforms if any(q.key == party for q in p.parties)]
    return sorted(hosting, key=lambda p: (p.id != chosen, p.network, p.id))


def audience(
    platforms: Iterable[Platform], roles: frozenset[Role], module: str, interface: InterfaceRole
) -> list[tuple[Party, Platform]]:
    """Each party with one of `roles` on a registered peer platform offering `module`/
    `interface`, once per (platform, identity), and each such network once (its HUB party), in
    platform then party order."""
    found: list[tuple[Party, Platform]] = []
    for platform in sorted(platforms, key=lambda p: p.id):
        if not platform.registered or not platform.endpoint(module, interface):
            continue
        if platform.network:
            hub = network_party(platform)
            if hub is not None:
                found.append((hub, platform))
            continue
        seen: set[PartyKey] = set()
        for party in platform.parties:
            if party.role in roles and party.key not in seen:
                seen.add(party.key)
                found.append((party, platform))
    return found


def foreign_token_route(
    platforms: Iterable[Platform], asks: Callable[[Platform], bool]
) -> PartyKey | None:
    """Where a CPO's real-time authorization of a token no party of the hub holds goes: the HUB
    party of the first registered network (in id order) that `asks` says finds tokens among its
    members (its dialect's `foreign_tokens`); None: nowhere, the token is unknown."""
    for platform in sorted(platforms, key=lambda p: p.id):
        hub = network_party(platform)
        if hub is not None and platform.registered and asks(platform):
            return hub.key
    return None


def exported(source: Platform, receiver: Platform) -> bool:
    """Whether data that `source` sent may be delivered to `receiver`: never back to the
    platform it came from, and never from one network to a network."""
    return receiver.id != source.id and not (source.network and receiver.network)


def first_route(candidates: Sequence[Platform], party: PartyKey) -> Platform | None:
    """The best registered route to `party` among `candidates`."""
    return next((p for p in routes(candidates, party) if p.registered), None)


# ---- Route choice (issue 8) ----------------------------------------------------------------
#
# A party reached over several registered routes is sent its traffic over one of them, chosen
# per party by `choose` from what each route did over the sliding window (core.route_quality).
# The thresholds below are the whole of the rule's judgement; each says why it is what it is.

# Samples each of two routes needs in the window before one may take the party's traffic from
# the other on quality: fewer say too little (at 20, one failure is 5 points of success rate,
# the margin below). Idle routes are probed so that they reach it (PROBE_BELOW).
MIN_SAMPLES = 20
# A route is better on success only by this much (5 points): two routes that both work differ
# by a failure or two, and following that noise would make traffic flap between them.
SUCCESS_MARGIN = 0.05
# At success rates within SUCCESS_MARGIN, a route is better on latency only when its p95 is at
# most the other's divided by LATENCY_RATIO *and* lower by LATENCY_MARGIN_MS: the ratio ignores
# jitter on slow routes, the absolute margin ignores differences no partner would notice (and
# neighbouring histogram buckets, whose steps are 2-2.5x).
LATENCY_RATIO = 1.5
LATENCY_MARGIN_MS = 100
# The current route is failing outright when fewer than half its requests succeed over at least
# FAILING_SAMPLES: then waiting for MIN_SAMPLES costs real traffic, so the party leaves it for
# any route that succeeds more by SUCCESS_MARGIN, or, if no other route has samples, for an
# untried one (anything beats a route known to fail).
FAILING_RATE = 0.5
FAILING_SAMPLES = 5
# A route of a party with several routes that carried fewer requests than this in the window is
# probed (GET versions) once per evaluation, so that an idle route is measured too and can win
# the party back. Twice MIN_SAMPLES: a route hovering at the minimum keeps qualifying.
PROBE_BELOW = 2 * MIN_SAMPLES

# What is queued for a party follows its route when the choice changes: what goes to that one
# party over the route chosen for it, personal data (Sessions, CDRs) and ActiveChargingProfiles.
# Not broadcasts (Locations, Tariffs, Tokens): they go to every route anyway, a network getting
# one copy for all its members; not results (they go to the URL they were given); not
# HubClientInfo (it belongs to its connection).
MOVED_MODULES = frozenset({"sessions", "cdrs", "chargingprofiles"})

DIRECT: Literal["direct"] = "direct"
# The operator's preference for a party: a platform id, DIRECT (its direct connection), or None
# (automatic: measured quality).
Preference = int | Literal["direct"] | None


@dataclass(frozen=True)
class Choice:
    """The route a party's traffic takes, and why, in words (logged and listed)."""

    platform_id: int
    reason: str


def parse_preference(value: str) -> Preference:
    """`ID|direct|auto` (`routes prefer --via`, the API's `via`) as a Preference; ValueError
    naming what it takes."""
    text = value.strip().lower()
    if text == "auto":
        return None
    if text == DIRECT:
        return DIRECT
    if text.isdigit():
        return int(text)
    raise ValueError(f"{value!r}: a platform id, direct or auto")


def preferred(candidates: Sequence[Platform], preference: Preference) -> Platform | None:
    """The route `preference` names among `candidates` (a direct one for DIRECT), if any."""
    if preference is None:
        return None
    if preference == DIRECT:
        return next((p for p in candidates if not p.network), None)
    return next((p for p in candidates if p.id == preference), None)


def choose(
    candidates: Sequence[Platform],
    figures: Mapping[int, Figures],
    preference: Preference = None,
    current: int | None = None,
) -> Choice:
    """The route for one party among its registered routes `candidates` (at least one), given
    each route's `figures` over the window, the operator's `preference` and the `current`
    choice (None: never chosen).

    - A preference naming a registered route wins.
    - Otherwise, with no samples on any route: the static order (a direct connection first).
    - Otherwise the *best* route is the one with the lowest p95 among those whose success rate
      is within SUCCESS_MARGIN of the highest (then the higher rate, then the static order).
      It depends on the figures only, not on the current choice, so once chosen it stays
      chosen while the figures hold: traffic cannot flap between routes.
    - Hysteresis: the party leaves its current route for the best only when the best is better
      by the margins with MIN_SAMPLES on both (`_better`).
    - Unless the current route is failing outright (FAILING_RATE): then it leaves at once for
      the best if that works and succeeds more by SUCCESS_MARGIN; else for the first untried
      route (no samples) if there is one; else for the best if it at least fails less.
    """
    ordered = sorted(candidates, key=lambda p: (p.network, p.id))
    if not ordered:
        raise ValueError("a choice needs at least one route")
    named = preferred(ordered, preference)
    if named is not None:
        return Choice(named.id, "the operator's preference")
    note = "" if preference is None else f"preferred route {preference} is not registered; "
    measured = {p.id: figures.get(p.id, Figures()) for p in ordered}
    if not any(f.sent for f in measured.values()):
        return Choice(ordered[0].id, note + "no samples yet: the static order (direct first)")
    here = next((p for p in ordered if p.id == current), None)
    if here is None:
        if current is not None:
            note += f"route {current} is no longer registered; "
        here = ordered[0]
    mine = measured[here.id]
    best = _best(ordered, measured)
    theirs = measured[best.id]
    said = f"route {best.id} ({theirs.describe()}) over route {here.id} ({mine.describe()})"
    if _failing(mine):
        # Leaving a route that fails: for the best if it works, else for an untried route,
        # else for the best if it at least fails less.
        untried = next((p for p in ordered if not measured[p.id].sent), None)
        if best.id != here.id and _more_successful(theirs, mine) and not _failing(theirs):
            return Choice(best.id, note + f"{said}: the current route is failing")
        if untried is not None:
            return Choice(
                untried.id,
                note + f"route {here.id} is failing ({mine.describe()}); route {untried.id}"
                " has no samples yet: tried",
            )
        if best.id != here.id and _more_successful(theirs, mine):
            return Choice(best.id, note + f"{said}: the current route is failing")
    elif best.id != here.id and _better(theirs, mine):
        why = "more successful" if _more_successful(theirs, mine) else "as successful, faster"
        return Choice(best.id, note + f"{said}: {why}")
    kept = "kept" if current is not None and here.id == current else "the static order"
    return Choice(here.id, note + f"{kept}: no route is better by the margins")


def _best(ordered: Sequence[Platform], measured: Mapping[int, Figures]) -> Platform:
    """The best measured route: lowest p95 among those within SUCCESS_MARGIN of the highest
    success rate, then the higher rate, then the static order."""
    sampled = [p for p in ordered if measured[p.id].sent]
    top = max(_rate(measured[p.id]) for p in sampled)
    contenders = [p for p in sampled if _rate(measured[p.id]) >= top - SUCCESS_MARGIN]
    return min(
        contenders,
        key=lambda p: (
            _p95(measured[p.id]),
            -_rate(measured[p.id]),
            ordered.index(p),
        ),
    )


def _rate(figures: Figures) -> float:
    return figures.success_rate or 0.0


def _p95(figures: Figures) -> int:
    return figures.p95_ms or 0


def _failing(figures: Figures) -> bool:
    """Failing outright: under FAILING_RATE over at least FAILING_SAMPLES requests."""
    return figures.sent >= FAILING_SAMPLES and _rate(figures) < FAILING_RATE


def _more_successful(theirs: Figures, mine: Figures) -> bool:
    return bool(theirs.sent) and _rate(theirs) >= _rate(mine) + SUCCESS_MARGIN


def _better(theirs: Figures, mine: Figures) -> bool:
    """Whether a route with `theirs` is better than one with `mine` by the margins, both
    having MIN_SAMPLES: more successful by SUCCESS_MARGIN, or as successful (within it) and
    faster by LATENCY_RATIO and LATENCY_MARGIN_MS."""
    if theirs.sent < MIN_SAMPLES or mine.sent < MIN_SAMPLES:
        return False
    if _more_successful(theirs, mine):
        return True
    if abs(_rate(theirs) - _rate(mine)) >= SUCCESS_MARGIN:
        return False
    fast, slow = _p95(theirs), _p95(mine)
    return fast * LATENCY_RATIO <= slow and slow - fast >= LATENCY_MARGIN_MS


def routed(platforms: Iterable[Platform]) -> dict[PartyKey, list[Platform]]:
    """Each party with a registered route, and its routes (static order), by party."""
    found: dict[PartyKey, list[Platform]] = {}
    for platform in platforms:
        if platform.registered:
            for key in dict.fromkeys(party.key for party in platform.parties):
                found.setdefault(key, []).append(platform)
    return {key: routes(hosts, key) for key, hosts in sorted(found.items())}


def multi_routed(platforms: Iterable[Platform]) -> dict[PartyKey, list[Platform]]:
    """Each party with more than one registered route, and those routes (static order): the
    parties route choice is for."""
    return {key: hosts for key, hosts in routed(platforms).items() if len(hosts) > 1}


def remote_parties(platforms: Iterable[Platform]) -> frozenset[PartyKey]:
    """The parties some network hosts as remote parties: what they send came from a network."""
    return frozenset(party.key for p in platforms for party in p.parties if p.is_remote(party))
