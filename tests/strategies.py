"""Hypothesis strategies for spec-valid OCPI 2.2.1 Location, Token, Tariff, Session and CDR JSON
(checklist §4.1-§4.5, §1.9).

Everything generated here is valid by the letter of the spec (with the errata lengths we accept),
as plain JSON values: strings, ints, floats, bools, None, lists and dicts. Optional fields are
sometimes absent, sometimes null; unknown `x_*` fields appear at every level, since a hub must keep
what it does not understand.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from ocpi_hub.core.model import OcpiEnum
from ocpi_hub.core.modules import cdrs as cdr
from ocpi_hub.core.modules import locations as loc
from ocpi_hub.core.modules import sessions as ses
from ocpi_hub.core.modules import tariffs as tar
from ocpi_hub.core.modules import tokens as tok

JsonObject = dict[str, Any]
Draw = st.DrawFn

_PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_TEXT_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\r\n\t"
)


def ci_strings(max_size: int, min_size: int = 1) -> st.SearchStrategy[str]:
    """CiString(n): printable ASCII."""
    return st.text(_PRINTABLE_ASCII, min_size=min_size, max_size=max_size)


def strings(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """string(n): any UTF-8 text without control characters."""
    return st.text(_TEXT_CHARS, min_size=min_size, max_size=max_size)


def enum_values(enum: type[OcpiEnum]) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in enum])


@st.composite
def datetimes(draw: Draw) -> str:
    """DateTime in every allowed shape: with or without `Z`, with or without a fraction."""
    moment = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)))
    with_z = draw(st.booleans())
    # string(25) leaves room for 4 fraction digits with the Z, 5 without.
    digits = draw(st.integers(min_value=0, max_value=4 if with_z else 5))
    fraction = "." + draw(st.text("0123456789", min_size=digits, max_size=digits)) if digits else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + ("Z" if with_z else "")


def _maybe_null(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _lists(strategy: st.SearchStrategy[Any], max_size: int = 2) -> st.SearchStrategy[Any]:
    # `*` cardinality: absent (left to fixed_dictionaries), null, empty or a few entries.
    return st.none() | st.lists(strategy, max_size=max_size)


_EXTRA_VALUES = st.none() | st.integers() | strings(10) | st.lists(st.integers(), max_size=2)


def _object(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[JsonObject]:
    optional = {**optional, "x_vendor": _EXTRA_VALUES}
    return st.fixed_dictionaries(required, optional=optional)


latitudes = st.from_regex(r"-?[0-9]{1,2}\.[0-9]{5,7}", fullmatch=True)
longitudes = st.from_regex(r"-?[0-9]{1,3}\.[0-9]{5,7}", fullmatch=True)
hour_minutes = st.from_regex(r"([0-1][0-9]|2[0-3]):[0-5][0-9]", fullmatch=True)
# A JSON number as a parser hands it over: an int, or a float with at most four decimals.
percentages = st.integers(0, 100) | st.decimals(0, 100, places=4).map(float)
amounts = st.integers(0, 10_000) | st.decimals(0, 10_000, places=4).map(float)
urls = st.sampled_from(["https://example.com/logo.png", "https://cpo.example/img/1.jpg"])

display_texts = _object({"language": st.sampled_from(["en", "nl", "de"]), "text": strings(512)}, {})
geo_locations = _object({"latitude": latitudes, "longitude": longitudes}, {})
additional_geo_locations = _object(
    {"latitude": latitudes, "longitude": longitudes}, {"name": _maybe_null(display_texts)}
)
images = _object(
    {
        "url": urls,
        "category": enum_values(loc.ImageCategory),
        "type": st.sampled_from(["gif", "jpeg", "png", "svg"]),
    },
    {
        "thumbnail": _maybe_null(urls),
        "width": _maybe_null(st.integers(0, 99_999)),
        "height": _maybe_null(st.integers(0, 99_999)),
    },
)
business_details = _object(
    {"name": strings(100)}, {"website": _maybe_null(urls), "logo": _maybe_null(images)}
)


@st.composite
def publish_token_types(draw: Draw) -> JsonObject:
    """PublishTokenType obeying its rules: one identifier at least, uid ⇒ type, number ⇒ issuer."""
    chosen = draw(st.sets(st.sampled_from(["uid", "visual_number", "group_id"]), min_size=1))
    body: JsonObject = {}
    if "uid" in chosen:
        body["uid"] = draw(ci_strings(36))
        body["type"] = draw(enum_values(loc.TokenType))
    if "visual_number" in chosen:
        body["visual_number"] = draw(strings(64, min_size=1).filter(bool))
        body["issuer"] = draw(strings(64, min_size=1))
    if "group_id" in chosen:
        body["group_id"] = draw(ci_strings(36))
    return body


regular_hours = _object(
    {"weekday": st.integers(1, 7), "period_begin": hour_minutes, "period_end": hour_minutes}, {}
)
exceptional_periods = _object({"period_begin": datetimes(), "period_end": datetimes()}, {})


@st.composite
def hours(draw: Draw) -> JsonObject:
    """Hours: always open, or at least one regular period (checklist §4.1 Hours)."""
    always = draw(st.booleans())
    body: JsonObject = {"twentyfourseven": always}
    if not always:
        body["regular_hours"] = draw(st.lists(regular_hours, min_size=1, max_size=3))
    exceptions = _lists(exceptional_periods)
    extra = draw(
        st.fixed_dictionaries(
            {}, optional={"exceptional_openings": exceptions, "exceptional_closings": exceptions}
        )
    )
    return {**body, **extra}


energy_mixes = _object(
    {"is_green_energy": st.booleans()},
    {
        "energy_sources": _lists(
            _object(
                {"source": enum_values(loc.EnergySourceCategory), "percentage": percentages}, {}
            )
        ),
        "environ_impact": _lists(
            _object(
                {"category": enum_values(loc.EnvironmentalImpactCategory), "amount": amounts}, {}
            )
        ),
        "supplier_name": _maybe_null(strings(64)),
        "energy_product_name": _maybe_null(strings(64)),
    },
)

connectors = _object(
    {
        "id": ci_strings(36),
        "standard": enum_values(loc.ConnectorType),
        "format": enum_values(loc.ConnectorFormat),
        "power_type": enum_values(loc.PowerType),
        "max_voltage": st.integers(0, 1_000),
        "max_amperage": st.integers(0, 500),
        "last_updated": datetimes(),
    },
    {
        "max_electric_power": _maybe_null(st.integers(0, 400_000)),
        "tariff_ids": _lists(ci_strings(36)),
        "terms_and_conditions": _maybe_null(urls),
    },
)

status_schedules = _object(
    {"period_begin": datetimes(), "status": enum_values(loc.Status)},
    {"period_end": _maybe_null(datetimes())},
)

evses = _object(
    {
        "uid": ci_strings(36),
        "status": enum_values(loc.Status),
        "connectors": st.lists(connectors, min_size=1, max_size=3),
        "last_updated": datetimes(),
    },
    {
        "evse_id": _maybe_null(ci_strings(48)),
        "status_schedule": _lists(status_schedules),
        "capabilities": _lists(enum_values(loc.Capability), max_size=4),
        "floor_level": _maybe_null(strings(4)),
        "coordinates": _maybe_null(geo_locations),
        "physical_reference": _maybe_null(strings(16)),
        "directions": _lists(display_texts),
        "parking_restrictions": _lists(enum_values(loc.ParkingRestriction)),
        "images": _lists(images),
    },
)

_LOCATION_REQUIRED = {
    "country_code": ci_strings(2, min_size=2),
    "party_id": ci_strings(3, min_size=3),
    "id": ci_strings(36),
    "address": strings(255),
    "city": strings(45),
    "country": strings(3, min_size=3),
    "coordinates": geo_locations,
    "time_zone": st.sampled_from(["Europe/Amsterdam", "Europe/Oslo", "America/New_York"]),
    "last_updated": datetimes(),
}
_LOCATION_OPTIONAL = {
    "name": _maybe_null(strings(255)),
    "postal_code": _maybe_null(strings(10)),
    "state": _maybe_null(strings(45)),
    "related_locations": _lists(additional_geo_locations),
    "parking_type": _maybe_null(enum_values(loc.ParkingType)),
    "evses": _lists(evses, max_size=3),
    "directions": _lists(display_texts),
    "operator": _maybe_null(business_details),
    "suboperator": _maybe_null(business_details),
    "owner": _maybe_null(business_details),
    "facilities": _lists(enum_values(loc.Facility), max_size=4),
    "opening_times": _maybe_null(hours()),
    "charging_when_closed": _maybe_null(st.booleans()),
    "images": _lists(images),
    "energy_mix": _maybe_null(energy_mixes),
}


@st.composite
def locations(draw: Draw) -> JsonObject:
    """A spec-valid Location; `publish_allowed_to` only on unpublished ones (checklist §4.1)."""
    publish = draw(st.booleans())
    optional = dict(_LOCATION_OPTIONAL)
    if not publish:
        optional["publish_allowed_to"] = _lists(publish_token_types())
    body = draw(_object({**_LOCATION_REQUIRED, "publish": st.just(publish)}, optional))
    return body


energy_contracts = _object(
    {"supplier_name": strings(64)}, {"contract_id": _maybe_null(strings(64))}
)

# A spec-valid Token (checklist §4.5), sometimes with an unknown `x_vendor` field.
tokens = _object(
    {
        "country_code": ci_strings(2, min_size=2),
        "party_id": ci_strings(3, min_size=3),
        "uid": ci_strings(36),
        "type": enum_values(tok.TokenType),
        "contract_id": ci_strings(36),
        "issuer": strings(64),
        "valid": st.booleans(),
        "whitelist": enum_values(tok.WhitelistType),
        "last_updated": datetimes(),
    },
    {
        "visual_number": _maybe_null(strings(64)),
        "group_id": _maybe_null(ci_strings(36)),
        "language": _maybe_null(st.sampled_from(["en", "nl", "de", "fr"])),
        "default_profile_type": _maybe_null(enum_values(tok.ProfileType)),
        "energy_contract": _maybe_null(energy_contracts),
    },
)


# --- Tariffs, Sessions, CDRs (checklist §4.2-§4.4) ---------------------------------------------

# A JSON number as a parser hands it over; money may be negative (credit CDRs negate it).
money = st.integers(-10_000, 10_000) | st.decimals(-10_000, 10_000, places=4).map(float)
quantities = st.integers(0, 100_000) | st.decimals(0, 100_000, places=4).map(float)
local_dates = st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10)
_ids = ci_strings(36)

prices = _object({"excl_vat": money}, {"incl_vat": _maybe_null(money)})
price_components = _object(
    {
        "type": enum_values(tar.TariffDimensionType),
        "price": money,
        "step_size": st.integers(0, 3_600),
    },
    {"vat": _maybe_null(st.integers(0, 30) | st.decimals(0, 30, places=2).map(float))},
)
tariff_restrictions = _object(
    {},
    {
        "start_time": _maybe_null(hour_minutes),
        "end_time": _maybe_null(hour_minutes),
        "start_date": _maybe_null(local_dates),
        "end_date": _maybe_null(local_dates),
        **{
            f"{bound}_{unit}": _maybe_null(money)
            for bound in ("min", "max")
            for unit in ("kwh", "current", "power")
        },
        "min_duration": _maybe_null(st.integers(0, 86_400)),
        "max_duration": _maybe_null(st.integers(0, 86_400)),
        "day_of_week": _lists(enum_values(tar.DayOfWeek), max_size=7),
        "reservation": _maybe_null(enum_values(tar.ReservationRestrictionType)),
    },
)
tariff_elements = _object(
    {"price_components": st.lists(price_components, min_size=1, max_size=3)},
    {"restrictions": _maybe_null(tariff_restrictions)},
)
tariffs = _object(
    {
        "country_code": ci_strings(2, min_size=2),
        "party_id": ci_strings(3, min_size=3),
        "id": _ids,
        "currency": st.sampled_from(["EUR", "GBP", "CHF", "SEK"]),
        "elements": st.lists(tariff_elements, min_size=1, max_size=3),
        "last_updated": datetimes(),
    },
    {
        "type": _maybe_null(enum_values(tar.TariffType)),
        "tariff_alt_text": _lists(display_texts),
        "tariff_alt_url": _maybe_null(urls),
        "min_price": _maybe_null(prices),
        "max_price": _maybe_null(prices),
        "start_date_time": _maybe_null(datetimes()),
        "end_date_time": _maybe_null(datetimes()),
        "energy_mix": _maybe_null(energy_mixes),
    },
)

cdr_tokens = _object(
    {
        "country_code": ci_strings(2, min_size=2),
        "party_id": ci_strings(3, min_size=3),
        "uid": _ids,
        "type": enum_values(loc.TokenType),
        "contract_id": _ids,
    },
    {},
)


def _periods(types: list[cdr.CdrDimensionType]) -> st.SearchStrategy[JsonObject]:
    dimension = _object(
        {"type": st.sampled_from([t.value for t in types]), "volume": quantities}, {}
    )
    return _object(
        {"start_date_time": datetimes(), "dimensions": st.lists(dimension, min_size=1, max_size=3)},
        {"tariff_id": _maybe_null(_ids)},
    )


# A Session's periods may hold any dimension; a CDR's none of the session-only ones.
session_periods = _periods(list(cdr.CdrDimensionType))
cdr_periods = _periods([t for t in cdr.CdrDimensionType if t not in cdr.SESSION_ONLY_DIMENSIONS])

sessions = _object(
    {
        "country_code": ci_strings(2, min_size=2),
        "party_id": ci_strings(3, min_size=3),
        "id": _ids,
        "start_date_time": datetimes(),
        "kwh": quantities,
        "cdr_token": cdr_tokens,
        "auth_method": enum_values(cdr.AuthMethod),
        "location_id": _ids,
        "evse_uid": _ids | st.just("#NA"),
        "connector_id": _ids | st.just("#NA"),
        "currency": st.sampled_from(["EUR", "GBP", "NOK"]),
        "status": enum_values(ses.SessionStatus),
        "last_updated": datetimes(),
    },
    {
        "end_date_time": _maybe_null(datetimes()),
        "authorization_reference": _maybe_null(_ids),
        "meter_id": _maybe_null(strings(255)),
        "charging_periods": _maybe_null(st.lists(session_periods, max_size=3)),
        "total_cost": _maybe_null(prices),
    },
)

cdr_locations = _object(
    {
        "id": _ids,
        "address": strings(255),
        "city": strings(45),
        "country": strings(3, min_size=3),
        "coordinates": geo_locations,
        "evse_uid": _ids | st.just("#NA"),
        "evse_id": ci_strings(48) | st.just("#NA"),
        "connector_id": _ids | st.just("#NA"),
        "connector_standard": enum_values(loc.ConnectorType),
        "connector_format": enum_values(loc.ConnectorFormat),
        "connector_power_type": enum_values(loc.PowerType),
    },
    {
        "name": _maybe_null(strings(255)),
        "postal_code": _maybe_null(strings(10)),
        "state": _maybe_null(strings(45)),
    },
)
signed_data = _object(
    {
        "encoding_method": _ids,
        "signed_values": st.lists(
            _object(
                {
                    "nature": ci_strings(32),
                    "plain_data": strings(5000),
                    "signed_data": strings(5000),
                },
                {},
            ),
            min_size=1,
            max_size=2,
        ),
    },
    {
        "encoding_method_version": _maybe_null(st.integers(0, 10)),
        "public_key": _maybe_null(strings(512)),
        "url": _maybe_null(strings(512)),
    },
)
_CDR_OPTIONAL = {
    "session_id": _maybe_null(_ids),
    "authorization_reference": _maybe_null(_ids),
    "meter_id": _maybe_null(strings(255)),
    "tariffs": _lists(tariffs),
    "signed_data": _maybe_null(signed_data),
    "total_fixed_cost": _maybe_null(prices),
    "total_energy_cost": _maybe_null(prices),
    "total_time_cost": _maybe_null(prices),
    "total_parking_time": _maybe_null(quantities),
    "total_parking_cost": _maybe_null(prices),
    "total_reservation_cost": _maybe_null(prices),
    "remark": _maybe_null(strings(255)),
    "invoice_reference_id": _maybe_null(ci_strings(39)),
    "home_charging_compensation": _maybe_null(st.booleans()),
}


@st.composite
def cdrs(draw: Draw) -> JsonObject:
    """A spec-valid CDR; a credit CDR always names the CDR it credits."""
    credit = draw(st.sampled_from([None, False, True]))
    body = draw(
        _object(
            {
                "country_code": ci_strings(2, min_size=2),
                "party_id": ci_strings(3, min_size=3),
                "id": ci_strings(39),
                "start_date_time": datetimes(),
                "end_date_time": datetimes(),
                "cdr_token": cdr_tokens,
                "auth_method": enum_values(cdr.AuthMethod),
                "cdr_location": cdr_locations,
                "currency": st.sampled_from(["EUR", "GBP", "NOK"]),
                "charging_periods": st.lists(cdr_periods, min_size=1, max_size=3),
                "total_cost": prices,
                "total_energy": quantities,
                "total_time": quantities,
                "last_updated": datetimes(),
            },
            _CDR_OPTIONAL,
        )
    )
    if credit is not None:
        body["credit"] = credit
    if credit:
        body["credit_reference_id"] = draw(ci_strings(39))
    return body
