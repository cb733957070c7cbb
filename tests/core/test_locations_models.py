"""Location, EVSE and Connector models against the OCPI 2.2.1 Locations module (checklist §4.1)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from ocpi_hub.core.model import validation_message
from ocpi_hub.core.modules.locations import (
    ConnectorType,
    Evse,
    Location,
    PublishTokenType,
    TokenType,
)
from tests import factories, strategies

JsonObject = dict[str, Any]


def full_location() -> JsonObject:
    """Every Location field at every level, plus an unknown `x_*` field in each object."""
    image = {
        "url": "https://cpo.example/img/charger.jpg",
        "thumbnail": "https://cpo.example/img/charger-thumb.jpg",
        "category": "CHARGER",
        "type": "jpeg",
        "width": 512,
        "height": 512,
        "x_alt": "charger",
    }
    text = {"language": "nl", "text": "Naast de ingang", "x_source": "cms"}
    body = factories.location(
        publish=False,
        publish_allowed_to=[
            {"uid": "012345678", "type": "RFID", "x_note": 1},
            {"visual_number": "NL-ABC-123", "issuer": "Example MSP"},
            {"group_id": "FLEET-7"},
        ],
        state="Noord-Holland",
        related_locations=[
            {
                "latitude": "52.358000",
                "longitude": "4.882000",
                "name": dict(text),
                "x_kind": "entrance",
            }
        ],
        directions=[dict(text)],
        operator={
            "name": "Example CPO",
            "website": "https://cpo.example",
            "logo": dict(image, category="OPERATOR"),
            "x_vat": "NL000",
        },
        suboperator={"name": "Sub Operator"},
        owner={"name": "Gemeente Amsterdam", "website": None},
        facilities=["MUSEUM", "TRAM_STOP", "WIFI"],
        opening_times={
            "twentyfourseven": False,
            "regular_hours": [
                {"weekday": 1, "period_begin": "07:00", "period_end": "23:00", "x_q": True}
            ],
            "exceptional_openings": [
                {"period_begin": "2024-12-31T22:00:00Z", "period_end": "2025-01-01T02:00:00Z"}
            ],
            "exceptional_closings": [
                {"period_begin": "2024-12-25T00:00:00Z", "period_end": "2024-12-26T00:00:00Z"}
            ],
            "x_holiday_rules": [],
        },
        charging_when_closed=True,
        images=[dict(image)],
        energy_mix={
            "is_green_energy": True,
            "energy_sources": [
                {"source": "WIND", "percentage": 62.5, "x_region": "NL"},
                {"source": "SOLAR", "percentage": 37.5},
            ],
            "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": 0, "x_unit": "g/kWh"}],
            "supplier_name": "Groene Stroom BV",
            "energy_product_name": "Wind & Zon",
            "x_certified": True,
        },
        x_location_extra={"nested": [1, 2, {"deep": None}]},
    )
    body["coordinates"]["x_datum"] = "WGS84"
    evse = body["evses"][0]
    evse.update(
        status_schedule=[
            {"period_begin": "2024-02-01T00:00:00Z", "period_end": None, "status": "BLOCKED"},
            {"period_begin": "2024-03-01T00:00:00", "status": "AVAILABLE", "x_reason": "works"},
        ],
        floor_level="-1",
        coordinates={"latitude": "52.357571", "longitude": "4.881721"},
        directions=[dict(text)],
        parking_restrictions=["EV_ONLY", "PLUGGED"],
        images=[dict(image)],
        x_evse_extra="kept",
    )
    evse["connectors"][0].update(
        terms_and_conditions="https://cpo.example/terms",
        x_connector_extra={"cable_length_m": 5},
    )
    return body


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
    """A copy of `doc` with the key at the dotted `path` removed."""
    changed = copy.deepcopy(doc)
    node, last = _parent(changed, path)
    del node[last]
    return changed


def refusal(doc: JsonObject) -> str:
    """Validate `doc`, expect a refusal, return its peer-facing message."""
    with pytest.raises(ValidationError) as caught:
        Location.model_validate(doc)
    return validation_message(caught.value)


def round_trip(doc: JsonObject) -> JsonObject:
    return Location.model_validate(doc).model_dump(mode="json", exclude_unset=True)


class TestRoundTrip:
    def test_full_location_round_trips(self) -> None:
        """Every field and every unknown field survives validate+dump unchanged (§4.1, §1.9)."""
        doc = full_location()
        assert round_trip(doc) == doc

    def test_factory_objects_validate(self) -> None:
        """The shared factories produce spec-valid Locations, EVSEs and Connectors (§4.1)."""
        assert round_trip(factories.location(evse_count=3)) == factories.location(evse_count=3)
        assert Evse.model_validate(factories.evse(connector_count=2)).connectors[1].id == "2"

    def test_unknown_fields_are_kept_on_the_model(self) -> None:
        """Unknown fields are accepted and kept, not ignored (DESIGN.md decision 11, §1.9)."""
        model = Location.model_validate(full_location())
        assert model.model_extra == {"x_location_extra": {"nested": [1, 2, {"deep": None}]}}
        assert model.evses is not None
        assert model.evses[0].model_extra == {"x_evse_extra": "kept"}

    def test_null_optional_fields_round_trip(self) -> None:
        """`?` and `*` fields may be null and stay null on the way out (§0 legend)."""
        doc = factories.location(
            name=None, postal_code=None, state=None, evses=None, facilities=None, energy_mix=None
        )
        assert round_trip(doc) == doc

    def test_numbers_are_decimal_inside_and_json_numbers_outside(self) -> None:
        """EnergySource.percentage is held as Decimal and written back as a JSON number (§1.9)."""
        model = Location.model_validate(full_location())
        assert model.energy_mix is not None and model.energy_mix.energy_sources is not None
        assert model.energy_mix.energy_sources[0].percentage == Decimal("62.5")
        dumped = model.model_dump(mode="json", exclude_unset=True)
        assert dumped["energy_mix"]["environ_impact"][0]["amount"] == 0
        assert isinstance(dumped["energy_mix"]["environ_impact"][0]["amount"], int)

    @settings(max_examples=75, suppress_health_check=[HealthCheck.too_slow])
    @given(doc=strategies.locations())
    def test_generated_locations_validate_and_round_trip(self, doc: JsonObject) -> None:
        """Any spec-valid Location validates and dumps back to the same JSON (§4.1)."""
        assert round_trip(doc) == doc


REQUIRED_PATHS = [
    # Location (1)
    "country_code", "party_id", "id", "publish", "address", "city", "country", "coordinates",
    "time_zone", "last_updated",
    # EVSE and Connector
    "evses.0.uid", "evses.0.status", "evses.0.connectors", "evses.0.last_updated",
    "evses.0.connectors.0.id", "evses.0.connectors.0.standard", "evses.0.connectors.0.format",
    "evses.0.connectors.0.power_type", "evses.0.connectors.0.max_voltage",
    "evses.0.connectors.0.max_amperage", "evses.0.connectors.0.last_updated",
    # Sub-classes
    "coordinates.latitude", "coordinates.longitude",
    "related_locations.0.latitude", "related_locations.0.longitude",
    "directions.0.language", "directions.0.text",
    "operator.name", "operator.logo.url", "operator.logo.category", "operator.logo.type",
    "opening_times.twentyfourseven",
    "opening_times.regular_hours.0.weekday", "opening_times.regular_hours.0.period_begin",
    "opening_times.regular_hours.0.period_end",
    "opening_times.exceptional_openings.0.period_begin",
    "opening_times.exceptional_closings.0.period_end",
    "evses.0.status_schedule.0.period_begin", "evses.0.status_schedule.0.status",
    "energy_mix.is_green_energy",
    "energy_mix.energy_sources.0.source", "energy_mix.energy_sources.0.percentage",
    "energy_mix.environ_impact.0.category", "energy_mix.environ_impact.0.amount",
]  # fmt: skip


class TestRequiredFields:
    @pytest.mark.parametrize("path", REQUIRED_PATHS)
    def test_missing_required_field_is_refused_by_name(self, path: str) -> None:
        """A field of cardinality 1 or + that is absent is refused, naming its path (§4.1)."""
        assert f"{path}: Field required" in refusal(without(full_location(), path))

    @pytest.mark.parametrize("path", ["address", "evses.0.status", "coordinates.latitude"])
    def test_null_in_required_field_is_refused(self, path: str) -> None:
        """null is not a value for a required field (§0 legend: only `?`/`*` may be null)."""
        assert refusal(with_value(full_location(), path, None)).startswith(f"{path}: ")


MAX_LENGTHS = [
    ("country_code", 2), ("party_id", 3), ("id", 36), ("name", 255),
    ("address", 255),  # errata length, §7.18
    ("city", 45), ("postal_code", 10),
    ("state", 45),  # errata length, §7.18
    ("country", 3), ("time_zone", 255),
    ("evses.0.uid", 36), ("evses.0.evse_id", 48), ("evses.0.floor_level", 4),
    ("evses.0.physical_reference", 16), ("evses.0.connectors.0.id", 36),
    ("evses.0.connectors.0.tariff_ids.0", 36), ("evses.0.connectors.0.terms_and_conditions", 255),
    ("directions.0.language", 2), ("directions.0.text", 512), ("operator.name", 100),
    ("operator.website", 255), ("images.0.type", 4), ("images.0.url", 255),
    ("publish_allowed_to.0.uid", 36), ("publish_allowed_to.1.visual_number", 64),
    ("publish_allowed_to.1.issuer", 64), ("publish_allowed_to.2.group_id", 36),
    ("energy_mix.supplier_name", 64), ("energy_mix.energy_product_name", 64),
]  # fmt: skip


class TestLengths:
    @pytest.mark.parametrize(("path", "limit"), MAX_LENGTHS)
    def test_string_at_its_limit_is_accepted(self, path: str, limit: int) -> None:
        """A string of exactly its CiString(n)/string(n) length is valid (§1.9)."""
        Location.model_validate(with_value(full_location(), path, "A" * limit))

    @pytest.mark.parametrize(("path", "limit"), MAX_LENGTHS)
    def test_string_over_its_limit_is_refused(self, path: str, limit: int) -> None:
        """One character over CiString(n)/string(n) is refused, naming the field (§1.9)."""
        message = refusal(with_value(full_location(), path, "A" * (limit + 1)))
        assert message.startswith(f"{path}: String should have at most {limit} characters")

    def test_non_ascii_cistring_is_refused(self) -> None:
        """CiString allows printable ASCII only (§1.9)."""
        assert refusal(with_value(full_location(), "id", "LOCÉ")).startswith("id: ")

    def test_string_with_line_break_is_refused(self) -> None:
        """string(n) must not contain CR, LF or TAB (§1.9)."""
        assert refusal(with_value(full_location(), "name", "Museum\nplein")).startswith("name: ")

    def test_non_ascii_string_is_accepted(self) -> None:
        """string(n) is UTF-8: non-ASCII text is fine where it is not a CiString (§1.9)."""
        Location.model_validate(with_value(full_location(), "city", "Düsseldorf"))


class TestEnums:
    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("evses.0.status", "FREE"),
            ("evses.0.connectors.0.standard", "Type2"),
            ("evses.0.connectors.0.format", "PLUG"),
            ("evses.0.connectors.0.power_type", "AC"),
            ("parking_type", "STREET"),
            ("facilities.0", "GYM"),
            ("evses.0.capabilities.0", "NFC"),
            ("evses.0.parking_restrictions.0", "TAXI"),
            ("images.0.category", "PHOTO"),
            ("energy_mix.energy_sources.0.source", "HYDRO"),
            ("energy_mix.environ_impact.0.category", "METHANE"),
            ("publish_allowed_to.0.type", "CARD"),
        ],
    )
    def test_unknown_enum_value_is_refused(self, path: str, value: str) -> None:
        """A value outside the enum's table is refused, naming the field (§4.1 enums)."""
        assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("evses.0.status", "available"),
            ("evses.0.connectors.0.standard", "iec_62196_t2"),
            ("evses.0.connectors.0.power_type", "dc"),
            ("facilities.0", "Wifi"),
            ("evses.0.connectors.0.standard", "IEC_60309_2_SINGLE_16"),
        ],
    )
    def test_enum_in_other_case_is_refused(self, path: str, value: str) -> None:
        """Enum values are case-sensitive strings (§1.9)."""
        assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")

    def test_mixed_case_connector_type_is_accepted(self) -> None:
        """`IEC_60309_2_single_16` is spelled in mixed case by the spec and accepted so (§1.9)."""
        doc = with_value(full_location(), "evses.0.connectors.0.standard", "IEC_60309_2_single_16")
        assert round_trip(doc) == doc

    def test_connector_types_include_2_2_1_additions(self) -> None:
        """ConnectorType has its 40 values incl. CHAOJI, DOMESTIC_A..O, GBT_*, NEMA_* (§4.1)."""
        values = {member.value for member in ConnectorType}
        assert len(values) == 40
        assert {f"DOMESTIC_{letter}" for letter in "ABCDEFGHIJKLMNO"} <= values
        assert {"CHAOJI", "GBT_AC", "GBT_DC", "NEMA_5_20", "NEMA_14_50"} <= values

    def test_token_types(self) -> None:
        """TokenType is AD_HOC_USER, APP_USER, OTHER, RFID (mod_tokens, used by §4.1)."""
        assert [t.value for t in TokenType] == ["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]


DATETIME_PATHS = [
    "last_updated",
    "evses.0.last_updated",
    "evses.0.connectors.0.last_updated",
    "opening_times.exceptional_openings.0.period_begin",
    "evses.0.status_schedule.0.period_begin",
]


class TestDateTime:
    @pytest.mark.parametrize("path", DATETIME_PATHS)
    @pytest.mark.parametrize(
        "value",
        [
            "2024-01-01T10:00:00+00:00",  # RFC 3339 offset, not an OCPI form
            "2024-01-01",  # date only
            "2024-01-01T10:00:00.12345Z",  # 26 characters
            "2024-01-01T10:00:00.123456789",  # 29 characters
            "2024-01-01 10:00:00Z",  # space instead of T
            "2024-13-01T10:00:00Z",  # no month 13
        ],
    )
    def test_bad_datetime_is_refused(self, path: str, value: str) -> None:
        """DateTime is string(25) `YYYY-MM-DDThh:mm:ss[.f][Z]`, UTC; other forms refused (§1.9)."""
        assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")

    @pytest.mark.parametrize(
        "value",
        [
            "2024-01-01T10:00:00Z",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00.1Z",
            "2024-01-01T10:00:00.1234Z",
            "2024-01-01T10:00:00.12345",
        ],
    )
    def test_allowed_datetime_forms_are_kept_verbatim(self, value: str) -> None:
        """With or without Z, with fractions up to 25 chars: accepted and never rewritten (§1.9)."""
        doc = with_value(full_location(), "evses.0.connectors.0.last_updated", value)
        assert round_trip(doc)["evses"][0]["connectors"][0]["last_updated"] == value


class TestCoordinates:
    @pytest.mark.parametrize(
        ("latitude", "longitude"),
        [
            ("52.370216", "4.895168"),
            ("0.00000", "0.00000"),
            ("-12.1234567", "-123.1234567"),  # 11 / 12 chars: the regex wins (§7.8)
            ("-9.12345", "179.99999"),
        ],
    )
    def test_regex_conformant_coordinates_are_accepted(self, latitude: str, longitude: str) -> None:
        """GeoLocation accepts what the spec regex allows, past string(10)/(11) (§4.1, §7.8)."""
        point = {"latitude": latitude, "longitude": longitude}
        doc = with_value(full_location(), "coordinates", point)
        assert round_trip(doc) == doc

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("latitude", "52.3702"),  # 4 decimals
            ("latitude", "52.12345678"),  # 8 decimals
            ("latitude", "52,370216"),  # comma separator
            ("latitude", "152.37021"),  # 3 integer digits
            ("latitude", "+52.37021"),
            ("latitude", " 52.37021"),
            ("latitude", "52.370216\n"),
            ("latitude", 52.370216),  # a JSON number, not a string
            ("longitude", "1234.12345"),
            ("longitude", "4.8951"),
            ("longitude", ""),
        ],
    )
    def test_bad_coordinates_are_refused(self, field: str, value: Any) -> None:
        """Latitude/longitude must match the spec regexes, as strings (§4.1 GeoLocation)."""
        path = f"coordinates.{field}"
        assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")


class TestCardinality:
    def test_empty_connectors_list_is_refused(self) -> None:
        """EVSE.connectors is Connector[+]: at least one (§4.1 EVSE)."""
        message = refusal(with_value(full_location(), "evses.0.connectors", []))
        assert message.startswith("evses.0.connectors: List should have at least 1 item")

    def test_null_connectors_list_is_refused(self) -> None:
        """A `+` list is required: null is not allowed (§0 legend)."""
        assert refusal(with_value(full_location(), "evses.0.connectors", None)).startswith(
            "evses.0.connectors: "
        )

    @pytest.mark.parametrize("value", [[], None])
    def test_empty_or_null_star_list_is_accepted(self, value: Any) -> None:
        """`*` lists such as Location.evses may be empty or null (§0 legend)."""
        doc = with_value(full_location(), "evses", value)
        assert round_trip(doc) == doc


class TestPublish:
    def test_publish_allowed_to_with_publish_true_is_refused(self) -> None:
        """publish_allowed_to is only allowed when publish is false (§4.1 Location)."""
        message = refusal(with_value(full_location(), "publish", True))
        assert message == "publish_allowed_to: only allowed when publish is false"

    def test_empty_publish_allowed_to_with_publish_true_is_accepted(self) -> None:
        """An empty publish_allowed_to restricts nothing, so publish=true may carry it (§4.1)."""
        Location.model_validate(factories.location(publish=True, publish_allowed_to=[]))

    @pytest.mark.parametrize(
        "token",
        [
            {"uid": "04A1B2C3", "type": "RFID"},
            {"visual_number": "NL-ABC-123", "issuer": "Example MSP"},
            {"group_id": "FLEET-7"},
            {"uid": "04A1B2C3", "type": "APP_USER", "group_id": "FLEET-7"},
        ],
    )
    def test_valid_publish_token_types(self, token: JsonObject) -> None:
        """A PublishTokenType with an identifier and its companion field is valid (§4.1)."""
        assert PublishTokenType.model_validate(token).model_dump(exclude_unset=True) == token

    @pytest.mark.parametrize(
        ("token", "expected"),
        [
            ({}, "at least one of uid, visual_number or group_id is required"),
            ({"type": "RFID", "issuer": "MSP"}, "at least one of uid"),
            ({"uid": ""}, "at least one of uid"),
            ({"uid": "04A1B2C3"}, "type: required when uid is given"),
            ({"visual_number": "NL-ABC-123"}, "issuer: required when visual_number is given"),
            ({"group_id": "G", "visual_number": "1", "issuer": ""}, "issuer: required when"),
        ],
    )
    def test_invalid_publish_token_types(self, token: JsonObject, expected: str) -> None:
        """≥1 of uid/visual_number/group_id; uid needs type; visual_number needs issuer (§4.1)."""
        doc = factories.location(publish=False, publish_allowed_to=[token])
        assert expected in refusal(doc)


class TestStrictScalars:
    @pytest.mark.parametrize(
        "path",
        [
            "publish",
            "charging_when_closed",
            "opening_times.twentyfourseven",
            "energy_mix.is_green_energy",
        ],
    )
    @pytest.mark.parametrize("value", ["yes", "true", 1, 0])
    def test_boolean_refuses_non_booleans(self, path: str, value: Any) -> None:
        """A boolean is JSON true/false, never "yes", "true" or 1 (§1.9)."""
        assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")

    @pytest.mark.parametrize(
        "path",
        [
            "evses.0.connectors.0.max_voltage",
            "evses.0.connectors.0.max_amperage",
            "evses.0.connectors.0.max_electric_power",
            "images.0.width",
            "opening_times.regular_hours.0.weekday",
        ],
    )
    @pytest.mark.parametrize("value", ["230", True, 230.5])
    def test_int_refuses_non_integers(self, path: str, value: Any) -> None:
        """An int is a JSON integer: no strings, booleans or fractions (§1.9)."""
        assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("energy_mix.energy_sources.0.percentage", "50"),
            ("energy_mix.energy_sources.0.percentage", True),
            ("energy_mix.energy_sources.0.percentage", 100.5),
            ("energy_mix.energy_sources.0.percentage", -1),
            ("energy_mix.environ_impact.0.amount", "12.5"),
            ("energy_mix.environ_impact.0.amount", float("nan")),
            ("images.0.width", 100_000),
            ("images.0.height", -1),
        ],
    )
    def test_number_out_of_type_or_range_is_refused(self, path: str, value: Any) -> None:
        """numbers are JSON numbers in range: percentage 0-100, int(5) at most 5 digits (§4.1)."""
        assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")


class TestHours:
    @pytest.mark.parametrize("regular", [None, []])
    def test_not_always_open_needs_regular_hours(self, regular: Any) -> None:
        """twentyfourseven=false needs at least one RegularHours (§4.1 Hours)."""
        doc = factories.location(opening_times={"twentyfourseven": False})
        if regular is not None:
            doc["opening_times"]["regular_hours"] = regular
        message = refusal(doc)
        assert message.startswith("opening_times.regular_hours: at least one entry is required")

    def test_always_open_needs_no_regular_hours(self) -> None:
        """twentyfourseven=true stands alone (§4.1 Hours)."""
        Location.model_validate(factories.location(opening_times={"twentyfourseven": True}))

    @pytest.mark.parametrize("weekday", [0, 8, -1])
    def test_weekday_outside_1_to_7_is_refused(self, weekday: int) -> None:
        """RegularHours.weekday is 1 (Monday) to 7 (Sunday) (§4.1 RegularHours)."""
        path = "opening_times.regular_hours.0.weekday"
        assert refusal(with_value(full_location(), path, weekday)).startswith(f"{path}: ")

    @pytest.mark.parametrize("weekday", [1, 7])
    def test_weekday_bounds_are_accepted(self, weekday: int) -> None:
        """Monday (1) and Sunday (7) are both valid weekdays (§4.1 RegularHours)."""
        Location.model_validate(
            with_value(full_location(), "opening_times.regular_hours.0.weekday", weekday)
        )

    @pytest.mark.parametrize("value", ["24:00", "9:00", "09:60", "0900", "09:00:00", "09.00"])
    def test_bad_period_time_is_refused(self, value: str) -> None:
        """period_begin/end match `([0-1][0-9]|2[0-3]):[0-5][0-9]` (§4.1 RegularHours)."""
        for field in ("period_begin", "period_end"):
            path = f"opening_times.regular_hours.0.{field}"
            assert refusal(with_value(full_location(), path, value)).startswith(f"{path}: ")

    @pytest.mark.parametrize("value", ["00:00", "09:05", "19:59", "23:59"])
    def test_good_period_time_is_accepted(self, value: str) -> None:
        """Any hh:mm from 00:00 to 23:59 is a valid period time (§4.1 RegularHours)."""
        doc = with_value(full_location(), "opening_times.regular_hours.0.period_end", value)
        doc = with_value(doc, "opening_times.regular_hours.0.period_begin", value)
        Location.model_validate(doc)


class TestValidationMessage:
    def test_message_names_the_path_with_indices(self) -> None:
        """The 2001 message names the failing field as a dotted path with list indices (§1.4)."""
        doc = with_value(full_location(), "evses.0.connectors", [])
        assert refusal(doc) == (
            "evses.0.connectors: List should have at least 1 item after validation, not 0"
        )

    def test_message_lists_at_most_three_errors(self) -> None:
        """Many errors are summarised as the first three, joined by "; " (§1.4)."""
        doc = full_location()
        for path in ("id", "city", "country", "time_zone"):
            doc = without(doc, path)
        message = refusal(doc)
        assert message == "id: Field required; city: Field required; country: Field required"

    def test_message_drops_pydantic_value_error_prefix(self) -> None:
        """Our own rule violations read as plain reasons, not "Value error, ..." (§1.4)."""
        message = refusal(with_value(full_location(), "last_updated", "2024-01-01"))
        assert message.startswith("last_updated: not an OCPI DateTime")

    def test_message_without_path_for_whole_object(self) -> None:
        """A wrong top-level type has no path, only the reason (§1.4)."""
        with pytest.raises(ValidationError) as caught:
            Location.model_validate([])
        message = validation_message(caught.value)
        assert message == "Input should be a valid dictionary or instance of Location"
