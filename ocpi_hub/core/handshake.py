"""The credentials handshake, sans I/O: tokens, version choice, endpoint and role checks.

Token A → B → C (checklist §3.3). The I/O halves live in web/credentials.py (the hub as server)
and push/connect.py (the hub as initiator); every decision they take is made here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from ocpi_hub.core.parties import (
    Credentials,
    CredentialsRole,
    ModuleID,
    Party,
    Role,
    Version,
    VersionDetails,
)
from ocpi_hub.errors import InvalidParameters, MissingEndpoints, UnsupportedVersion

OCPI_VERSION = "2.2.1"

# What a party must offer before the hub accepts it. Credentials for every role: without it the
# hub could not rotate or end the connection. Kept as data so later modules extend it in one place.
REQUIRED_MODULES: dict[Role, frozenset[str]] = {
    role: frozenset({ModuleID.CREDENTIALS.value}) for role in Role
}


def new_token() -> str:
    """A fresh credentials token: 43 URL-safe characters, well inside string(64).

    Never one that starts with `-`: operators paste tokens after `--token` on a command line,
    where a leading dash reads as an option."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def hash_token(token: str) -> bytes:
    """How an issued token is stored: SHA-256, never in clear (DESIGN.md decision 5)."""
    return hashlib.sha256(token.encode()).digest()


def authorization_header(token: str) -> str:
    """`Token <Base64 of the token's UTF-8 bytes>`, as OCPI 2.2.1 requires of a client."""
    return "Token " + base64.b64encode(token.encode()).decode()


# A token as credentials.asciidoc allows it: printable ASCII, no whitespace.
_PRINTABLE_TOKEN = re.compile(r"[!-~]+")


def token_candidates(header: str | None) -> list[str]:
    """The tokens an Authorization header may carry: Base64-decoded first, then raw.

    2.2.1 says Base64; many 2.1.1/2.2 peers send the token raw (checklist §1.1). Both are tried;
    a raw token that happens to be valid Base64 of something else simply fails its first lookup.
    """
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    candidates = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if _PRINTABLE_TOKEN.fullmatch(decoded):
        candidates.append(decoded)
    candidates.append(value)
    return candidates


def pick_version(versions: Iterable[Version], wanted: Sequence[str] = (OCPI_VERSION,)) -> Version:
    """The first version of `wanted` (best first) the peer offers; 3002 when it offers none."""
    offered = {version.version: version for version in versions}
    for number in wanted:
        if number in offered:
            return offered[number]
    raise UnsupportedVersion(f"the peer offers no OCPI {' or '.join(wanted)}")


def check_endpoints(details: VersionDetails, roles: Iterable[Role]) -> None:
    """3003 when the peer lacks a module the hub needs for one of its roles."""
    offered = {endpoint.identifier for endpoint in details.endpoints}
    needed: set[str] = set()
    for role in roles:
        needed |= REQUIRED_MODULES[role]
    missing = sorted(needed - offered)
    if missing:
        raise MissingEndpoints(f"required endpoints missing: {', '.join(missing)}")


def parties_of(roles: Iterable[CredentialsRole]) -> set[Party]:
    """The parties a credentials object presents; 2001 when one appears twice."""
    parties: set[Party] = set()
    for entry in roles:
        party = Party.of(entry.country_code, entry.party_id, entry.role)
        if party in parties:
            raise InvalidParameters(f"roles: {party} is listed twice")
        parties.add(party)
    return parties


def check_invited(presented: set[Party], invited: set[Party]) -> None:
    """The identity the hub invited must be exactly the one that registers (2001 otherwise).
    An invited network (a HUB) must present its HUB identity; the other roles it presents are
    the remote parties it hosts (issue 8)."""
    network = any(party.role == Role.HUB for party in invited)
    accepted = invited <= presented if network else presented == invited
    if not accepted:
        wanted = ", ".join(sorted(map(str, invited))) or "nothing"
        got = ", ".join(sorted(map(str, presented)))
        raise InvalidParameters(f"roles: invited {wanted}, presented {got}")


def hub_credentials(
    token: str,
    versions_url: str,
    country_code: str,
    party_id: str,
    name: str,
    parties: Iterable[tuple[Party, dict[str, Any]]] = (),
) -> Credentials:
    """The hub's own credentials object: its HUB role (checklist §3.1), then, towards a
    network, each local party it serves there with its business details, as a platform hosting
    many parties presents them (issue 8)."""
    hub = {"role": Role.HUB.value, "business_details": {"name": name}}
    roles = [{**hub, "party_id": party_id, "country_code": country_code}]
    roles += [
        {
            "role": party.role.value,
            "business_details": details or {"name": str(party)},
            "party_id": party.party_id,
            "country_code": party.country_code,
        }
        for party, details in parties
    ]
    return Credentials.model_validate({"token": token, "url": versions_url, "roles": roles})
