"""OCPI 2.2.1 Sessions module objects (checklist §4.2): Session, ChargingPreferences, their enums,
and what a PATCH does to a stored Session.

PATCH and `charging_periods` (checklist §4.2 [M]): every top-level field in a PATCH replaces the
stored one, as for any object (core.patch.merge_patch), except `charging_periods`: the periods a
PATCH carries are *appended* to the stored ones, because a CPO reports a running session period by
period. A PATCH without periods (absent, null or `[]`) leaves them untouched. Only a PUT replaces
or removes periods: it replaces the whole Session, and one without periods clears them.

CdrToken, AuthMethod and ChargingPeriod are defined by the CDRs module (core.modules.cdrs); the
ProfileType enum is shared with Tokens (core.modules.tokens). Price is the Tariffs module's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum, auto
from typing import Any

from pydantic import StrictBool

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.modules.cdrs import AuthMethod, CdrToken, ChargingPeriod
from ocpi_hub.core.modules.tariffs import Price
from ocpi_hub.core.modules.tokens import ProfileType
from ocpi_hub.core.objects import token_owner
from ocpi_hub.core.parties import Role
from ocpi_hub.core.patch import merge_patch
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import (
    CiString2,
    CiString3,
    CiString36,
    DateTime,
    Number,
    String3,
    String255,
)

__all__ = [
    "AuthMethod",
    "ChargingPreferences",
    "ChargingPreferencesResponse",
    "ProfileType",
    "Session",
    "SessionRequest",
    "SessionStatus",
    "may_act_on_session",
    "patch_session",
]


class SessionStatus(OcpiEnum):
    ACTIVE = auto()
    COMPLETED = auto()
    INVALID = auto()
    PENDING = auto()
    # The spec's text says RESERVED for a reservation; the enum value is RESERVATION (§7.5).
    RESERVATION = auto()


class ChargingPreferencesResponse(OcpiEnum):
    ACCEPTED = auto()
    DEPARTURE_REQUIRED = auto()
    ENERGY_NEED_REQUIRED = auto()
    NOT_POSSIBLE = auto()
    PROFILE_TYPE_NOT_SUPPORTED = auto()


class ChargingPreferences(OcpiModel):
    """What a driver wants from a running session, sent by the eMSP to the CPO."""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None  # kWh
    discharge_allowed: StrictBool | None = None  # absent means false


class Session(OcpiModel):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    location_id: CiString36
    # `#NA` while a reservation has no EVSE or connector assigned; a CiString allows it as is.
    evse_uid: CiString36
    connector_id: CiString36
    meter_id: String255 | None = None
    currency: String3  # ISO 4217
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None  # absent is "not known", not free; 0 is free
    status: SessionStatus
    last_updated: DateTime


def patch_session(stored: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """The stored Session after a PATCH: fields replaced, `charging_periods` appended.

    A PATCH's periods are added after the stored ones; absent, null or `[]` leave them as they
    are. Anything else in `charging_periods` (not a list) is set as sent, so that validating the
    result refuses it. Inputs are not mutated.
    """
    periods = patch.get("charging_periods")
    updated = merge_patch(stored, {k: v for k, v in patch.items() if k != "charging_periods"})
    if isinstance(periods, list) and periods:
        already = stored.get("charging_periods")
        updated["charging_periods"] = [*(already if isinstance(already, list) else []), *periods]
    elif periods is not None and not isinstance(periods, list):
        updated["charging_periods"] = periods
    return updated


class SessionRequest(StrEnum):
    """What a party asks a CPO to do to a running Session through the hub."""

    COMMAND = "STOP_SESSION"  # the one command naming a session (§4.6)
    CHARGING_PROFILE = "charging profile"  # GET, PUT or DELETE of its profile (§4.7)


def may_act_on_session(
    session: Mapping[str, Any] | None,
    requester: PartyKey,
    roles: Collection[Role],
    request: SessionRequest,
) -> bool:
    """Whether the hub relays `requester`'s `request` about `session` (the Session as the hub
    stores it, None when the hub never saw it), whichever way the request is addressed.

    - A Session the hub never saw: yes. The CPO owns its sessions and knows who may touch them;
      the hub relays and the CPO answers (UNKNOWN_SESSION, or whatever it decides).
    - The Session's eMSP, the party its `cdr_token` belongs to: yes. The checklist's §4.7 "only
      the token owner (or a contracted party) may set profiles", and §4.6's "an eMSP only uses its
      own tokens", applied to stopping the session.
    - An SCSP party (`roles` of the requester include SCSP): charging profiles yes — managing the
      charging of sessions it does not own is what an SCSP does in 2.2.1, by contract with the
      CPO or the eMSP, and the CPO may still refuse it — commands never.
    - Anyone else, the CPO itself included: no.
    """
    if session is None:
        return True
    if token_owner(session) == requester:
        return True
    return request == SessionRequest.CHARGING_PROFILE and Role.SCSP in roles
