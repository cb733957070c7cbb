"""What the hub needs to know about a module whose objects it stores (Locations, Tariffs,
Tokens, Sessions, CDRs): who owns them, how they are identified, who may see them.

Data, not code: the web layer's generic receiver and sender read these descriptions, so a
module is added by describing it, not by copying a handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ocpi_hub.core.model import OcpiModel
from ocpi_hub.core.parties import ModuleID, Role
from ocpi_hub.core.routing import PartyKey

TOKEN_TYPE_DEFAULT = "RFID"  # the `type` a Tokens URL means when it names none (mod_tokens)


@dataclass(frozen=True)
class ObjectModule:
    """A module of client-owned objects as the hub stores and routes them."""

    module: ModuleID
    owner_role: Role
    model: type[OcpiModel]
    id_field: str = "id"
    # Tokens: an object is (uid, type); the URL carries the type as `?type=`, default RFID.
    typed: bool = False
    # Sessions and CDRs: personal data, seen only by the owner and the party it is meant for.
    personal: bool = False
    # For personal data: the party an object is meant for, read from its content.
    addressee: Callable[[Mapping[str, Any]], PartyKey | None] | None = None
    # CDRs: created once, by a POST to the module's URL, and never changed.
    immutable: bool = False
    # CDRs: each one stored is booked in the settlement ledger (core.ledger), in the same
    # transaction.
    booked: bool = False

    def kind(self, query: Mapping[str, str]) -> str:
        """The `kind` part of an object's identity: a Token's type, else empty."""
        return query.get("type", TOKEN_TYPE_DEFAULT) if self.typed else ""


def token_owner(data: Mapping[str, Any]) -> PartyKey | None:
    """The eMSP owning a Session's or CDR's token: `cdr_token.country_code/party_id` (2.2.1)."""
    token = data.get("cdr_token")
    if not isinstance(token, Mapping):
        return None
    country_code, party_id = token.get("country_code"), token.get("party_id")
    if not isinstance(country_code, str) or not isinstance(party_id, str):
        return None
    return (country_code.upper(), party_id.upper())


def credited(cdr: Mapping[str, Any]) -> str | None:
    """The id of the CDR a credit CDR corrects (its deliveries go behind that CDR's); None for
    any other CDR."""
    reference = cdr.get("credit_reference_id") if cdr.get("credit") else None
    return str(reference) if reference else None
