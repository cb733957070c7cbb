"""OCPI 2.2.1 Tokens module objects (checklist §4.5) and the hub's rule for answering a real-time
authorization on an eMSP's behalf.

A Token is known by (uid, type) within its eMSP; the URL carries the type as `?type=`, RFID when
absent (`core.objects.TOKEN_TYPE_DEFAULT`). `TokenType` is defined with the Locations models,
which need it first (PublishTokenType), and re-exported here.

The fallback rule (`answer_on_behalf`) is data-driven by the token's whitelist, as the spec
describes it for a CPO (§4.5): ALWAYS and ALLOWED let the CPO decide without asking, and
ALLOWED_OFFLINE allows when the eMSP cannot be reached, so for those three the hub, standing in
for the unreachable eMSP, answers from the token it stores. NEVER means the eMSP must be asked:
no answer from it is no authorization, and the hub reports its own error (4002/4003/4000).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import auto
from typing import Any

from pydantic import StrictBool

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.modules.locations import DisplayText, TokenType
from ocpi_hub.core.objects import TOKEN_TYPE_DEFAULT
from ocpi_hub.core.types import CiString2, CiString3, CiString36, DateTime, String2, String64
from ocpi_hub.errors import InvalidParameters

__all__ = [
    "FALLBACK_WHITELISTS",
    "AllowedType",
    "AuthorizationInfo",
    "EnergyContract",
    "LocationReferences",
    "ProfileType",
    "Token",
    "TokenType",
    "WhitelistType",
    "answer_on_behalf",
    "refused_for_credit",
    "token_type",
]

# --- Enums -------------------------------------------------------------------------------------


class WhitelistType(OcpiEnum):
    ALWAYS = auto()  # the CPO never needs to ask
    ALLOWED = auto()  # the CPO may ask, or decide by itself
    ALLOWED_OFFLINE = auto()  # the CPO asks, and may allow when the eMSP cannot be reached
    NEVER = auto()  # the CPO must ask


class AllowedType(OcpiEnum):
    ALLOWED = auto()
    BLOCKED = auto()
    EXPIRED = auto()
    NO_CREDIT = auto()
    NOT_ALLOWED = auto()


class ProfileType(OcpiEnum):
    CHEAP = auto()
    FAST = auto()
    GREEN = auto()
    REGULAR = auto()


# --- Objects -----------------------------------------------------------------------------------


class EnergyContract(OcpiModel):
    supplier_name: String64
    contract_id: String64 | None = None


class Token(OcpiModel):
    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36
    visual_number: String64 | None = None
    issuer: String64
    group_id: CiString36 | None = None
    valid: StrictBool
    whitelist: WhitelistType
    language: String2 | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: DateTime


class LocationReferences(OcpiModel):
    location_id: CiString36
    evse_uids: list[CiString36] | None = None


class AuthorizationInfo(OcpiModel):
    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString36 | None = None  # must reappear in the Session and CDR
    info: DisplayText | None = None


# --- Rules -------------------------------------------------------------------------------------

# Whitelists under which a CPO may authorize without the eMSP's answer (see the module docstring).
FALLBACK_WHITELISTS = frozenset(
    {WhitelistType.ALWAYS, WhitelistType.ALLOWED, WhitelistType.ALLOWED_OFFLINE}
)

ON_BEHALF_ALERT_TEXT = (
    "The eMSP could not be asked in time; the hub refused on its behalf: the token has an open"
    " fraud alert ({code})."
)
ON_BEHALF_TEXT = (
    "The eMSP could not be asked in time; the hub answered on its behalf from the token's"
    " whitelist ({whitelist})."
)


def token_type(query: Mapping[str, str]) -> str:
    """The TokenType a Tokens URL names with `?type=` (RFID when absent); 2001 when not one."""
    value = query.get("type", TOKEN_TYPE_DEFAULT)
    if value not in TokenType.__members__:
        raise InvalidParameters(f"type: {value!r} is not a TokenType")
    return value


def answer_on_behalf(
    token: Mapping[str, Any], location: Mapping[str, Any] | None, alert: str | None = None
) -> dict[str, Any] | None:
    """The AuthorizationInfo the hub gives for an eMSP that did not answer, or None when the
    token's whitelist requires the eMSP's own answer (NEVER, or a whitelist we do not know).

    The stored token is returned complete, as the spec requires of AuthorizationInfo; an invalid
    token is BLOCKED, a valid one ALLOWED — unless an open high-severity fraud alert (`alert`,
    its code) is about it: then NOT_ALLOWED, saying why (issue 9 §6). The hub cannot narrow the
    EVSEs the way the eMSP would, so the LocationReferences asked about are echoed as they came.
    """
    whitelist = token.get("whitelist")
    if whitelist not in {w.value for w in FALLBACK_WHITELISTS}:
        return None
    info: dict[str, Any] = {
        "allowed": (
            AllowedType.ALLOWED if token.get("valid") is True else AllowedType.BLOCKED
        ).value,
        "token": dict(token),
        "info": {"language": "en", "text": ON_BEHALF_TEXT.format(whitelist=whitelist)},
    }
    if alert is not None and info["allowed"] == AllowedType.ALLOWED.value:
        info["allowed"] = AllowedType.NOT_ALLOWED.value
        info["info"]["text"] = ON_BEHALF_ALERT_TEXT.format(code=alert)
    if location is not None:
        info["location"] = dict(location)
    return info


CREDIT_SUSPENDED_TEXT = "The hub refused without asking the eMSP: the eMSP's {why}."


def refused_for_credit(
    token: Mapping[str, Any] | None,
    key: tuple[str, str, str, str],
    location: Mapping[str, Any] | None,
    why: str,
    now: str,
) -> dict[str, Any]:
    """The AuthorizationInfo the hub gives, without asking, for a token of an eMSP whose credit
    is suspended (issue 9 §7): NOT_ALLOWED, `info` saying why. The stored token is returned;
    one the hub does not hold (asked with OCPI-to) is described by what the request says of it
    (`key`: country_code, party_id, uid, type), its contract id its uid, the eMSP its issuer,
    and a whitelist of NEVER: the hub vouches for nothing about it."""
    if token is None:
        country_code, party_id, uid, kind = key
        token = {
            "country_code": country_code,
            "party_id": party_id,
            "uid": uid,
            "type": kind,
            "contract_id": uid,
            "issuer": f"{country_code}*{party_id}",
            "valid": True,
            "whitelist": WhitelistType.NEVER.value,
            "last_updated": now,
        }
    info: dict[str, Any] = {
        "allowed": AllowedType.NOT_ALLOWED.value,
        "token": dict(token),
        "info": {"language": "en", "text": CREDIT_SUSPENDED_TEXT.format(why=why)},
    }
    if location is not None:
        info["location"] = dict(location)
    return info
