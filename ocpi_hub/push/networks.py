"""OCPI_HUB_PEER_NETWORKS enforced on every call the hub makes (issue 7 §5, SSRF).

The rule is core.networks.PeerNetworks; this is where it meets sockets:

- `PeerNetworksResolver` wraps aiohttp's resolver in the hub's one ClientSession: each time a
  name is resolved (at each call, so a DNS change after registration is caught), addresses
  outside the networks are dropped, and when none remains the call fails with
  `OutsidePeerNetworks`, naming the host and what it resolved to.
- aiohttp does not resolve a URL whose host is an IP address, so `PeerClient` checks those
  itself (`check_address`) before any request.
- At registration, `check_url` resolves a party's versions URL and every endpoint and refuses
  them unless each resolves *only* to allowed addresses: a name that mixes allowed and refused
  addresses is a DNS-rebinding set-up, not a peer.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from ocpi_hub.core.networks import PeerNetworks
from ocpi_hub.core.urls import origin

__all__ = ["OutsidePeerNetworks", "PeerNetworksResolver", "check_address"]


class OutsidePeerNetworks(OSError):
    """The hub may not call this host: it is, or resolves to, no address in
    OCPI_HUB_PEER_NETWORKS. An OSError with errno EACCES, so aiohttp reports it as a connection
    failure with the message (its strerror) in brackets."""

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


class PeerNetworksResolver(AbstractResolver):
    """aiohttp's resolver, keeping only the addresses the hub may call."""

    def __init__(self, networks: PeerNetworks, inner: AbstractResolver | None = None) -> None:
        self.networks = networks
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        allowed = [result for result in found if self.networks.allows(result["host"])]
        if not allowed:
            raise _refused(host, [result["host"] for result in found])
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
        addresses = [r["host"] for r in await self.inner.resolve(host, port, socket.AF_UNSPEC)]
        if not addresses or not all(self.networks.allows(a) for a in addresses):
            raise _refused(host, addresses)

    async def close(self) -> None:
        await self.inner.close()
