"""OICP 2.3 Identification ⇄ the OCPI token (uid, type, contract_id), the part authorization,
remote start/stop and CDRs share (OICP 2.3 CPO/EMP "IdentificationType"; hub-dialects.md §5.4).

| OICP Identification                | OCPI token                  | lost                          |
|------------------------------------|-----------------------------|-------------------------------|
| RFIDMifareFamilyIdentification.UID | uid (upper case), type RFID | in: contract_id (none)        |
| RFIDIdentification{UID, EvcoID}    | uid, RFID, contract_id      | in: RFID, PrintedNumber, ...  |
| QRCodeIdentification{EvcoID, PIN}  | uid = contract_id, APP_USER | in: the PIN (OCPI has none)   |
| PlugAndChargeIdentification.EvcoID | uid = contract_id, OTHER    |                               |
| RemoteIdentification.EvcoID        | uid = contract_id, APP_USER | (remote start/stop only)      |

Written (`of_token`): RFID → RFIDMifareFamilyIdentification, the spec's variant for
authorization, the UID upper-cased (Hubject does) and refused unless it is 8, 14 or 20 hex
digits; OTHER → PlugAndChargeIdentification; APP_USER → PlugAndChargeIdentification too,
approximated: the only EvcoID variant without a PIN an AuthorizeStart may carry. The EvcoID is
the contract_id, else the uid, and must be one. AD_HOC_USER has no OICP form. A remote
start/stop carries RemoteIdentification only (`remote`).
Read (`read`): the first variant present, in the spec's order (Hubject's own examples
fill all five at once).

OICP never sends a Token, and OCPI requires a complete one in an AuthorizationInfo or a
StartSession: `token` makes it up (owner, uid and type as the caller read them; contract_id the
EvcoID, else the uid; issuer the owner's ProviderID; valid; whitelist NEVER, the hub vouches for
nothing), each made-up field a GUESSED Loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ocpi_hub.core.modules.tokens import TokenType
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp import ids

__all__ = [
    "IDENTIFICATIONS",
    "Identified",
    "evco_id",
    "of_token",
    "read",
    "remote",
    "token",
    "uid",
]

# The variants in the spec's order, each with the OCPI TokenType it reads as.
IDENTIFICATIONS: Mapping[str, TokenType] = {
    "RFIDMifareFamilyIdentification": TokenType.RFID,
    "RFIDIdentification": TokenType.RFID,
    "QRCodeIdentification": TokenType.APP_USER,
    "PlugAndChargeIdentification": TokenType.OTHER,
    "RemoteIdentification": TokenType.APP_USER,
}
_UID = "0123456789ABCDEF"
# The fields of a variant an OCPI token cannot hold (RFIDIdentification's, QRCodeIdentification's).
_UNPLACED = ("RFID", "PrintedNumber", "ExpiryDate", "PIN", "HashedPIN")


@dataclass(frozen=True)
class Identified:
    """What an OICP Identification says of the token, in OCPI's words."""

    kind: str  # the variant: "RFIDMifareFamilyIdentification", ...
    uid: str  # the RFID UID, or the EvcoID
    type: TokenType
    contract_id: str | None  # the EvcoID, when the variant names one


def uid(value: str) -> str | None:
    """`value` upper-cased when it is an OICP RFID UID (8, 14 or 20 hex digits), else None."""
    upper = value.upper()
    fits = len(upper) in (8, 14, 20) and all(c in _UID for c in upper)
    return upper if fits else None


def evco_id(value: object) -> str | None:
    """`value` when it is an OICP EvcoID (ISO or DIN), else None."""
    if not isinstance(value, str):
        return None
    try:
        ids.evco_provider(value)
    except ValueError:
        return None
    return value


def read(identification: object, *, module: str = "tokens") -> tuple[Identified, list[Loss]]:
    """Read an Identification, and the Losses (of `module`) of what the OCPI token has no place
    for: an RFID card's details, a QR code's PIN (never shown). ValueError when it holds no
    variant the spec defines."""
    if isinstance(identification, Mapping):
        for kind, token_type in IDENTIFICATIONS.items():
            variant = identification.get(kind)
            if isinstance(variant, Mapping):
                return _variant(kind, token_type, variant), _unplaced(variant, module)
    raise ValueError(f"Identification: none of {', '.join(IDENTIFICATIONS)}")


def _variant(kind: str, token_type: TokenType, variant: Mapping[str, Any]) -> Identified:
    evco = evco_id(variant.get("EvcoID"))
    if token_type is TokenType.RFID:
        card = variant.get("UID")
        if not isinstance(card, str) or not card:
            raise ValueError(f"Identification.{kind}.UID: missing")
        return Identified(kind, card.upper(), token_type, evco)
    if evco is None:
        raise ValueError(f"Identification.{kind}.EvcoID: not an EvcoID")
    return Identified(kind, evco, token_type, evco)


def _unplaced(variant: Mapping[str, Any], module: str) -> list[Loss]:
    why = "the OCPI token has no place for it"
    return [
        Loss(
            module,
            name,
            Direction.IN,
            Lost.DROPPED,
            "(a PIN)" if "PIN" in name else str(value),
            why,
        )
        for name, value in variant.items()
        if name in _UNPLACED and value
    ]


def of_token(
    token_uid: str, token_type: str, contract_id: str | None = None, *, module: str = "tokens"
) -> tuple[dict[str, Any], list[Loss]]:
    """The Identification of an OCPI token (module docstring); ValueError when it has none.
    `module` names the OCPI object the token was in, for the Loss."""
    if token_type == TokenType.RFID:
        card = uid(token_uid)
        if card is None:
            raise ValueError(f"uid {token_uid!r}: an OICP UID is 8, 14 or 20 hexadecimal digits")
        return {"RFIDMifareFamilyIdentification": {"UID": card}}, []
    if token_type not in (TokenType.APP_USER, TokenType.OTHER):
        raise ValueError(f"type {token_type}: OICP has no identification for it")
    evco = evco_id(contract_id) or evco_id(token_uid)
    if evco is None:
        raise ValueError(f"token {token_uid!r}: neither its contract_id nor its uid is an EvcoID")
    losses = []
    if token_type == TokenType.APP_USER:
        why = "OICP's only EvcoID identification without a PIN is Plug&Charge"
        losses.append(Loss(module, "type", Direction.OUT, Lost.APPROXIMATED, token_type, why))
    return {"PlugAndChargeIdentification": {"EvcoID": evco}}, losses


def remote(contract_id: str) -> dict[str, Any]:
    """The Identification of a remote start/stop: the contract id as EvcoID, the only variant
    the spec allows there; ValueError when it is not an EvcoID."""
    if evco_id(contract_id) is None:
        raise ValueError(f"contract_id {contract_id!r} is not an OICP EvcoID")
    return {"RemoteIdentification": {"EvcoID": contract_id}}


def token(
    owner: PartyKey,
    token_uid: str,
    token_type: str,
    contract_id: str | None,
    now: str,
    *,
    valid: bool = True,
    module: str = "tokens",
) -> tuple[dict[str, Any], list[Loss]]:
    """The complete OCPI Token made up from what OICP gives (module docstring); `contract_id`
    None: the uid stands in. Each made-up field is a GUESSED Loss of `module`, the OCPI object
    the token goes in (an AuthorizationInfo: tokens; a StartSession: commands)."""
    why = "OICP identifies a token, it does not describe it"
    issuer = ids.provider_id(owner)
    losses = [
        Loss(module, "token.issuer", Direction.IN, Lost.GUESSED, issuer, why),
        Loss(module, "token.whitelist", Direction.IN, Lost.GUESSED, "NEVER", why),
    ]
    if contract_id is None:
        contract_id = token_uid
        losses.append(Loss(module, "token.contract_id", Direction.IN, Lost.GUESSED, token_uid, why))
    body = {
        "country_code": owner[0],
        "party_id": owner[1],
        "uid": token_uid,
        "type": str(token_type),
        "contract_id": contract_id,
        "issuer": issuer,
        "valid": valid,
        "whitelist": "NEVER",
        "last_updated": now,
    }
    return body, losses
