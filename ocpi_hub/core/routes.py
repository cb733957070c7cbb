"""Which connection carries what: routes to a party, and the audience of a broadcast (issue 8).

A party is reached over a *route*: the platform that connects it directly, or a network (another
hub the hub is a member of) whose platform holds it as a remote party. The same party may have
several routes: connected directly and seen through a network, or seen through two networks.

- `routes` orders a party's routes, best first: a direct connection before any network, then
  networks in the order they were connected. (Measured route quality and the operator's
  preference come on top of this order; until then it is the whole rule.)
- `audience` is who a broadcast goes to: each party of the wanted roles on a registered peer
  platform offering the interface, and each registered network offering it **once**, addressed
  to the network's own HUB party: the network distributes to its members, so a change is not
  sent once per remote party.
- `exported` says whether data may go to a platform: what came from a network never goes to a
  network (no loops, no reselling of one network's data to another).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ocpi_hub.core.parties import InterfaceRole, Party, Platform, Role

__all__ = ["audience", "exported", "network_party", "routes"]

PartyKey = tuple[str, str]


def network_party(platform: Platform) -> Party | None:
    """The network's own identity (its HUB role); None for a peer."""
    if not platform.network:
        return None
    return next((party for party in platform.parties if party.role == Role.HUB), None)


def routes(platforms: Iterable[Platform], party: PartyKey) -> list[Platform]:
    """The platforms hosting `party`, best route first: direct connections, then networks,
    each in id order."""
    hosting = [p for p in platforms if any(q.key == party for q in p.parties)]
    return sorted(hosting, key=lambda p: (p.network, p.id))


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


def exported(source: Platform, receiver: Platform) -> bool:
    """Whether data that `source` sent may be delivered to `receiver`: never back to the
    platform it came from, and never from one network to a network."""
    return receiver.id != source.id and not (source.network and receiver.network)


def first_route(candidates: Sequence[Platform], party: PartyKey) -> Platform | None:
    """The best registered route to `party` among `candidates`."""
    return next((p for p in routes(candidates, party) if p.registered), None)
