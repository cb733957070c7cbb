"""OCPI 2.2.1 Token, AuthorizationInfo, LocationReferences ⇄ OCPI 2.1.1 (ocpi-2.1.1-differences.md
§5, §10.3 "Token").

| 2.2.1                              | 2.1.1                         | lost                |
|------------------------------------|-------------------------------|---------------------|
| Token.country_code, party_id       | - (the URL's cc/pid)          | in: from the owner  |
| Token.contract_id                  | Token.auth_id                 |                     |
| Token.type AD_HOC_USER, APP_USER   | Token.type OTHER              | out: approximated   |
| Token.type RFID, OTHER             | Token.type RFID, OTHER        |                     |
| Token.group_id,                    | -                             | out: dropped        |
| default_profile_type,              |                               |                     |
| energy_contract                    |                               |                     |
| Token.last_updated (a fraction)    | Token.last_updated (seconds)  | out: approximated   |
| last_updated of a PATCH            | - (a 2.1.1 PATCH may omit it) | in: guessed         |
| AuthorizationInfo.token            | - (the party asked about it)  | in: the stored one  |
| AuthorizationInfo                  | -                             | out: dropped        |
| .authorization_reference           |                               |                     |
| LocationReferences                 | LocationReferences            |                     |
| -                                  | LocationReferences            | in: dropped         |
|                                    | .connector_ids                |                     |

Uniqueness: a Token is known by uid + type in both versions, but 2.1.1 receiver URLs carry the
uid alone and 2.1.1 has two types: an AD_HOC_USER or APP_USER token becomes OTHER, so two
2.2.1 tokens of one eMSP with the same uid (say APP_USER and OTHER) are one token to a 2.1.1
CPO, the later push overwriting the earlier. 2.1.1 ids are also case-sensitive where 2.2.1's
CiString is not. Detecting such collisions needs the store; these pure functions only say what
they approximated.

Fields neither version defines (a peer's extensions, e.g. Gireve's `authorization_id`) are kept
as they came, both ways: the hub relays what it does not understand (core.model). A 2.2.1-only
field that is null carries nothing and is dropped without a Loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import replace
from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime, parse_datetime
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.errors import InvalidParameters

__all__ = [
    "TOKEN_TYPES_211",
    "TOKEN_TYPE_OUT",
    "authorization_info_in",
    "authorization_info_out",
    "copied",
    "datetime_out",
    "location_references_in",
    "location_references_out",
    "nested",
    "token_in",
    "token_out",
]

MODULE = "tokens"
_OUT, _IN = Direction.OUT, Direction.IN

TOKEN_TYPES_211 = frozenset({"OTHER", "RFID"})
# 2.2.1 TokenType → 2.1.1: the two 2.2.1-only types have no closer 2.1.1 value than OTHER.
TOKEN_TYPE_OUT: Mapping[str, str] = {
    "AD_HOC_USER": "OTHER",
    "APP_USER": "OTHER",
    "OTHER": "OTHER",
    "RFID": "RFID",
}
# 2.2.1 Token fields 2.1.1 has no place for.
_TOKEN_ONLY_221 = ("group_id", "default_profile_type", "energy_contract")
_OWNER_FIELDS = ("country_code", "party_id")

_WHY = {
    "type": "2.1.1 TokenType has only OTHER and RFID",
    "group_id": "2.1.1 Token has no group_id",
    "default_profile_type": "2.1.1 has no smart charging profiles",
    "energy_contract": "2.1.1 Token has no energy_contract",
    "last_updated": "2.1.1 DateTime has no fractional seconds",
    "patch.last_updated": "2.1.1 PATCH may omit last_updated; 2.2.1 requires it: time received",
    "authorization_reference": "2.1.1 AuthorizationInfo has no authorization_reference",
    "connector_ids": "2.2.1 LocationReferences has no connector_ids",
}


def _loss(field: str, way: Direction, lost: Lost, example: object, why: str = "") -> Loss:
    return Loss(MODULE, field, way, lost, str(example), why or _WHY[field.rsplit(".", 1)[-1]])


def copied(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON object as a dict: what a translation returns shares nothing with
    its input."""
    return {key: deepcopy(value) for key, value in obj.items()}


def nested(prefix: str, losses: list[Loss], module: str | None = None) -> list[Loss]:
    """`losses` of an object that sits at `prefix` ("token.") in a larger one, of `module` when
    that object is another module's (a Token in a command)."""
    return [
        replace(loss, field=prefix + loss.field, module=module or loss.module) for loss in losses
    ]


def datetime_out(value: Any) -> tuple[Any, bool]:
    """A 2.2.1 DateTime as 2.1.1 takes it: whole seconds, `Z`; True when a fraction was cut.
    Anything that does not parse as a DateTime is returned unchanged (validation's business)."""
    if not isinstance(value, str) or "." not in value:
        return value, False
    try:
        return format_datetime(parse_datetime(value)), True
    except ValueError:
        return value, False


# --- Token -------------------------------------------------------------------------------------


def token_out(obj: Mapping[str, Any], *, patch: bool = False) -> tuple[dict[str, Any], list[Loss]]:
    """The 2.1.1 Token of a 2.2.1 one; a PATCH body (`patch`) is translated the same way, field
    by field, since every rule here is about one field."""
    out, losses = copied(obj), []
    for name in _OWNER_FIELDS:  # the 2.1.1 URL carries them: no loss
        out.pop(name, None)
    if "contract_id" in out:
        out["auth_id"] = out.pop("contract_id")
    kind = out.get("type")
    if kind is not None and kind not in TOKEN_TYPES_211:
        out["type"] = TOKEN_TYPE_OUT.get(str(kind), "OTHER")
        losses.append(_loss("type", _OUT, Lost.APPROXIMATED, kind))
    for name in _TOKEN_ONLY_221:
        value = out.pop(name, None)
        if value is not None:
            losses.append(_loss(name, _OUT, Lost.DROPPED, value))
    if "last_updated" in out:
        out["last_updated"], cut = datetime_out(out["last_updated"])
        if cut:
            losses.append(_loss("last_updated", _OUT, Lost.APPROXIMATED, obj["last_updated"]))
    return out, losses


def token_in(
    obj: Mapping[str, Any],
    owner: PartyKey,
    *,
    patch: bool = False,
    received_at: str,
) -> tuple[dict[str, Any], list[Loss]]:
    """The 2.2.1 Token (or PATCH body) of a 2.1.1 one pushed by eMSP `owner`. A whole Token gets
    the owner's country_code and party_id; a PATCH gets `last_updated` = `received_at` when it
    has none. 2001 when the body names another owner than the URL."""
    out: dict[str, Any] = copied(obj)
    losses: list[Loss] = []
    for name, value in zip(_OWNER_FIELDS, owner, strict=True):
        sent = out.get(name)
        if sent is not None and str(sent).upper() != value.upper():
            raise InvalidParameters(f"{name}: {sent!r} is not the URL's {value!r}")
        if not patch:
            out[name] = value
    if "auth_id" in out:
        out["contract_id"] = out.pop("auth_id")
    if patch and out.get("last_updated") is None:
        out["last_updated"] = received_at
        losses.append(
            _loss("last_updated", _IN, Lost.GUESSED, received_at, _WHY["patch.last_updated"])
        )
    return out, losses


# --- Real-time authorization -------------------------------------------------------------------


def location_references_out(refs: Mapping[str, Any]) -> tuple[dict[str, Any], list[Loss]]:
    """2.2.1 LocationReferences → 2.1.1: the same shape (2.1.1's connector_ids stay absent)."""
    return copied(refs), []


def location_references_in(refs: Mapping[str, Any]) -> tuple[dict[str, Any], list[Loss]]:
    """2.1.1 LocationReferences → 2.2.1: connector_ids have no place (DROPPED when any)."""
    out = copied(refs)
    connectors = out.pop("connector_ids", None)
    losses = []
    if connectors:
        losses.append(_loss("connector_ids", _IN, Lost.DROPPED, ",".join(map(str, connectors))))
    return out, losses


def authorization_info_out(info: Mapping[str, Any]) -> tuple[dict[str, Any], list[Loss]]:
    """2.2.1 AuthorizationInfo → 2.1.1: without the token (the party asked about it, no loss)
    and without authorization_reference (DROPPED: the edge keeps it for the Session and CDR)."""
    out = copied(info)
    out.pop("token", None)
    losses: list[Loss] = []
    reference = out.pop("authorization_reference", None)
    if reference is not None:
        losses.append(_loss("authorization_reference", _OUT, Lost.DROPPED, reference))
    if isinstance(out.get("location"), Mapping):
        out["location"], more = location_references_out(out["location"])
        losses += more
    return out, losses


def authorization_info_in(
    info: Mapping[str, Any], token: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[Loss]]:
    """2.1.1 AuthorizationInfo → 2.2.1, with `token`, the hub's stored 2.2.1 Token that was
    asked about (2.2.1 requires it, 2.1.1 has no place for it). 2001 when there is none."""
    if token is None:
        raise InvalidParameters("token: the hub holds no Token for this AuthorizationInfo")
    out = copied(info)
    out["token"] = copied(token)
    losses: list[Loss] = []
    if isinstance(out.get("location"), Mapping):
        out["location"], losses = location_references_in(out["location"])
        losses = nested("location.", losses)
    return out, losses
