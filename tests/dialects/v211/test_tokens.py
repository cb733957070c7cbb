"""Token, AuthorizationInfo and LocationReferences between OCPI 2.2.1 and 2.1.1
(ocpi-2.1.1-differences.md §5, §10.3 "Token")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given

from conformance.spec import V211
from conformance.validate import errors, validate
from ocpi_hub.core.modules.tokens import AuthorizationInfo, LocationReferences, Token
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211.tokens import (
    authorization_info_in,
    authorization_info_out,
    location_references_in,
    location_references_out,
    token_in,
    token_out,
)
from ocpi_hub.errors import InvalidParameters
from tests import factories, strategies

EMSP = ("DE", "EMA")
RECEIVED = "2024-03-02T08:00:00Z"
TOKEN_211_FIELDS = {
    "uid", "type", "auth_id", "visual_number", "issuer", "valid", "whitelist", "language",
    "last_updated",
}  # fmt: skip
TOKEN_211_REQUIRED = {"uid", "type", "auth_id", "issuer", "valid", "whitelist", "last_updated"}
ONLY_221 = ("group_id", "default_profile_type", "energy_contract")


def assert_211(kind: str, obj: dict[str, Any], *, patch: bool = False) -> None:
    """`obj` is a valid 2.1.1 `kind`, no field outside its table (the extensions we relay, x_*,
    aside)."""
    relayed = {k: v for k, v in obj.items() if not k.startswith("x_")}
    assert errors(validate(kind, relayed, version=V211, patch=patch, strict=True)) == []


def fields(losses: list[Loss]) -> dict[str, Lost]:
    return {loss.field: loss.lost for loss in losses}


# --- token_out ---------------------------------------------------------------------------------


def test_token_out_renames_contract_id_and_drops_the_owner_without_a_loss() -> None:
    """contract_id → auth_id; country_code/party_id go (the 2.1.1 URL carries them)."""
    token = factories.token()
    out, losses = token_out(token)
    assert losses == []
    assert out["auth_id"] == "DE-EMA-C00000001"
    assert TOKEN_211_REQUIRED <= set(out) <= TOKEN_211_FIELDS
    assert "contract_id" not in out and "country_code" not in out and "party_id" not in out
    assert_211("Token", out)


@pytest.mark.parametrize("kind", ["AD_HOC_USER", "APP_USER"])
def test_token_out_approximates_the_221_only_types_as_other(kind: str) -> None:
    """AD_HOC_USER and APP_USER have no 2.1.1 value: OTHER, an APPROXIMATED Loss (§5.2)."""
    out, losses = token_out(factories.token(type=kind))
    assert out["type"] == "OTHER"
    assert losses == [Loss("tokens", "type", Direction.OUT, Lost.APPROXIMATED, kind, losses[0].why)]
    assert_211("Token", out)


@pytest.mark.parametrize("kind", ["RFID", "OTHER"])
def test_token_out_keeps_the_211_types(kind: str) -> None:
    """RFID and OTHER exist in both versions."""
    out, losses = token_out(factories.token(type=kind))
    assert out["type"] == kind and losses == []


def test_token_out_drops_the_221_only_fields_with_a_loss_each() -> None:
    """group_id, default_profile_type and energy_contract are DROPPED, each named."""
    token = factories.token(
        group_id="G1",
        default_profile_type="GREEN",
        energy_contract={"supplier_name": "Green Power"},
    )
    out, losses = token_out(token)
    assert not set(ONLY_221) & set(out)
    assert fields(losses) == {name: Lost.DROPPED for name in ONLY_221}
    assert {loss.field: loss.example for loss in losses}["group_id"] == "G1"
    assert_211("Token", out)


def test_token_out_drops_null_221_only_fields_without_a_loss() -> None:
    """A null carries nothing: no Loss for it."""
    out, losses = token_out(factories.token(group_id=None, energy_contract=None))
    assert "group_id" not in out and "energy_contract" not in out
    assert losses == []


def test_token_out_cuts_a_fraction_of_a_second_from_last_updated() -> None:
    """2.1.1 DateTime has no fractions (§1.4): whole seconds, APPROXIMATED."""
    out, losses = token_out(factories.token(last_updated="2024-03-01T10:00:00.123Z"))
    assert out["last_updated"] == "2024-03-01T10:00:00Z"
    assert fields(losses) == {"last_updated": Lost.APPROXIMATED}


def test_token_out_keeps_unknown_fields_and_does_not_change_its_input() -> None:
    """Extensions are relayed as they came; the input dict is left alone."""
    token = factories.token(type="APP_USER", group_id="G", x_vendor={"a": 1})
    before = copy.deepcopy(token)
    out, _ = token_out(token)
    assert out["x_vendor"] == {"a": 1}
    assert token == before
    out["x_vendor"]["a"] = 2  # the output shares nothing with the input
    assert token == before


def test_token_out_translates_a_patch_body_field_by_field() -> None:
    """A PATCH body gets the renames and drops, and no field it did not have."""
    out, losses = token_out(
        {"contract_id": "C2", "group_id": "G", "last_updated": RECEIVED}, patch=True
    )
    assert out == {"auth_id": "C2", "last_updated": RECEIVED}
    assert fields(losses) == {"group_id": Lost.DROPPED}
    assert_211("Token", out, patch=True)


# --- token_in ----------------------------------------------------------------------------------


def token_211(**overrides: Any) -> dict[str, Any]:
    body = {
        "uid": "012345678",
        "type": "RFID",
        "auth_id": "DE-EMA-C00000001",
        "issuer": "Example eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-03-01T10:00:00Z",
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize("kind", ["RFID", "OTHER"])
def test_token_in_fills_the_owner_and_renames_auth_id(kind: str) -> None:
    """The URL's eMSP becomes country_code/party_id; auth_id → contract_id; the type as is."""
    out, losses = token_in(token_211(type=kind), EMSP, received_at=RECEIVED)
    assert losses == []
    assert (out["country_code"], out["party_id"]) == EMSP
    assert out["contract_id"] == "DE-EMA-C00000001" and "auth_id" not in out
    assert out["type"] == kind
    Token.model_validate(out)


def test_token_in_patch_adds_last_updated_as_a_guess() -> None:
    """2.2.1 requires last_updated on every PATCH (§1.5): the time received, GUESSED."""
    out, losses = token_in({"valid": False}, EMSP, patch=True, received_at=RECEIVED)
    assert out == {"valid": False, "last_updated": RECEIVED}
    assert losses == [
        Loss("tokens", "last_updated", Direction.IN, Lost.GUESSED, RECEIVED, losses[0].why)
    ]


def test_token_in_patch_keeps_its_own_last_updated_and_adds_no_owner() -> None:
    """A PATCH with last_updated is translated only: no Loss, no required field added."""
    body = {"auth_id": "C9", "last_updated": "2024-03-01T11:00:00Z"}
    out, losses = token_in(body, EMSP, patch=True, received_at=RECEIVED)
    assert out == {"contract_id": "C9", "last_updated": "2024-03-01T11:00:00Z"}
    assert losses == []


def test_token_in_refuses_a_body_naming_another_owner() -> None:
    """An owner field in the body must be the URL's (2.2.1's rule), any case."""
    with pytest.raises(InvalidParameters, match="party_id"):
        token_in(token_211(party_id="XXX"), EMSP, received_at=RECEIVED)
    out, _ = token_in(token_211(party_id="ema"), EMSP, received_at=RECEIVED)
    assert out["party_id"] == "EMA"


def test_token_in_does_not_change_its_input() -> None:
    """The input dict is left alone."""
    body = token_211()
    before = copy.deepcopy(body)
    token_in(body, EMSP, received_at=RECEIVED)
    assert body == before


@given(strategies.tokens)
def test_token_round_trip_keeps_what_211_carries(token: dict[str, Any]) -> None:
    """2.2.1 → 2.1.1 → 2.2.1 keeps every field but those the Losses name (and null 2.2.1-only
    fields); the 2.1.1 form fits the 2.1.1 table, the 2.2.1 form the hub's model."""
    Token.model_validate(token)
    out, losses = token_out(token)
    assert_211("Token", out)
    assert out["type"] in {"OTHER", "RFID"}
    back, back_losses = token_in(
        out, (token["country_code"], token["party_id"]), received_at=RECEIVED
    )
    assert back_losses == []
    Token.model_validate(back)
    lost = set(fields(losses))
    assert {f for f in lost if f not in ONLY_221} <= {"type", "last_updated"}

    def kept(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k not in lost and not (k in ONLY_221 and v is None)}

    assert kept(back) == kept(token)


# --- Real-time authorization -------------------------------------------------------------------


def test_location_references_out_is_the_same_shape() -> None:
    """LocationReferences 2.2.1 → 2.1.1 needs nothing."""
    refs = {"location_id": "LOC1", "evse_uids": ["E1", "E2"]}
    assert location_references_out(refs) == (refs, [])
    assert_211("LocationReferences", refs)


def test_location_references_in_drops_connector_ids() -> None:
    """2.2.1 has no connector_ids (§5.4): DROPPED when there are any, silent when empty."""
    refs = {"location_id": "LOC1", "evse_uids": ["E1"], "connector_ids": ["1", "2"]}
    out, losses = location_references_in(refs)
    assert out == {"location_id": "LOC1", "evse_uids": ["E1"]}
    assert [(x.field, x.lost, x.example) for x in losses] == [
        ("connector_ids", Lost.DROPPED, "1,2")
    ]
    LocationReferences.model_validate(out)
    assert location_references_in({"location_id": "L", "connector_ids": []})[1] == []


def test_authorization_info_out_drops_the_token_and_the_reference() -> None:
    """The token goes without a Loss; authorization_reference is DROPPED."""
    info = {
        "allowed": "ALLOWED",
        "token": factories.token(),
        "location": {"location_id": "LOC1", "evse_uids": ["E1"]},
        "authorization_reference": "REF1",
        "info": {"language": "en", "text": "Welcome"},
    }
    out, losses = authorization_info_out(info)
    assert out == {
        "allowed": "ALLOWED",
        "location": {"location_id": "LOC1", "evse_uids": ["E1"]},
        "info": {"language": "en", "text": "Welcome"},
    }
    assert [(x.field, x.lost, x.example) for x in losses] == [
        ("authorization_reference", Lost.DROPPED, "REF1")
    ]
    assert_211("AuthorizationInfo", out)
    assert "token" in info  # the input is left alone


def test_authorization_info_in_adds_the_stored_token() -> None:
    """2.2.1 requires the token: the hub's stored one; connector_ids DROPPED under location."""
    info = {"allowed": "BLOCKED", "location": {"location_id": "LOC1", "connector_ids": ["1"]}}
    token = factories.token()
    out, losses = authorization_info_in(info, token)
    assert out["token"] == token
    out["token"]["valid"] = False
    assert token["valid"] is True  # a copy of the stored token, not the stored token
    assert out["location"] == {"location_id": "LOC1"}
    assert fields(losses) == {"location.connector_ids": Lost.DROPPED}
    AuthorizationInfo.model_validate(out)


def test_authorization_info_in_without_a_stored_token_is_2001() -> None:
    """No token to put in: InvalidParameters naming token."""
    with pytest.raises(InvalidParameters, match=r"^token"):
        authorization_info_in({"allowed": "ALLOWED"}, None)
