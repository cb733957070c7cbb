"""OCPI START_SESSION / STOP_SESSION ⇄ OICP 2.3 eRoamingAuthorizeRemoteStart/Stop and the
eRoamingAcknowledgement that answers them (hub-dialects.md §5.4 "Remote start/stop"; OICP 2.3
CPO/EMP "eRoamingAuthorizeRemoteStart_V2.1").

| OCPI StartSession / StopSession | OICP AuthorizeRemoteStart / Stop | lost                        |
|---------------------------------|----------------------------------|-----------------------------|
| token.contract_id               | RemoteIdentification.EvcoID      | out: token.uid; in: made up |
| location_id + evse_uid          | EvseID (the bridge's index)      |                             |
| connector_id                    | -                                | out: OICP starts an EVSE    |
| authorization_reference         | EMPPartnerSessionID out,         |                             |
|                                 | SessionID in                     |                             |
| -                               | PartnerProductID                 | in: OCPI has no product     |
| session_id (StopSession)        | SessionID                        |                             |
| response_url                    | - (answered in the same call)    |                             |

OICP is synchronous, OCPI asynchronous. Hub as EMP (our eMSP starts a charge at a Hubject
operator's EVSE): the one Acknowledgement Hubject returns becomes both of OCPI's answers at once:
`command_response` (sent back on the eMSP's POST) and `command_result` (POSTed to its
response_url right after, or None when the response already refused). `Result: true` is ACCEPTED
and ACCEPTED. A refusal is read through `status_codes.refusal`: a code about the charge point
(501, 510, 601, 602, 700) is ACCEPTED and then the result it names (FAILED, EVSE_OCCUPIED,
EVSE_INOPERATIVE); any other code is the CommandResponse's refusal (REJECTED, NOT_SUPPORTED,
UNKNOWN_SESSION) with no result to follow. The envelope is that row's `error` (2003 for an EVSE
Hubject does not know, 4001-4003 when it could not reach the operator), None: 1000; the
CommandResponse is its data either way. The StatusCode travels as the message.

Hub as CPO (Hubject starts a charge at our CPO's EVSE): `start_session` / `stop_session` build the
OCPI command; `acknowledgement_of` turns the CPO's CommandResponse *or* CommandResult into the
Acknowledgement Hubject waits for (ACCEPTED: `Result: true`, else `status_codes.FROM_COMMAND`).
Answering on the CommandResponse is fast but promises only that the CPO passed the command on;
waiting for the CommandResult, within Hubject's budget (60 s, under 10 s advised), gives Hubject
the charge point's own answer. Either is one call here; the bridge chooses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocpi_hub.core.modules.commands import CommandResponseType, CommandResultType, StartSession
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp import identification, ids, status_codes

__all__ = [
    "RESULT_TIMEOUT",
    "acknowledgement_of",
    "command_response",
    "command_result",
    "remote_start",
    "remote_stop",
    "start_session",
    "stop_session",
]

_MODULE = "commands"
# The CommandResponse's `timeout`: the result is known when the response is sent and follows at
# once, so this only bounds a delivery that fails.
RESULT_TIMEOUT = 30


def _loss(field: str, direction: Direction, lost: Lost, example: object, why: str) -> Loss:
    return Loss(_MODULE, field, direction, lost, str(example), why)


# --- Hub as EMP: our eMSP's commands to a Hubject operator's EVSE -----------------------------


def remote_start(
    start_session: Mapping[str, Any], provider_id: str, evse_id: str
) -> tuple[dict[str, Any], list[Loss]]:
    """eRoamingAuthorizeRemoteStart for our eMSP's START_SESSION at `evse_id` (the EvseID of the
    EVSE it names). Without a SessionID: Hubject makes one (the spec asks EMPs not to send it).
    ValueError when the token's contract_id is not an EvcoID."""
    token = start_session["token"]
    contract_id = str(token["contract_id"])
    request: dict[str, Any] = {
        "ProviderID": provider_id,
        "EvseID": evse_id,
        "Identification": identification.remote(contract_id),
    }
    if start_session.get("authorization_reference"):
        request["EMPPartnerSessionID"] = start_session["authorization_reference"]
    losses = []
    if start_session.get("connector_id"):
        why = "OICP starts an EVSE, not one of its connectors"
        example = start_session["connector_id"]
        losses.append(_loss("connector_id", Direction.OUT, Lost.DROPPED, example, why))
    if ids.normal(str(token["uid"])) != ids.normal(contract_id):
        why = "OICP's remote start names the contract (EvcoID) only"
        losses.append(_loss("token.uid", Direction.OUT, Lost.DROPPED, token["uid"], why))
    return request, losses


def remote_stop(
    stop_session: Mapping[str, Any],
    provider_id: str,
    evse_id: str,
    session_id: str | None = None,
) -> dict[str, Any]:
    """eRoamingAuthorizeRemoteStop of a Hubject session: `session_id` is its Hubject SessionID,
    by default the StopSession's own session_id (the hub names Hubject's sessions by it)."""
    return {
        "SessionID": session_id or str(stop_session["session_id"]),
        "ProviderID": provider_id,
        "EvseID": evse_id,
    }


def command_response(
    acknowledgement: Mapping[str, Any], timeout: int = RESULT_TIMEOUT
) -> dict[str, Any]:
    """The CommandResponse our eMSP gets for Hubject's Acknowledgement (module docstring)."""
    if acknowledgement.get("Result") is True:
        return {"result": CommandResponseType.ACCEPTED.value, "timeout": timeout}
    row = status_codes.refusal(acknowledgement.get("StatusCode"))
    return {"result": row.response.value, "timeout": timeout, **_message(acknowledgement)}


def command_result(acknowledgement: Mapping[str, Any]) -> dict[str, Any] | None:
    """The CommandResult POSTed to our eMSP's response_url for the same Acknowledgement; None
    when the CommandResponse already refused and no result follows."""
    if acknowledgement.get("Result") is True:
        return {"result": CommandResultType.ACCEPTED.value}
    row = status_codes.refusal(acknowledgement.get("StatusCode"))
    if row.result is None:
        return None
    return {"result": row.result.value, **_message(acknowledgement)}


def _message(acknowledgement: Mapping[str, Any]) -> dict[str, Any]:
    text = status_codes.status_text(acknowledgement.get("StatusCode"))
    return {"message": [{"language": "en", "text": text[:512]}]} if text else {}


# --- Hub as CPO: Hubject's commands to our CPO's EVSE ------------------------------------------


def start_session(
    request: Mapping[str, Any],
    location_id: str,
    evse_uid: str,
    connector_id: str | None,
    response_url: str,
    *,
    now: str,
) -> tuple[dict[str, Any], list[Loss]]:
    """The OCPI StartSession for Hubject's eRoamingAuthorizeRemoteStart at our CPO's EVSE
    (`location_id`/`evse_uid`, found by the bridge from the EvseID). The token is made up from
    the Identification (`identification.token`); `authorization_reference` is Hubject's SessionID.
    ValueError naming the field when the request lacks SessionID, ProviderID or an
    Identification, or cannot make a StartSession valid per the hub's model."""
    session_id, provider = request.get("SessionID"), request.get("ProviderID")
    if not isinstance(session_id, str) or not session_id:
        raise ValueError("SessionID: missing (Hubject sends one to the operator)")
    if not isinstance(provider, str):
        raise ValueError("ProviderID: missing")
    ident, losses = identification.read(request.get("Identification"), module=_MODULE)
    owner = ids.provider_party(provider)
    token, made_up = identification.token(
        owner, ident.uid, ident.type, ident.contract_id, now, module=_MODULE
    )
    losses += made_up
    if ident.contract_id is not None:
        why = "OICP gives the contract (EvcoID), not the eMSP's own token uid"
        losses.append(_loss("token.uid", Direction.IN, Lost.GUESSED, ident.uid, why))
    if request.get("PartnerProductID"):
        why = "OCPI's StartSession names no product"
        example = request["PartnerProductID"]
        losses.append(_loss("PartnerProductID", Direction.IN, Lost.DROPPED, example, why))
    command: dict[str, Any] = {
        "response_url": response_url,
        "token": token,
        "location_id": location_id,
        "evse_uid": evse_uid,
        "authorization_reference": session_id,
    }
    if connector_id is not None:
        command["connector_id"] = connector_id
    StartSession.model_validate(command)
    return command, losses


def stop_session(request: Mapping[str, Any], session_id: str, response_url: str) -> dict[str, Any]:
    """The OCPI StopSession for Hubject's eRoamingAuthorizeRemoteStop; `session_id` is our CPO's
    id of the session Hubject's SessionID names. ValueError when the request has no SessionID."""
    if not isinstance(request.get("SessionID"), str) or not request["SessionID"]:
        raise ValueError("SessionID: missing")
    return {"response_url": response_url, "session_id": session_id}


def acknowledgement_of(
    answer: Mapping[str, Any],
    session_id: str | None = None,
    *,
    cpo_partner_session_id: str | None = None,
    emp_partner_session_id: str | None = None,
) -> dict[str, Any]:
    """The Acknowledgement Hubject gets for our CPO's CommandResponse or CommandResult (their
    shared values mean the same; a result OCPI does not define is 021, a system error); its
    first message travels as AdditionalInfo."""
    result = str(answer.get("result"))
    code = status_codes.FROM_COMMAND.get(result, "021")
    messages = answer.get("message")
    first = messages[0] if isinstance(messages, list) and messages else None
    text = first.get("text", "") if isinstance(first, Mapping) else ""
    return status_codes.acknowledgement(
        code == status_codes.SUCCESS,
        code,
        session_id=session_id,
        cpo_partner_session_id=cpo_partner_session_id,
        emp_partner_session_id=emp_partner_session_id,
        additional_info=str(text),
    )
