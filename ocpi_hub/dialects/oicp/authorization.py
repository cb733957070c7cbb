"""OCPI real-time authorization ⇄ OICP 2.3 eRoamingAuthorizeStart/Stop, eRoamingAuthorizationStart/
Stop and eRoamingPushAuthenticationData (hub-dialects.md §5.4 "Authorization"; OICP 2.3 CPO/EMP
"eRoamingAuthorization", "eRoamingAuthenticationData"). Tokens are told as Identifications by
`identification`.

| OCPI                              | OICP                              | lost                     |
|-----------------------------------|-----------------------------------|--------------------------|
| POST tokens/{uid}/authorize?type= | AuthorizeStart.Identification     | (`identification`)       |
| LocationReferences                | EvseID                            | out: not one EVSE        |
| AuthorizationInfo.allowed         | AuthorizationStatus + StatusCode  | out: EXPIRED, NO_CREDIT  |
| authorization_reference           | SessionID in,                     |                          |
|                                   |   EMPPartnerSessionID out         |                          |
| token (complete)                  | ProviderID, EvcoID                | in: made up (guessed)    |
| info                              | StatusCode Description,           |                          |
|                                   |   AdditionalInfo                  |                          |
| -                                 | AuthorizationStopIdentifications, | in: dropped              |
|                                   |   EMPPartnerSessionID             |                          |
| -                                 | PIN, PartnerProductID             | in: dropped              |

Hub as CPO (a local CPO's token that is not ours): `authorize_start` → eRoamingAuthorizeStart
with the EvseID of the one EVSE asked about (several or none: no EvseID, a Loss).
`authorization_info` ← eRoamingAuthorizationStart: `allowed` from AuthorizationStatus
(Authorized → ALLOWED) and, when refused, the row of its StatusCode (`authorization_outcome`;
whether the envelope is 1000 or, for a token no one knows, 2004, is that row's `error`);
`authorization_reference` = Hubject's SessionID; `info` = the StatusCode when refused. The Token
is made up (`identification.token`): its owner from the ProviderID, else from an EvcoID, else
the network's own party; its contract_id the EvcoID (of the token or of an
AuthorizationStopIdentification), else the uid; valid unless locked. OCPI has no stop
authorization: the hub sends `authorize_stop` when the session ends and only reads whether
Hubject agreed (`authorization_outcome`).

Hub as EMP (Hubject asks for our eMSP's token): `token_query` reads AuthorizeStart/Stop into a
`TokenQuery`. `authorization_start_answer` ← our eMSP's AuthorizationInfo, or None for a token
that is not ours (NotAuthorized, `status_codes.UNKNOWN_TOKEN` of the identification): ALLOWED →
Authorized 000, a refusal → NotAuthorized with `status_codes.FROM_ALLOWED`; the eMSP's
`authorization_reference` travels as EMPPartnerSessionID (the CDR brings it back, `cdr`) and its
`info` as AdditionalInfo. `authorization_stop_answer` answers from the hub's session state.
`authentication_data`: eRoamingPushAuthenticationData of the tokens Hubject may authorize offline:
`valid` and a whitelist that lets a CPO decide without asking (ALWAYS, ALLOWED, ALLOWED_OFFLINE:
`tokens.FALLBACK_WHITELISTS`); NEVER and invalid tokens are left out, so Hubject asks us. Only
the identification is sent (Hubject matches on it); a token without one is a Loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ocpi_hub.core.modules.tokens import (
    FALLBACK_WHITELISTS,
    AllowedType,
    AuthorizationInfo,
    TokenType,
)
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp import identification, ids, status_codes

__all__ = [
    "ACTION_TYPES",
    "TokenQuery",
    "authentication_data",
    "authorization_info",
    "authorization_outcome",
    "authorization_start_answer",
    "authorization_stop_answer",
    "authorize_start",
    "authorize_stop",
    "token_query",
]

_MODULE = "tokens"
ACTION_TYPES = ("fullLoad", "update", "insert", "delete")


def _loss(field: str, direction: Direction, lost: Lost, example: object, why: str) -> Loss:
    return Loss(_MODULE, field, direction, lost, str(example), why)


# --- Hub as CPO: AuthorizeStart/Stop to Hubject -----------------------------------------------


def authorize_start(
    token_uid: str,
    token_type: str,
    location_references: Mapping[str, Any] | None,
    operator_id: str,
    evse_id: str | None,
    session_id: str | None = None,
    cpo_partner_session_id: str | None = None,
) -> tuple[dict[str, Any], list[Loss]]:
    """eRoamingAuthorizeStart for a local CPO's real-time authorization; `evse_id` is the OICP
    EvseID of the one EVSE `location_references` names (None when it names several or none).
    ValueError when the token has no OICP identification."""
    ident, losses = identification.of_token(token_uid, token_type)
    request: dict[str, Any] = {"OperatorID": operator_id, "Identification": ident}
    _put(request, EvseID=evse_id, SessionID=session_id, CPOPartnerSessionID=cpo_partner_session_id)
    if location_references and evse_id is None:
        why = "AuthorizeStart names one EVSE or none"
        example = location_references.get("evse_uids") or location_references.get("location_id")
        losses.append(_loss("evse_uids", Direction.OUT, Lost.DROPPED, example, why))
    return request, losses


def authorization_info(
    answer: Mapping[str, Any],
    token_uid: str,
    token_type: str,
    *,
    network: PartyKey,
    now: str,
    location_references: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[Loss]]:
    """The AuthorizationInfo for Hubject's eRoamingAuthorizationStart (module docstring), valid
    per the hub's model; `network` is the party the hub shows for Hubject, the token's owner when
    nothing names one. ValueError when the answer has no AuthorizationStatus or cannot make a
    valid AuthorizationInfo."""
    authorized, row = authorization_outcome(answer)
    allowed = AllowedType.ALLOWED if authorized else row.allowed
    losses: list[Loss] = []
    contract = identification.evco_id(token_uid) if token_type != TokenType.RFID else None
    contract = contract or _evco_id(answer.get("AuthorizationStopIdentifications"))
    owner = _owner(answer.get("ProviderID"), contract)
    if owner is None:
        owner = network
        why = "Hubject named no provider for the token"
        losses.append(_loss("token.party_id", Direction.IN, Lost.GUESSED, "*".join(owner), why))
    valid = allowed != AllowedType.BLOCKED
    token, made_up = identification.token(owner, token_uid, token_type, contract, now, valid=valid)
    info: dict[str, Any] = {"allowed": allowed.value, "token": token}
    if location_references is not None:
        info["location"] = dict(location_references)
    if isinstance(answer.get("SessionID"), str):
        info["authorization_reference"] = answer["SessionID"]
    text = status_codes.status_text(answer.get("StatusCode"))
    if not authorized and text:
        info["info"] = {"language": "en", "text": text[:512]}
    for name in ("AuthorizationStopIdentifications", "EMPPartnerSessionID"):
        if answer.get(name):
            why = "OCPI's AuthorizationInfo has no place for it"
            losses.append(_loss(name, Direction.IN, Lost.DROPPED, answer[name], why))
    AuthorizationInfo.model_validate(info)
    return info, losses + made_up


def authorize_stop(
    session_id: str,
    operator_id: str,
    identification: Mapping[str, Any],
    evse_id: str | None = None,
    cpo_partner_session_id: str | None = None,
) -> dict[str, Any]:
    """eRoamingAuthorizeStop of a session Hubject authorized (its SessionID), with the
    Identification it was started with."""
    request: dict[str, Any] = {
        "SessionID": session_id,
        "OperatorID": operator_id,
        "Identification": dict(identification),
    }
    _put(request, EvseID=evse_id, CPOPartnerSessionID=cpo_partner_session_id)
    return request


def authorization_outcome(answer: Mapping[str, Any]) -> tuple[bool, status_codes.Outcome]:
    """Whether Hubject's eRoamingAuthorizationStart or Stop authorized, and the row of its
    StatusCode (`status_codes.refusal` when it did not); ValueError without an
    AuthorizationStatus."""
    status = answer.get("AuthorizationStatus")
    if status not in ("Authorized", "NotAuthorized"):
        raise ValueError(f"AuthorizationStatus: {status!r} is neither Authorized nor NotAuthorized")
    if status == "Authorized":
        return True, status_codes.outcome(answer.get("StatusCode"))
    return False, status_codes.refusal(answer.get("StatusCode"))


def _owner(provider_id: object, contract_id: str | None) -> PartyKey | None:
    """The directly connected provider Hubject names, else the contract's."""
    if isinstance(provider_id, str):
        try:
            return ids.provider_party(provider_id)
        except ValueError:
            pass
    return ids.evco_provider(contract_id) if contract_id else None


def _evco_id(identifications: object) -> str | None:
    """The first EvcoID among AuthorizationStopIdentifications."""
    for item in identifications if isinstance(identifications, list) else []:
        try:
            contract = identification.read(item)[0].contract_id
        except ValueError:
            continue
        if contract:
            return contract
    return None


def _put(body: dict[str, Any], **fields: str | None) -> None:
    """Optional OICP fields: set when given."""
    body.update({name: value for name, value in fields.items() if value is not None})


# --- Hub as EMP: Hubject asks for our eMSP's token --------------------------------------------


@dataclass(frozen=True)
class TokenQuery:
    """An eRoamingAuthorizeStart (or Stop) for a token, in what the OCPI side needs."""

    uid: str
    type: TokenType
    contract_id: str | None  # the EvcoID, when the identification names one
    kind: str  # the Identification variant: the code for a token that is not ours
    identification: Mapping[str, Any]  # as Hubject sent it
    operator_id: str
    evse_id: str | None  # for the LocationReferences of the OCPI request
    session_id: str | None
    cpo_partner_session_id: str | None
    emp_partner_session_id: str | None


def token_query(request: Mapping[str, Any]) -> tuple[TokenQuery, list[Loss]]:
    """Read Hubject's eRoamingAuthorizeStart or eRoamingAuthorizeStop; ValueError naming the
    field when it is not one (no OperatorID, no usable Identification)."""
    operator_id = request.get("OperatorID")
    if not isinstance(operator_id, str) or not operator_id:
        raise ValueError("OperatorID: missing")
    raw = request.get("Identification")
    ident, losses = identification.read(raw)  # a PIN is lost: the eMSP decides on the contract
    assert isinstance(raw, Mapping)  # read() refuses anything else

    def text(name: str) -> str | None:
        value = request.get(name)
        return value if isinstance(value, str) and value else None

    if product := text("PartnerProductID"):
        why = "OCPI's authorization request names no product"
        losses.append(_loss("PartnerProductID", Direction.IN, Lost.DROPPED, product, why))
    query = TokenQuery(
        uid=ident.uid,
        type=ident.type,
        contract_id=ident.contract_id,
        kind=ident.kind,
        identification=raw,
        operator_id=operator_id,
        evse_id=text("EvseID"),
        session_id=text("SessionID"),
        cpo_partner_session_id=text("CPOPartnerSessionID"),
        emp_partner_session_id=text("EMPPartnerSessionID"),
    )
    return query, losses


def authorization_start_answer(
    info: Mapping[str, Any] | None, query: TokenQuery, provider_id: str
) -> tuple[dict[str, Any], list[Loss]]:
    """The eRoamingAuthorizationStart the hub answers Hubject with, for our eMSP's
    AuthorizationInfo (None: the token is not one of ours)."""
    if info is None:
        return _answer(status_codes.UNKNOWN_TOKEN[query.kind], query, provider_id), []
    losses = []
    allowed = AllowedType(info["allowed"])
    if allowed in (AllowedType.EXPIRED, AllowedType.NO_CREDIT):
        why = "OICP tells one refusal for EXPIRED, NO_CREDIT and NOT_ALLOWED"
        losses.append(_loss("allowed", Direction.OUT, Lost.APPROXIMATED, allowed, why))
    text = info.get("info")
    additional = str(text.get("text", "")) if isinstance(text, Mapping) else ""
    answer = _answer(status_codes.FROM_ALLOWED[allowed], query, provider_id, additional)
    _put(answer, EMPPartnerSessionID=info.get("authorization_reference"))
    return answer, losses


def authorization_stop_answer(
    authorized: bool, query: TokenQuery, provider_id: str
) -> dict[str, Any]:
    """The eRoamingAuthorizationStop the hub answers Hubject with: OCPI has no stop
    authorization, so the hub decides (`authorized`: the session is our eMSP's); a refusal is
    400 (Session is invalid)."""
    return _answer("000" if authorized else "400", query, provider_id)


def _answer(code: str, query: TokenQuery, provider_id: str, additional: str = "") -> dict[str, Any]:
    answer: dict[str, Any] = {
        "AuthorizationStatus": "Authorized" if code == status_codes.SUCCESS else "NotAuthorized",
        "StatusCode": status_codes.status_code(code, additional_info=additional),
        "ProviderID": provider_id,
    }
    _put(answer, SessionID=query.session_id, CPOPartnerSessionID=query.cpo_partner_session_id)
    return answer


def authentication_data(
    tokens: Iterable[Mapping[str, Any]], provider_id: str, action: str = "fullLoad"
) -> tuple[dict[str, Any], list[Loss]]:
    """eRoamingPushAuthenticationData of the eMSP's tokens Hubject may authorize offline
    (module docstring: valid, with an ALWAYS, ALLOWED or ALLOWED_OFFLINE whitelist)."""
    if action not in ACTION_TYPES:
        raise ValueError(f"ActionType {action!r} is not one of {', '.join(ACTION_TYPES)}")
    offline = {w.value for w in FALLBACK_WHITELISTS}
    records: list[dict[str, Any]] = []
    losses: list[Loss] = []
    for item in tokens:
        if item.get("valid") is not True or item.get("whitelist") not in offline:
            continue
        try:
            ident, approximated = identification.of_token(
                str(item["uid"]), str(item["type"]), item.get("contract_id")
            )
        except ValueError as exc:
            losses.append(_loss("uid", Direction.OUT, Lost.DROPPED, item["uid"], str(exc)))
            continue
        records.append({"Identification": ident})
        losses.extend(approximated)
    data = {"ProviderID": provider_id, "AuthenticationDataRecord": records}
    return {"ActionType": action, "ProviderAuthenticationData": data}, losses
