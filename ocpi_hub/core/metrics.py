"""What the hub's Prometheus series are labelled with (issue 12), sans I/O.

Every label value must come from a bounded set, or a hub with thousands of parties (or a peer
sending nonsense) would create series without end:
- a party label is the party (`CC*PID`) while fewer than OCPI_HUB_METRICS_PARTIES distinct
  parties have been labelled in this process, and `other` beyond (`party_label`): the first
  parties seen keep their own series, every later one shares one;
- a route name becomes (module, interface) (`route_labels`), from the hub's own route names;
- an authorization outcome is an AllowedType, or `other` for anything a peer made up.
"""

from __future__ import annotations

from collections.abc import Set

from ocpi_hub.core.modules.tokens import AllowedType
from ocpi_hub.core.parties import InterfaceRole

__all__ = ["NONE", "OTHER", "allowed_label", "party_label", "route_labels"]

OTHER = "other"  # a party past the cap, an outcome no enum has
NONE = "none"  # no party: an unauthenticated request, a route that matched nothing

_ALLOWED = frozenset(a.value for a in AllowedType)


def party_label(party: str, labelled: Set[str], cap: int) -> str:
    """The label of `party` given the parties `labelled` so far in this process: the party
    itself if it has one already or there is room for one more under `cap`, else `other`.
    The caller adds a returned party to `labelled`."""
    if party in labelled or len(labelled) < cap:
        return party
    return OTHER


def route_labels(name: str) -> tuple[str, str]:
    """(module, interface) of a route name (`<module>:<interface>_<what>`, as web/ names
    them): "locations:receiver_put" → ("locations", "RECEIVER"); a 2.1.1 route
    ("tariffs:v211:receiver_patch") the same; "tokens:authorize" → ("tokens", "SENDER"), the
    eMSP's Tokens Sender answers it; configuration routes ("config:credentials_post") →
    ("credentials", ""), ("versions", ""); anything else → (its prefix or "none", "")."""
    module, _, rest = name.partition(":")
    what = rest.rsplit(":", 1)[-1]
    if module == "config":
        return ("credentials" if what.startswith("credentials") else "versions", "")
    if not module:
        return (NONE, "")
    for interface in InterfaceRole:
        if what.startswith(interface.value.lower()):
            return module, interface.value
    if what == "authorize":
        return module, InterfaceRole.SENDER.value
    return module, ""


def allowed_label(allowed: str) -> str:
    """An authorization's outcome as a label: its AllowedType, or `other`."""
    return allowed if allowed in _ALLOWED else OTHER
