"""Fraud signals (issue 9 §6), sans I/O: what in the Sessions, CDRs and authorizations the hub
sees looks like a stolen or cloned token, or a meter that lies.

Each rule takes what the hub holds and returns the `Alert`s it raises, with their evidence; the
I/O side (storage.fraud_watch) feeds them and stores what they find. Alerts are kept apart from
the CDR findings: a finding says a record is wrong, an alert that someone may be cheating.

- IMPOSSIBLE_TRAVEL: one token at two Locations farther apart than `max_kmh` allows in the time
  between the end of one session and the start of the next (the great-circle distance: a car
  travels at least that far).
- OVERLAPPING_SESSIONS: one token charging at two EVSEs at once (a session that has not ended
  overlaps every later one).
- USED_WHILE_INVALID: a session started after its eMSP made the token invalid or BLOCKED (the
  Token's last_updated before the session's start: the CPO had been told).
- REFUSED_BURST: `burst` or more refused authorizations for one token, or at one EVSE, within
  `window` seconds (someone trying cards, or a card being tried).
- UNUSUAL_CHARGE: a CDR's energy or duration beyond the EVSE's history: more than
  OUTLIER_SIGMAS standard deviations above the mean of at least OUTLIER_HISTORY earlier CDRs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ocpi_hub.core.types import parse_datetime

__all__ = [
    "CODES",
    "Alert",
    "Code",
    "Severity",
    "Visit",
    "distance_km",
    "impossible_travel",
    "overlapping",
    "refused_burst",
    "unusual_charge",
    "used_while_invalid",
]

# How far above an EVSE's usual energy or duration a CDR must be, and how many earlier CDRs
# make "usual": below that, an EVSE's history says too little to call anything unusual.
OUTLIER_SIGMAS = 4
OUTLIER_HISTORY = 20
EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Code(StrEnum):
    IMPOSSIBLE_TRAVEL = "IMPOSSIBLE_TRAVEL"
    OVERLAPPING_SESSIONS = "OVERLAPPING_SESSIONS"
    USED_WHILE_INVALID = "USED_WHILE_INVALID"
    REFUSED_BURST = "REFUSED_BURST"
    UNUSUAL_CHARGE = "UNUSUAL_CHARGE"


# Each code's severity and meaning, as the README lists them. HIGH alerts make the hub refuse
# the token when it answers an authorization on its eMSP's behalf.
CODES: Mapping[Code, tuple[Severity, str]] = {
    Code.IMPOSSIBLE_TRAVEL: (Severity.HIGH, "one token at two places faster than travel allows"),
    Code.OVERLAPPING_SESSIONS: (Severity.HIGH, "one token in two sessions at once"),
    Code.USED_WHILE_INVALID: (Severity.HIGH, "a session on a token its eMSP made invalid"),
    Code.REFUSED_BURST: (Severity.MEDIUM, "a burst of refused authorizations"),
    Code.UNUSUAL_CHARGE: (Severity.LOW, "energy or duration far beyond the EVSE's history"),
}


@dataclass(frozen=True)
class Alert:
    """One signal: its code, what it is about (`subject`: a token `CC*PID*UID` or an EVSE
    `CC*PID*LOCATION*EVSE`), and the evidence."""

    code: Code
    subject: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]


@dataclass(frozen=True)
class Visit:
    """A session of a token as the rules see it: where, from when to when (None: not ended)."""

    session: str  # CC*PID*ID of the session
    start: datetime
    end: datetime | None
    latitude: float | None = None
    longitude: float | None = None
    evse: str = ""

    @classmethod
    def of(cls, session: Mapping[str, Any], location: Mapping[str, Any] | None) -> Visit:
        """From a stored Session and its stored Location (None when the hub has none)."""
        coordinates = (location or {}).get("coordinates") or {}
        end = session.get("end_date_time")
        return cls(
            session=f"{session['country_code']}*{session['party_id']}*{session['id']}",
            start=parse_datetime(session["start_date_time"]),
            end=parse_datetime(end) if end else None,
            latitude=_number(coordinates.get("latitude")),
            longitude=_number(coordinates.get("longitude")),
            evse=f"{session.get('location_id')}*{session.get('evse_uid')}",
        )


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def distance_km(a: Visit, b: Visit) -> float | None:
    """The great-circle (haversine) distance between two visits' Locations, if both are known."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lon1 = math.radians(a.latitude), math.radians(a.longitude)
    lat2, lon2 = math.radians(b.latitude), math.radians(b.longitude)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def impossible_travel(token: str, earlier: Visit, later: Visit, max_kmh: float) -> Alert | None:
    """`later` started too soon after `earlier` ended (or started, if it has not ended) to have
    covered the distance at `max_kmh`. Sessions at the same place never are."""
    km = distance_km(earlier, later)
    if km is None or km < 1:
        return None
    left = earlier.end or earlier.start
    hours = (later.start - left).total_seconds() / 3600
    if hours > 0 and km / hours <= max_kmh:
        return None
    speed = "at once" if hours <= 0 else f"{km / hours:.0f} km/h"
    return Alert(
        Code.IMPOSSIBLE_TRAVEL,
        token,
        {"sessions": [earlier.session, later.session], "km": round(km, 1), "speed": speed,
         "max_kmh": max_kmh},
    )  # fmt: skip


def overlapping(token: str, earlier: Visit, later: Visit) -> Alert | None:
    """`later` started before `earlier` ended (or while it has not ended), at another EVSE."""
    if later.evse == earlier.evse or later.start < earlier.start:
        return None
    if earlier.end is not None and later.start >= earlier.end:
        return None
    return Alert(
        Code.OVERLAPPING_SESSIONS,
        token,
        {"sessions": [earlier.session, later.session], "evses": [earlier.evse, later.evse]},
    )


def used_while_invalid(token: str, visit: Visit, stored: Mapping[str, Any] | None) -> Alert | None:
    """The session started after the eMSP's Token said invalid or BLOCKED (by its last_updated:
    a change made after the start does not count against it)."""
    if stored is None or (
        stored.get("valid") is not False and stored.get("whitelist") != "BLOCKED"
    ):
        return None
    changed = parse_datetime(stored["last_updated"])
    if changed > visit.start:
        return None
    return Alert(
        Code.USED_WHILE_INVALID,
        token,
        {"session": visit.session, "token_valid": stored.get("valid"),
         "whitelist": stored.get("whitelist"), "token_last_updated": stored["last_updated"]},
    )  # fmt: skip


def refused_burst(
    subject: str, refused_at: Sequence[datetime], burst: int, window: float
) -> Alert | None:
    """`burst` or more refusals within any `window` seconds (`refused_at` in time order)."""
    for i in range(len(refused_at) - burst + 1):
        first, last = refused_at[i], refused_at[i + burst - 1]
        if (last - first).total_seconds() <= window:
            return Alert(
                Code.REFUSED_BURST,
                subject,
                {"refused": burst, "within_seconds": window, "from": first.isoformat(),
                 "to": last.isoformat()},
            )  # fmt: skip
    return None


def unusual_charge(
    evse: str, cdr: str, energy: Decimal, hours: Decimal, history: Sequence[tuple[Decimal, Decimal]]
) -> Alert | None:
    """A CDR's energy (kWh) or duration (h) more than OUTLIER_SIGMAS standard deviations above
    the mean of the EVSE's earlier CDRs (`history`: (energy, hours) each), given enough of
    them."""
    if len(history) < OUTLIER_HISTORY:
        return None
    for name, value, past in (
        ("energy_kwh", energy, [e for e, _ in history]),
        ("duration_hours", hours, [h for _, h in history]),
    ):
        mean, sd = statistics.fmean(map(float, past)), statistics.pstdev(map(float, past))
        limit = mean + OUTLIER_SIGMAS * sd
        if sd > 0 and float(value) > limit:
            return Alert(
                Code.UNUSUAL_CHARGE,
                evse,
                {"cdr": cdr, "measure": name, "value": str(value), "mean": round(mean, 3),
                 "limit": round(limit, 3), "history": len(history)},
            )  # fmt: skip
    return None
