"""Tariff and Token models against OCPI 2.2.1 (checklist §4.4 Tariffs, §4.5 Tokens, §1.9 types),
and the hub's rule for answering a real-time authorization on an eMSP's behalf."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules.tariffs import (
    DayOfWeek,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffType,
)
from ocpi_hub.core.modules.tokens import (
    AllowedType,
    AuthorizationInfo,
    LocationReferences,
    ProfileType,
    Token,
    TokenType,
    WhitelistType,
    answer_on_behalf,
    token_type,
)
from ocpi_hub.errors import InvalidParameters
from tests import strategies

JsonObject = dict[str, Any]

# ---- documents ------------------------------------------------------------------------------


def full_tariff() -> JsonObject:
    """Every Tariff field at every level, plus an unknown `x_*` field in several objects."""
    return {
        "country_code": "NL",
        "party_id": "CPA",
        "id": "TARIFF-AC",
        "currency": "EUR",
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": "0.25/kWh, 2.00/h parking after 2 h"}],
        "tariff_alt_url": "https://cpo.example/tariffs/ac",
        "min_price": {"excl_vat": 0.5, "incl_vat": 0.605},
        "max_price": {"excl_vat": 50, "incl_vat": None},
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": 0.25, "vat": 21, "step_size": 1},
                    {"type": "FLAT", "price": 0, "step_size": 0, "x_note": "free start"},
                ],
                "restrictions": {
                    "start_time": "07:00",
                    "end_time": "00:00",
                    "start_date": "2024-01-01",
                    "end_date": "2025-01-01",
                    "min_kwh": 0,
                    "max_kwh": 50.5,
                    "min_current": 6,
                    "max_current": 32,
                    "min_power": 1.4,
                    "max_power": 22,
                    "min_duration": 0,
                    "max_duration": 7200,
                    "day_of_week": ["MONDAY", "TUESDAY", "SATURDAY"],
                    "x_holiday": False,
                },
            },
            {
                "price_components": [{"type": "PARKING_TIME", "price": 2, "step_size": 300}],
                "restrictions": {"min_duration": 7200},
            },
            {
                "price_components": [{"type": "FLAT", "price": 1.5, "step_size": 1}],
                "restrictions": {"reservation": "RESERVATION_EXPIRES"},
            },
            {"price_components": [{"type": "TIME", "price": 1.2, "vat": None, "step_size": 60}]},
        ],
        "start_date_time": "2024-01-01T00:00:00Z",
        "end_date_time": "2025-01-01T00:00:00",
        "energy_mix": {"is_green_energy": True, "supplier_name": "Groene Stroom BV"},
        "last_updated": "2024-03-01T10:00:00.12Z",
        "x_tariff_extra": {"kept": [1, None]},
    }


def full_token() -> JsonObject:
    """Every Token field, plus an unknown `x_*` field."""
    return {
        "country_code": "DE",
        "party_id": "EMA",
        "uid": "012345678",
        "type": "RFID",
        "contract_id": "DE-EMA-C12345678-X",
        "visual_number": "DE-EMA-123456-78",
        "issuer": "Example eMSP",
        "group_id": "FLEET-7",
        "valid": True,
        "whitelist": "ALLOWED_OFFLINE",
        "language": "de",
        "default_profile_type": "GREEN",
        "energy_contract": {"supplier_name": "Stadtwerke", "contract_id": "SW-1"},
        "last_updated": "2024-03-01T10:00:00Z",
        "x_card_color": "blue",
    }


def full_authorization_info() -> JsonObject:
    return {
        "allowed": "ALLOWED",
        "token": full_token(),
        "location": {"location_id": "LOC1", "evse_uids": ["EVSE1", "EVSE2"]},
        "authorization_reference": "AUTH-0001",
        "info": {"language": "en", "text": "Welcome"},
    }


def _step(key: str) -> str | int:
    return int(key) if key.isdigit() else key


def _parent(doc: JsonObject, path: str) -> tuple[Any, str | int]:
    *head, last = (_step(k) for k in path.split("."))
    node: Any = doc
    for key in head:
        node = node[key]
    return node, last


def with_value(doc: JsonObject, path: str, value: Any) -> JsonObject:
    """A copy of `doc` with the dotted `path` (list indices as numbers) set to `value`."""
    changed = copy.deepcopy(doc)
    node, last = _parent(changed, path)
    node[last] = value
    return changed


def without(doc: JsonObject, path: str) -> JsonObject:
    changed = copy.deepcopy(doc)
    node, last = _parent(changed, path)
    del node[last]
    return changed


def refusal(model: type[OcpiModel], doc: JsonObject) -> str:
    """Validate `doc`, expect a refusal, return its peer-facing message."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(doc)
    return validation_message(caught.value)


def round_trip(model: type[OcpiModel], doc: JsonObject) -> JsonObject:
    return model.model_validate(doc).model_dump(mode="json", exclude_unset=True)


DOCUMENTS: dict[str, tuple[type[OcpiModel], Any]] = {
    "Tariff": (Tariff, full_tariff),
    "Token": (Token, full_token),
    "AuthorizationInfo": (AuthorizationInfo, full_authorization_info),
}


# ---- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "document"), DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_full_documents_round_trip(model: type[OcpiModel], document: Any) -> None:
    """Every field and every unknown field survives validate+dump unchanged (§4.4, §4.5, §1.9)."""
    doc = document()
    assert round_trip(model, doc) == doc


def test_money_is_decimal_inside_and_json_numbers_outside() -> None:
    """Prices and VAT are Decimal, never float, and are written back as JSON numbers (§4.4)."""
    tariff = Tariff.model_validate(full_tariff())
    component = tariff.elements[0].price_components[0]
    assert component.price == Decimal("0.25") and isinstance(component.price, Decimal)
    assert component.vat == Decimal(21)
    assert tariff.min_price is not None and tariff.min_price.incl_vat == Decimal("0.605")
    dumped = tariff.model_dump(mode="json", exclude_unset=True)
    assert dumped["elements"][0]["price_components"][0]["price"] == 0.25
    assert isinstance(dumped["max_price"]["excl_vat"], int)


@pytest.mark.parametrize(
    "path",
    [
        "elements.0.price_components.0.price",
        "min_price.excl_vat",
        "elements.0.restrictions.min_kwh",
    ],
)
@pytest.mark.parametrize("value", ["0.25", True])
def test_money_as_string_or_boolean_is_refused(path: str, value: Any) -> None:
    """`number` is a JSON number: a string or boolean in its place is refused (§1.9)."""
    assert refusal(Tariff, with_value(full_tariff(), path, value)).startswith(f"{path}: ")


# ---- required fields and cardinality ---------------------------------------------------------

TARIFF_REQUIRED = [
    "country_code", "party_id", "id", "currency", "elements", "last_updated",
    "elements.0.price_components", "elements.0.price_components.0.type",
    "elements.0.price_components.0.price", "elements.0.price_components.0.step_size",
    "min_price.excl_vat", "tariff_alt_text.0.language", "tariff_alt_text.0.text",
    "energy_mix.is_green_energy",
]  # fmt: skip
TOKEN_REQUIRED = [
    "country_code", "party_id", "uid", "type", "contract_id", "issuer", "valid", "whitelist",
    "last_updated", "energy_contract.supplier_name",
]  # fmt: skip
AUTHORIZATION_REQUIRED = ["allowed", "token", "token.uid", "location.location_id", "info.text"]


@pytest.mark.parametrize(
    ("model", "document", "path"),
    [(Tariff, full_tariff, p) for p in TARIFF_REQUIRED]
    + [(Token, full_token, p) for p in TOKEN_REQUIRED]
    + [(AuthorizationInfo, full_authorization_info, p) for p in AUTHORIZATION_REQUIRED],
)
def test_missing_required_field_is_refused_by_name(
    model: type[OcpiModel], document: Any, path: str
) -> None:
    """A field of cardinality 1 or + that is absent is refused, naming its path (§4.4, §4.5)."""
    assert f"{path}: Field required" in refusal(model, without(document(), path))


@pytest.mark.parametrize("path", ["elements", "elements.0.price_components"])
@pytest.mark.parametrize("value", [[], None])
def test_plus_lists_must_not_be_empty_or_null(path: str, value: Any) -> None:
    """Tariff.elements and TariffElement.price_components are `+` lists (§4.4)."""
    assert refusal(Tariff, with_value(full_tariff(), path, value)).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("model", "document", "path"),
    [
        (Tariff, full_tariff, "type"),
        (Tariff, full_tariff, "tariff_alt_text"),
        (Tariff, full_tariff, "elements.0.restrictions"),
        (Tariff, full_tariff, "elements.0.price_components.0.vat"),
        (Tariff, full_tariff, "elements.0.restrictions.day_of_week"),
        (Token, full_token, "visual_number"),
        (Token, full_token, "energy_contract"),
        (LocationReferences, lambda: {"location_id": "LOC1", "evse_uids": []}, "evse_uids"),
    ],
)
def test_optional_fields_may_be_null(model: type[OcpiModel], document: Any, path: str) -> None:
    """`?` and `*` fields may be null and stay null on the way out (§0 legend)."""
    doc = with_value(document(), path, None)
    assert round_trip(model, doc) == doc


def test_null_in_a_required_field_is_refused() -> None:
    """null is not a value for a required field: Token.valid, Tariff.currency (§0 legend)."""
    assert refusal(Token, with_value(full_token(), "valid", None)).startswith("valid: ")
    assert refusal(Tariff, with_value(full_tariff(), "currency", None)).startswith("currency: ")


def test_valid_is_a_real_boolean() -> None:
    """Token.valid is a JSON boolean; "true" or 1 are refused (§4.5, §1.9)."""
    for value in ("true", 1):
        assert refusal(Token, with_value(full_token(), "valid", value)).startswith("valid: ")


def test_step_size_and_durations_are_integers() -> None:
    """step_size and min/max_duration are `int`: 1.5 or "60" are refused (§4.4)."""
    for path, value in [
        ("elements.0.price_components.0.step_size", 1.5),
        ("elements.0.price_components.0.step_size", "60"),
        ("elements.0.restrictions.max_duration", 7200.5),
    ]:
        assert refusal(Tariff, with_value(full_tariff(), path, value)).startswith(f"{path}: ")


# ---- lengths ------------------------------------------------------------------------------

TARIFF_LENGTHS = [
    ("country_code", 2), ("party_id", 3), ("id", 36), ("currency", 3), ("tariff_alt_url", 255),
    ("tariff_alt_text.0.language", 2), ("tariff_alt_text.0.text", 512),
]  # fmt: skip
TOKEN_LENGTHS = [
    ("country_code", 2), ("party_id", 3), ("uid", 36), ("contract_id", 36),
    ("visual_number", 64), ("issuer", 64), ("group_id", 36), ("language", 2),
    ("energy_contract.supplier_name", 64), ("energy_contract.contract_id", 64),
]  # fmt: skip
LENGTHS = [(Tariff, full_tariff, p, n) for p, n in TARIFF_LENGTHS] + [
    (Token, full_token, p, n) for p, n in TOKEN_LENGTHS
]


@pytest.mark.parametrize(("model", "document", "path", "limit"), LENGTHS)
def test_string_at_its_limit_is_accepted(
    model: type[OcpiModel], document: Any, path: str, limit: int
) -> None:
    """A string of exactly its CiString(n)/string(n) length is valid (§1.9, §4.4, §4.5)."""
    model.model_validate(with_value(document(), path, "A" * limit))


@pytest.mark.parametrize(("model", "document", "path", "limit"), LENGTHS)
def test_string_over_its_limit_is_refused(
    model: type[OcpiModel], document: Any, path: str, limit: int
) -> None:
    """One character over CiString(n)/string(n) is refused, naming the field (§1.9)."""
    message = refusal(model, with_value(document(), path, "A" * (limit + 1)))
    assert message.startswith(f"{path}: String should have at most {limit} characters")


def test_location_references_lengths() -> None:
    """LocationReferences ids are CiString(36) (§4.5)."""
    LocationReferences.model_validate({"location_id": "L" * 36, "evse_uids": ["E" * 36]})
    for doc in ({"location_id": "L" * 37}, {"location_id": "L", "evse_uids": ["E" * 37]}):
        with pytest.raises(ValidationError):
            LocationReferences.model_validate(doc)


def test_non_ascii_uid_is_refused() -> None:
    """Token.uid is a CiString: printable ASCII only (§1.9)."""
    assert refusal(Token, with_value(full_token(), "uid", "0123É")).startswith("uid: ")


# ---- enums ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "document", "path", "value"),
    [
        (Tariff, full_tariff, "type", "CHEAP"),
        (Tariff, full_tariff, "elements.0.price_components.0.type", "KWH"),
        (Tariff, full_tariff, "elements.0.price_components.0.type", "energy"),
        (Tariff, full_tariff, "elements.0.restrictions.day_of_week.0", "Monday"),
        (Tariff, full_tariff, "elements.2.restrictions.reservation", "RESERVED"),
        (Token, full_token, "type", "CARD"),
        (Token, full_token, "type", "rfid"),
        (Token, full_token, "whitelist", "SOMETIMES"),
        (Token, full_token, "default_profile_type", "ECO"),
        (AuthorizationInfo, full_authorization_info, "allowed", "OK"),
    ],
)
def test_unknown_or_miscased_enum_value_is_refused(
    model: type[OcpiModel], document: Any, path: str, value: str
) -> None:
    """Enum values come from the spec's tables and are case-sensitive (§4.4, §4.5, §1.9)."""
    assert refusal(model, with_value(document(), path, value)).startswith(f"{path}: ")


def test_enum_tables_are_the_specs() -> None:
    """The Tariffs and Tokens enums hold exactly the spec's values (§4.4, §4.5)."""
    values = {
        enum: [m.value for m in enum]
        for enum in (
            TariffDimensionType,
            TariffType,
            DayOfWeek,
            ReservationRestrictionType,
            WhitelistType,
            AllowedType,
            ProfileType,
            TokenType,
        )
    }
    assert values == {
        TariffDimensionType: ["ENERGY", "FLAT", "PARKING_TIME", "TIME"],
        TariffType: [
            "AD_HOC_PAYMENT",
            "PROFILE_CHEAP",
            "PROFILE_FAST",
            "PROFILE_GREEN",
            "REGULAR",
        ],
        DayOfWeek: [
            "MONDAY",
            "TUESDAY",
            "WEDNESDAY",
            "THURSDAY",
            "FRIDAY",
            "SATURDAY",
            "SUNDAY",
        ],
        ReservationRestrictionType: ["RESERVATION", "RESERVATION_EXPIRES"],
        WhitelistType: ["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"],
        AllowedType: ["ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"],
        ProfileType: ["CHEAP", "FAST", "GREEN", "REGULAR"],
        TokenType: ["AD_HOC_USER", "APP_USER", "OTHER", "RFID"],
    }


# ---- restriction forms ------------------------------------------------------------------------

RESTRICTIONS = "elements.0.restrictions"


@pytest.mark.parametrize("field", ["start_time", "end_time"])
@pytest.mark.parametrize("value", ["7:00", "24:00", "12:60", "12:00:00", "1200", "ab:cd"])
def test_bad_restriction_time_is_refused(field: str, value: str) -> None:
    """start_time/end_time are string(5) `HH:MM`, 00:00-23:59 (§4.4 TariffRestrictions)."""
    path = f"{RESTRICTIONS}.{field}"
    assert refusal(Tariff, with_value(full_tariff(), path, value)).startswith(f"{path}: ")


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize(
    "value", ["2024-1-01", "2024-13-01", "2024-02-30", "01-01-2024", "2024-01-01T00:00:00Z"]
)
def test_bad_restriction_date_is_refused(field: str, value: str) -> None:
    """start_date/end_date are string(10) `YYYY-MM-DD`, a real date (§4.4 TariffRestrictions)."""
    path = f"{RESTRICTIONS}.{field}"
    assert refusal(Tariff, with_value(full_tariff(), path, value)).startswith(f"{path}: ")


def test_restriction_edges_are_accepted() -> None:
    """`00:00` (end of day), `23:59` and 29 February of a leap year are valid (§4.4)."""
    doc = full_tariff()
    doc["elements"][0]["restrictions"].update(
        start_time="23:59", end_time="00:00", start_date="2024-02-29"
    )
    assert round_trip(Tariff, doc) == doc


def test_bad_datetimes_are_refused() -> None:
    """Tariff DateTimes refuse offsets like +00:00 (§1.9)."""
    for path in ("last_updated", "start_date_time", "token.last_updated"):
        model, doc = (
            (AuthorizationInfo, full_authorization_info())
            if path.startswith("token")
            else (Tariff, full_tariff())
        )
        bad = with_value(doc, path, "2024-01-01T10:00:00+00:00")
        assert refusal(model, bad).startswith(f"{path}: ")


# ---- the authorization fallback rule -------------------------------------------------------


@pytest.mark.parametrize(
    ("whitelist", "valid", "allowed"),
    [
        ("ALWAYS", True, "ALLOWED"),
        ("ALLOWED", True, "ALLOWED"),
        ("ALLOWED_OFFLINE", True, "ALLOWED"),
        ("ALLOWED_OFFLINE", False, "BLOCKED"),
        ("NEVER", True, None),
        ("NEVER", False, None),
    ],
)
def test_answer_on_behalf_follows_the_whitelist(
    whitelist: str, valid: bool, allowed: str | None
) -> None:
    """Fallback: ALWAYS/ALLOWED/ALLOWED_OFFLINE answered from the token, NEVER not (§4.5)."""
    token = full_token() | {"whitelist": whitelist, "valid": valid}
    location = {"location_id": "LOC1", "evse_uids": ["EVSE1"]}

    answer = answer_on_behalf(token, location)

    if allowed is None:
        assert answer is None
        return
    assert answer is not None
    assert AuthorizationInfo.model_validate(answer).allowed == allowed
    assert answer["token"] == token and answer["location"] == location
    assert answer["info"]["language"] == "en" and "on its behalf" in answer["info"]["text"]
    assert "location" not in (answer_on_behalf(token, None) or {})


def test_token_type_from_the_query() -> None:
    """`?type=` names the TokenType, RFID when absent; anything else is 2001 (§4.5)."""
    assert token_type({}) == "RFID"
    assert token_type({"type": "APP_USER"}) == "APP_USER"
    for bad in ("app_user", "CARD", ""):
        with pytest.raises(InvalidParameters, match="type:"):
            token_type({"type": bad})


# ---- generated documents ------------------------------------------------------------------

_EXTRA = st.none() | st.integers() | strategies.strings(10)


def _maybe_null(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _lists(strategy: st.SearchStrategy[Any], max_size: int = 2) -> st.SearchStrategy[Any]:
    return st.none() | st.lists(strategy, max_size=max_size)


def _object(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[JsonObject]:
    """Required keys always, each optional key absent or present, and an unknown `x_vendor`."""
    return st.fixed_dictionaries(required, optional={**optional, "x_vendor": _EXTRA})


tokens = _object(
    {
        "country_code": strategies.ci_strings(2, min_size=2),
        "party_id": strategies.ci_strings(3, min_size=3),
        "uid": strategies.ci_strings(36),
        "type": strategies.enum_values(TokenType),
        "contract_id": strategies.ci_strings(36),
        "issuer": strategies.strings(64),
        "valid": st.booleans(),
        "whitelist": strategies.enum_values(WhitelistType),
        "last_updated": strategies.datetimes(),
    },
    {
        "visual_number": _maybe_null(strategies.strings(64)),
        "group_id": _maybe_null(strategies.ci_strings(36)),
        "language": _maybe_null(st.sampled_from(["en", "de", "nl"])),
        "default_profile_type": _maybe_null(strategies.enum_values(ProfileType)),
        "energy_contract": _maybe_null(
            _object(
                {"supplier_name": strategies.strings(64)},
                {"contract_id": _maybe_null(strategies.strings(64))},
            )
        ),
    },
)


@settings(max_examples=75, suppress_health_check=[HealthCheck.too_slow])
@given(doc=strategies.tariffs)
def test_generated_tariffs_validate_and_round_trip(doc: JsonObject) -> None:
    """Any spec-valid Tariff validates and dumps back to the same JSON (§4.4)."""
    assert round_trip(Tariff, doc) == doc


@settings(max_examples=75, suppress_health_check=[HealthCheck.too_slow])
@given(doc=tokens)
def test_generated_tokens_validate_and_round_trip(doc: JsonObject) -> None:
    """Any spec-valid Token validates and dumps back to the same JSON (§4.5)."""
    assert round_trip(Token, doc) == doc


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(token=tokens, location=st.none() | _object({"location_id": strategies.ci_strings(36)}, {}))
def test_generated_fallback_answers_are_valid_authorization_info(
    token: JsonObject, location: JsonObject | None
) -> None:
    """Whatever the hub answers on an eMSP's behalf is a valid AuthorizationInfo (§4.5)."""
    answer = answer_on_behalf(token, location)
    assert (answer is None) == (token["whitelist"] == "NEVER")
    if answer is not None:
        assert round_trip(AuthorizationInfo, answer) == answer
