"""OCPI Location → OICP EVSE data and status records (dialects.oicp.evse_data; hub-dialects.md
§5.4 "EVSE data record"): the hub as CPO; every row of the table, its Losses, and the schemas."""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp.evse_data import (
    OperatorProfile,
    evse_data_push,
    evse_records,
    evse_status_push,
    removed_evse_ids,
    removed_evse_records,
    status_records,
)
from tests import factories
from tests.oicp.schemas import request_problems

PROFILE = OperatorProfile("NL*CPO", "CPO BV", "+31201234567")
OUT = Direction.OUT


def lost(losses: list[Loss]) -> set[tuple[str, Lost]]:
    return {(x.field, x.lost) for x in losses}


def records_of(**overrides: Any) -> tuple[list[dict[str, Any]], list[Loss]]:
    """The records of a factory Location, checked against eRoamingPushEvseData."""
    records, losses = evse_records(factories.location(**overrides), PROFILE)
    assert (
        request_problems("eRoamingPushEvseData", evse_data_push("fullLoad", PROFILE, records)) == []
    )
    assert all(x.direction is OUT and x.module == "locations" for x in losses)
    return records, losses


def one(evse: dict[str, Any] | None = None, **overrides: Any) -> tuple[dict[str, Any], list[Loss]]:
    """The one record of a Location with one EVSE (`evse`: the factory EVSE's changes)."""
    if evse is not None:
        overrides["evses"] = [factories.evse(evse_id="NL*CPO*EEVSE1", **evse)]
    records, losses = records_of(**overrides)
    assert len(records) == 1
    return records[0], losses


def test_the_record_of_an_evse() -> None:
    """Every mandatory field of an EvseDataRecord, from the Location, the EVSE and the profile."""
    record, losses = one()
    assert record == {
        "EvseID": "NL*CPO*EEVSE1",
        "ChargingStationId": "LOC1",
        "ChargingStationNames": [{"lang": "nl", "value": "Museumplein"}],
        "Address": {
            "Country": "NLD",
            "City": "Amsterdam",
            "Street": "Museumplein",
            "HouseNum": "6",
            "PostalCode": "1071 DJ",
            "TimeZone": "UTC+01:00",
        },
        "GeoCoordinates": {"DecimalDegree": {"Latitude": "52.357570", "Longitude": "4.881720"}},
        "AccessibilityLocation": "OnStreet",
        "IsOpen24Hours": True,
        "RenewableEnergy": False,
        "HotlinePhoneNumber": "+31201234567",
        "IsHubjectCompatible": True,
        "DynamicInfoAvailable": "auto",
        "CalibrationLawDataAvailability": "Not Available",
        "Plugs": ["Type 2 Outlet"],
        "ChargingFacilities": [
            {"PowerType": "AC_3_PHASE", "Voltage": 230, "Amperage": 32, "Power": 22}
        ],
        "AuthenticationModes": ["NFC RFID Classic", "REMOTE"],
        "PaymentOptions": ["Contract"],
        "ValueAddedServices": ["None"],
        "Accessibility": "Free publicly accessible",
        "ChargingStationLocationReference": [{"lang": "nl", "value": "1"}],
        "lastUpdate": "2024-01-01T10:00:00Z",
    }
    assert lost(losses) == {
        ("name", Lost.GUESSED),
        ("time_zone", Lost.APPROXIMATED),
        ("energy_mix", Lost.GUESSED),
        ("evses[]", Lost.GUESSED),
        ("evses[].connectors[].max_electric_power", Lost.APPROXIMATED),
        ("evses[].connectors[].tariff_ids", Lost.DROPPED),
        ("evses[].parking_restrictions", Lost.GUESSED),
        ("evses[].uid", Lost.DROPPED),
    }


def test_one_record_per_evse_and_the_location_losses_once() -> None:
    """Three EVSEs give three records; the Location's own Losses are not repeated per EVSE."""
    records, losses = records_of(evse_count=3)
    assert [r["EvseID"] for r in records] == ["NL*CPO*EEVSE1", "NL*CPO*EEVSE2", "NL*CPO*EEVSE3"]
    assert [x.field for x in losses].count("name") == 1
    assert [x.field for x in losses].count("evses[].uid") == 3


def test_the_push_bodies() -> None:
    """Both push bodies name the profile's operator; a bad action is refused."""
    records, _ = records_of()
    body = evse_data_push("insert", PROFILE, records)
    assert body["ActionType"] == "insert"
    assert body["OperatorEvseData"]["OperatorID"] == "NL*CPO"
    assert body["OperatorEvseData"]["OperatorName"] == "CPO BV"
    with pytest.raises(ValueError, match="ActionType"):
        evse_data_push("upsert", PROFILE, records)
    with pytest.raises(ValueError, match="ActionType"):
        evse_status_push("replace", PROFILE, [])


def test_an_evse_without_evse_id_is_not_published() -> None:
    """No evse_id: no record, a DROPPED evses[].evse_id."""
    records, losses = evse_records(
        factories.location(evses=[factories.evse(evse_id=None)]), PROFILE
    )
    assert records == []
    assert lost(losses) == {("evses[].evse_id", Lost.DROPPED)}


def test_an_evse_of_another_operator_is_skipped() -> None:
    """An EvseID naming another operator than the profile's is not ours: skipped, a Loss."""
    evses = [factories.evse("A", evse_id="NL*CPO*EA"), factories.evse("B", evse_id="DE*ABC*EB")]
    records, losses = evse_records(factories.location(evses=evses), PROFILE)
    assert [r["EvseID"] for r in records] == ["NL*CPO*EA"]
    skipped = [x for x in losses if x.field == "evses[].evse_id"]
    assert [(x.lost, x.example) for x in skipped] == [(Lost.DROPPED, "DE*ABC*EB")]


def test_an_evse_id_oicp_cannot_take_is_skipped() -> None:
    """An evse_id without the eMI3 `E` is no EvseID: skipped, a Loss."""
    records, losses = evse_records(
        factories.location(evses=[factories.evse(evse_id="NL*CPO*123")]), PROFILE
    )
    assert records == [] and lost(losses) == {("evses[].evse_id", Lost.DROPPED)}


def test_planned_and_removed_evses() -> None:
    """PLANNED: no record, DROPPED; REMOVED: no record, named by removed_evse_ids and made by
    removed_evse_records for the delete push."""
    evses = [
        factories.evse("A", evse_id="NL*CPO*EA", status="PLANNED"),
        factories.evse("B", evse_id="nl*cpo*eb", status="REMOVED"),
        factories.evse("C", evse_id="NL*CPO*EC"),
        factories.evse("D", evse_id=None, status="REMOVED"),
    ]
    location = factories.location(evses=evses)
    records, losses = evse_records(location, PROFILE)
    assert [r["EvseID"] for r in records] == ["NL*CPO*EC"]
    assert ("evses[].status", Lost.DROPPED) in lost(losses)
    assert removed_evse_ids(location) == ["NL*CPO*EB"]
    removed, _ = removed_evse_records(location, PROFILE)
    assert [r["EvseID"] for r in removed] == ["NL*CPO*EB"]
    body = evse_data_push("delete", PROFILE, removed)
    assert request_problems("eRoamingPushEvseData", body) == []


@pytest.mark.parametrize(
    ("address", "country", "street", "number"),
    [
        ("Museumplein 6", "NLD", "Museumplein", "6"),
        ("Unter den Linden 77a", "DEU", "Unter den Linden", "77a"),
        ("Hauptstraße 3-5", "DEU", "Hauptstraße", "3-5"),
        ("10 Downing Street", "GBR", "Downing Street", "10"),
        ("12, rue de Rivoli", "FRA", "rue de Rivoli", "12"),
        ("5 Rue Lepic", "NLD", "Rue Lepic", "5"),
    ],
)
def test_the_address_line_is_split_into_street_and_house_number(
    address: str, country: str, street: str, number: str
) -> None:
    """A house number at the end or the start of the line (the country's order first)."""
    record, losses = one(address=address, country=country)
    assert (record["Address"]["Street"], record["Address"]["HouseNum"]) == (street, number)
    assert ("address", Lost.GUESSED) not in lost(losses)


def test_an_address_without_house_number_is_guessed() -> None:
    """No house number: HouseNum "" (OICP's is mandatory), a GUESSED address."""
    record, losses = one(address="Schiphol Plaza")
    assert (record["Address"]["Street"], record["Address"]["HouseNum"]) == ("Schiphol Plaza", "")
    assert ("address", Lost.GUESSED) in lost(losses)


def test_postal_code_state_and_floor() -> None:
    """No postal code: "" GUESSED; state is Region; the EVSE's floor_level is Floor."""
    record, losses = one(evse={"floor_level": "-1"}, postal_code=None, state="Noord-Holland")
    assert record["Address"]["PostalCode"] == ""
    assert record["Address"]["Region"] == "Noord-Holland"
    assert record["Address"]["Floor"] == "-1"
    assert ("postal_code", Lost.GUESSED) in lost(losses)


@pytest.mark.parametrize(
    ("zone", "offset", "loss"),
    [
        ("Europe/Berlin", "UTC+01:00", Lost.APPROXIMATED),
        ("America/New_York", "UTC-05:00", Lost.APPROXIMATED),
        ("Asia/Kolkata", "UTC+05:30", None),
        ("UTC", "UTC+00:00", None),
    ],
)
def test_the_time_zone_is_the_standard_offset(zone: str, offset: str, loss: Lost | None) -> None:
    """TimeZone is the zone's offset without daylight saving, APPROXIMATED where it has one."""
    record, losses = one(time_zone=zone, last_updated="2024-07-01T10:00:00Z")
    assert record["Address"]["TimeZone"] == offset
    assert [x.lost for x in losses if x.field == "time_zone"] == ([loss] if loss else [])


def test_an_unknown_time_zone_is_dropped() -> None:
    """A time_zone that is no IANA name: no TimeZone, DROPPED."""
    record, losses = one(time_zone="Mars/Olympus")
    assert "TimeZone" not in record["Address"]
    assert ("time_zone", Lost.DROPPED) in lost(losses)


def test_coordinates_keep_six_decimals() -> None:
    """A 7th decimal is rounded away (APPROXIMATED); an EVSE's own coordinates win."""
    point = {"latitude": "52.3575705", "longitude": "-4.8817204"}
    record, losses = one(coordinates=point)
    assert record["GeoCoordinates"] == {
        "DecimalDegree": {"Latitude": "52.357571", "Longitude": "-4.881720"}
    }
    assert ("coordinates.latitude", Lost.APPROXIMATED) in lost(losses)
    own = {"latitude": "52.35800", "longitude": "4.88200"}
    record, _ = one(evse={"coordinates": own})
    assert record["GeoCoordinates"]["DecimalDegree"] == {
        "Latitude": "52.35800",
        "Longitude": "4.88200",
    }


def test_charging_pool_id_when_the_location_id_is_one() -> None:
    """ChargingStationId is the Location id; ChargingPoolID too when it is an eMI3 pool id."""
    record, _ = one(id="NL*CPO*P1234")
    assert (record["ChargingStationId"], record["ChargingPoolID"]) == ("NL*CPO*P1234",) * 2
    record, _ = one(id="LOC1")
    assert "ChargingPoolID" not in record


def test_the_name_and_its_language() -> None:
    """The name's language is the country's (English elsewhere); no name: the address, GUESSED."""
    record, _ = one(country="DEU", address="Hauptstraße 1")
    assert record["ChargingStationNames"] == [{"lang": "de", "value": "Museumplein"}]
    record, _ = one(country="USA", address="1 Main Street")
    assert record["ChargingStationNames"][0]["lang"] == "en"
    record, losses = one(name=None)
    assert record["ChargingStationNames"] == [{"lang": "nl", "value": "Museumplein 6"}]
    assert ("name", Lost.GUESSED) in lost(losses)


@pytest.mark.parametrize(
    ("standard", "format", "plug", "loss"),
    [
        ("IEC_62196_T2", "SOCKET", "Type 2 Outlet", None),
        ("IEC_62196_T2", "CABLE", "Type 2 Connector (Cable Attached)", None),
        ("IEC_62196_T2_COMBO", "CABLE", "CCS Combo 2 Plug (Cable Attached)", None),
        ("IEC_62196_T1_COMBO", "CABLE", "CCS Combo 1 Plug (Cable Attached)", None),
        ("CHADEMO", "CABLE", "CHAdeMO", None),
        ("DOMESTIC_F", "SOCKET", "Type F Schuko", None),
        ("IEC_62196_T1", "SOCKET", "Type 1 Connector (Cable Attached)", Lost.APPROXIMATED),
        ("IEC_62196_T3A", "SOCKET", "Type 3 Outlet", Lost.APPROXIMATED),
        ("IEC_60309_2_three_16", "SOCKET", "IEC 60309 Three Phase", Lost.APPROXIMATED),
        ("TESLA_R", "CABLE", "Tesla Connector", Lost.APPROXIMATED),
    ],
)
def test_the_plug_of_a_connector(standard: str, format: str, plug: str, loss: Lost | None) -> None:
    """standard + format → Plugs; a format or variant the plug does not say is APPROXIMATED."""
    connector = factories.connector(standard=standard, format=format)
    record, losses = one(evse={"connectors": [connector]})
    assert record["Plugs"] == [plug]
    field = "evses[].connectors[].standard"
    assert [x.lost for x in losses if x.field == field] == ([loss] if loss else [])


def test_a_connector_oicp_cannot_name_is_dropped() -> None:
    """A GB/T connector is DROPPED with its facility; an EVSE with no other is not published."""
    gbt = factories.connector("1", standard="GBT_DC", format="CABLE", power_type="DC")
    t2 = factories.connector("2")
    record, losses = one(evse={"connectors": [gbt, t2]})
    assert record["Plugs"] == ["Type 2 Outlet"] and len(record["ChargingFacilities"]) == 1
    assert ("evses[].connectors[].standard", Lost.DROPPED) in lost(losses)
    assert ("evses[].connectors[].id", Lost.DROPPED) in lost(losses)  # "2" is now the first
    records, losses = evse_records(
        factories.location(evses=[factories.evse(evse_id="NL*CPO*E1", connectors=[gbt])]), PROFILE
    )
    assert records == [] and ("evses[]", Lost.DROPPED) in lost(losses)


def test_the_charging_facility_of_a_connector() -> None:
    """Voltage, Amperage, Power in whole kW; too large for OICP's fields: DROPPED; no power:
    voltage x amperage x phases, GUESSED; two-phase: AC_1_PHASE, APPROXIMATED."""
    dc = factories.connector(
        standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC",
        max_voltage=920, max_amperage=500, max_electric_power=350000,
    )  # fmt: skip
    record, losses = one(evse={"connectors": [dc]})
    assert record["ChargingFacilities"] == [{"PowerType": "DC", "Voltage": 920, "Power": 350}]
    assert ("evses[].connectors[].max_amperage", Lost.DROPPED) in lost(losses)
    guessed = factories.connector(max_electric_power=None, max_amperage=16)
    record, losses = one(evse={"connectors": [guessed]})
    assert record["ChargingFacilities"][0]["Power"] == 11  # 230 V x 16 A x 3
    assert ("evses[].connectors[].max_electric_power", Lost.GUESSED) in lost(losses)
    two = factories.connector(power_type="AC_2_PHASE", max_electric_power=7000)
    record, losses = one(evse={"connectors": [two]})
    assert record["ChargingFacilities"][0]["PowerType"] == "AC_1_PHASE"
    assert ("evses[].connectors[].power_type", Lost.APPROXIMATED) in lost(losses)


@pytest.mark.parametrize(
    ("capabilities", "modes", "payment", "services", "losses"),
    [
        (["RFID_READER"], ["NFC RFID Classic"], ["Contract"], ["None"], set()),
        (
            ["RESERVABLE", "REMOTE_START_STOP_CAPABLE"],
            ["REMOTE"],
            ["Contract"],
            ["Reservation"],
            set(),
        ),
        (["CREDIT_CARD_PAYABLE"], ["Direct Payment"], ["Contract", "Direct"], ["None"], set()),
        (
            ["PED_TERMINAL"],
            ["Direct Payment"],
            ["Contract", "Direct"],
            ["None"],
            {Lost.APPROXIMATED},
        ),
        (["UNLOCK_CAPABLE"], ["REMOTE"], ["Contract"], ["None"], {Lost.DROPPED, Lost.GUESSED}),
        ([], ["REMOTE"], ["Contract"], ["None"], {Lost.GUESSED}),
    ],
)
def test_capabilities(
    capabilities: list[str],
    modes: list[str],
    payment: list[str],
    services: list[str],
    losses: set[Lost],
) -> None:
    """Capabilities → AuthenticationModes, PaymentOptions, ValueAddedServices; none: REMOTE."""
    record, found = one(evse={"capabilities": capabilities})
    assert (record["AuthenticationModes"], record["PaymentOptions"]) == (modes, payment)
    assert record["ValueAddedServices"] == services
    assert {x.lost for x in found if x.field == "evses[].capabilities"} == losses


def test_accessibility_from_parking_restrictions() -> None:
    """CUSTOMERS: Restricted access; other restrictions are DROPPED; always GUESSED."""
    record, losses = one(evse={"parking_restrictions": ["CUSTOMERS", "EV_ONLY"]})
    assert record["Accessibility"] == "Restricted access"
    restricted = {x.lost for x in losses if x.field == "evses[].parking_restrictions"}
    assert restricted == {Lost.GUESSED, Lost.DROPPED}


@pytest.mark.parametrize(
    ("parking", "place", "loss"),
    [
        ("ON_STREET", "OnStreet", None),
        ("PARKING_LOT", "ParkingLot", None),
        ("PARKING_GARAGE", "ParkingGarage", None),
        ("UNDERGROUND_GARAGE", "UndergroundParkingGarage", None),
        ("ALONG_MOTORWAY", "ParkingLot", Lost.APPROXIMATED),
        ("ON_DRIVEWAY", None, Lost.DROPPED),
    ],
)
def test_parking_type(parking: str, place: str | None, loss: Lost | None) -> None:
    """parking_type → AccessibilityLocation."""
    record, losses = one(parking_type=parking)
    assert record.get("AccessibilityLocation") == place
    assert [x.lost for x in losses if x.field == "parking_type"] == ([loss] if loss else [])


def test_opening_times() -> None:
    """Regular hours → OpeningTimes per weekday; exceptional ones DROPPED; none: 24/7 GUESSED."""
    hours = {
        "twentyfourseven": False,
        "regular_hours": [
            {"weekday": 1, "period_begin": "08:00", "period_end": "12:00"},
            {"weekday": 1, "period_begin": "13:00", "period_end": "18:00"},
            {"weekday": 6, "period_begin": "10:00", "period_end": "14:00"},
        ],
        "exceptional_closings": [
            {"period_begin": "2024-12-25T00:00:00Z", "period_end": "2024-12-26T00:00:00Z"}
        ],
    }
    record, losses = one(opening_times=hours)
    assert record["IsOpen24Hours"] is False
    assert record["OpeningTimes"] == [
        {
            "Period": [{"begin": "08:00", "end": "12:00"}, {"begin": "13:00", "end": "18:00"}],
            "on": "Monday",
        },
        {"Period": [{"begin": "10:00", "end": "14:00"}], "on": "Saturday"},
    ]
    assert ("opening_times.exceptional_closings", Lost.DROPPED) in lost(losses)
    record, losses = one(opening_times=None)
    assert record["IsOpen24Hours"] is True and ("opening_times", Lost.GUESSED) in lost(losses)


def test_energy_mix() -> None:
    """is_green_energy, sources (whole percent up to 99), impact; what OICP cannot name DROPPED."""
    mix = {
        "is_green_energy": True,
        "energy_sources": [
            {"source": "SOLAR", "percentage": 60},
            {"source": "WIND", "percentage": 39.6},
            {"source": "GENERAL_GREEN", "percentage": 0.4},
        ],
        "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": 12.5}],
        "supplier_name": "Greenchoice",
    }
    record, losses = one(energy_mix=mix)
    assert record["RenewableEnergy"] is True
    assert record["EnergySource"] == [
        {"Energy": "Solar", "Percentage": 60},
        {"Energy": "Wind", "Percentage": 40},
    ]
    assert record["EnvironmentalImpact"] == {"CO2Emission": 12.5}
    assert {
        ("energy_mix.energy_sources[].source", Lost.DROPPED),
        ("energy_mix.energy_sources[].percentage", Lost.APPROXIMATED),
        ("energy_mix.supplier_name", Lost.DROPPED),
    } <= lost(losses)
    record, losses = one(
        energy_mix={
            "is_green_energy": True,
            "energy_sources": [{"source": "WIND", "percentage": 100}],
        }
    )
    assert record["EnergySource"] == [{"Energy": "Wind", "Percentage": 99}]


def test_directions_reference_and_image() -> None:
    """physical_reference, directions (the EVSE's win) and one image; the rest is DROPPED."""
    image = {"url": "https://cpo.example/a.png", "category": "CHARGER", "type": "png"}
    other = {"url": "https://cpo.example/b.png", "category": "LOCATION", "type": "png"}
    record, losses = one(
        evse={"directions": [{"language": "EN", "text": "Left of the gate"}], "images": [image]},
        directions=[{"language": "nl", "text": "Bij de poort"}],
        images=[other],
    )
    assert record["AdditionalInfo"] == [{"lang": "en", "value": "Left of the gate"}]
    assert record["ChargingStationImage"] == "https://cpo.example/a.png"
    assert {("directions", Lost.DROPPED), ("evses[].images", Lost.DROPPED)} <= lost(losses)


def test_location_fields_oicp_has_no_place_for() -> None:
    """owner, facilities, publish false, another operator name, the operator's website: DROPPED."""
    _, losses = one(
        owner={"name": "Gemeente"},
        facilities=["MUSEUM"],
        publish=False,
        operator={"name": "Other BV", "website": "https://other.example"},
        suboperator={"name": "Sub BV"},
    )
    assert {
        ("owner", Lost.DROPPED),
        ("facilities", Lost.DROPPED),
        ("publish", Lost.DROPPED),
        ("operator.name", Lost.DROPPED),
        ("operator.website", Lost.DROPPED),
    } <= lost(losses)
    record, _ = one(suboperator={"name": "Sub BV"})
    assert record["SubOperatorName"] == "Sub BV"


def test_status_records() -> None:
    """One EvseStatusRecord per EVSE with an EvseID, by status.oicp_status; PLANNED and REMOVED
    give none; BLOCKED is APPROXIMATED; the push validates."""
    evses = [
        factories.evse("A", evse_id="NL*CPO*EA", status="CHARGING"),
        factories.evse("B", evse_id="NL*CPO*EB", status="BLOCKED"),
        factories.evse("C", evse_id="NL*CPO*EC", status="PLANNED"),
        factories.evse("D", evse_id="NL*CPO*ED", status="REMOVED"),
        factories.evse("E", evse_id=None, status="AVAILABLE"),
    ]
    records, losses = status_records(factories.location(evses=evses))
    assert records == [
        {"EvseID": "NL*CPO*EA", "EvseStatus": "Occupied"},
        {"EvseID": "NL*CPO*EB", "EvseStatus": "Occupied"},
    ]
    assert lost(losses) == {
        ("evses[].status", Lost.APPROXIMATED),
        ("evses[].status", Lost.DROPPED),
        ("evses[].evse_id", Lost.DROPPED),
    }
    body = evse_status_push("update", PROFILE, records)
    assert request_problems("eRoamingPushEvseStatus", body) == []
