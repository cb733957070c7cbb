"""OCPI real-time authorization ⇄ OICP AuthorizeStart/Stop and PushAuthenticationData
(dialects.oicp.authorization; hub-dialects.md §5.4 "Authorization"): the hub as CPO (asking
Hubject), as EMP (answering Hubject), the Losses, and both halves meeting."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.modules.tokens import AllowedType, AuthorizationInfo, TokenType
from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.oicp.authorization import (
    TokenQuery,
    authentication_data,
    authorization_info,
    authorization_outcome,
    authorization_start_answer,
    authorization_stop_answer,
    authorize_start,
    authorize_stop,
    token_query,
)
from tests import factories

SID = "b2688855-7f00-0002-6d8e-48d883f6abb6"
EVCO = "DE-8EO-CAet5e4XY-3"
NOW = "2024-03-01T10:00:00Z"
NETWORK = ("DE", "HBS")
RFID = {"RFIDMifareFamilyIdentification": {"UID": "04A1B2C3"}}


def answer(status: str = "Authorized", code: str = "000", **fields: Any) -> dict[str, Any]:
    """An eRoamingAuthorizationStart as Hubject sends it."""
    body = {"AuthorizationStatus": status, "StatusCode": {"Code": code}}
    if status == "Authorized":
        body |= {"SessionID": SID, "ProviderID": "DE-8EO"}
    return body | fields


def info_of(sent: dict[str, Any], uid: str = "04A1B2C3", kind: str = "RFID", **kw: Any) -> Any:
    """The AuthorizationInfo (checked by the hub's model) and the Losses."""
    info, losses = authorization_info(sent, uid, kind, network=NETWORK, now=NOW, **kw)
    AuthorizationInfo.model_validate(info)
    return info, losses


# --- Hub as CPO -------------------------------------------------------------------------------


def test_authorize_start_for_an_rfid_card_at_one_evse() -> None:
    """OperatorID, the UID upper-cased, the EVSE asked about and the CPO's session id."""
    request, losses = authorize_start(
        "04a1b2c3",
        "RFID",
        {"location_id": "LOC1", "evse_uids": ["EVSE1"]},
        "NL*CPO",
        "NL*CPO*EEVSE1",
        cpo_partner_session_id="SESS1",
    )
    assert request == {
        "OperatorID": "NL*CPO",
        "Identification": RFID,
        "EvseID": "NL*CPO*EEVSE1",
        "CPOPartnerSessionID": "SESS1",
    }
    assert losses == []


def test_authorize_start_without_one_evse_drops_the_evses() -> None:
    """Several EVSEs (or a Location only): no EvseID, a DROPPED Loss of evse_uids."""
    refs = {"location_id": "LOC1", "evse_uids": ["EVSE1", "EVSE2"]}
    request, losses = authorize_start("04A1B2C3", "RFID", refs, "NL*CPO", None, session_id=SID)
    assert request == {"OperatorID": "NL*CPO", "Identification": RFID, "SessionID": SID}
    assert [(x.field, x.direction, x.lost) for x in losses] == [
        ("evse_uids", Direction.OUT, Lost.DROPPED)
    ]


def test_authorize_start_for_a_contract_token() -> None:
    """An APP_USER whose uid is an EvcoID goes as Plug&Charge (approximated)."""
    request, losses = authorize_start(EVCO, "APP_USER", None, "NL*CPO", None)
    assert request["Identification"] == {"PlugAndChargeIdentification": {"EvcoID": EVCO}}
    assert [(x.field, x.lost) for x in losses] == [("type", Lost.APPROXIMATED)]


def test_authorize_start_refuses_a_token_oicp_cannot_name() -> None:
    """A uid that is no OICP UID: ValueError (the hub cannot ask Hubject about it)."""
    with pytest.raises(ValueError, match="hexadecimal"):
        authorize_start("012345678", "RFID", None, "NL*CPO", None)


def test_authorized_is_allowed_with_the_session_id_as_reference() -> None:
    """Authorized → ALLOWED; authorization_reference = SessionID; owner from the ProviderID;
    the LocationReferences asked about echoed."""
    refs = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}
    info, losses = info_of(answer(), location_references=refs)
    assert info["allowed"] == "ALLOWED"
    assert info["authorization_reference"] == SID
    assert (info["token"]["country_code"], info["token"]["party_id"]) == ("DE", "8EO")
    assert (info["token"]["uid"], info["token"]["type"]) == ("04A1B2C3", "RFID")
    assert info["location"] == refs
    assert "info" not in info
    assert {x.field for x in losses} == {"token.issuer", "token.whitelist", "token.contract_id"}


@pytest.mark.parametrize(
    ("code", "allowed", "valid"),
    [
        ("200", "BLOCKED", False),
        ("210", "NOT_ALLOWED", True),
        ("102", "NOT_ALLOWED", True),
        ("106", "NOT_ALLOWED", True),
        ("999", "NOT_ALLOWED", True),
        ("000", "NOT_ALLOWED", True),
    ],
)
def test_not_authorized_reads_the_status_code(code: str, allowed: str, valid: bool) -> None:
    """NotAuthorized: `allowed` from the StatusCode (200 locked → BLOCKED, an invalid token; an
    unlisted code, or the success code, NOT_ALLOWED); the StatusCode as `info`; no reference."""
    sent = answer("NotAuthorized", code) | {"StatusCode": {"Code": code, "Description": "why"}}
    info, _ = info_of(sent)
    assert (info["allowed"], info["token"]["valid"]) == (allowed, valid)
    assert info["info"] == {"language": "en", "text": f"{code} why"}
    assert "authorization_reference" not in info


def test_no_provider_named_makes_the_network_the_owner() -> None:
    """A refusal names no ProviderID: the token is shown as the network's, a GUESSED Loss."""
    info, losses = info_of(answer("NotAuthorized", "102"))
    assert (info["token"]["country_code"], info["token"]["party_id"]) == NETWORK
    assert ("token.party_id", Lost.GUESSED, "DE*HBS") in {
        (x.field, x.lost, x.example) for x in losses
    }


def test_contract_from_the_stop_identifications() -> None:
    """An EvcoID among AuthorizationStopIdentifications is the token's contract_id (no guess);
    the list itself has no OCPI place (DROPPED)."""
    stops = [RFID, {"RFIDIdentification": {"UID": "04A1B2C3", "RFID": "mifareCls", "EvcoID": EVCO}}]
    info, losses = info_of(answer(AuthorizationStopIdentifications=stops))
    assert info["token"]["contract_id"] == EVCO
    fields = {(x.field, x.lost) for x in losses}
    assert ("token.contract_id", Lost.GUESSED) not in fields
    assert ("AuthorizationStopIdentifications", Lost.DROPPED) in fields


def test_a_contract_token_is_its_own_contract_and_owner() -> None:
    """An EvcoID uid (APP_USER/OTHER) is the contract_id; with no ProviderID the EvcoID's
    provider owns it."""
    info, losses = info_of(answer("NotAuthorized", "210"), uid=EVCO, kind="OTHER")
    assert info["token"]["contract_id"] == EVCO
    assert (info["token"]["country_code"], info["token"]["party_id"]) == ("DE", "8EO")
    assert "token.party_id" not in {x.field for x in losses}


def test_emp_partner_session_id_is_dropped() -> None:
    """The EMP's session id has no place in an AuthorizationInfo: DROPPED."""
    _, losses = info_of(answer(EMPPartnerSessionID="EMP-1"))
    assert ("EMPPartnerSessionID", Direction.IN, Lost.DROPPED, "EMP-1") in {
        (x.field, x.direction, x.lost, x.example) for x in losses
    }


@pytest.mark.parametrize("status", [None, "Maybe", "authorized"])
def test_an_answer_without_authorization_status_is_refused(status: str | None) -> None:
    """Not an eRoamingAuthorizationStart: ValueError, nothing made up."""
    with pytest.raises(ValueError, match="AuthorizationStatus"):
        info_of({"AuthorizationStatus": status, "StatusCode": {"Code": "000"}})


def test_authorize_stop_and_its_answer() -> None:
    """AuthorizeStop names the SessionID and the start's Identification; its answer is read as
    authorized or not, with the StatusCode's row."""
    request = authorize_stop(SID, "NL*CPO", RFID, "NL*CPO*EEVSE1", cpo_partner_session_id="S1")
    assert request == {
        "SessionID": SID,
        "OperatorID": "NL*CPO",
        "Identification": RFID,
        "EvseID": "NL*CPO*EEVSE1",
        "CPOPartnerSessionID": "S1",
    }
    assert authorize_stop(SID, "NL*CPO", RFID) == {
        "SessionID": SID,
        "OperatorID": "NL*CPO",
        "Identification": RFID,
    }
    authorized, row = authorization_outcome(answer())
    assert (authorized, row.code) == (True, "000")
    authorized, row = authorization_outcome(answer("NotAuthorized", "400"))
    assert (authorized, row.code) == (False, "400")


# --- Hub as EMP -------------------------------------------------------------------------------


def query(identification: dict[str, Any] | None = None, **fields: Any) -> TokenQuery:
    request = {
        "OperatorID": "NL*CPO",
        "EvseID": "NL*CPO*EEVSE1",
        "SessionID": SID,
        "CPOPartnerSessionID": "CPO-1",
        "Identification": identification or RFID,
    }
    found, _ = token_query(request | fields)
    return found


def test_token_query_of_an_rfid_card() -> None:
    """The OCPI token (uid, RFID), the EVSE and the session ids Hubject sent."""
    found, losses = token_query(
        {
            "OperatorID": "NL*CPO",
            "EvseID": "NL*CPO*EEVSE1",
            "SessionID": SID,
            "Identification": {"RFIDMifareFamilyIdentification": {"UID": "04a1b2c3"}},
        }
    )
    assert (found.uid, found.type, found.contract_id) == ("04A1B2C3", TokenType.RFID, None)
    assert (found.operator_id, found.evse_id, found.session_id) == (
        "NL*CPO",
        "NL*CPO*EEVSE1",
        SID,
    )
    assert (found.cpo_partner_session_id, found.emp_partner_session_id) == (None, None)
    assert losses == []


def test_token_query_of_a_qr_code_drops_the_pin() -> None:
    """QR code: APP_USER named by its EvcoID; OCPI has no PIN (DROPPED, not shown) and no
    product (DROPPED)."""
    ident = {"QRCodeIdentification": {"EvcoID": EVCO, "PIN": "1234"}}
    found, losses = token_query(
        {"OperatorID": "NL*CPO", "Identification": ident, "PartnerProductID": "AC1"}
    )
    assert (found.uid, found.type, found.contract_id) == (EVCO, TokenType.APP_USER, EVCO)
    assert [(x.field, x.lost, x.example) for x in losses] == [
        ("PIN", Lost.DROPPED, "(a PIN)"),
        ("PartnerProductID", Lost.DROPPED, "AC1"),
    ]


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"Identification": RFID}, "OperatorID: missing"),
        ({"OperatorID": "NL*CPO"}, "Identification: none of"),
        ({"OperatorID": "NL*CPO", "Identification": {"RFIDMifareFamilyIdentification": {}}}, "UID"),
    ],
)
def test_token_query_refuses_what_is_not_a_request(
    request_body: dict[str, Any], message: str
) -> None:
    """ValueError naming the field (the bridge answers 022)."""
    with pytest.raises(ValueError, match=message):
        token_query(request_body)


@pytest.mark.parametrize(
    ("identification", "code"),
    [
        (RFID, "102"),
        ({"QRCodeIdentification": {"EvcoID": EVCO, "PIN": "1"}}, "101"),
        ({"PlugAndChargeIdentification": {"EvcoID": EVCO}}, "105"),
    ],
)
def test_a_token_that_is_not_ours_is_not_authorized(
    identification: dict[str, Any], code: str
) -> None:
    """None → NotAuthorized with the unknown-token code of the identification."""
    sent, losses = authorization_start_answer(None, query(identification), "NL-EMA")
    assert sent == {
        "AuthorizationStatus": "NotAuthorized",
        "StatusCode": {"Code": code, "Description": sent["StatusCode"]["Description"]},
        "ProviderID": "NL-EMA",
        "SessionID": SID,
        "CPOPartnerSessionID": "CPO-1",
    }
    assert losses == []


def test_allowed_is_authorized_with_our_reference() -> None:
    """ALLOWED → Authorized 000; the eMSP's authorization_reference as EMPPartnerSessionID."""
    info = {"allowed": "ALLOWED", "token": factories.token(), "authorization_reference": "REF-9"}
    sent, losses = authorization_start_answer(info, query(), "NL-EMA")
    assert sent == {
        "AuthorizationStatus": "Authorized",
        "StatusCode": {"Code": "000", "Description": "Success."},
        "ProviderID": "NL-EMA",
        "SessionID": SID,
        "CPOPartnerSessionID": "CPO-1",
        "EMPPartnerSessionID": "REF-9",
    }
    assert losses == []


@pytest.mark.parametrize(
    ("allowed", "code", "lossy"),
    [
        ("BLOCKED", "200", False),
        ("NOT_ALLOWED", "210", False),
        ("EXPIRED", "210", True),
        ("NO_CREDIT", "210", True),
    ],
)
def test_refusals_are_not_authorized(allowed: str, code: str, lossy: bool) -> None:
    """A refusal → NotAuthorized with its code and the eMSP's text; EXPIRED and NO_CREDIT
    approximated as 210."""
    info = {
        "allowed": allowed,
        "token": factories.token(),
        "info": {"language": "en", "text": "see your eMSP"},
    }
    sent, losses = authorization_start_answer(info, query(), "NL-EMA")
    assert sent["AuthorizationStatus"] == "NotAuthorized"
    assert (sent["StatusCode"]["Code"], sent["StatusCode"]["AdditionalInfo"]) == (
        code,
        "see your eMSP",
    )
    expected = [("allowed", Direction.OUT, Lost.APPROXIMATED, allowed)] if lossy else []
    assert [(x.field, x.direction, x.lost, x.example) for x in losses] == expected


def test_authorization_stop_answer() -> None:
    """The hub decides: Authorized 000, or NotAuthorized 400 (Session is invalid)."""
    assert authorization_stop_answer(True, query(), "NL-EMA")["AuthorizationStatus"] == "Authorized"
    refused = authorization_stop_answer(False, query(), "NL-EMA")
    assert (refused["AuthorizationStatus"], refused["StatusCode"]["Code"]) == (
        "NotAuthorized",
        "400",
    )


@given(st.sampled_from(list(AllowedType)))
def test_our_answer_read_by_a_hubject_cpo(allowed: AllowedType) -> None:
    """Both halves meet: our eMSP's answer, told to Hubject and read back as a CPO, is the same
    `allowed` for the rows OICP carries (EXPIRED and NO_CREDIT come back NOT_ALLOWED) and the
    eMSP's reference travels beside Hubject's SessionID."""
    info = {"allowed": allowed.value, "token": factories.token(), "authorization_reference": "R"}
    sent, _ = authorization_start_answer(info, query(), "NL-EMA")
    read_back, _ = info_of(sent)
    lossy = allowed in (AllowedType.EXPIRED, AllowedType.NO_CREDIT)
    assert read_back["allowed"] == (AllowedType.NOT_ALLOWED if lossy else allowed).value
    assert sent["EMPPartnerSessionID"] == "R"


# --- Authentication data ----------------------------------------------------------------------


def test_authentication_data_holds_the_tokens_hubject_may_allow_offline() -> None:
    """Valid tokens with ALWAYS, ALLOWED or ALLOWED_OFFLINE; NEVER and invalid ones left out."""
    tokens = [
        factories.token("04a1b2c3", whitelist="ALWAYS"),
        factories.token("04A1B2C4", whitelist="ALLOWED"),
        factories.token("04A1B2C5", whitelist="ALLOWED_OFFLINE"),
        factories.token("04A1B2C6", whitelist="NEVER"),
        factories.token("04A1B2C7", whitelist="ALWAYS", valid=False),
        factories.token("P1", type="OTHER", contract_id=EVCO, whitelist="ALWAYS"),
    ]
    request, losses = authentication_data(tokens, "DE-EMA")
    assert request == {
        "ActionType": "fullLoad",
        "ProviderAuthenticationData": {
            "ProviderID": "DE-EMA",
            "AuthenticationDataRecord": [
                {"Identification": {"RFIDMifareFamilyIdentification": {"UID": "04A1B2C3"}}},
                {"Identification": {"RFIDMifareFamilyIdentification": {"UID": "04A1B2C4"}}},
                {"Identification": {"RFIDMifareFamilyIdentification": {"UID": "04A1B2C5"}}},
                {"Identification": {"PlugAndChargeIdentification": {"EvcoID": EVCO}}},
            ],
        },
    }
    assert losses == []


def test_authentication_data_says_which_tokens_it_could_not_carry() -> None:
    """A token with no OICP identification is a DROPPED Loss naming it, not an error."""
    tokens = [factories.token("012345678", whitelist="ALWAYS")]
    request, losses = authentication_data(tokens, "DE-EMA", "update")
    assert request["ActionType"] == "update"
    assert request["ProviderAuthenticationData"]["AuthenticationDataRecord"] == []
    assert [(x.field, x.lost, x.example) for x in losses] == [("uid", Lost.DROPPED, "012345678")]


def test_authentication_data_refuses_an_unknown_action() -> None:
    """ActionType is one of fullLoad, update, insert, delete."""
    with pytest.raises(ValueError, match="ActionType 'replace'"):
        authentication_data([], "DE-EMA", "replace")
