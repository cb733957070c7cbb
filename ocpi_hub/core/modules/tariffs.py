"""OCPI 2.2.1 Tariffs module objects (checklist §4.4): Tariff, its elements, prices, restrictions.

Like the Locations models these check what a CPO pushes and nothing more: shape, lengths, enums,
the `+` lists that must not be empty, and the `HH:MM` / `YYYY-MM-DD` forms of restrictions. Money
is `Number` (Decimal), never float (DESIGN.md decision 9). Pricing semantics (which element
applies, step sizes, min/max price) belong to whoever computes a price, not to validation.

Cardinalities follow the spec's legend: `1` required, `?` optional (absent or null), `*` an
optional list (absent, null or empty), `+` a required non-empty list.
"""

from __future__ import annotations

from datetime import date
from enum import auto
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, StringConstraints

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.modules.locations import DisplayText, EnergyMix, HourMinute
from ocpi_hub.core.types import URL, CiString2, CiString3, CiString36, DateTime, Number, String3

__all__ = [
    "DayOfWeek",
    "LocalDate",
    "Price",
    "PriceComponent",
    "ReservationRestrictionType",
    "Tariff",
    "TariffDimensionType",
    "TariffElement",
    "TariffRestrictions",
    "TariffType",
]

# --- Enums -------------------------------------------------------------------------------------


class TariffDimensionType(OcpiEnum):
    ENERGY = auto()  # per kWh, step_size in Wh
    FLAT = auto()  # once per session, no step
    PARKING_TIME = auto()  # per hour, step_size in seconds
    TIME = auto()  # per hour, step_size in seconds


class TariffType(OcpiEnum):
    AD_HOC_PAYMENT = auto()
    PROFILE_CHEAP = auto()
    PROFILE_FAST = auto()
    PROFILE_GREEN = auto()
    REGULAR = auto()


class DayOfWeek(OcpiEnum):
    MONDAY = auto()
    TUESDAY = auto()
    WEDNESDAY = auto()
    THURSDAY = auto()
    FRIDAY = auto()
    SATURDAY = auto()
    SUNDAY = auto()


class ReservationRestrictionType(OcpiEnum):
    RESERVATION = auto()
    RESERVATION_EXPIRES = auto()


# --- Field types -------------------------------------------------------------------------------


def _real_date(value: str) -> str:
    # The pattern admits 2024-02-30; a restriction on a day that does not exist is a peer bug.
    date.fromisoformat(value)
    return value


# string(10) `YYYY-MM-DD`, a local calendar date; kept as the string the CPO sent.
LocalDate = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
    AfterValidator(_real_date),
]


# --- Objects -----------------------------------------------------------------------------------


class Price(OcpiModel):
    excl_vat: Number
    incl_vat: Number | None = None


class PriceComponent(OcpiModel):
    type: TariffDimensionType
    price: Number  # excluding VAT, per unit of the dimension
    vat: Number | None = None  # absent means no VAT applies, which is not the same as 0 %
    step_size: StrictInt


class TariffRestrictions(OcpiModel):
    """All optional, combined with AND; times and dates are local to the Location."""

    start_time: HourMinute | None = None
    end_time: HourMinute | None = None  # before start_time wraps past midnight
    start_date: LocalDate | None = None  # inclusive
    end_date: LocalDate | None = None  # exclusive
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: StrictInt | None = None  # seconds, inclusive
    max_duration: StrictInt | None = None  # seconds, exclusive
    day_of_week: list[DayOfWeek] | None = None
    reservation: ReservationRestrictionType | None = None


class TariffElement(OcpiModel):
    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiModel):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    currency: String3  # ISO 4217
    type: TariffType | None = None  # absent: valid for every session
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: URL | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] = Field(min_length=1)
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime
