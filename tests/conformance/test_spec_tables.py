"""The suite's own spec tables and validator (conformance/spec*.py, validate.py), checked
without any endpoint: the tables are complete, valid objects pass, and each kind of mistake
the spec forbids is found and named."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.lists import parse_link
from conformance.spec import ENUMS, OBJECTS, PATTERNS
from conformance.validate import datetime_problem, errors, validate, warnings
from tests import factories

PRIMITIVES = {"CiString", "string", "URL", "DateTime", "boolean", "int", "number"}


def test_every_type_in_the_tables_is_defined() -> None:
    """Each field's type is a primitive, a pattern, an enum or another table: no typo hides."""
    known = PRIMITIVES | set(PATTERNS) | set(ENUMS) | set(OBJECTS)
    unknown = {
        f"{spec.name}.{f.name}: {f.type}"
        for spec in OBJECTS.values()
        for f in spec.fields
        if f.type not in known
    }
    assert not unknown
    assert all(f.cardinality in {"1", "?", "*", "+"} for s in OBJECTS.values() for f in s.fields)


def test_tables_hold_the_objects_the_suite_reads() -> None:
    """Location, EVSE, Connector, Tariff, Token, Session, CDR, Credentials, Version,
    VersionDetails and ClientInfo are all there with their required fields."""
    required = {name: {f.name for f in spec.fields if f.required} for name, spec in OBJECTS.items()}
    assert required["Location"] == {
        "country_code", "party_id", "id", "publish", "address", "city", "country",
        "coordinates", "time_zone", "last_updated",
    }  # fmt: skip
    assert required["EVSE"] == {"uid", "status", "connectors", "last_updated"}
    assert required["Token"] >= {"uid", "type", "contract_id", "issuer", "valid", "whitelist"}
    assert required["CDR"] >= {"cdr_location", "charging_periods", "total_cost", "total_time"}
    assert required["Credentials"] == {"token", "url", "roles"}
    assert required["VersionDetails"] == {"version", "endpoints"}
    assert required["ClientInfo"] == {"party_id", "country_code", "role", "status", "last_updated"}
    assert len(ENUMS["ConnectorType"]) == 40  # checklist §4.1: 2 + 15 DOMESTIC + 23
    assert {"IEC_60309_2_single_16", "CHAOJI", "NEMA_14_50"} <= ENUMS["ConnectorType"]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("Location", factories.location(evse_count=2)),
        ("Tariff", factories.tariff()),
        ("Token", factories.token()),
        ("Session", factories.session(charging_periods=[factories.charging_period()])),
        ("CDR", factories.cdr()),
    ],
)
def test_valid_objects_have_no_problem(kind: str, value: dict[str, Any]) -> None:
    """Spec-valid objects (the project's factories) validate without error or warning."""
    assert validate(kind, value) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2024-05-01T10:00:00Z", None),
        ("2024-05-01T10:00:00.123Z", None),
        ("2024-05-01T10:00:00+00:00", "UTC offset"),
        ("2024-05-01T10:00:00.1234567890Z", "string(25)"),
        ("2024-02-30T10:00:00Z", "not a real date"),
        ("2024-05-01 10:00:00Z", "not YYYY-MM-DDThh:mm:ss[.f]Z"),
        (1714557600, "not a DateTime string"),
    ],
)
def test_datetime_forms(value: object, problem: str | None) -> None:
    """DateTime (types §1.9): UTC with Z, fractions within 25 characters; offsets refused."""
    found = datetime_problem(value)
    if problem is None:
        assert found is None
    else:
        assert found is not None and not found.warning and problem in found.message


def test_datetime_without_z_is_only_a_warning() -> None:
    """Z is optional in 2.2.1 (UTC implied): allowed, but worth a warning."""
    found = datetime_problem("2024-05-01T10:00:00")
    assert found is not None and found.warning


def _location(**changes: Any) -> dict[str, Any]:
    return {**factories.location(), **changes}


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("Location", {k: v for k, v in _location().items() if k != "city"}, "city: is required"),
        ("Location", _location(id="X" * 37), "id: is 37 characters, longer than CiString(36)"),
        ("Location", _location(id="LOCÉ"), "CiString allows printable ASCII only"),
        ("Location", _location(name="two\nlines"), "must not contain CR, LF or TAB"),
        ("Location", _location(address="A" * 256), "longer than string(45)"),
        ("Location", _location(publish="yes"), "publish: is a string, expected a boolean"),
        ("Location", _location(coordinates={"latitude": "52.3", "longitude": "4.88172"}),
         "'52.3' is not a valid Latitude"),
        ("Location", _location(publish_allowed_to=[{"type": "RFID"}], publish=False),
         "needs at least one of uid, visual_number, group_id"),
        ("Location", _location(opening_times={"twentyfourseven": False}),
         "needs an entry when twentyfourseven is false"),
        ("EVSE", {**factories.evse(), "connectors": []}, "must hold at least one Connector"),
        ("EVSE", {**factories.evse(), "status": "FREE"}, "'FREE' is not a Status"),
        ("Connector", {**factories.connector(), "max_voltage": True}, "expected an integer"),
        ("Connector", {**factories.connector(), "max_amperage": 32.5}, "expected an integer"),
        ("Token", {**factories.token(), "whitelist": "always"}, "'always' is not a WhitelistType"),
        ("Session", {**factories.session(), "kwh": "0"}, "kwh: is a string, expected a number"),
        ("CDR", {**factories.cdr(), "credit": True}, "credit_reference_id: is required"),
        ("CDR", {**factories.cdr(), "charging_periods": [factories.charging_period(
            dimensions=[{"type": "STATE_OF_CHARGE", "volume": 80}])]},
         "STATE_OF_CHARGE is for Sessions only"),
        ("Credentials", {"token": "has space", "url": "http://x", "roles": []},
         "'has space' is not a valid CredentialsToken"),
        ("Credentials", {"token": "t", "url": "http://x", "roles": []},
         "roles: must hold at least one CredentialsRole"),
        ("Endpoint", {"identifier": "locations", "role": "BOTH", "url": "http://x"},
         "'BOTH' is not a InterfaceRole"),
    ],
)  # fmt: skip
def test_each_kind_of_mistake_is_an_error_naming_the_field(
    kind: str, value: dict[str, Any], problem: str
) -> None:
    """Missing fields, lengths, ASCII, control characters, types, patterns, enums and the
    spec's cross-field rules are errors whose message names the field and the problem."""
    found = [str(p) for p in errors(validate(kind, value))]
    assert any(problem in p for p in found), found


def test_errata_lengths_and_custom_modules_are_warnings() -> None:
    """An address within the post-d2 errata's 255 and a custom module id are warnings only."""
    address = validate("Location", _location(address="A" * 100))
    assert not errors(address) and "within errata's 255" in str(warnings(address)[0])
    custom = validate("Endpoint", {"identifier": "nltnm-tokens", "role": "SENDER", "url": "u"})
    assert not errors(custom) and "not a ModuleID" in str(warnings(custom)[0])


def test_unknown_fields_are_no_problem() -> None:
    """The spec is silent on extra fields (checklist §1.9): a peer may send them."""
    assert validate("Token", {**factories.token(), "x_custom": {"anything": 1}}) == []


@pytest.mark.parametrize(
    ("header", "url"),
    [
        ('<https://x/locations?offset=2&limit=2>; rel="next"', "https://x/locations?offset=2&limit=2"),
        ("<https://x/l?offset=2>; rel=next", "https://x/l?offset=2"),
        ('<https://x/p>; rel="prev", <https://x/n>; rel="next"', "https://x/n"),
        ('<https://x/p>; rel="prev"', None),
        (None, None),
    ],
)  # fmt: skip
def test_link_header_parsing(header: str | None, url: str | None) -> None:
    """`Link: <url>; rel="next"` in its usual spellings; other relations are not a next page."""
    assert parse_link(header) == url
