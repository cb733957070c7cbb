"""OCPI 2.2.1 CDRs module objects (checklist §4.3): CDR, CdrToken, CdrLocation, ChargingPeriod,
CdrDimension, SignedData, SignedValue, and the enums AuthMethod and CdrDimensionType.

Sessions share several of these (CdrToken, AuthMethod, ChargingPeriod); the spec defines them in
the CDRs module, so they live here and `core.modules.sessions` imports them. `Price` and `Tariff`
are the Tariffs module's (`core.modules.tariffs`).

The models check what a CPO sends and nothing more: shape, lengths, enums and the rules the spec
states as MUST — a CDR has at least one charging period, never a session-only dimension, and a
credit CDR names the CDR it credits. DateTimes stay the strings the CPO sent (types.py) and unknown
fields ride along (model.OcpiModel). Cardinalities follow the legend of locations.py.
"""

from __future__ import annotations

from enum import auto

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.modules.locations import (
    ConnectorFormat,
    ConnectorType,
    GeoLocation,
    PowerType,
    TokenType,
)
from ocpi_hub.core.modules.tariffs import Price, Tariff
from ocpi_hub.core.types import (
    CiString2,
    CiString3,
    CiString32,
    CiString36,
    CiString39,
    CiString48,
    DateTime,
    Number,
    String3,
    String10,
    String45,
    String255,
    String512,
    String5000,
)

__all__ = [
    "CDR",
    "SESSION_ONLY_DIMENSIONS",
    "AuthMethod",
    "CdrChargingPeriod",
    "CdrDimension",
    "CdrDimensionType",
    "CdrLocation",
    "CdrToken",
    "ChargingPeriod",
    "Price",
    "SignedData",
    "SignedValue",
]


# --- Enums -------------------------------------------------------------------------------------


class AuthMethod(OcpiEnum):
    AUTH_REQUEST = auto()
    COMMAND = auto()
    WHITELIST = auto()


class CdrDimensionType(OcpiEnum):
    CURRENT = auto()  # session only
    ENERGY = auto()
    ENERGY_EXPORT = auto()  # session only
    ENERGY_IMPORT = auto()  # session only
    MAX_CURRENT = auto()
    MIN_CURRENT = auto()
    MAX_POWER = auto()
    MIN_POWER = auto()
    PARKING_TIME = auto()
    POWER = auto()  # session only
    RESERVATION_TIME = auto()
    STATE_OF_CHARGE = auto()  # session only
    TIME = auto()


# Live readings a Session may report while charging, which the spec forbids in a CDR (§4.3).
SESSION_ONLY_DIMENSIONS = frozenset(
    {
        CdrDimensionType.CURRENT,
        CdrDimensionType.ENERGY_EXPORT,
        CdrDimensionType.ENERGY_IMPORT,
        CdrDimensionType.POWER,
        CdrDimensionType.STATE_OF_CHARGE,
    }
)

# --- Shared with Sessions ----------------------------------------------------------------------


class CdrToken(OcpiModel):
    """The token a session ran on; its country_code/party_id (new in 2.2.1) name the eMSP that
    owns it, which is where the hub routes the session and the CDR (core.objects.token_owner)."""

    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class CdrDimension(OcpiModel):
    type: CdrDimensionType
    volume: Number


class ChargingPeriod(OcpiModel):
    """A period of a Session: it ends where the next one starts. Any dimension type."""

    start_date_time: DateTime
    dimensions: list[CdrDimension] = Field(min_length=1)
    tariff_id: CiString36 | None = None


class CdrChargingPeriod(ChargingPeriod):
    """A period of a CDR: what was billed, so no live readings (session-only dimensions)."""

    @field_validator("dimensions")
    @classmethod
    def _billable_only(cls, value: list[CdrDimension]) -> list[CdrDimension]:
        for dimension in value:
            if dimension.type in SESSION_ONLY_DIMENSIONS:
                raise ValueError(
                    f"{dimension.type.value} is a session-only dimension, not allowed in a CDR"
                )
        return value


# --- CDR parts ---------------------------------------------------------------------------------


class CdrLocation(OcpiModel):
    """Where the session ran, as it was at its start. evse_uid, evse_id and connector_id may be
    `#NA` for a reservation that was never used; CiStrings allow that value as they stand."""

    id: CiString36
    name: String255 | None = None
    # address string(45) and state string(20) in the released text; accepted at the post-d2
    # errata lengths 255 and 45, as Location does (checklist §7.18).
    address: String255
    city: String45
    postal_code: String10 | None = None
    state: String45 | None = None
    country: String3
    coordinates: GeoLocation
    evse_uid: CiString36
    evse_id: CiString48
    connector_id: CiString36
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(OcpiModel):
    nature: CiString32
    # plain_data is string(512) in the release and 5000 in the errata (checklist §0): lenient in.
    plain_data: String5000
    signed_data: String5000


class SignedData(OcpiModel):
    encoding_method: CiString36
    encoding_method_version: StrictInt | None = None
    public_key: String512 | None = None
    signed_values: list[SignedValue] = Field(min_length=1)
    url: String512 | None = None


# --- CDR ---------------------------------------------------------------------------------------


class CDR(OcpiModel):
    """A Charge Detail Record: final and immutable once sent; corrected only by a credit CDR."""

    country_code: CiString2
    party_id: CiString3
    # CiString(39): room for a credit CDR's id, the original's plus a suffix such as "-C".
    id: CiString39
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString36 | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    cdr_location: CdrLocation
    meter_id: String255 | None = None
    currency: String3
    tariffs: list[Tariff] | None = None
    charging_periods: list[CdrChargingPeriod] = Field(min_length=1)
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    total_energy_cost: Price | None = None
    total_time: Number
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: String255 | None = None
    invoice_reference_id: CiString39 | None = None
    credit: StrictBool | None = None
    # validate_default: the rule below must also fire when the field is simply absent.
    credit_reference_id: CiString39 | None = Field(default=None, validate_default=True)
    home_charging_compensation: StrictBool | None = None
    last_updated: DateTime

    @field_validator("credit_reference_id")
    @classmethod
    def _credit_names_its_cdr(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("credit") is True and not value:
            raise ValueError("required when credit is true: the id of the CDR being credited")
        return value
