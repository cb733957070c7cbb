"""OICP EVSE data and status pulls → OCPI Locations (dialects.oicp.evse_pull; hub-dialects.md
§5.4): the hub as EMP reads what the fake Hubject (tests/oicp/hubject_state.py) serves; every
row of the table, its Losses, and a Location through Hubject and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings

from ocpi_hub.core.modules.locations import Location
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp.evse_data import OperatorProfile, evse_data_push, evse_records
from ocpi_hub.dialects.oicp.evse_pull import (
    evse_statuses,
    locations,
    pull_evse_data_request,
    pull_evse_status_request,
)
from tests import factories
from tests.dialects.oicp.strategies import carried_locations
from tests.oicp.hubject_state import HubjectData
from tests.oicp.schemas import request_problems, response_problems

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PROFILE = OperatorProfile("NL*CPO", "CPO BV", "+31201234567")


def lost(losses: list[Loss]) -> set[tuple[str, Lost]]:
    return {(x.field, x.lost) for x in losses}


def through_hubject(
    ocpi: dict[str, Any], profile: OperatorProfile = PROFILE, last_call: datetime | None = None
) -> dict[str, Any]:
    """The page the fake Hubject serves after our push of `ocpi`'s records (checked)."""
    hubject = HubjectData()
    records, _ = evse_records(ocpi, profile)
    owner = hubject.operator_named(profile.operator_id, profile.operator_name)
    hubject.evse_data.apply(owner, "fullLoad", evse_data_push("fullLoad", profile, records)[
        "OperatorEvseData"]["EvseDataRecord"])  # fmt: skip
    page = hubject.pull_evse_data(pull_evse_data_request("DE-8EO", last_call), 0, 1000)
    assert response_problems("eRoamingPullEvseData", page) == []
    return page


def pulled(**changes: Any) -> dict[str, Any]:
    """One pulled record (the factory Location's first EVSE as Hubject serves it), changed."""
    record = dict(through_hubject(factories.location())["content"][0])
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def read(*records: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[Loss]]:
    """locations() of a page of `records`, each Location valid per the hub's model."""
    count = len(records)
    page = {"content": list(records), "number": 0, "size": 100, "totalElements": count,
            "totalPages": 1, "numberOfElements": count, "first": True, "last": True}  # fmt: skip
    assert response_problems("eRoamingPullEvseData", page) == []
    found, deleted, losses = locations(page, AT)
    for location in found:
        Location.model_validate(location)
    assert all(x.direction is Direction.IN for x in losses)
    return found, deleted, losses


def test_the_requests() -> None:
    """PullEvseData asks for decimal degrees, LastCall for a delta; PullEvseStatus the provider."""
    assert pull_evse_data_request("DE-8EO", None) == {
        "ProviderID": "DE-8EO",
        "GeoCoordinatesResponseFormat": "DecimalDegree",
    }
    delta = pull_evse_data_request("DE-8EO", datetime(2024, 3, 1, 11, 0, tzinfo=UTC))
    assert delta["LastCall"] == "2024-03-01T11:00:00Z"
    assert request_problems("eRoamingPullEvseData", delta) == []
    assert pull_evse_status_request("DE-8EO") == {"ProviderID": "DE-8EO"}
    assert request_problems("eRoamingPullEvseStatus", pull_evse_status_request("DE-8EO")) == []


def test_the_location_of_what_the_fake_hubject_serves() -> None:
    """The factory Location pushed and pulled again: party, id, address, EVSEs (status UNKNOWN)."""
    found, deleted, losses = read(*through_hubject(factories.location(evse_count=2))["content"])
    assert deleted == []
    (location,) = found
    assert {k: v for k, v in location.items() if k not in ("evses", "last_updated")} == {
        "country_code": "NL",
        "party_id": "CPO",
        "id": "LOC1",
        "publish": True,
        "name": "Museumplein",
        "address": "Museumplein 6",
        "city": "Amsterdam",
        "postal_code": "1071 DJ",
        "country": "NLD",
        "coordinates": {"latitude": "52.357570", "longitude": "4.881720"},
        "parking_type": "ON_STREET",
        "time_zone": "Europe/Amsterdam",
        "operator": {"name": "CPO BV"},
        "opening_times": {"twentyfourseven": True},
        "energy_mix": {"is_green_energy": False},
    }
    first = location["evses"][0]
    assert (first["uid"], first["evse_id"], first["status"]) == ("NL*CPO*EEVSE1",) * 2 + (
        "UNKNOWN",
    )
    assert first["capabilities"] == ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
    assert first["physical_reference"] == "1"
    assert first["connectors"] == [
        {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
         "max_voltage": 230, "max_amperage": 32, "max_electric_power": 22000,
         "last_updated": first["last_updated"]},
    ]  # fmt: skip
    assert {("HotlinePhoneNumber", Lost.DROPPED), ("IsHubjectCompatible", Lost.DROPPED)} <= lost(
        losses
    )


def test_a_delta_pull_names_the_deleted_evses() -> None:
    """A record whose deltaType is delete is no Location: its EvseID is returned to delete."""
    found, deleted, _ = read(
        pulled(deltaType="delete"), pulled(EvseID="NL*CPO*E2", deltaType="update")
    )
    assert deleted == ["NL*CPO*EEVSE1"]
    assert [e["evse_id"] for e in found[0]["evses"]] == ["NL*CPO*E2"]


def test_the_fake_hubjects_delta_after_a_delete() -> None:
    """What the fake serves for a LastCall after a delete push is read as a deletion."""
    hubject = HubjectData()
    records, _ = evse_records(factories.location(), PROFILE)
    owner = hubject.operator_named("NL*CPO", "CPO BV")
    hubject.evse_data.apply(owner, "fullLoad", records)
    before = datetime.now(UTC) - timedelta(seconds=1)
    hubject.evse_data.apply(owner, "delete", records)
    page = hubject.pull_evse_data(pull_evse_data_request("DE-8EO", before), 0, 10)
    assert locations(page, AT)[:2] == ([], ["NL*CPO*EEVSE1"])


def test_grouping_by_station_then_pool_then_evse() -> None:
    """EVSEs of one ChargingStationId (either spelling) are one Location; without it, the
    ChargingPoolID groups; without both, each EVSE is a Location named by its EvseID."""
    a = pulled(EvseID="NL*CPO*EA")
    b = pulled(EvseID="NL*CPO*EB", ChargingStationId=None, ChargingStationID="LOC1")
    c = pulled(EvseID="NL*CPO*EC", ChargingStationId=None, ChargingPoolID="NL*CPO*P1")
    d = pulled(EvseID="NL*CPO*ED", ChargingStationId=None, ChargingPoolID="NL*CPO*P1")
    e = pulled(EvseID="NL*CPO*EE", ChargingStationId=None, OperatorID=None, OperatorId="NL*CPO")
    found, _, _ = read(a, b, c, d, e)
    assert [(x["id"], [v["uid"] for v in x["evses"]]) for x in found] == [
        ("LOC1", ["NL*CPO*EA", "NL*CPO*EB"]),
        ("NL*CPO*P1", ["NL*CPO*EC", "NL*CPO*ED"]),
        ("NL*CPO*EE", ["NL*CPO*EE"]),
    ]


def test_an_id_ocpi_cannot_hold_is_a_stable_hash() -> None:
    """A station id over 36 characters becomes a hash of it (the same each pull), APPROXIMATED."""
    record = pulled(ChargingStationId="S" * 50)
    first, _, losses = read(record)
    again, _, _ = read(record)
    assert first[0]["id"] == again[0]["id"] and len(first[0]["id"]) == 36
    assert ("id", Lost.APPROXIMATED) in lost(losses)


@pytest.mark.parametrize(
    ("offset", "country", "zone", "loss"),
    [
        ("UTC+01:00", "DEU", "Europe/Berlin", None),
        ("UTC+03:00", "DEU", "Etc/GMT-3", Lost.APPROXIMATED),
        ("UTC-05:00", "USA", "Etc/GMT+5", Lost.APPROXIMATED),
        ("UTC+00:00", "ISL", "Atlantic/Reykjavik", None),
        (None, "FRA", "Europe/Paris", Lost.GUESSED),
        ("UTC+05:30", "IND", "UTC", Lost.GUESSED),
    ],
)
def test_the_time_zone(offset: str | None, country: str, zone: str, loss: Lost | None) -> None:
    """The country's zone when its standard offset is the one given, else Etc/GMT, else guessed."""
    address = {**pulled()["Address"], "Country": country, "TimeZone": offset}
    found, _, losses = read(pulled(Address={k: v for k, v in address.items() if v is not None}))
    assert found[0]["time_zone"] == zone
    assert [x.lost for x in losses if x.field == "time_zone"] == ([loss] if loss else [])


def test_address_in_the_countrys_order() -> None:
    """Street and house number joined in the country's order; no number: the street alone."""
    address = {
        **pulled()["Address"],
        "Country": "GBR",
        "Street": "Downing Street",
        "HouseNum": "10",
    }
    found, _, _ = read(pulled(Address=address))
    assert found[0]["address"] == "10 Downing Street"
    found, _, _ = read(pulled(Address={**address, "Country": "DEU", "HouseNum": ""}))
    assert found[0]["address"] == "Downing Street"


@pytest.mark.parametrize(
    "geo",
    [
        {"DecimalDegree": {"Latitude": "52.35757", "Longitude": "4.88172"}},
        {"Google": {"Coordinates": "52.357570 4.881720"}},
        {"DegreeMinuteSeconds": {"Latitude": "52°21'27.252''", "Longitude": "4°52'54.192''"}},
    ],
)
def test_coordinates_in_any_format(geo: dict[str, Any]) -> None:
    """DecimalDegree, Google and degree-minute-second coordinates give the same position."""
    found, _, _ = read(pulled(GeoCoordinates=geo))
    point = found[0]["coordinates"]
    assert abs(Decimal(point["latitude"]) - Decimal("52.35757")) < Decimal("0.000001")
    assert abs(Decimal(point["longitude"]) - Decimal("4.88172")) < Decimal("0.000001")


def test_plugs_paired_with_facilities() -> None:
    """A connector per plug, the facility at its position (the last for any beyond): GUESSED;
    a plug OCPI has no standard for is DROPPED; an EVSE with none left is not made."""
    dc = {"PowerType": "DC", "Voltage": 400, "Amperage": 99, "Power": 50}
    record = pulled(
        Plugs=["CCS Combo 2 Plug (Cable Attached)", "CHAdeMO", "Large Paddle Inductive"],
        ChargingFacilities=[dc],
    )
    found, _, losses = read(record)
    connectors = found[0]["evses"][0]["connectors"]
    assert [(c["id"], c["standard"], c["power_type"]) for c in connectors] == [
        ("1", "IEC_62196_T2_COMBO", "DC"),
        ("2", "CHADEMO", "DC"),
    ]
    assert {
        ("evses[].connectors[].power_type", Lost.GUESSED),
        ("evses[].connectors[].standard", Lost.DROPPED),
    } <= lost(losses)
    found, _, losses = read(pulled(Plugs=["AVCON Connector"]))
    assert found == [] and ("evses[]", Lost.DROPPED) in lost(losses)


@pytest.mark.parametrize(
    ("amperage", "standard"),
    [(16, "IEC_60309_2_three_16"), (32, "IEC_60309_2_three_32"), (63, "IEC_60309_2_three_64")],
)
def test_a_three_phase_iec_60309_by_its_amperage(amperage: int, standard: str) -> None:
    """IEC 60309 Three Phase is the OCPI rating the facility's amperage fits (GUESSED)."""
    facility = {"PowerType": "AC_3_PHASE", "Voltage": 230, "Amperage": amperage, "Power": 11}
    found, _, losses = read(pulled(Plugs=["IEC 60309 Three Phase"], ChargingFacilities=[facility]))
    assert found[0]["evses"][0]["connectors"][0]["standard"] == standard
    assert ("evses[].connectors[].standard", Lost.GUESSED) in lost(losses)


def test_a_facility_without_voltage_or_amperage() -> None:
    """No Voltage: 400 V DC (GUESSED); no Amperage: from the power (GUESSED); a decimal kW."""
    found, _, losses = read(pulled(ChargingFacilities=[{"PowerType": "DC", "Power": 50.5}]))
    connector = found[0]["evses"][0]["connectors"][0]
    assert (connector["max_voltage"], connector["max_amperage"]) == (400, 126)
    assert connector["max_electric_power"] == 50500
    assert {
        ("evses[].connectors[].max_voltage", Lost.GUESSED),
        ("evses[].connectors[].max_amperage", Lost.GUESSED),
    } <= lost(losses)


def test_capabilities_in() -> None:
    """Authentication modes, payment and services → capabilities; what OCPI lacks is DROPPED."""
    record = pulled(
        AuthenticationModes=["NFC RFID DESFire", "PnC", "REMOTE"],
        PaymentOptions=["Contract", "Direct"],
        ValueAddedServices=["Reservation", "RoofProvided"],
    )
    found, _, losses = read(record)
    assert found[0]["evses"][0]["capabilities"] == [
        "RFID_READER", "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "CREDIT_CARD_PAYABLE",
    ]  # fmt: skip
    assert {x.lost for x in losses if x.field == "evses[].capabilities"} == {
        Lost.GUESSED,
        Lost.DROPPED,
    }


def test_opening_times_in() -> None:
    """Day groups, one Period or a list, `On` or `on`; a 24:00 end is 23:59 (APPROXIMATED)."""
    times = [
        {"Period": {"begin": "08:00", "end": "24:00"}, "on": "Workdays"},
        {"Period": [{"begin": "10:00", "end": "14:00"}], "On": "Sunday"},
    ]
    found, _, losses = read(pulled(IsOpen24Hours=False, OpeningTimes=times))
    hours = found[0]["opening_times"]
    assert hours["twentyfourseven"] is False
    assert hours["regular_hours"] == [
        *({"weekday": d, "period_begin": "08:00", "period_end": "23:59"} for d in range(1, 6)),
        {"weekday": 7, "period_begin": "10:00", "period_end": "14:00"},
    ]
    assert ("opening_times.regular_hours", Lost.APPROXIMATED) in lost(losses)


def test_accessibility_energy_and_texts_in() -> None:
    """Restricted access: CUSTOMERS (GUESSED); energy sources; AdditionalInfo as directions;
    the station image as a CHARGER image (GUESSED)."""
    record = pulled(
        Accessibility="Restricted access",
        RenewableEnergy=True,
        EnergySource=[
            {"Energy": "Solar", "Percentage": 70},
            {"Energy": "Biomass", "Percentage": 30},
        ],
        AdditionalInfo=[{"lang": "de-DE", "value": "Hinter dem Tor"}],
        ChargingStationImage="https://cpo.example/station.png",
    )
    found, _, losses = read(record)
    location, evse = found[0], found[0]["evses"][0]
    assert evse["parking_restrictions"] == ["CUSTOMERS"]
    assert location["energy_mix"] == {
        "is_green_energy": True,
        "energy_sources": [
            {"source": "SOLAR", "percentage": 70},
            {"source": "GENERAL_GREEN", "percentage": 30},
        ],
    }
    assert location["directions"] == [{"language": "de", "text": "Hinter dem Tor"}]
    assert evse["images"] == [
        {"url": "https://cpo.example/station.png", "category": "CHARGER", "type": "png"}
    ]
    assert {
        ("evses[].parking_restrictions", Lost.GUESSED),
        ("energy_mix.energy_sources[].source", Lost.APPROXIMATED),
        ("evses[].images[].category", Lost.GUESSED),
    } <= lost(losses)


def test_evse_statuses() -> None:
    """{EvseID: OCPI status} by status.ocpi_status; EvseNotFound gives no entry, a Loss; the
    by-id answer's shape is read too."""
    response = {
        "EvseStatuses": {
            "OperatorEvseStatus": [
                {"OperatorID": "NL*CPO", "EvseStatusRecord": [
                    {"EvseID": "NL*CPO*EA", "EvseStatus": "Available"},
                    {"EvseID": "NL*CPO*EB", "EvseStatus": "Occupied"},
                    {"EvseID": "NL*CPO*EC", "EvseStatus": "EvseNotFound"},
                ]},
            ]
        },
        "StatusCode": {"Code": "000"},
    }  # fmt: skip
    assert response_problems("eRoamingPullEvseStatus", response) == []
    statuses, losses = evse_statuses(response)
    assert statuses == {"NL*CPO*EA": "AVAILABLE", "NL*CPO*EB": "CHARGING"}
    assert lost(losses) == {("evses[].status", Lost.GUESSED), ("evses[].status", Lost.DROPPED)}
    by_id = {
        "EVSEStatusRecords": {
            "EvseStatusRecord": [{"EvseID": "X*Y1*E1", "EvseStatus": "OutOfService"}]
        }
    }
    assert evse_statuses(by_id)[0] == {"X*Y1*E1": "OUTOFORDER"}


def _connector_kept(c: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("standard", "format", "power_type", "max_voltage", "max_amperage", "max_electric_power")
    return tuple(c[k] for k in keys)


@settings(max_examples=60, deadline=None)
@given(carried_locations())
def test_a_location_through_hubject_keeps_what_oicp_carries(ocpi: dict[str, Any]) -> None:
    """A Location OICP can carry whole → evse_records → the fake Hubject's pull → locations():
    name, address, coordinates, EVSE ids, connectors, capabilities, opening times and parking
    type come back."""
    Location.model_validate(ocpi)
    profile = OperatorProfile(
        f"{ocpi['country_code']}*{ocpi['party_id']}", "Operator", "+4930123456"
    )
    found, deleted, _ = locations(through_hubject(ocpi, profile), AT)
    assert deleted == []
    (back,) = found
    Location.model_validate(back)
    same = ("country_code", "party_id", "id", "name", "address", "city", "postal_code", "country",
            "parking_type", "time_zone")  # fmt: skip
    assert {k: back[k] for k in same} == {k: ocpi[k] for k in same}
    for axis in ("latitude", "longitude"):
        assert Decimal(back["coordinates"][axis]) == Decimal(ocpi["coordinates"][axis])
    hours = dict(ocpi["opening_times"])
    if "regular_hours" in hours:
        hours["regular_hours"] = sorted(
            hours["regular_hours"], key=lambda h: (h["weekday"], h["period_begin"])
        )
    assert back["opening_times"] == hours
    theirs = {e["evse_id"]: e for e in back["evses"]}
    assert set(theirs) == {e["evse_id"] for e in ocpi["evses"]}
    for evse in ocpi["evses"]:
        got = theirs[evse["evse_id"]]
        assert got["uid"] == evse["uid"]
        assert sorted(got.get("capabilities", [])) == sorted(evse["capabilities"])
        assert [_connector_kept(c) for c in got["connectors"]] == [
            _connector_kept(c) for c in evse["connectors"]
        ]
