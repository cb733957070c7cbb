"""OCPI START_SESSION/STOP_SESSION ⇄ OICP AuthorizeRemoteStart/Stop and the Acknowledgement
(dialects.oicp.remote; hub-dialects.md §5.4 "Remote start/stop"): the hub as EMP (our eMSP's
commands to Hubject, the Acknowledgement as CommandResponse and CommandResult), as CPO
(Hubject's commands to our CPO, its answers as the Acknowledgement), and the round trip."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.modules.commands import CommandResponse, CommandResult, StartSession
from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.oicp.remote import (
    RESULT_TIMEOUT,
    acknowledgement_of,
    command_response,
    command_result,
    remote_start,
    remote_stop,
    start_session,
    stop_session,
)
from ocpi_hub.dialects.oicp.status_codes import acknowledgement
from tests import factories
from tests.dialects.oicp.strategies import evco_ids

SID = "b2688855-7f00-0002-6d8e-48d883f6abb6"
EVCO = "DE-EMA-CAet5e4XY-3"
EVSE_ID = "NL*CPO*EEVSE1"
NOW = "2024-03-01T10:00:00Z"


def start(**fields: Any) -> dict[str, Any]:
    """Our eMSP's START_SESSION at LOC1/EVSE1 with an app token whose contract is an EvcoID."""
    token = factories.token(EVCO, type="APP_USER", contract_id=EVCO)
    body = {
        "response_url": "https://emsp.example/commands/1",
        "token": token,
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
    }
    return body | fields


# --- Hub as EMP -------------------------------------------------------------------------------


def test_remote_start_names_the_contract_and_the_evse() -> None:
    """ProviderID, EvseID, RemoteIdentification of the contract; no SessionID (Hubject makes
    it); nothing lost when the uid is the contract and no connector is named."""
    request, losses = remote_start(start(), "DE-EMA", EVSE_ID)
    assert request == {
        "ProviderID": "DE-EMA",
        "EvseID": EVSE_ID,
        "Identification": {"RemoteIdentification": {"EvcoID": EVCO}},
    }
    assert losses == []


def test_remote_start_carries_our_reference_and_says_what_it_drops() -> None:
    """authorization_reference → EMPPartnerSessionID; a connector and a uid of its own are
    DROPPED."""
    body = start(connector_id="2", authorization_reference="REF-1")
    body["token"]["uid"] = "APP-42"
    request, losses = remote_start(body, "DE-EMA", EVSE_ID)
    assert request["EMPPartnerSessionID"] == "REF-1"
    assert [(x.module, x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("commands", "connector_id", Direction.OUT, Lost.DROPPED, "2"),
        ("commands", "token.uid", Direction.OUT, Lost.DROPPED, "APP-42"),
    ]


def test_remote_start_refuses_a_contract_that_is_no_evco_id() -> None:
    """OICP names the customer by EvcoID only: ValueError."""
    body = start()
    body["token"]["contract_id"] = "DE-EMA-C00000001"
    with pytest.raises(ValueError, match="is not an OICP EvcoID"):
        remote_start(body, "DE-EMA", EVSE_ID)


def test_remote_stop() -> None:
    """SessionID (the StopSession's own by default), ProviderID, EvseID."""
    stop = {"response_url": "https://emsp.example/commands/2", "session_id": SID}
    expected = {"SessionID": SID, "ProviderID": "DE-EMA", "EvseID": EVSE_ID}
    assert remote_stop(stop, "DE-EMA", EVSE_ID) == expected
    other = "c2688855-7f00-0002-6d8e-48d883f6abb6"
    assert remote_stop(stop, "DE-EMA", EVSE_ID, other)["SessionID"] == other


def answers(ack: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The CommandResponse and CommandResult, each checked by the hub's model."""
    response, result = command_response(ack), command_result(ack)
    CommandResponse.model_validate(response)
    if result is not None:
        CommandResult.model_validate(result)
    return response, result


def test_a_started_charge_is_accepted_twice() -> None:
    """Result true → CommandResponse ACCEPTED (with the timeout) and CommandResult ACCEPTED."""
    response, result = answers(acknowledgement(True, "000", session_id=SID))
    assert response == {"result": "ACCEPTED", "timeout": RESULT_TIMEOUT}
    assert result == {"result": "ACCEPTED"}


@pytest.mark.parametrize(
    ("code", "result"),
    [
        ("501", "FAILED"),
        ("510", "FAILED"),
        ("601", "EVSE_OCCUPIED"),
        ("602", "EVSE_OCCUPIED"),
        ("700", "EVSE_INOPERATIVE"),
    ],
)
def test_a_charge_point_refusal_is_accepted_then_its_result(code: str, result: str) -> None:
    """The EVSE could not do it: ACCEPTED, then the result it names, the StatusCode as message."""
    response, answer = answers(acknowledgement(False, code, "EVSE says no"))
    assert response["result"] == "ACCEPTED"
    assert answer == {
        "result": result,
        "message": [{"language": "en", "text": f"{code} EVSE says no"}],
    }


@pytest.mark.parametrize(
    ("code", "response"),
    [
        ("603", "REJECTED"),
        ("604", "REJECTED"),
        ("210", "REJECTED"),
        ("310", "REJECTED"),
        ("320", "NOT_SUPPORTED"),
        ("400", "UNKNOWN_SESSION"),
        ("000", "REJECTED"),
    ],
)
def test_a_refusal_before_the_charge_point_has_no_result(code: str, response: str) -> None:
    """Refused before the EVSE (or `Result: false` with 000): the CommandResponse says so and
    no CommandResult follows."""
    sent, result = answers(acknowledgement(False, code))
    assert sent["result"] == response
    assert sent["message"][0]["text"].startswith(code)
    assert result is None


def test_an_acknowledgement_without_status_code_is_a_plain_refusal() -> None:
    """Lenient in: no StatusCode → REJECTED, without a message."""
    assert command_response({"Result": False}) == {"result": "REJECTED", "timeout": RESULT_TIMEOUT}
    assert command_result({"Result": False}) is None


# --- Hub as CPO -------------------------------------------------------------------------------


def hubject_start(**fields: Any) -> dict[str, Any]:
    """Hubject's eRoamingAuthorizeRemoteStart to our CPO."""
    body = {
        "SessionID": SID,
        "ProviderID": "DE-EMA",
        "EvseID": EVSE_ID,
        "Identification": {"RemoteIdentification": {"EvcoID": EVCO}},
    }
    return body | fields


def test_start_session_for_hubjects_remote_start() -> None:
    """A StartSession valid per the hub's model: the token made up from the EvcoID (owner the
    ProviderID), authorization_reference the SessionID, the EVSE the bridge found."""
    command, losses = start_session(
        hubject_start(), "LOC1", "EVSE1", "1", "https://hub.example/r/1", now=NOW
    )
    StartSession.model_validate(command)
    assert command == {
        "response_url": "https://hub.example/r/1",
        "token": {
            "country_code": "DE",
            "party_id": "EMA",
            "uid": EVCO,
            "type": "APP_USER",
            "contract_id": EVCO,
            "issuer": "DE-EMA",
            "valid": True,
            "whitelist": "NEVER",
            "last_updated": NOW,
        },
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "authorization_reference": SID,
    }
    assert {(x.module, x.field, x.lost) for x in losses} == {
        ("commands", "token.issuer", Lost.GUESSED),
        ("commands", "token.whitelist", Lost.GUESSED),
        ("commands", "token.uid", Lost.GUESSED),
    }


def test_start_session_without_connector_drops_the_product() -> None:
    """No connector named: none sent; a PartnerProductID has no OCPI place (DROPPED)."""
    command, losses = start_session(
        hubject_start(PartnerProductID="AC1"), "LOC1", "EVSE1", None, "https://h/r", now=NOW
    )
    assert "connector_id" not in command
    assert ("PartnerProductID", Direction.IN, Lost.DROPPED, "AC1") in {
        (x.field, x.direction, x.lost, x.example) for x in losses
    }


@pytest.mark.parametrize(
    ("removed", "message"),
    [("SessionID", "SessionID: missing"), ("ProviderID", "ProviderID: missing")],
)
def test_start_session_refuses_a_request_without_its_ids(removed: str, message: str) -> None:
    """ValueError naming the field."""
    body = hubject_start()
    del body[removed]
    with pytest.raises(ValueError, match=message):
        start_session(body, "LOC1", "EVSE1", None, "https://h/r", now=NOW)


def test_stop_session() -> None:
    """StopSession of our CPO's session Hubject's SessionID names; no SessionID: ValueError."""
    request = {"SessionID": SID, "ProviderID": "DE-EMA", "EvseID": EVSE_ID}
    assert stop_session(request, "CPO-SESS-1", "https://h/r/2") == {
        "response_url": "https://h/r/2",
        "session_id": "CPO-SESS-1",
    }
    with pytest.raises(ValueError, match="SessionID: missing"):
        stop_session({"ProviderID": "DE-EMA"}, "CPO-SESS-1", "https://h/r/2")


@pytest.mark.parametrize(
    ("answer", "result", "code"),
    [
        ({"result": "ACCEPTED", "timeout": 30}, True, "000"),
        ({"result": "REJECTED", "timeout": 30}, False, "210"),
        ({"result": "NOT_SUPPORTED", "timeout": 0}, False, "320"),
        ({"result": "UNKNOWN_SESSION", "timeout": 0}, False, "400"),
        ({"result": "ACCEPTED"}, True, "000"),
        ({"result": "EVSE_OCCUPIED"}, False, "602"),
        ({"result": "EVSE_INOPERATIVE"}, False, "700"),
        ({"result": "FAILED"}, False, "501"),
        ({"result": "TIMEOUT"}, False, "501"),
        ({"result": "SOMETHING"}, False, "021"),
    ],
)
def test_acknowledgement_of_a_response_or_a_result(
    answer: dict[str, Any], result: bool, code: str
) -> None:
    """Our CPO's CommandResponse or CommandResult → Result and StatusCode for Hubject."""
    sent = acknowledgement_of(answer, SID)
    assert (sent["Result"], sent["StatusCode"]["Code"], sent["SessionID"]) == (result, code, SID)


def test_acknowledgement_of_carries_the_message_and_partner_ids() -> None:
    """The first message as AdditionalInfo; the partner session ids echoed."""
    answer = {"result": "FAILED", "message": [{"language": "en", "text": "cable stuck"}]}
    sent = acknowledgement_of(answer, SID, cpo_partner_session_id="C1", emp_partner_session_id="E1")
    assert sent == {
        "Result": False,
        "StatusCode": {
            "Code": "501",
            "Description": "Communication to EVSE failed.",
            "AdditionalInfo": "cable stuck",
        },
        "SessionID": SID,
        "CPOPartnerSessionID": "C1",
        "EMPPartnerSessionID": "E1",
    }


# --- Round trip -------------------------------------------------------------------------------


@given(contract=evco_ids, connector=st.none() | st.sampled_from(["1", "2"]))
def test_start_session_through_hubject_keeps_contract_and_evse(
    contract: str, connector: str | None
) -> None:
    """Our eMSP's StartSession → RemoteStart → (Hubject adds its SessionID) → our CPO's
    StartSession keeps the token's contract and the EVSE; the CPO's authorization_reference is
    Hubject's SessionID, while the eMSP's own reference travels as EMPPartnerSessionID (and comes
    back in the CDR, see test_cdr)."""
    body = start(authorization_reference="REF-1")
    body["token"] |= {"uid": contract, "contract_id": contract}
    request, _ = remote_start(body, "DE-EMA", EVSE_ID)
    forwarded = request | {"SessionID": SID}
    command, _ = start_session(forwarded, "LOC1", "EVSE1", connector, "https://h/r", now=NOW)
    StartSession.model_validate(command)
    assert command["token"]["contract_id"] == contract
    assert (command["location_id"], command["evse_uid"]) == ("LOC1", "EVSE1")
    assert command["authorization_reference"] == SID
    assert forwarded["EMPPartnerSessionID"] == "REF-1"
