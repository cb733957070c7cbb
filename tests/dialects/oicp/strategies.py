"""Hypothesis strategies for OICP 2.3 identifiers, as the spec's regular expressions accept them
("Simple Restricted String Data Types"), for the translation property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# RFID UIDType: 8, 14 or 20 upper-case hexadecimal digits.
uids = st.from_regex(r"[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20}", fullmatch=True)
# EvcoIDType, ISO (`DE-8EO-CAet5e4XY-3`) and DIN (`DE*8EO*Aet5e4*3`).
iso_evco_ids = st.from_regex(r"[A-Z]{2}-[A-Z0-9]{3}-C[A-Za-z0-9]{8}-[0-9A-Z]", fullmatch=True)
din_evco_ids = st.from_regex(r"[A-Z]{2}\*[A-Z0-9]{3}\*[A-Za-z0-9]{6}\*[0-9X]", fullmatch=True)
evco_ids = iso_evco_ids | din_evco_ids
# SessionIDType: a GUID.
session_ids = st.uuids().map(str)

# --- A Location OICP can carry whole (evse_data → a pull → evse_pull) ---------------------------

# (country, time zone, party country code): countries whose zone evse_fields.ZONES names.
_COUNTRIES = [("DEU", "Europe/Berlin"), ("NLD", "Europe/Amsterdam"), ("FRA", "Europe/Paris"),
              ("GBR", "Europe/London"), ("ITA", "Europe/Rome")]  # fmt: skip
# Connector standard + format whose OICP plug is theirs alone.
_LOSSLESS_PLUGS = [
    ("IEC_62196_T2", "SOCKET"), ("IEC_62196_T2", "CABLE"), ("IEC_62196_T2_COMBO", "CABLE"),
    ("IEC_62196_T1", "CABLE"), ("IEC_62196_T1_COMBO", "CABLE"), ("CHADEMO", "CABLE"),
    ("DOMESTIC_F", "SOCKET"), ("DOMESTIC_G", "SOCKET"), ("IEC_60309_2_single_16", "SOCKET"),
]  # fmt: skip
_WORD = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True)
_LAST_UPDATED = "2024-01-01T10:00:00Z"


def _degrees(most: int) -> st.SearchStrategy[str]:
    return st.integers(-most * 10**6 + 1, most * 10**6 - 1).map(
        lambda n: f"{'-' if n < 0 else ''}{abs(n) // 10**6}.{abs(n) % 10**6:06d}"
    )


@st.composite
def _connector(draw: st.DrawFn, number: int) -> dict[str, Any]:
    standard, format = draw(st.sampled_from(_LOSSLESS_PLUGS))
    return {
        "id": str(number),
        "standard": standard,
        "format": format,
        "power_type": draw(st.sampled_from(["AC_1_PHASE", "AC_3_PHASE", "DC"])),
        "max_voltage": draw(st.integers(100, 999)),
        "max_amperage": draw(st.integers(6, 99)),
        "max_electric_power": draw(st.integers(1, 350)) * 1000,
        "last_updated": _LAST_UPDATED,
    }


@st.composite
def _evse(draw: st.DrawFn, operator: str, number: int) -> dict[str, Any]:
    capabilities = draw(
        st.sets(st.sampled_from(["RFID_READER", "REMOTE_START_STOP_CAPABLE", "RESERVABLE"])).filter(
            lambda c: bool(c - {"RESERVABLE"})
        )
    )
    count = draw(st.integers(1, 2))
    evse_id = f"{operator}*E{number}{draw(st.from_regex(r'[A-Z0-9]{0,8}', fullmatch=True))}"
    return {
        "uid": evse_id,
        "evse_id": evse_id,
        "status": "AVAILABLE",
        "capabilities": sorted(capabilities),
        "connectors": [draw(_connector(n)) for n in range(1, count + 1)],
        "last_updated": _LAST_UPDATED,
    }


@st.composite
def _hours(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"twentyfourseven": True}
    spans = draw(
        st.lists(
            st.tuples(st.integers(1, 7), st.integers(0, 11), st.integers(12, 23)),
            min_size=1, max_size=5, unique_by=lambda s: (s[0], s[1]),
        )
    )  # fmt: skip
    hours = [
        {"weekday": day, "period_begin": f"{begin:02d}:00", "period_end": f"{end:02d}:30"}
        for day, begin, end in spans
    ]
    return {"twentyfourseven": False, "regular_hours": hours}


@st.composite
def carried_locations(draw: st.DrawFn) -> dict[str, Any]:
    """An OCPI Location whose every field OICP carries (evse_data → evse_pull keeps them)."""
    country, zone = draw(st.sampled_from(_COUNTRIES))
    country_code = draw(st.from_regex(r"[A-Z]{2}", fullmatch=True))
    party_id = draw(st.from_regex(r"[A-Z0-9]{3}", fullmatch=True))
    operator = f"{country_code}*{party_id}"
    street = " ".join(draw(st.lists(_WORD, min_size=1, max_size=3)))
    number = draw(st.from_regex(r"[1-9][0-9]{0,3}[a-z]?", fullmatch=True))
    address = f"{number} {street}" if country in ("GBR", "FRA") else f"{street} {number}"
    count = draw(st.integers(1, 3))
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": draw(st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,19}", fullmatch=True)),
        "publish": True,
        "name": " ".join(draw(st.lists(_WORD, min_size=1, max_size=4))),
        "address": address,
        "city": draw(_WORD),
        "postal_code": draw(st.from_regex(r"[0-9]{4,5}", fullmatch=True)),
        "country": country,
        "coordinates": {"latitude": draw(_degrees(90)), "longitude": draw(_degrees(180))},
        "parking_type": draw(
            st.sampled_from(["ON_STREET", "PARKING_LOT", "PARKING_GARAGE", "UNDERGROUND_GARAGE"])
        ),
        "evses": [draw(_evse(operator, n)) for n in range(1, count + 1)],
        "operator": {"name": "Operator"},
        "time_zone": zone,
        "opening_times": draw(_hours()),
        "last_updated": _LAST_UPDATED,
    }
