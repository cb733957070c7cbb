"""Which addresses the hub may call, sans I/O: `OCPI_HUB_PEER_NETWORKS`.

Every URL the hub calls came from a party: its versions URL and endpoints (at registration), the
`response_url` of its commands and profile requests. A party could point them at the hub's own
host (a loopback admin port), at a cloud metadata service (169.254.169.254) or at the operator's
private network, and the hub would call there with a party's token (server-side request forgery).
So every address a peer's name resolves to is checked against this setting, at registration and
at each call (DNS can change between the two).

The setting is a comma-separated list of CIDRs; one prefixed with `!` is excluded. An address
is allowed when some listed network holds it and no excluded one does. The default allows every
address except link-local (169.254.0.0/16, fe80::/10), multicast (224.0.0.0/4, ff00::/8) and
the unspecified ones (0.0.0.0/8, "this host" to Linux; ::/128). Loopback and private networks
stay allowed by default, since a hub and its parties on one machine or one private network are
common; operators on the public internet narrow it, for instance by appending
`!127.0.0.0/8,!::1/128,!10.0.0.0/8,!172.16.0.0/12,!192.168.0.0/16,!fc00::/7` to the default,
or by listing only the networks their parties are in.

An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as the IPv4 address it reaches.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["DEFAULT_PEER_NETWORKS", "IPAddress", "IPNetwork", "PeerNetworks"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PEER_NETWORKS = (
    "0.0.0.0/0,::/0,"
    "!169.254.0.0/16,!fe80::/10,"  # link-local (cloud metadata services live here)
    "!224.0.0.0/4,!ff00::/8,"  # multicast
    "!0.0.0.0/8,!::/128"  # unspecified
)


@dataclass(frozen=True)
class PeerNetworks:
    """The networks the hub may call, and those excluded from them."""

    allowed: tuple[IPNetwork, ...]
    excluded: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> PeerNetworks:
        """From the setting's text; ValueError naming the entry that is not a CIDR."""
        allowed: list[IPNetwork] = []
        excluded: list[IPNetwork] = []
        for raw in text.split(","):
            entry = raw.strip()
            if not entry:
                continue
            target, cidr = (
                (excluded, entry[1:].strip()) if entry.startswith("!") else (allowed, entry)
            )
            try:
                target.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"OCPI_HUB_PEER_NETWORKS: {entry!r} is not a CIDR ({exc})"
                ) from exc
        if not allowed:
            raise ValueError("OCPI_HUB_PEER_NETWORKS names no network to allow")
        return cls(tuple(allowed), tuple(excluded))

    @classmethod
    def default(cls) -> PeerNetworks:
        return cls.parse(DEFAULT_PEER_NETWORKS)

    def allows(self, address: str | IPAddress) -> bool:
        """Whether the hub may call `address` (an IP address, not a name); False for text that
        is not an IP address."""
        try:
            ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.allowed) and not any(
            ip in net for net in self.excluded
        )

    def __str__(self) -> str:
        return ",".join([str(n) for n in self.allowed] + [f"!{n}" for n in self.excluded])
