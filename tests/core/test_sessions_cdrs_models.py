"""Session, ChargingPreferences and CDR models, and the Session PATCH rule, against OCPI 2.2.1
Sessions and CDRs (checklist §4.2, §4.3, §1.8, §1.9).

`a_session`, `a_cdr` and `a_period` build small valid objects as plain JSON; the e2e tests of both
modules use them too (they belong in tests/factories.py once that file is free to change).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules import cdrs, sessions
from ocpi_hub.core.modules.cdrs import CDR, SESSION_ONLY_DIMENSIONS, CdrDimensionType
from ocpi_hub.core.modules.sessions import (
    ChargingPreferences,
    ChargingPreferencesResponse,
    Session,
    SessionStatus,
    patch_session,
)
from tests import strategies
from tests.factories import cdr as a_cdr
from tests.factories import cdr_location as a_cdr_location
from tests.factories import charging_period as a_period
from tests.factories import session as a_session

JsonObject = dict[str, Any]
EMSP = ("DE", "EMA")


def full_cdr() -> JsonObject:
    """Every CDR field, with an unknown `x_*` field at several levels."""
    price = {"excl_vat": 1.25, "incl_vat": 1.51}
    tariff = {
        "country_code": "NL",
        "party_id": "CPA",
        "id": "TARIFF-AC",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.4, "step_size": 1}]}],
        "last_updated": "2024-01-01T00:00:00Z",
    }
    return a_cdr(
        authorization_reference="AUTH-1",
        meter_id="METER-7",
        cdr_location=a_cdr_location(state="Noord-Holland", x_site="kept"),
        tariffs=[tariff],
        signed_data={
            "encoding_method": "OCMF",
            "encoding_method_version": 1,
            "public_key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
            "signed_values": [
                {"nature": "Start", "plain_data": "OCMF|{}", "signed_data": "MEUCIQ=="},
                {"nature": "End", "plain_data": "OCMF|{}", "signed_data": "MEUCIA=="},
            ],
            "url": "https://cpo.example/transparency",
        },
        total_fixed_cost=price,
        total_energy_cost=price,
        total_time_cost={"excl_vat": 0},
        total_parking_time=0.5,
        total_parking_cost=price,
        total_reservation_cost={"excl_vat": 0, "incl_vat": None},
        remark="Charged fine",
        invoice_reference_id="INV-2024-0001",
        credit=False,
        credit_reference_id=None,
        home_charging_compensation=False,
        x_cdr_extra={"nested": [1, None]},
    )


# ---- helpers ------------------------------------------------------------------------------


def _step(key: str) -> str | int:
    return int(key) if key.isdigit() else key


def with_value(doc: JsonObject, path: str, value: Any) -> JsonObject:
    """A copy of `doc` with the dotted `path` (list indices as numbers) set to `value`."""
    changed = copy.deepcopy(doc)
    *head, last = (_step(k) for k in path.split("."))
    node: Any = changed
    for key in head:
        node = node[key]
    node[last] = value
    return changed


def without(doc: JsonObject, path: str) -> JsonObject:
    changed = copy.deepcopy(doc)
    *head, last = (_step(k) for k in path.split("."))
    node: Any = changed
    for key in head:
        node = node[key]
    del node[last]
    return changed


def refusal(model: type[OcpiModel], doc: JsonObject) -> str:
    """Validate `doc`, expect a refusal, return its peer-facing message."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(doc)
    return validation_message(caught.value)


def round_trip(model: type[OcpiModel], doc: JsonObject) -> JsonObject:
    return model.model_validate(doc).model_dump(mode="json", exclude_unset=True)


# ---- hypothesis strategies: spec-valid Sessions, CDRs, ChargingPreferences ------------------

_EXTRA = st.none() | st.integers() | strategies.strings(10)
_quantities = strategies.quantities


def _object(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[JsonObject]:
    """Required fields always, optional ones sometimes (absent or drawn), plus an unknown one."""
    return st.fixed_dictionaries(required, optional={**optional, "x_vendor": _EXTRA})


def _maybe_null(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


charging_preferences_json = _object(
    {"profile_type": strategies.enum_values(sessions.ProfileType)},
    {
        "departure_time": _maybe_null(strategies.datetimes()),
        "energy_need": _maybe_null(_quantities),
        "discharge_allowed": _maybe_null(st.booleans()),
    },
)

_SLOW = settings(max_examples=75, suppress_health_check=[HealthCheck.too_slow])


# ---- Session ------------------------------------------------------------------------------


class TestSession:
    def test_session_with_every_field_round_trips(self) -> None:
        """Every Session field and unknown fields survive validate+dump unchanged (§4.2, §1.9)."""
        doc = a_session(
            end_date_time="2024-03-01T11:00:00.5Z",
            authorization_reference="AUTH-1",
            meter_id="METER-7",
            charging_periods=[a_period(0), a_period(15, x_period="kept")],
            total_cost={"excl_vat": 1.25, "incl_vat": 1.51},
            x_session_extra={"kept": True},
        )
        assert round_trip(Session, doc) == doc

    @_SLOW
    @given(doc=strategies.sessions)
    def test_generated_sessions_round_trip(self, doc: JsonObject) -> None:
        """Any spec-valid Session validates and dumps back to the same JSON (§4.2)."""
        assert round_trip(Session, doc) == doc

    @pytest.mark.parametrize(
        "path",
        [
            "country_code", "party_id", "id", "start_date_time", "kwh", "cdr_token",
            "cdr_token.country_code", "cdr_token.party_id", "cdr_token.uid", "cdr_token.type",
            "cdr_token.contract_id", "auth_method", "location_id", "evse_uid", "connector_id",
            "currency", "status", "last_updated",
        ],
    )  # fmt: skip
    def test_missing_required_field_is_refused_by_name(self, path: str) -> None:
        """A Session without a required field is refused, naming it (§4.2 required fields)."""
        assert f"{path}: Field required" in refusal(Session, without(a_session(), path))

    def test_na_is_allowed_for_evse_and_connector(self) -> None:
        """`#NA` fills evse_uid and connector_id of an unassigned reservation (§1.9, §4.2)."""
        doc = a_session(evse_uid="#NA", connector_id="#NA", status="RESERVATION")
        assert round_trip(Session, doc) == doc

    def test_session_only_dimensions_are_fine_in_a_session(self) -> None:
        """A Session's periods may carry live readings: CURRENT, POWER, STATE_OF_CHARGE (§4.3)."""
        dimensions = [{"type": t.value, "volume": 1} for t in SESSION_ONLY_DIMENSIONS]
        Session.model_validate(a_session(charging_periods=[a_period(dimensions=dimensions)]))

    def test_period_needs_a_dimension(self) -> None:
        """ChargingPeriod.dimensions is `+`: an empty list is refused (§4.3 ChargingPeriod)."""
        doc = a_session(charging_periods=[a_period(dimensions=[])])
        assert refusal(Session, doc).startswith("charging_periods.0.dimensions: ")

    def test_status_values(self) -> None:
        """SessionStatus: the enum says RESERVATION, not the text's RESERVED (§4.2, §7.5)."""
        assert [s.value for s in SessionStatus] == [
            "ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION",
        ]  # fmt: skip
        assert "status: " in refusal(Session, a_session(status="RESERVED"))

    def test_kwh_is_decimal_inside(self) -> None:
        """`number` fields are Decimal, never float (DESIGN.md decision 9, §1.9)."""
        assert Session.model_validate(a_session(kwh=12.3456)).kwh == Decimal("12.3456")
        assert refusal(Session, a_session(kwh="12.3")).startswith("kwh: ")

    def test_bad_datetime_is_refused(self) -> None:
        """DateTime offsets such as +00:00 are not OCPI (§1.9)."""
        doc = a_session(start_date_time="2024-03-01T10:00:00+00:00")
        assert refusal(Session, doc).startswith("start_date_time: ")


class TestChargingPreferences:
    @_SLOW
    @given(doc=charging_preferences_json)
    def test_generated_preferences_round_trip(self, doc: JsonObject) -> None:
        """Any spec-valid ChargingPreferences validates and dumps back unchanged (§4.2)."""
        assert round_trip(ChargingPreferences, doc) == doc

    def test_profile_type_is_required_and_an_enum(self) -> None:
        """profile_type [1] is one of CHEAP, FAST, GREEN, REGULAR (§4.2 ProfileType)."""
        assert refusal(ChargingPreferences, {}) == "profile_type: Field required"
        assert refusal(ChargingPreferences, {"profile_type": "SLOW"}).startswith("profile_type: ")

    def test_response_values(self) -> None:
        """ChargingPreferencesResponse has the spec's five values (§4.2)."""
        assert {r.value for r in ChargingPreferencesResponse} == {
            "ACCEPTED", "DEPARTURE_REQUIRED", "ENERGY_NEED_REQUIRED", "NOT_POSSIBLE",
            "PROFILE_TYPE_NOT_SUPPORTED",
        }  # fmt: skip


# ---- Session PATCH ------------------------------------------------------------------------


class TestPatchSession:
    def test_patch_periods_are_appended_and_fields_replaced(self) -> None:
        """PATCH: charging_periods appended, other fields replaced (§4.2 [M], §1.8)."""
        stored = a_session(charging_periods=[a_period(0), a_period(15), a_period(30)])
        before = copy.deepcopy(stored)
        patch = {
            "kwh": 6,
            "charging_periods": [a_period(45)],
            "last_updated": "2024-03-01T11:00:00Z",
        }

        updated = patch_session(stored, patch)

        assert updated["charging_periods"] == [
            a_period(0),
            a_period(15),
            a_period(30),
            a_period(45),
        ]
        assert (updated["kwh"], updated["last_updated"]) == (6, "2024-03-01T11:00:00Z")
        assert updated["cdr_token"] == stored["cdr_token"]
        assert stored == before, "inputs are not mutated"

    @pytest.mark.parametrize("periods", ["absent", None, []], ids=["absent", "null", "empty"])
    def test_patch_without_periods_leaves_them(self, periods: Any) -> None:
        """A PATCH with absent, null or empty charging_periods leaves them untouched (§4.2)."""
        stored = a_session(charging_periods=[a_period(0)])
        patch: JsonObject = {"status": "COMPLETED", "last_updated": "2024-03-01T11:00:00Z"}
        if periods != "absent":
            patch["charging_periods"] = periods
        updated = patch_session(stored, patch)
        assert updated["charging_periods"] == [a_period(0)]
        assert updated["status"] == "COMPLETED"

    def test_first_periods_of_a_session_without_any(self) -> None:
        """A PATCH's periods become the first ones when none were stored (§4.2)."""
        assert patch_session(a_session(), {"charging_periods": [a_period(0)]})[
            "charging_periods"
        ] == [a_period(0)]

    def test_periods_that_are_not_a_list_are_left_for_validation(self) -> None:
        """A malformed charging_periods is kept, so that validation refuses the PATCH (§1.8)."""
        updated = patch_session(a_session(), {"charging_periods": "none"})
        assert refusal(Session, updated).startswith("charging_periods: ")

    @_SLOW
    @given(
        stored=st.lists(strategies.session_periods, max_size=3),
        added=st.lists(strategies.session_periods, max_size=3),
    )
    def test_periods_only_ever_grow_by_the_patch(
        self, stored: list[JsonObject], added: list[JsonObject]
    ) -> None:
        """Stored periods stay a prefix; the PATCH's follow in order (§4.2 [M])."""
        updated = patch_session(a_session(charging_periods=stored), {"charging_periods": added})
        assert updated["charging_periods"] == stored + added


# ---- CDR ----------------------------------------------------------------------------------


class TestCdr:
    def test_full_cdr_round_trips(self) -> None:
        """Every CDR field and unknown fields survive validate+dump unchanged (§4.3, §1.9)."""
        doc = full_cdr()
        assert round_trip(CDR, doc) == doc
        assert CDR.model_validate(doc).total_cost.excl_vat == Decimal("4.6")

    @_SLOW
    @given(doc=strategies.cdrs())
    def test_generated_cdrs_round_trip(self, doc: JsonObject) -> None:
        """Any spec-valid CDR validates and dumps back to the same JSON (§4.3)."""
        assert round_trip(CDR, doc) == doc

    @pytest.mark.parametrize(
        "path",
        [
            "country_code", "party_id", "id", "start_date_time", "end_date_time", "cdr_token",
            "auth_method", "cdr_location", "currency", "charging_periods", "total_cost",
            "total_energy", "total_time", "last_updated", "cdr_location.address",
            "cdr_location.coordinates", "cdr_location.evse_id", "cdr_location.connector_standard",
            "charging_periods.0.start_date_time", "charging_periods.0.dimensions",
            "charging_periods.0.dimensions.0.volume", "total_cost.excl_vat",
        ],
    )  # fmt: skip
    def test_missing_required_field_is_refused_by_name(self, path: str) -> None:
        """A CDR without a required field is refused, naming it (§4.3 required fields)."""
        assert f"{path}: Field required" in refusal(CDR, without(a_cdr(), path))

    def test_charging_periods_must_not_be_empty(self) -> None:
        """CDR.charging_periods is `+`: at least one period (§4.3)."""
        assert refusal(CDR, a_cdr(charging_periods=[])).startswith("charging_periods: ")

    @pytest.mark.parametrize("kind", sorted(t.value for t in SESSION_ONLY_DIMENSIONS))
    def test_session_only_dimension_is_refused(self, kind: str) -> None:
        """CURRENT, ENERGY_EXPORT, ENERGY_IMPORT, POWER, STATE_OF_CHARGE never in a CDR (§4.3)."""
        doc = with_value(a_cdr(), "charging_periods.1.dimensions.0.type", kind)
        assert refusal(CDR, doc) == (
            f"charging_periods.1.dimensions: {kind} is a session-only dimension,"
            " not allowed in a CDR"
        )

    def test_billable_dimensions_are_accepted(self) -> None:
        """The other eight dimension types are what a CDR bills (§4.3 CdrDimensionType)."""
        billable = [t for t in CdrDimensionType if t not in SESSION_ONLY_DIMENSIONS]
        assert len(billable) == 8
        dimensions = [{"type": t.value, "volume": 1} for t in billable]
        CDR.model_validate(a_cdr(charging_periods=[a_period(dimensions=dimensions)]))

    def test_credit_cdr_names_the_cdr_it_credits(self) -> None:
        """credit=true requires credit_reference_id (§4.3 [M] credit CDRs)."""
        credit = a_cdr("CDR1-C", credit=True, total_cost={"excl_vat": -4.6, "incl_vat": -5.57})
        assert refusal(CDR, credit) == (
            "credit_reference_id: required when credit is true: the id of the CDR being credited"
        )
        assert "credit_reference_id" in refusal(CDR, {**credit, "credit_reference_id": None})
        CDR.model_validate({**credit, "credit_reference_id": "CDR1"})
        CDR.model_validate(a_cdr(credit=False))

    def test_na_is_allowed_in_a_reservation_cdr_location(self) -> None:
        """evse_uid, evse_id, connector_id may be `#NA` for a reservation-only CDR (§4.3)."""
        location = a_cdr_location(evse_uid="#NA", evse_id="#NA", connector_id="#NA")
        dimensions = [{"type": "RESERVATION_TIME", "volume": 0.5}]
        doc = a_cdr(
            cdr_location=location,
            charging_periods=[a_period(dimensions=dimensions)],
        )
        del doc["session_id"]
        assert round_trip(CDR, doc) == doc

    @pytest.mark.parametrize(
        ("path", "limit"),
        [
            ("id", 39), ("credit_reference_id", 39), ("invoice_reference_id", 39),
            ("session_id", 36), ("remark", 255), ("cdr_location.address", 255),
            ("cdr_location.state", 45), ("cdr_location.evse_id", 48),
            ("signed_data.signed_values.0.nature", 32),
            ("signed_data.signed_values.0.plain_data", 5000),  # errata length, §0
            ("signed_data.signed_values.0.signed_data", 5000),
            ("signed_data.public_key", 512),
        ],
    )  # fmt: skip
    def test_lengths(self, path: str, limit: int) -> None:
        """Strings at their (errata-lenient) limit pass, one more is refused (§1.9, §4.3)."""
        CDR.model_validate(with_value(full_cdr(), path, "A" * limit))
        message = refusal(CDR, with_value(full_cdr(), path, "A" * (limit + 1)))
        assert message.startswith(f"{path}: String should have at most {limit} characters")

    def test_plain_data_keeps_its_text_rules(self) -> None:
        """The widened plain_data is still a string(n): no line breaks (§1.9)."""
        doc = with_value(full_cdr(), "signed_data.signed_values.0.plain_data", "a\nb")
        assert refusal(CDR, doc).startswith("signed_data.signed_values.0.plain_data: ")

    def test_signed_values_must_not_be_empty(self) -> None:
        """SignedData.signed_values is `+` (§4.3 SignedData)."""
        doc = with_value(full_cdr(), "signed_data.signed_values", [])
        assert refusal(CDR, doc).startswith("signed_data.signed_values: ")

    def test_auth_method_values(self) -> None:
        """AuthMethod: AUTH_REQUEST, COMMAND, WHITELIST (§4.3)."""
        assert [m.value for m in cdrs.AuthMethod] == ["AUTH_REQUEST", "COMMAND", "WHITELIST"]
        assert sessions.AuthMethod is cdrs.AuthMethod
