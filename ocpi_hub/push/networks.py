"""OCPI_HUB_PEER_NETWORKS enforced on every call the hub makes (issue 7 §5, SSRF).

The rule is core.networks.PeerNetworks; this is where it meets sockets:

- `PeerNetworksResolver.resolve` is the resolver of the hub's `HttpClient`: each time a
  connection is opened (so a DNS change after registration is caught), addresses outside the
  networks are dropped, and when none remains the call fails with `OutsidePeerNetworks`, naming
  the host and what it resolved to. An IP address in a URL is judged the same way.
- At registration, `check_url` resolves a party's versions URL and every endpoint and refuses
  them unless each resolves *only* to allowed addresses: a name that mixes allowed and refused
  addresses is a DNS-rebinding set-up, not a peer.
"""

from __future__ import annotations

import errno
import ipaddress

from ocpi_hub.core.networks import PeerNetworks
from ocpi_hub.core.urls import origin
from ocpi_hub.push.http import Resolve, system_names

__all__ = ["OutsidePeerNetworks", "PeerNetworksResolver", "check_address"]


class OutsidePeerNetworks(OSError):
    """The hub may not call this host: it is, or resolves to, no address in
    OCPI_HUB_PEER_NETWORKS. An OSError with errno EACCES: a connection failure, whose message
    names the host."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)

    def __str__(self) -> str:
        return str(self.strerror)


def _refused(host: str, addresses: list[str]) -> OutsidePeerNetworks:
    resolved = f" (resolves to {', '.join(addresses)})" if addresses != [host] else ""
    return OutsidePeerNetworks(f"{host}{resolved} is outside OCPI_HUB_PEER_NETWORKS")


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_address(host: str, networks: PeerNetworks) -> None:
    """OutsidePeerNetworks when `host` is an IP address the hub may not call; names pass (the
    resolver judges what they resolve to)."""
    if is_ip_address(host) and not networks.allows(host):
        raise _refused(host, [host])


class PeerNetworksResolver:
    """Names to addresses (`names`: the system resolver unless given), keeping only the
    addresses the hub may call."""

    def __init__(self, networks: PeerNetworks, names: Resolve | None = None) -> None:
        self.networks = networks
        self.names = names or system_names

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host` inside the networks; OutsidePeerNetworks when none is."""
        if is_ip_address(host):
            check_address(host, self.networks)
            return [host]
        found = await self.names(host, port)
        allowed = [address for address in found if self.networks.allows(address)]
        if not allowed:
            raise _refused(host, found)
        return allowed

    async def check_url(self, url: str) -> None:
        """OutsidePeerNetworks unless `url` is an absolute http(s) URL whose host is, or
        resolves only to, addresses the hub may call (what registration requires)."""
        found = origin(url)
        if found is None:
            raise OutsidePeerNetworks(f"{url!r} is not an absolute http(s) URL the hub can call")
        _, host, port = found
        if is_ip_address(host):
            check_address(host, self.networks)
            return
        addresses = await self.names(host, port)
        if not addresses or not all(self.networks.allows(a) for a in addresses):
            raise _refused(host, addresses)
