"""OICP Identification ⇄ OCPI token (dialects.oicp.identification; OICP 2.3 "IdentificationType"):
each variant read, each token type written, the made-up Token valid per the hub's model, and the
lossless rows there and back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from ocpi_hub.core.modules.tokens import Token, TokenType
from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.oicp import identification
from ocpi_hub.dialects.oicp.identification import Identified, of_token, read, remote, token
from tests.dialects.oicp.strategies import evco_ids, uids

EVCO = "DE-8EO-CAet5e4XY-3"  # ISO, the spec's example form
DIN_EVCO = "DE*8EO*Aet5e4*3"
NOW = "2024-03-01T10:00:00Z"


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (
            {"RFIDMifareFamilyIdentification": {"UID": "7568290fff765f"}},
            Identified("RFIDMifareFamilyIdentification", "7568290FFF765F", TokenType.RFID, None),
        ),
        (
            {"RFIDIdentification": {"UID": "1234ABCD", "RFID": "mifareCls", "EvcoID": EVCO}},
            Identified("RFIDIdentification", "1234ABCD", TokenType.RFID, EVCO),
        ),
        (
            {"QRCodeIdentification": {"EvcoID": EVCO, "PIN": "1234"}},
            Identified("QRCodeIdentification", EVCO, TokenType.APP_USER, EVCO),
        ),
        (
            {"PlugAndChargeIdentification": {"EvcoID": DIN_EVCO}},
            Identified("PlugAndChargeIdentification", DIN_EVCO, TokenType.OTHER, DIN_EVCO),
        ),
        (
            {"RemoteIdentification": {"EvcoID": EVCO}},
            Identified("RemoteIdentification", EVCO, TokenType.APP_USER, EVCO),
        ),
    ],
)
def test_read_each_variant(sent: dict[str, Any], expected: Identified) -> None:
    """Each of the five variants as the OCPI token it names; an RFID UID upper-cased."""
    assert read(sent)[0] == expected


def test_read_says_what_the_token_has_no_place_for() -> None:
    """An RFID card's type, printed number and expiry, a QR code's PIN (never shown): DROPPED
    Losses of the module given; the plain variants lose nothing."""
    card = {"UID": "1234ABCD", "RFID": "mifareCls", "PrintedNumber": "42", "ExpiryDate": "x"}
    _, losses = read({"RFIDIdentification": card}, module="cdrs")
    assert [(x.module, x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("cdrs", "RFID", Direction.IN, Lost.DROPPED, "mifareCls"),
        ("cdrs", "PrintedNumber", Direction.IN, Lost.DROPPED, "42"),
        ("cdrs", "ExpiryDate", Direction.IN, Lost.DROPPED, "x"),
    ]
    _, losses = read({"QRCodeIdentification": {"EvcoID": EVCO, "PIN": "1234"}})
    assert [(x.field, x.example) for x in losses] == [("PIN", "(a PIN)")]
    assert read({"RemoteIdentification": {"EvcoID": EVCO}})[1] == []


def test_read_takes_the_first_variant_when_several_are_filled() -> None:
    """Hubject's own examples fill all five: the spec's first one present wins."""
    sent = {
        "RemoteIdentification": {"EvcoID": EVCO},
        "RFIDMifareFamilyIdentification": {"UID": "1234ABCD"},
    }
    assert read(sent)[0].kind == "RFIDMifareFamilyIdentification"


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (None, "none of RFIDMifareFamilyIdentification"),
        ({}, "none of"),
        ({"RFIDMifareFamilyIdentification": {}}, "RFIDMifareFamilyIdentification.UID: missing"),
        ({"RemoteIdentification": {"EvcoID": "not-one"}}, "EvcoID: not an EvcoID"),
        ({"QRCodeIdentification": {"PIN": "1234"}}, "QRCodeIdentification.EvcoID"),
    ],
)
def test_read_refuses_what_is_no_identification(sent: object, message: str) -> None:
    """A clear error naming the field, nothing guessed."""
    with pytest.raises(ValueError, match=message):
        read(sent)


def test_rfid_is_written_as_mifare_family_upper_case() -> None:
    """RFID → RFIDMifareFamilyIdentification (the spec's variant for authorization), upper case."""
    assert of_token("04a1b2c3", "RFID") == (
        {"RFIDMifareFamilyIdentification": {"UID": "04A1B2C3"}},
        [],
    )


@pytest.mark.parametrize("uid", ["012345678", "04A1B2C", "04A1B2CG", "", "04A1-B2C3"])
def test_an_rfid_uid_oicp_cannot_carry_is_refused(uid: str) -> None:
    """Not 8, 14 or 20 hexadecimal digits: ValueError naming the uid."""
    with pytest.raises(ValueError, match="8, 14 or 20 hexadecimal digits"):
        of_token(uid, "RFID")


def test_other_is_plug_and_charge_with_its_contract() -> None:
    """OTHER → PlugAndChargeIdentification of the contract_id, nothing lost."""
    assert of_token("U1", "OTHER", EVCO) == ({"PlugAndChargeIdentification": {"EvcoID": EVCO}}, [])


def test_the_uid_stands_in_for_a_contract_id_that_is_no_evco_id() -> None:
    """An EvcoID-shaped uid is used when the contract_id is not an EvcoID."""
    ident, _ = of_token(EVCO, "OTHER", "C-123")
    assert ident == {"PlugAndChargeIdentification": {"EvcoID": EVCO}}


def test_app_user_is_approximated_as_plug_and_charge() -> None:
    """APP_USER → PlugAndChargeIdentification, an APPROXIMATED Loss of `type`."""
    ident, losses = of_token("U1", "APP_USER", EVCO, module="commands")
    assert ident == {"PlugAndChargeIdentification": {"EvcoID": EVCO}}
    assert [(x.module, x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("commands", "type", Direction.OUT, Lost.APPROXIMATED, "APP_USER")
    ]


@pytest.mark.parametrize(
    ("uid", "kind", "contract_id", "message"),
    [
        ("U1", "AD_HOC_USER", EVCO, "OICP has no identification for it"),
        ("U1", "OTHER", "C-123", "neither its contract_id nor its uid is an EvcoID"),
        ("U1", "APP_USER", None, "neither its contract_id nor its uid is an EvcoID"),
    ],
)
def test_tokens_without_an_oicp_identification_are_refused(
    uid: str, kind: str, contract_id: str | None, message: str
) -> None:
    """No OICP form: ValueError, the caller decides (a Loss, a refusal)."""
    with pytest.raises(ValueError, match=message):
        of_token(uid, kind, contract_id)


def test_remote_identification() -> None:
    """A remote start/stop carries the contract as RemoteIdentification; a non-EvcoID refused."""
    assert remote(EVCO) == {"RemoteIdentification": {"EvcoID": EVCO}}
    with pytest.raises(ValueError, match="is not an OICP EvcoID"):
        remote("DE-EMA-C00000001")


def test_made_up_token_is_a_valid_ocpi_token_and_says_what_it_guessed() -> None:
    """The Token OCPI requires, valid per the hub's model; issuer, whitelist and (without an
    EvcoID) contract_id are GUESSED Losses."""
    body, losses = token(("DE", "8EO"), "04A1B2C3", "RFID", None, NOW)
    Token.model_validate(body)
    assert body == {
        "country_code": "DE",
        "party_id": "8EO",
        "uid": "04A1B2C3",
        "type": "RFID",
        "contract_id": "04A1B2C3",
        "issuer": "DE-8EO",
        "valid": True,
        "whitelist": "NEVER",
        "last_updated": NOW,
    }
    assert {(x.field, x.lost) for x in losses} == {
        ("token.issuer", Lost.GUESSED),
        ("token.whitelist", Lost.GUESSED),
        ("token.contract_id", Lost.GUESSED),
    }


def test_made_up_token_with_its_contract_guesses_less() -> None:
    """With the EvcoID, contract_id is not guessed; `valid` and `module` as given."""
    body, losses = token(("DE", "8EO"), EVCO, "APP_USER", EVCO, NOW, valid=False, module="x")
    Token.model_validate(body)
    assert (body["contract_id"], body["valid"]) == (EVCO, False)
    assert {x.field for x in losses} == {"token.issuer", "token.whitelist"}
    assert {x.module for x in losses} == {"x"}


@given(uids)
def test_rfid_round_trip(uid: str) -> None:
    """An RFID token's uid → Identification → the same uid and type (lossless row)."""
    ident, losses = of_token(uid.lower(), "RFID")
    assert losses == []
    assert read(ident) == (
        Identified("RFIDMifareFamilyIdentification", uid, TokenType.RFID, None),
        [],
    )


@given(evco_ids)
def test_plug_and_charge_round_trip(evco: str) -> None:
    """An OTHER token's contract → Identification → the same contract and type (lossless)."""
    ident, losses = of_token("U1", "OTHER", evco)
    assert losses == []
    read_back, _ = read(ident)
    assert (read_back.type, read_back.contract_id) == (TokenType.OTHER, evco)


@given(evco_ids)
def test_remote_round_trip(evco: str) -> None:
    """A contract → RemoteIdentification → the same contract."""
    assert read(remote(evco))[0].contract_id == evco


def test_uid_and_evco_id_helpers() -> None:
    """`uid` upper-cases a UID and refuses others; `evco_id` accepts ISO and DIN forms only."""
    assert identification.uid("abcdef12") == "ABCDEF12"
    assert identification.uid("abcdef1") is None
    assert identification.evco_id(EVCO) == EVCO
    assert identification.evco_id(DIN_EVCO) == DIN_EVCO
    assert identification.evco_id("DE-8EO") is None
    assert identification.evco_id(42) is None
