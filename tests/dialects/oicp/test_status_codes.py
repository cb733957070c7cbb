"""OICP StatusCode ⇄ OCPI (dialects.oicp.status_codes; hub-dialects.md §5.5): every row of the
tables, the lenient reading of Hubject's codes and the StatusCode/Acknowledgement writers."""

from __future__ import annotations

import pytest

from ocpi_hub.core.modules.commands import CommandResponseType, CommandResultType
from ocpi_hub.core.modules.tokens import AllowedType
from ocpi_hub.dialects.oicp.identification import IDENTIFICATIONS
from ocpi_hub.dialects.oicp.status_codes import (
    FROM_ALLOWED,
    FROM_COMMAND,
    MEANINGS,
    OUTCOMES,
    UNKNOWN_TOKEN,
    UNLISTED,
    acknowledgement,
    code_of_status,
    outcome,
    refusal,
    status_code,
    status_text,
)
from ocpi_hub.errors import (
    ClientApiUnusable,
    ForwardTimeout,
    InvalidParameters,
    ReceiverNotConnected,
    ServerError,
    UnknownCommandLocation,
    UnknownReceiver,
    UnknownToken,
)

# OICP 2.3 CodeType, every code the spec lists (CPO and EMP "Data Types").
SPEC_CODES = (
    "000", "001", "002", "009", "017", "018", "019", "021", "022", "101", "102", "103", "105",
    "106", "110", "120", "121", "122", "200", "210", "300", "310", "320", "400", "501", "510",
    "601", "602", "603", "604", "700",
)  # fmt: skip
SID = "b2688855-7f00-0002-6d8e-48d883f6abb6"


def test_every_spec_code_has_a_row_and_a_meaning() -> None:
    """The tables cover exactly the CodeType list of OICP 2.3."""
    assert sorted(OUTCOMES) == sorted(MEANINGS) == sorted(SPEC_CODES)
    assert all(OUTCOMES[code].meaning == MEANINGS[code] for code in SPEC_CODES)


def test_success_is_allowed_and_accepted_twice() -> None:
    """000: 1000, ALLOWED, CommandResponse ACCEPTED then CommandResult ACCEPTED."""
    row = OUTCOMES["000"]
    assert (row.error, row.allowed, row.response, row.result) == (
        None,
        AllowedType.ALLOWED,
        CommandResponseType.ACCEPTED,
        CommandResultType.ACCEPTED,
    )


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("001", ServerError),
        ("002", ServerError),
        ("009", ServerError),
        ("021", ServerError),
        ("017", ClientApiUnusable),
        ("022", InvalidParameters),
        ("018", UnknownCommandLocation),
        ("603", UnknownCommandLocation),
        ("102", UnknownToken),
        ("105", UnknownToken),
        ("120", UnknownToken),
        ("300", UnknownReceiver),
        ("310", ForwardTimeout),
        ("320", ReceiverNotConnected),
    ],
)
def test_codes_of_a_failed_request_carry_their_envelope(code: str, error: type) -> None:
    """Hubject's own errors are 3000, our certificate refused 3001, a data error 2001, an EVSE it
    does not know 2003, a token no one knows 2004, the partner not found/silent/without the
    service 4001/4002/4003; none of them is a success or a result that follows."""
    row = OUTCOMES[code]
    assert row.error is error
    assert row.result is None
    assert row.allowed is AllowedType.NOT_ALLOWED


def test_the_unknown_evse_answer_is_2003_with_http_200() -> None:
    """2003 for a command to an EVSE Hubject does not know, HTTP 200 (checklist §4.6: with a
    REJECTED CommandResponse as data)."""
    row = OUTCOMES["603"]
    assert row.error is not None
    assert (row.error.status_code, row.error.http_status) == (2003, 200)
    assert row.response is CommandResponseType.REJECTED


def test_locked_is_blocked() -> None:
    """200 EvcoID locked: AuthorizationInfo BLOCKED (the one refusal OICP tells apart)."""
    assert OUTCOMES["200"].allowed is AllowedType.BLOCKED
    assert OUTCOMES["200"].error is None


@pytest.mark.parametrize("code", ["019", "101", "103", "106", "110", "121", "122", "210"])
def test_other_refusals_are_not_allowed_answers(code: str) -> None:
    """Refusals that are answers (1000), not failures: NOT_ALLOWED; a command is REJECTED."""
    row = OUTCOMES[code]
    assert (row.error, row.allowed, row.response, row.result) == (
        None,
        AllowedType.NOT_ALLOWED,
        CommandResponseType.REJECTED,
        None,
    )


@pytest.mark.parametrize(
    ("code", "result"),
    [
        ("501", CommandResultType.FAILED),
        ("510", CommandResultType.FAILED),
        ("601", CommandResultType.EVSE_OCCUPIED),
        ("602", CommandResultType.EVSE_OCCUPIED),
        ("700", CommandResultType.EVSE_INOPERATIVE),
    ],
)
def test_charge_point_codes_are_accepted_then_their_result(
    code: str, result: CommandResultType
) -> None:
    """The operator took the command and the EVSE could not do it: ACCEPTED, then the result."""
    row = OUTCOMES[code]
    assert (row.error, row.response, row.result) == (None, CommandResponseType.ACCEPTED, result)


def test_invalid_session_is_unknown_session() -> None:
    """400: CommandResponse UNKNOWN_SESSION (a remote stop of a session Hubject does not know)."""
    assert OUTCOMES["400"].response is CommandResponseType.UNKNOWN_SESSION
    assert OUTCOMES["400"].result is None


def test_service_not_available_is_not_supported() -> None:
    """320: the operator offers no remote start: NOT_SUPPORTED."""
    assert OUTCOMES["320"].response is CommandResponseType.NOT_SUPPORTED


def test_not_hubject_compatible_is_rejected_with_1000() -> None:
    """604 (our choice, not §5.5's 2003): the EVSE exists, it takes no remote commands."""
    assert (OUTCOMES["604"].error, OUTCOMES["604"].response) == (None, CommandResponseType.REJECTED)


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("102", "102"),
        ({"Code": "602", "Description": "in use"}, "602"),
        (602, "602"),
        (17, "017"),
    ],
)
def test_outcome_reads_a_code_or_a_status_code_object(sent: object, code: str) -> None:
    """The row is found from the code, the StatusCode object, or a code sent as a number."""
    assert outcome(sent) is OUTCOMES[code]


@pytest.mark.parametrize("sent", [None, "999", {"Description": "no code"}, True, [], "17"])
def test_outcome_of_an_unlisted_or_missing_code_is_a_plain_refusal(sent: object) -> None:
    """A code outside the table (or none) reads as UNLISTED: NOT_ALLOWED, REJECTED, no error."""
    row = outcome(sent)
    assert row is UNLISTED
    assert (row.error, row.allowed, row.response, row.result) == (
        None,
        AllowedType.NOT_ALLOWED,
        CommandResponseType.REJECTED,
        None,
    )


def test_a_refusal_with_the_success_code_is_unlisted() -> None:
    """`Result: false` (or NotAuthorized) with 000 is a plain refusal, never a success."""
    assert refusal("000") is UNLISTED
    assert refusal({"Code": "602"}) is OUTCOMES["602"]


@pytest.mark.parametrize(
    ("allowed", "code"),
    [
        (AllowedType.ALLOWED, "000"),
        (AllowedType.BLOCKED, "200"),
        (AllowedType.NOT_ALLOWED, "210"),
        (AllowedType.EXPIRED, "210"),
        (AllowedType.NO_CREDIT, "210"),
    ],
)
def test_from_allowed(allowed: AllowedType, code: str) -> None:
    """AuthorizationInfo.allowed → the code the hub answers Hubject with."""
    assert FROM_ALLOWED[allowed] == code


def test_from_allowed_and_back_keeps_the_lossless_rows() -> None:
    """ALLOWED, BLOCKED and NOT_ALLOWED come back as they went; EXPIRED and NO_CREDIT come back
    NOT_ALLOWED (approximated, see the authorization tests)."""
    for allowed in AllowedType:
        back = outcome(FROM_ALLOWED[allowed]).allowed
        lossy = allowed in (AllowedType.EXPIRED, AllowedType.NO_CREDIT)
        assert back == (AllowedType.NOT_ALLOWED if lossy else allowed)


def test_unknown_token_code_for_every_identification() -> None:
    """A token that is not ours: 102 for an RFID UID, 101 for a QR code, 105 for an EvcoID;
    each such code reads back as NOT_ALLOWED."""
    assert set(UNKNOWN_TOKEN) == set(IDENTIFICATIONS)
    assert UNKNOWN_TOKEN["RFIDMifareFamilyIdentification"] == "102"
    assert UNKNOWN_TOKEN["QRCodeIdentification"] == "101"
    assert UNKNOWN_TOKEN["PlugAndChargeIdentification"] == "105"
    assert all(outcome(code).allowed is AllowedType.NOT_ALLOWED for code in UNKNOWN_TOKEN.values())


@pytest.mark.parametrize(
    ("result", "code"),
    [
        ("ACCEPTED", "000"),
        ("REJECTED", "210"),
        ("NOT_SUPPORTED", "320"),
        ("UNKNOWN_SESSION", "400"),
        ("EVSE_OCCUPIED", "602"),
        ("EVSE_INOPERATIVE", "700"),
        ("FAILED", "501"),
        ("TIMEOUT", "501"),
        ("CANCELED_RESERVATION", "400"),
        ("UNKNOWN_RESERVATION", "400"),
    ],
)
def test_from_command(result: str, code: str) -> None:
    """CommandResponse and CommandResult values → the code of the Acknowledgement."""
    assert FROM_COMMAND[result] == code


def test_from_command_covers_both_enums() -> None:
    """Every CommandResponseType and CommandResultType value has a code."""
    values = {x.value for x in CommandResponseType} | {x.value for x in CommandResultType}
    assert set(FROM_COMMAND) == values


def test_command_codes_read_back_as_the_same_answer() -> None:
    """A CPO's answer told to Hubject and read by the EMP side gives the eMSP the same answer,
    for every value OICP can tell apart."""
    for result in CommandResultType:
        row = outcome(FROM_COMMAND[result.value])
        if result in (CommandResultType.ACCEPTED, CommandResultType.EVSE_OCCUPIED,
                      CommandResultType.EVSE_INOPERATIVE, CommandResultType.FAILED):  # fmt: skip
            assert row.result is result
    for response in (CommandResponseType.NOT_SUPPORTED, CommandResponseType.UNKNOWN_SESSION):
        assert outcome(FROM_COMMAND[response.value]).response is response


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (1000, "000"),
        (2000, "022"),
        (2001, "022"),
        (2002, "022"),
        (2003, "603"),
        (2004, "102"),
        (3000, "021"),
        (3001, "021"),
        (4000, "021"),
        (4001, "300"),
        (4002, "310"),
        (4003, "320"),
    ],
)
def test_code_of_status(status: int, code: str) -> None:
    """An OCPI envelope that is not an answer → the code of the Acknowledgement."""
    assert code_of_status(status) == code


@pytest.mark.parametrize("status", [2003, 2004, 4001, 4002, 4003])
def test_code_of_status_mirrors_the_envelopes(status: int) -> None:
    """The OCPI error the hub answers for a code comes back as that code's envelope."""
    error = outcome(code_of_status(status)).error
    assert error is not None and error.status_code == status


def test_status_code_defaults_to_the_spec_meaning_and_cuts_to_length() -> None:
    """Description defaults to the code's meaning; Description ≤ 200, AdditionalInfo ≤ 1000."""
    assert status_code("603") == {"Code": "603", "Description": "Unknown EVSE ID."}
    long = status_code("022", "d" * 300, "a" * 2000)
    assert (len(long["Description"]), len(long["AdditionalInfo"])) == (200, 1000)


def test_status_code_refuses_a_code_the_spec_does_not_list() -> None:
    """The hub sends only codes OICP defines."""
    with pytest.raises(ValueError, match=r"'999' is not an OICP 2\.3 status code"):
        status_code("999")


def test_acknowledgement_echoes_the_session_ids_given() -> None:
    """Result, StatusCode and only the session ids given."""
    assert acknowledgement(True, "000") == {
        "Result": True,
        "StatusCode": {"Code": "000", "Description": "Success."},
    }
    body = acknowledgement(
        False, "501", "EVSE offline", SID, cpo_partner_session_id="C1", emp_partner_session_id="E1"
    )
    assert body == {
        "Result": False,
        "StatusCode": {"Code": "501", "Description": "EVSE offline"},
        "SessionID": SID,
        "CPOPartnerSessionID": "C1",
        "EMPPartnerSessionID": "E1",
    }


def test_status_text() -> None:
    """A StatusCode as one line for an OCPI message; nothing for what is not one."""
    status = {"Code": "102", "Description": "invalid UID", "AdditionalInfo": "card 1"}
    assert status_text(status) == "102 invalid UID card 1"
    assert status_text({"Code": "102"}) == "102"
    assert status_text(None) == status_text("102") == ""
