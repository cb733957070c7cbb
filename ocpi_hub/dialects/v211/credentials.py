"""OCPI 2.2.1 Credentials and version details ⇄ OCPI 2.1.1 (ocpi-2.1.1-differences.md §1.7, §2,
§10.3 "Credentials").

| 2.2.1                              | 2.1.1                          | lost                |
|------------------------------------|--------------------------------|---------------------|
| token, url                         | token, url                     |                     |
| roles[] {role, business_details,   | business_details, party_id,    | out: other roles;   |
| party_id, country_code}            | country_code (one, top level)  | in: role guessed    |
| Endpoint {identifier, role, url}   | Endpoint {identifier, url}     | by the table below  |

A 2.1.1 connection is one party in one role, and its version details list one side of each
module, without roles (§1.7). Which side, as 2.2.1 InterfaceRoles:

| module                              | a CPO's ("CPO interface") | an eMSP's ("eMSP interface") |
|-------------------------------------|---------------------------|------------------------------|
| locations, tariffs, sessions, cdrs  | SENDER                    | RECEIVER                     |
| tokens                              | RECEIVER                  | SENDER                       |
| commands                            | RECEIVER                  | SENDER (the result callback) |
| credentials                         | SENDER                    | SENDER                       |

The hub shows a 2.1.1 peer the other side: a CPO peer gets the hub's eMSP interface, an eMSP
peer its CPO interface (`endpoints_out`). Modules 2.1.1 does not define (hubclientinfo,
chargingprofiles, custom ones) are left out both ways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from typing import Any

from ocpi_hub.core.parties import InterfaceRole, Role
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.errors import InvalidParameters

__all__ = [
    "INTERFACES_211",
    "credentials_in",
    "credentials_out",
    "endpoints_in",
    "endpoints_out",
]

MODULE = "credentials"
_S, _R = InterfaceRole.SENDER.value, InterfaceRole.RECEIVER.value
_PARTY_FIELDS = ("business_details", "party_id", "country_code")

# The interface a 2.1.1 party of each role publishes, module → 2.2.1 InterfaceRole (§1.7).
INTERFACES_211: Mapping[Role, Mapping[str, str]] = {
    Role.CPO: {
        "credentials": _S,
        "locations": _S,
        "tariffs": _S,
        "sessions": _S,
        "cdrs": _S,
        "tokens": _R,
        "commands": _R,
    },
    Role.EMSP: {
        "credentials": _S,
        "locations": _R,
        "tariffs": _R,
        "sessions": _R,
        "cdrs": _R,
        "tokens": _S,
        "commands": _S,
    },
}
# The role whose interface the hub shows a 2.1.1 peer of each role.
_OPPOSITE = {Role.CPO: Role.EMSP, Role.EMSP: Role.CPO}


def _role(role: Role | str) -> Role:
    """A 2.1.1 party's role: CPO or EMSP, the only two 2.1.1 knows (ValueError otherwise)."""
    value = Role(role)
    if value not in _OPPOSITE:
        raise ValueError(f"a 2.1.1 party is a CPO or an EMSP, not {value}")
    return value


# --- Credentials -------------------------------------------------------------------------------


def credentials_out(
    credentials: Mapping[str, Any], role: Role | str | None = None
) -> tuple[dict[str, Any], list[Loss]]:
    """2.2.1 Credentials as 2.1.1's: the CredentialsRole of `role` (the first one when None)
    becomes the top-level party; the other roles are DROPPED. 2001 when no role fits."""
    out = deepcopy(dict(credentials))
    roles = [r for r in out.pop("roles", None) or [] if isinstance(r, Mapping)]
    wanted = None if role is None else Role(role).value
    chosen = next((r for r in roles if wanted is None or r.get("role") == wanted), None)
    if chosen is None:
        raise InvalidParameters(f"roles: no {wanted or 'role'} to present in 2.1.1 credentials")
    for name in _PARTY_FIELDS:
        out[name] = chosen.get(name)
    losses = [
        Loss(
            MODULE,
            "roles[]",
            Direction.OUT,
            Lost.DROPPED,
            f"{r.get('role')} {r.get('country_code')}*{r.get('party_id')}",
            "2.1.1 credentials hold one party in one role",
        )
        for r in roles
        if r is not chosen
    ]
    return out, losses


def credentials_in(
    credentials: Mapping[str, Any], role: Role | str
) -> tuple[dict[str, Any], list[Loss]]:
    """2.1.1 Credentials as 2.2.1's: one CredentialsRole of the top-level party, in `role` (the
    role the party was invited in: GUESSED, 2.1.1 credentials carry none). 2001 when the party
    is incomplete."""
    out = deepcopy(dict(credentials))
    missing = [name for name in _PARTY_FIELDS if out.get(name) is None]
    if missing:
        raise InvalidParameters(f"{missing[0]}: required in 2.1.1 credentials")
    value = Role(role).value
    party = {name: out.pop(name) for name in _PARTY_FIELDS}
    out["roles"] = [{"role": value, **party}]
    why = "2.1.1 credentials carry no role: the role the party was invited in"
    return out, [Loss(MODULE, "roles[].role", Direction.IN, Lost.GUESSED, value, why)]


# --- Version details ---------------------------------------------------------------------------


def endpoints_out(
    endpoints: Sequence[Mapping[str, Any]], peer_role: Role | str
) -> list[dict[str, Any]]:
    """The hub's 2.2.1 endpoints as the 2.1.1 version details a peer in `peer_role` needs: the
    interface of the opposite role, one endpoint per module (the first that fits), in the
    order given, without roles."""
    wanted = INTERFACES_211[_OPPOSITE[_role(peer_role)]]
    out: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        identifier = str(endpoint.get("identifier"))
        if identifier not in wanted or identifier in out:
            continue
        if identifier == "credentials" or endpoint.get("role") == wanted[identifier]:
            out[identifier] = {"identifier": identifier, "url": endpoint.get("url")}
    return list(out.values())


def endpoints_in(
    endpoints: Sequence[Mapping[str, Any]], peer_role: Role | str
) -> list[dict[str, Any]]:
    """A 2.1.1 party's endpoints as 2.2.1 ones, each with the role its interface gives it (the
    party is in `peer_role`); identifiers 2.1.1 does not define are left out."""
    roles = INTERFACES_211[_role(peer_role)]
    return [
        {"identifier": e["identifier"], "role": roles[e["identifier"]], "url": e.get("url")}
        for e in endpoints
        if e.get("identifier") in roles
    ]
