"""OCPI 2.2.1 ChargingProfiles module objects (checklist §4.7).

A requester (an SCSP, or an eMSP) asks a CPO, for one of its sessions, for the active profile
(GET), to set one (PUT) or to clear it (DELETE); the CPO answers at once with a
ChargingProfileResponse and later POSTs the outcome to the request's `response_url`, as Commands
do. Once a requester has set a profile for a session, the CPO PUTs every change of the
ActiveChargingProfile to that requester's Sender interface.

Which result object answers which request is data (`RESULTS`): the hub validates a result
against the request it belongs to before relaying it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import auto
from typing import Annotated

from pydantic import Field, StrictInt

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.types import URL, DateTime, Number

__all__ = [
    "RESULTS",
    "ActiveChargingProfile",
    "ActiveChargingProfileResult",
    "ChargingProfile",
    "ChargingProfilePeriod",
    "ChargingProfileResponse",
    "ChargingProfileResponseType",
    "ChargingProfileResult",
    "ChargingProfileResultType",
    "ChargingRateUnit",
    "ClearProfileResult",
    "SetChargingProfile",
]

Seconds = Annotated[StrictInt, Field(ge=0)]

# --- Enums -------------------------------------------------------------------------------------


class ChargingRateUnit(OcpiEnum):
    W = auto()  # total power over all phases
    A = auto()  # current per phase


class ChargingProfileResponseType(OcpiEnum):
    ACCEPTED = auto()
    NOT_SUPPORTED = auto()
    REJECTED = auto()
    TOO_OFTEN = auto()  # the CPO throttles requests for this session
    UNKNOWN_SESSION = auto()


class ChargingProfileResultType(OcpiEnum):
    """The charge point's outcome. There is no TIMEOUT: see the hub's rule in web.results."""

    ACCEPTED = auto()
    REJECTED = auto()
    UNKNOWN = auto()  # no profile found matching the request


# --- Objects -----------------------------------------------------------------------------------


class ChargingProfilePeriod(OcpiModel):
    start_period: Seconds  # from the profile's start
    # number(1 decimal) in the spec; more decimals are accepted (tolerant in) and kept as sent.
    limit: Number


class ChargingProfile(OcpiModel):
    start_date_time: DateTime | None = None
    duration: Seconds | None = None
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: Number | None = None
    charging_profile_period: list[ChargingProfilePeriod] | None = None


class ActiveChargingProfile(OcpiModel):
    start_date_time: DateTime
    charging_profile: ChargingProfile


class SetChargingProfile(OcpiModel):
    charging_profile: ChargingProfile
    response_url: URL


class ChargingProfileResponse(OcpiModel):
    result: ChargingProfileResponseType
    timeout: StrictInt


class ActiveChargingProfileResult(OcpiModel):
    """The result of a GET: the active profile when ACCEPTED."""

    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None


class ChargingProfileResult(OcpiModel):
    """The result of a PUT."""

    result: ChargingProfileResultType


class ClearProfileResult(OcpiModel):
    """The result of a DELETE."""

    result: ChargingProfileResultType


# The result object a CPO posts to the response_url of each request method.
RESULTS: Mapping[str, type[OcpiModel]] = {
    "GET": ActiveChargingProfileResult,
    "PUT": ChargingProfileResult,
    "DELETE": ClearProfileResult,
}
