"""The value tables shared by `evse_data` (OCPI Location → OICP EVSE data record) and `evse_pull`
(OICP record → OCPI Location): plugs, power, capabilities, parking, energy, address, time zones,
opening times (hub-dialects.md §5.4; OICP 2.3 "EvseDataRecordType" and its enumerations).

| OCPI                          | OICP                              | lost                        |
|-------------------------------|-----------------------------------|-----------------------------|
| Connector.standard + format   | Plug (`PLUGS`)                    | out: GB/T, NACS, pantograph,|
|                               |                                   | most domestic plugs, T3A,   |
|                               |                                   | the IEC 60309 3-phase rating|
|                               |                                   | in: paddles, AVCON          |
| power_type                    | PowerType                         | AC_2_PHASE(_SPLIT)          |
| max_voltage, max_amperage     | Voltage (<= 999), Amperage (<= 99)| out: larger values          |
| max_electric_power (W)        | Power (kW)                        | out: rounded to whole kW    |
| capabilities                  | AuthenticationModes, PaymentOpt-  | see `CAPABILITIES`          |
|                               | ions, ValueAddedServices          |                             |
| parking_type                  | AccessibilityLocation             | ALONG_MOTORWAY, ON_DRIVEWAY |
| energy_mix.energy_sources     | EnergySource (Percentage <= 99)   | GENERAL_GREEN/FOSSIL, 100 % |
| energy_mix.environ_impact     | EnvironmentalImpact               |                             |
| address                       | Street + HouseNum                 | see `split_address`         |
| time_zone (IANA)              | Address.TimeZone `UTC+01:00`      | DST (the standard offset)   |
| opening_times.regular_hours   | OpeningTimes [{Period, on}]       | in: `24:00` is `23:59`      |

Plugs: each OCPI standard has one OICP plug; the format the plug implies (a Type 2 "Outlet" is a
SOCKET, CHAdeMO is a CABLE) is its row here, so the other format is APPROXIMATED going out. The
first row of a plug is what it becomes coming in; a plug several standards share (Type 3, the
three-phase IEC 60309, Tesla) is GUESSED there (the IEC 60309 rating from the amperage).

Street and house number: OCPI has one `address` line. A house number (digits, an optional letter,
an optional `-`/`/` range) at the end (`Museumplein 6`) or at the start (`10 Downing Street`,
`12, rue de Rivoli`) is split off; the country's usual order (`NUMBER_FIRST`) is tried first, and
the same order joins them coming in, so an address written in its country's order goes there and
back unchanged.

Time zone: OICP's TimeZone is an offset. Going out we write the zone's standard offset (the
offset without daylight saving at the Location's last update), APPROXIMATED when the zone has
daylight saving. Coming in, the country's zone (`ZONES`, single-zone countries) when its standard
offset is the one given, else the fixed `Etc/GMT±N` zone of the offset (APPROXIMATED), else UTC
(GUESSED; see `evse_pull`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "AUTH_MODES_IN",
    "CAPABILITIES",
    "DAYS",
    "ENERGY",
    "ENERGY_IN",
    "IMPACT",
    "LANGUAGES",
    "NUMBER_FIRST",
    "PARKING",
    "PARKING_IN",
    "PLUGS",
    "ZONES",
    "Plug",
    "etc_zone",
    "join_address",
    "oicp_time_zone",
    "opening_times",
    "plug_of",
    "regular_hours",
    "split_address",
    "standard_of",
]


class Plug:
    """One row of `PLUGS`: an OCPI standard and the format its OICP plug implies."""

    __slots__ = ("format", "plug", "standard")

    def __init__(self, standard: str, format: str, plug: str) -> None:
        self.standard, self.format, self.plug = standard, format, plug


# The first row of each plug is the one it becomes coming in.
PLUGS: tuple[Plug, ...] = tuple(
    Plug(*row)
    for row in (
        ("IEC_62196_T2", "SOCKET", "Type 2 Outlet"),
        ("IEC_62196_T2", "CABLE", "Type 2 Connector (Cable Attached)"),
        ("IEC_62196_T2_COMBO", "CABLE", "CCS Combo 2 Plug (Cable Attached)"),
        ("IEC_62196_T1", "CABLE", "Type 1 Connector (Cable Attached)"),
        ("IEC_62196_T1_COMBO", "CABLE", "CCS Combo 1 Plug (Cable Attached)"),
        ("CHADEMO", "CABLE", "CHAdeMO"),
        ("IEC_62196_T3C", "SOCKET", "Type 3 Outlet"),
        ("IEC_62196_T3A", "SOCKET", "Type 3 Outlet"),
        ("DOMESTIC_E", "SOCKET", "Type E French Standard"),
        ("DOMESTIC_F", "SOCKET", "Type F Schuko"),
        ("DOMESTIC_G", "SOCKET", "Type G British Standard"),
        ("DOMESTIC_J", "SOCKET", "Type J Swiss Standard"),
        ("NEMA_5_20", "SOCKET", "NEMA 5-20"),
        ("IEC_60309_2_single_16", "SOCKET", "IEC 60309 Single Phase"),
        ("IEC_60309_2_three_32", "SOCKET", "IEC 60309 Three Phase"),
        ("IEC_60309_2_three_16", "SOCKET", "IEC 60309 Three Phase"),
        ("IEC_60309_2_three_64", "SOCKET", "IEC 60309 Three Phase"),
        ("TESLA_S", "CABLE", "Tesla Connector"),
        ("TESLA_R", "CABLE", "Tesla Connector"),
    )
)
_SHARED_PLUGS = frozenset(
    row.plug for row in PLUGS if sum(other.plug == row.plug for other in PLUGS) > 1
)


def plug_of(standard: str, format: str) -> tuple[str | None, str | None]:
    """(the OICP plug of a connector, why it is approximated) — (None, why) when OICP has none."""
    rows = [row for row in PLUGS if row.standard == standard]
    if not rows:
        return None, "OICP's plug list has no such connector"
    row = next((r for r in rows if r.format == format), rows[0])
    if row.format != format:
        return row.plug, f"OICP's {row.plug!r} is always a {row.format.lower()}"
    if row.plug in _SHARED_PLUGS and row is not _first(row.plug):
        return row.plug, f"OICP's {row.plug!r} does not tell {standard} from the others"
    return row.plug, None


def _first(plug: str) -> Plug:
    return next(row for row in PLUGS if row.plug == plug)


def standard_of(plug: str, amperage: int | None) -> tuple[Plug | None, bool]:
    """(the OCPI row of an OICP plug, whether it is a guess) — (None, False) for a plug OCPI has
    no standard for (the inductive paddles, AVCON)."""
    if plug == "IEC 60309 Three Phase" and amperage is not None:
        rating = 16 if amperage <= 16 else 32 if amperage <= 32 else 64
        return next(r for r in PLUGS if r.standard == f"IEC_60309_2_three_{rating}"), True
    rows = [row for row in PLUGS if row.plug == plug]
    if not rows:
        return None, False
    return rows[0], plug in _SHARED_PLUGS


# --- Capabilities ------------------------------------------------------------------------------

# OCPI capability → (OICP list, value); a capability absent here has no OICP form (dropped).
_PAYING = ("CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "CHIP_CARD_SUPPORT",
           "CONTACTLESS_CARD_SUPPORT", "PED_TERMINAL")  # fmt: skip
CAPABILITIES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "RFID_READER": ("AuthenticationModes", "NFC RFID Classic"),
        "REMOTE_START_STOP_CAPABLE": ("AuthenticationModes", "REMOTE"),
        "RESERVABLE": ("ValueAddedServices", "Reservation"),
        **{name: ("AuthenticationModes", "Direct Payment") for name in _PAYING},
    }
)
# OICP AuthenticationMode / ValueAddedService → (OCPI capability, lost or not); None: no place.
AUTH_MODES_IN: Mapping[str, tuple[str | None, bool]] = MappingProxyType(
    {
        "NFC RFID Classic": ("RFID_READER", False),
        "NFC RFID DESFire": ("RFID_READER", True),
        "REMOTE": ("REMOTE_START_STOP_CAPABLE", False),
        "Direct Payment": ("CREDIT_CARD_PAYABLE", True),
        "PnC": (None, True),
        "No Authentication Required": (None, True),
        "Reservation": ("RESERVABLE", False),
    }
)

# --- Parking -----------------------------------------------------------------------------------

PARKING: Mapping[str, str] = MappingProxyType(
    {
        "ON_STREET": "OnStreet",
        "PARKING_LOT": "ParkingLot",
        "PARKING_GARAGE": "ParkingGarage",
        "UNDERGROUND_GARAGE": "UndergroundParkingGarage",
        "ALONG_MOTORWAY": "ParkingLot",  # approximated: a motorway service area's car park
    }
)
PARKING_IN: Mapping[str, str] = MappingProxyType(
    {oicp: ocpi for ocpi, oicp in PARKING.items() if ocpi != "ALONG_MOTORWAY"}
)

# --- Energy ------------------------------------------------------------------------------------

ENERGY: Mapping[str, str] = MappingProxyType(
    {
        "SOLAR": "Solar",
        "WIND": "Wind",
        "WATER": "HydroPower",
        "NUCLEAR": "NuclearEnergy",
        "COAL": "Coal",
        "GAS": "NaturalGas",
    }
)
ENERGY_IN: Mapping[str, str] = MappingProxyType(
    {
        **{oicp: ocpi for ocpi, oicp in ENERGY.items()},
        "Biomass": "GENERAL_GREEN",  # approximated
        "GeothermalEnergy": "GENERAL_GREEN",  # approximated
        "Petroleum": "GENERAL_FOSSIL",  # approximated
    }
)
IMPACT: Mapping[str, str] = MappingProxyType(
    {"CARBON_DIOXIDE": "CO2Emission", "NUCLEAR_WASTE": "NuclearWaste"}
)

# --- Countries: language, house number order, time zone ----------------------------------------

# The language of a Location's name, by country (alpha-3); others are written as English.
LANGUAGES: Mapping[str, str] = MappingProxyType(
    {
        "DEU": "de", "AUT": "de", "CHE": "de", "LIE": "de", "NLD": "nl", "BEL": "nl",
        "FRA": "fr", "LUX": "fr", "MCO": "fr", "ITA": "it", "SMR": "it", "ESP": "es",
        "PRT": "pt", "POL": "pl", "CZE": "cs", "SVK": "sk", "HUN": "hu", "SVN": "sl",
        "HRV": "hr", "ROU": "ro", "BGR": "bg", "GRC": "el", "DNK": "da", "SWE": "sv",
        "NOR": "no", "FIN": "fi", "ISL": "is", "EST": "et", "LVA": "lv", "LTU": "lt",
    }
)  # fmt: skip
# Countries that write the house number before the street.
NUMBER_FIRST = frozenset({"GBR", "IRL", "FRA", "LUX", "MCO", "USA", "CAN", "AUS", "NZL"})
# The IANA zone of the countries that have one (in Europe).
ZONES: Mapping[str, str] = MappingProxyType(
    {
        "DEU": "Europe/Berlin", "AUT": "Europe/Vienna", "CHE": "Europe/Zurich",
        "LIE": "Europe/Vaduz", "NLD": "Europe/Amsterdam", "BEL": "Europe/Brussels",
        "LUX": "Europe/Luxembourg", "FRA": "Europe/Paris", "MCO": "Europe/Monaco",
        "ITA": "Europe/Rome", "ESP": "Europe/Madrid", "PRT": "Europe/Lisbon",
        "GBR": "Europe/London", "IRL": "Europe/Dublin", "DNK": "Europe/Copenhagen",
        "SWE": "Europe/Stockholm", "NOR": "Europe/Oslo", "FIN": "Europe/Helsinki",
        "POL": "Europe/Warsaw", "CZE": "Europe/Prague", "SVK": "Europe/Bratislava",
        "HUN": "Europe/Budapest", "SVN": "Europe/Ljubljana", "HRV": "Europe/Zagreb",
        "ROU": "Europe/Bucharest", "BGR": "Europe/Sofia", "GRC": "Europe/Athens",
        "EST": "Europe/Tallinn", "LVA": "Europe/Riga", "LTU": "Europe/Vilnius",
        "ISL": "Atlantic/Reykjavik",
    }
)  # fmt: skip

# --- Address -----------------------------------------------------------------------------------

_NUMBER = r"[0-9]+[A-Za-z]?(?:[-/][0-9]*[A-Za-z]?)?"
_TRAILING = re.compile(rf"(.*?\S)[ ,]+({_NUMBER})")
_LEADING = re.compile(rf"({_NUMBER}),? +(\S.*)")
_HOUSE_NUM_MAX = 10


def split_address(address: str, country: str) -> tuple[str, str] | None:
    """(street, house number) of an OCPI address line; None when it has no house number."""
    address = " ".join(address.split())
    orders = (_LEADING, _TRAILING) if country.upper() in NUMBER_FIRST else (_TRAILING, _LEADING)
    for order in orders:
        if match := order.fullmatch(address):
            street, number = (match[1], match[2]) if order is _TRAILING else (match[2], match[1])
            if len(number) <= _HOUSE_NUM_MAX and len(street) >= 2:
                return street, number
    return None


def join_address(street: str, house_num: str, country: str) -> str:
    """The OCPI address line of a street and house number, in the country's order."""
    street, house_num = street.strip(), house_num.strip()
    if not house_num:
        return street
    if country.upper() in NUMBER_FIRST:
        return f"{house_num} {street}"
    return f"{street} {house_num}"


# --- Time zones --------------------------------------------------------------------------------


def _standard_offset(zone: ZoneInfo, at: datetime) -> timedelta:
    moment = at.astimezone(zone)
    return (moment.utcoffset() or timedelta()) - (moment.dst() or timedelta())


def oicp_time_zone(name: str, at: datetime) -> tuple[str | None, bool]:
    """(the `UTC±hh:mm` of an IANA zone's standard offset at `at`, whether daylight saving is
    lost) — (None, False) for a zone name this machine does not know."""
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None, False
    offset = _standard_offset(zone, at)
    year = at.year
    offsets = {
        datetime(year, month, 1, tzinfo=UTC).astimezone(zone).utcoffset() for month in (1, 7)
    }
    sign, minutes = ("-" if offset < timedelta() else "+"), abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}", len(offsets) > 1


_OFFSET = re.compile(r"UTC([+-])([0-9]{2}):([0-9]{2})")


def etc_zone(time_zone: str, country: str, at: datetime) -> tuple[str | None, bool]:
    """(the IANA zone of an OICP TimeZone in a country, whether it is approximated): the
    country's zone when its standard offset is that one, else `Etc/GMT±N` (approximated: no
    daylight saving), else (None, False) (a half-hour offset, or not an offset)."""
    match = _OFFSET.fullmatch(time_zone.strip())
    if match is None:
        return None, False
    minutes = (int(match[2]) * 60 + int(match[3])) * (-1 if match[1] == "-" else 1)
    known = ZONES.get(country.upper())
    if known is not None and _standard_offset(ZoneInfo(known), at) == timedelta(minutes=minutes):
        return known, False
    if minutes % 60 or not -12 <= minutes // 60 <= 14:
        return None, False
    hours = minutes // 60
    # The Etc zones' signs are POSIX's: Etc/GMT-1 is UTC+01:00.
    return ("Etc/UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"), True


# --- Opening times -----------------------------------------------------------------------------

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_GROUPS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {
        **{day: (number,) for number, day in enumerate(DAYS, start=1)},
        "Everyday": (1, 2, 3, 4, 5, 6, 7),
        "Workdays": (1, 2, 3, 4, 5),
        "Weekend": (6, 7),
    }
)


def opening_times(hours: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """OICP OpeningTimes of OCPI regular_hours: one entry per weekday, its periods in order."""
    by_day: dict[int, list[dict[str, str]]] = {}
    for entry in hours:
        period = {"begin": entry["period_begin"], "end": entry["period_end"]}
        by_day.setdefault(int(entry["weekday"]), []).append(period)
    return [{"Period": by_day[day], "on": DAYS[day - 1]} for day in sorted(by_day)]


def regular_hours(times: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """(OCPI regular_hours of OICP OpeningTimes, whether a `24:00` end became `23:59`); both
    spellings `on` / `On`, one Period or a list (hub-dialects.md §5.6)."""
    hours: list[dict[str, Any]] = []
    approximated = False
    for entry in times:
        day = entry.get("on", entry.get("On"))
        periods = entry.get("Period", entry.get("Periods", []))
        if isinstance(periods, Mapping):
            periods = [periods]
        for weekday in _DAY_GROUPS.get(str(day), ()):
            for period in periods:
                begin, end = str(period["begin"]), str(period["end"])
                if end == "24:00":
                    end, approximated = "23:59", True
                if begin == "24:00":
                    begin, approximated = "23:59", True
                hours.append({"weekday": weekday, "period_begin": begin, "period_end": end})
    hours.sort(key=lambda h: (h["weekday"], h["period_begin"]))
    return hours, approximated
