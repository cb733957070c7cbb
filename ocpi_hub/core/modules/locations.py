"""OCPI 2.2.1 Locations module objects (checklist §4.1): Location, EVSE, Connector and their parts.

Models validate what a CPO pushes and nothing more: they check shape, lengths, enums and the few
cross-field rules the spec states as MUST. They do not rewrite anything; DateTimes stay the strings
the CPO sent (types.py) and unknown fields ride along (model.OcpiModel).

Cardinalities follow the spec's legend: `1` is a required field, `?` an optional one that may also
be null, `*` an optional list that may be absent, null or empty, `+` a required non-empty list.
"""

from __future__ import annotations

from enum import auto
from typing import Annotated

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.types import (
    URL,
    CiString2,
    CiString3,
    CiString4,
    CiString36,
    CiString48,
    DateTime,
    Number,
    String2,
    String3,
    String4,
    String10,
    String16,
    String45,
    String64,
    String100,
    String255,
    String512,
)

# --- Enums -------------------------------------------------------------------------------------


class Status(OcpiEnum):
    AVAILABLE = auto()
    BLOCKED = auto()
    CHARGING = auto()
    INOPERATIVE = auto()
    OUTOFORDER = auto()
    PLANNED = auto()
    REMOVED = auto()
    RESERVED = auto()
    UNKNOWN = auto()


class Capability(OcpiEnum):
    CHARGING_PROFILE_CAPABLE = auto()
    CHARGING_PREFERENCES_CAPABLE = auto()
    CHIP_CARD_SUPPORT = auto()
    CONTACTLESS_CARD_SUPPORT = auto()
    CREDIT_CARD_PAYABLE = auto()
    DEBIT_CARD_PAYABLE = auto()
    PED_TERMINAL = auto()
    REMOTE_START_STOP_CAPABLE = auto()
    RESERVABLE = auto()
    RFID_READER = auto()
    START_SESSION_CONNECTOR_REQUIRED = auto()
    TOKEN_GROUP_CAPABLE = auto()
    UNLOCK_CAPABLE = auto()


class ConnectorFormat(OcpiEnum):
    SOCKET = auto()
    CABLE = auto()


class ConnectorType(OcpiEnum):
    CHADEMO = auto()
    CHAOJI = auto()
    DOMESTIC_A = auto()
    DOMESTIC_B = auto()
    DOMESTIC_C = auto()
    DOMESTIC_D = auto()
    DOMESTIC_E = auto()
    DOMESTIC_F = auto()
    DOMESTIC_G = auto()
    DOMESTIC_H = auto()
    DOMESTIC_I = auto()
    DOMESTIC_J = auto()
    DOMESTIC_K = auto()
    DOMESTIC_L = auto()
    DOMESTIC_M = auto()
    DOMESTIC_N = auto()
    DOMESTIC_O = auto()
    GBT_AC = auto()
    GBT_DC = auto()
    IEC_60309_2_single_16 = auto()
    IEC_60309_2_three_16 = auto()
    IEC_60309_2_three_32 = auto()
    IEC_60309_2_three_64 = auto()
    IEC_62196_T1 = auto()
    IEC_62196_T1_COMBO = auto()
    IEC_62196_T2 = auto()
    IEC_62196_T2_COMBO = auto()
    IEC_62196_T3A = auto()
    IEC_62196_T3C = auto()
    NEMA_5_20 = auto()
    NEMA_6_30 = auto()
    NEMA_6_50 = auto()
    NEMA_10_30 = auto()
    NEMA_10_50 = auto()
    NEMA_14_30 = auto()
    NEMA_14_50 = auto()
    PANTOGRAPH_BOTTOM_UP = auto()
    PANTOGRAPH_TOP_DOWN = auto()
    TESLA_R = auto()
    TESLA_S = auto()


class PowerType(OcpiEnum):
    AC_1_PHASE = auto()
    AC_2_PHASE = auto()
    AC_2_PHASE_SPLIT = auto()
    AC_3_PHASE = auto()
    DC = auto()


class ParkingType(OcpiEnum):
    ALONG_MOTORWAY = auto()
    PARKING_GARAGE = auto()
    PARKING_LOT = auto()
    ON_DRIVEWAY = auto()
    ON_STREET = auto()
    UNDERGROUND_GARAGE = auto()


class ParkingRestriction(OcpiEnum):
    EV_ONLY = auto()
    PLUGGED = auto()
    DISABLED = auto()
    CUSTOMERS = auto()
    MOTORCYCLES = auto()


class Facility(OcpiEnum):
    HOTEL = auto()
    RESTAURANT = auto()
    CAFE = auto()
    MALL = auto()
    SUPERMARKET = auto()
    SPORT = auto()
    RECREATION_AREA = auto()
    NATURE = auto()
    MUSEUM = auto()
    BIKE_SHARING = auto()
    BUS_STOP = auto()
    TAXI_STAND = auto()
    TRAM_STOP = auto()
    METRO_STATION = auto()
    TRAIN_STATION = auto()
    AIRPORT = auto()
    PARKING_LOT = auto()
    CARPOOL_PARKING = auto()
    FUEL_STATION = auto()
    WIFI = auto()


class ImageCategory(OcpiEnum):
    CHARGER = auto()
    ENTRANCE = auto()
    LOCATION = auto()
    NETWORK = auto()
    OPERATOR = auto()
    OTHER = auto()
    OWNER = auto()


class EnergySourceCategory(OcpiEnum):
    NUCLEAR = auto()
    GENERAL_FOSSIL = auto()
    COAL = auto()
    GAS = auto()
    GENERAL_GREEN = auto()
    SOLAR = auto()
    WIND = auto()
    WATER = auto()


class EnvironmentalImpactCategory(OcpiEnum):
    NUCLEAR_WASTE = auto()
    CARBON_DIOXIDE = auto()


class TokenType(OcpiEnum):
    """Defined by the Tokens module; Locations needs it for PublishTokenType."""

    AD_HOC_USER = auto()
    APP_USER = auto()
    OTHER = auto()
    RFID = auto()


# --- Field types -------------------------------------------------------------------------------

# The regexes already bound the length (a sign plus 7 decimals makes 11 / 12 characters), one more
# than the spec's string(10) / string(11). The regex is the rule we enforce (checklist §7.8), so a
# valid `-12.1234567` is never refused on length.
Latitude = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
Longitude = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]

# Local wall-clock time of day; `24:00` is not a form the spec allows.
HourMinute = Annotated[str, StringConstraints(pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")]

# int(5): at most five digits.
Pixels = Annotated[StrictInt, Field(ge=0, le=99_999)]


def _given(value: object) -> bool:
    # An empty identifier identifies nothing, so it counts as absent for the "at least one" rules.
    return value is not None and value != ""


# --- Shared objects ----------------------------------------------------------------------------


class DisplayText(OcpiModel):
    language: String2
    text: String512


class GeoLocation(OcpiModel):
    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(OcpiModel):
    latitude: Latitude
    longitude: Longitude
    name: DisplayText | None = None


class Image(OcpiModel):
    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: CiString4
    width: Pixels | None = None
    height: Pixels | None = None


class BusinessDetails(OcpiModel):
    name: String100
    website: URL | None = None
    logo: Image | None = None


class PublishTokenType(OcpiModel):
    """Who may see a Location that is not published to everyone."""

    uid: CiString36 | None = None
    # validate_default: the rules below must also fire when the field is simply absent.
    type: TokenType | None = Field(default=None, validate_default=True)
    visual_number: String64 | None = None
    issuer: String64 | None = Field(default=None, validate_default=True)
    group_id: CiString36 | None = None

    @field_validator("type")
    @classmethod
    def _type_with_uid(cls, value: TokenType | None, info: ValidationInfo) -> TokenType | None:
        if value is None and _given(info.data.get("uid")):
            raise ValueError("required when uid is given")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_with_visual_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not _given(value) and _given(info.data.get("visual_number")):
            raise ValueError("required when visual_number is given")
        return value

    @model_validator(mode="after")
    def _identifies_someone(self) -> PublishTokenType:
        if not any(_given(v) for v in (self.uid, self.visual_number, self.group_id)):
            raise ValueError("at least one of uid, visual_number or group_id is required")
        return self


# --- Opening times -----------------------------------------------------------------------------


class RegularHours(OcpiModel):
    # The spec also says period_end is later than period_begin; real feeds use overnight periods
    # (22:00-06:00), so that is left for the receiver to interpret rather than refused here.
    weekday: Annotated[StrictInt, Field(ge=1, le=7)]
    period_begin: HourMinute
    period_end: HourMinute


class ExceptionalPeriod(OcpiModel):
    period_begin: DateTime
    period_end: DateTime


class Hours(OcpiModel):
    twentyfourseven: StrictBool
    regular_hours: list[RegularHours] | None = Field(default=None, validate_default=True)
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None

    @field_validator("regular_hours")
    @classmethod
    def _hours_unless_always_open(
        cls, value: list[RegularHours] | None, info: ValidationInfo
    ) -> list[RegularHours] | None:
        if info.data.get("twentyfourseven") is False and not value:
            raise ValueError("at least one entry is required when twentyfourseven is false")
        return value


# --- Energy ------------------------------------------------------------------------------------


class EnergySource(OcpiModel):
    source: EnergySourceCategory
    percentage: Annotated[Number, Field(ge=0, le=100)]


class EnvironmentalImpact(OcpiModel):
    category: EnvironmentalImpactCategory
    amount: Number


class EnergyMix(OcpiModel):
    is_green_energy: StrictBool
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: String64 | None = None
    energy_product_name: String64 | None = None


# --- Location, EVSE, Connector -----------------------------------------------------------------


class StatusSchedule(OcpiModel):
    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


class Connector(OcpiModel):
    id: CiString36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: StrictInt
    max_amperage: StrictInt
    max_electric_power: StrictInt | None = None
    tariff_ids: list[CiString36] | None = None
    terms_and_conditions: URL | None = None
    last_updated: DateTime


class Evse(OcpiModel):
    uid: CiString36
    evse_id: CiString48 | None = None
    status: Status
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: list[Connector] = Field(min_length=1)
    floor_level: String4 | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String16 | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: DateTime


class Location(OcpiModel):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    publish: StrictBool
    publish_allowed_to: list[PublishTokenType] | None = None
    name: String255 | None = None
    # address string(45) and state string(20) in the released text; the post-d2 errata widen them
    # to 255 and 45 (checklist §7.18). Real addresses exceed 45, so we accept the errata lengths.
    address: String255
    city: String45
    postal_code: String10 | None = None
    state: String45 | None = None
    country: String3
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] | None = None
    parking_type: ParkingType | None = None
    evses: list[Evse] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: String255
    opening_times: Hours | None = None
    # Absent or null means true (the spec's default); kept as sent so the relay is faithful.
    charging_when_closed: StrictBool | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime

    @field_validator("publish_allowed_to")
    @classmethod
    def _only_when_unpublished(
        cls, value: list[PublishTokenType] | None, info: ValidationInfo
    ) -> list[PublishTokenType] | None:
        # An empty list restricts nothing, so it is harmless next to publish=true.
        if value and info.data.get("publish") is True:
            raise ValueError("only allowed when publish is false")
        return value
