"""The checks of one CDR or completed Session against what the hub holds (issue 9 §2), pure.

`check_cdr` and `check_session` take the object as stored (validated on the way in, DESIGN.md
decision 2) and `Held`, what the checker found in the store for it, and return its findings
(core.findings). Nothing here blocks anything: a finding is for the operator.

What each check judges, and where the spec leaves it to us:
- Physics. The charge's duration is end - start; its energy (a CDR's `total_energy`, a
  Session's `kwh`) must not exceed the EVSE's power x that duration, the power being its
  strongest connector's `max_electric_power`, else `max_voltage` x `max_amperage` x phases
  (voltage is line-to-neutral, checklist §4.1). Charging periods are read in the order listed:
  each ends where the next starts and the last one at the end of the charge.
- Places and token. The Location is the CPO's under `location_id`, its EVSE the one with the
  `evse_uid` (and for a CDR the `evse_id`), compared as the CPO's dialect compares ids and EVSE
  ids (dialects.same_id, same_evse_id). The hub does not record which route a record came by,
  so where several platforms reach the CPO the ids match when any of their dialects says so:
  a false finding costs the operator more than a missed one here. A token is judged only
  where its eMSP shares Tokens with the hub (the hub holds some): many eMSPs authorize in real
  time only, and every CDR of theirs would be "unknown".
- Currency. The tariffs of a charge are those it names (a CDR's `tariffs`, each period's
  `tariff_id`), else its connector's `tariff_ids`; each whose currency differs is a finding.
- A second CDR for a Session, and a credit CDR's reference: see `Held`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ocpi_hub.core.findings import Code, Finding
from ocpi_hub.core.objects import credited
from ocpi_hub.core.price_check import DEFAULT_TOLERANCE, price_findings
from ocpi_hub.core.types import format_datetime, json_decimal, parse_datetime
from ocpi_hub.dialects import OCPI_221, Dialect, same_evse_id, same_id

__all__ = [
    "Found",
    "Held",
    "Limits",
    "OtherCdr",
    "Place",
    "check_cdr",
    "check_session",
    "evse_power_w",
    "figure",
    "find_place",
    "matching",
    "same",
    "seconds",
    "tariffs_of",
    "wanted_tariffs",
]

# The phases a connector's power is voltage x amperage times (voltage line-to-neutral).
_PHASES = {"AC_1_PHASE": 1, "AC_2_PHASE": 2, "AC_2_PHASE_SPLIT": 2, "AC_3_PHASE": 3, "DC": 1}
# A CDR or Session at a reservation that was never used names no EVSE (CdrLocation, §4.3).
NOT_APPLICABLE = "#NA"


@dataclass(frozen=True)
class Limits:
    """The settings the checks read (settings.py)."""

    max_duration: timedelta = timedelta(hours=48)  # OCPI_HUB_MAX_SESSION_HOURS
    price_tolerance: Decimal = DEFAULT_TOLERANCE  # OCPI_HUB_PRICE_TOLERANCE


@dataclass(frozen=True)
class OtherCdr:
    """Another CDR the checker holds, as it names it in evidence."""

    id: str
    session_id: str | None = None


@dataclass(frozen=True)
class Held:
    """What the hub holds for one CDR or Session, as the checker found it (ids found as the
    store finds them, case-insensitively; matched here as the CPO's dialect says)."""

    # The dialects of the platforms reaching the CPO (the spec's when none does).
    speaks: tuple[Dialect, ...] = (OCPI_221,)
    locations: tuple[Mapping[str, Any], ...] = ()  # the CPO's, under the location id
    tariffs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by id, upper case
    tokens: tuple[Mapping[str, Any], ...] = ()  # the eMSP's, under the token's uid and type
    tokens_shared: bool = False  # the hub holds Tokens of the token's eMSP
    # CDRs only. Its Session(s) under session_id, and whether the CPO sends Sessions at all:
    sessions: tuple[Mapping[str, Any], ...] = ()
    sessions_shared: bool = False
    # Other CDRs of the CPO checked before, neither a credit nor credited: for the same Session,
    # and for the same charge (core.reconcile.charge_of).
    same_session: tuple[OtherCdr, ...] = ()
    same_charge: tuple[OtherCdr, ...] = ()
    credited: bool = False  # a credit CDR credits this one
    credits: tuple[Mapping[str, Any], ...] = ()  # a credit CDR: the CPO's CDRs under its reference


def seconds(start: datetime, end: datetime) -> Decimal:
    """end - start in seconds, exactly (to the microsecond)."""
    return Decimal((end - start) // timedelta(microseconds=1)) / 1_000_000


def figure(value: Decimal, places: int = 3) -> str:
    """A figure for evidence: rounded to `places` decimals, without trailing zeros."""
    text = f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def same(speaks: Iterable[Dialect], a: str, b: str) -> bool:
    return any(same_id(d, a, b) for d in speaks)


def matching(
    speaks: Iterable[Dialect], objects: Iterable[Mapping[str, Any]], key: str, value: str
) -> Mapping[str, Any] | None:
    """The first of `objects` whose `key` is `value` as one of the dialects compares ids."""
    speaks = tuple(speaks)
    return next((o for o in objects if same(speaks, str(o.get(key, "")), value)), None)


def connector_power_w(connector: Mapping[str, Any]) -> Decimal | None:
    """A connector's power in W: max_electric_power, else voltage x amperage x phases."""
    if connector.get("max_electric_power") is not None:
        return json_decimal(connector["max_electric_power"])
    phases = _PHASES.get(str(connector.get("power_type")))
    voltage, amperage = connector.get("max_voltage"), connector.get("max_amperage")
    if phases is None or voltage is None or amperage is None:
        return None
    return json_decimal(voltage) * json_decimal(amperage) * phases


def evse_power_w(evse: Mapping[str, Any]) -> Decimal | None:
    """An EVSE's power in W: its strongest connector's; None when no connector says."""
    powers = [p for c in evse.get("connectors") or () if (p := connector_power_w(c)) is not None]
    return max(powers) if powers else None


@dataclass(frozen=True)
class Place:
    """Where a charge happened, as a CDR (`cdr_location`) or a Session names it."""

    location_id: str
    evse_uid: str
    connector_id: str
    evse_id: str | None  # a CDR's; a Session names none

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Place:
        where = obj.get("cdr_location")
        if isinstance(where, Mapping):
            evse_id = where.get("evse_id")
            return cls(
                str(where["id"]),
                str(where["evse_uid"]),
                str(where["connector_id"]),
                None if evse_id is None else str(evse_id),
            )
        return cls(str(obj["location_id"]), str(obj["evse_uid"]), str(obj["connector_id"]), None)


@dataclass(frozen=True)
class Found:
    """The Location and EVSE of a charge as the hub holds them (None where it does not)."""

    location: Mapping[str, Any] | None = None
    evse: Mapping[str, Any] | None = None


def find_place(place: Place, held: Held) -> Found:
    """The held Location and EVSE of `place`: the EVSE with its uid and (for a CDR) evse_id."""
    location = matching(held.speaks, held.locations, "id", place.location_id)
    if location is None or place.evse_uid == NOT_APPLICABLE:
        return Found(location)
    for evse in location.get("evses") or ():
        if not same(held.speaks, str(evse.get("uid", "")), place.evse_uid):
            continue
        held_id = evse.get("evse_id")
        if place.evse_id is None or held_id is None:
            return Found(location, evse)
        if any(same_evse_id(d, str(held_id), place.evse_id) for d in held.speaks):
            return Found(location, evse)
    return Found(location)


def _places(obj: Mapping[str, Any], place: Place, found: Found, held: Held) -> list[Finding]:
    """Findings on the token, the Location and the EVSE."""
    findings: list[Finding] = []
    token = obj["cdr_token"]
    if held.tokens_shared and matching(held.speaks, held.tokens, "uid", str(token["uid"])) is None:
        keys = ("country_code", "party_id", "uid", "type")
        findings.append(Finding(Code.UNKNOWN_TOKEN, {"token": {k: token[k] for k in keys}}))
    if found.location is None:
        findings.append(Finding(Code.UNKNOWN_LOCATION, {"location_id": place.location_id}))
    elif found.evse is None and place.evse_uid != NOT_APPLICABLE:
        evidence: dict[str, Any] = {"location_id": place.location_id, "evse_uid": place.evse_uid}
        if place.evse_id is not None:
            evidence["evse_id"] = place.evse_id
        evidence["held"] = [
            {"uid": e.get("uid"), "evse_id": e.get("evse_id")}
            for e in found.location.get("evses") or ()
        ]
        findings.append(Finding(Code.UNKNOWN_EVSE, evidence))
    return findings


def _periods(periods: Sequence[Mapping[str, Any]], end: datetime | None) -> list[Finding]:
    """Charging periods read in the order listed: each ends where the next starts, the last
    where the charge ends (when it has ended)."""
    starts = [parse_datetime(str(p["start_date_time"])) for p in periods]
    out_of_order = [
        {
            "index": i,
            "start_date_time": format_datetime(starts[i]),
            "previous_start_date_time": format_datetime(starts[i - 1]),
        }
        for i in range(1, len(starts))
        if starts[i] < starts[i - 1]
    ]
    zero = [i for i in range(len(starts) - 1) if starts[i] == starts[i + 1]]
    findings = []
    if out_of_order:
        findings.append(Finding(Code.PERIODS_OUT_OF_ORDER, {"periods": out_of_order}))
    if starts and end is not None:
        last = len(starts) - 1
        if starts[last] > end:
            evidence = {
                "index": last,
                "start_date_time": format_datetime(starts[last]),
                "end_date_time": format_datetime(end),
            }
            findings.append(Finding(Code.PERIOD_NEGATIVE_LENGTH, evidence))
        elif starts[last] == end:
            zero.append(last)
    if zero:
        findings.append(Finding(Code.PERIOD_ZERO_LENGTH, {"periods": zero}))
    return findings


def _physics(
    energy: Decimal,
    start: datetime,
    end: datetime | None,
    evse: Mapping[str, Any] | None,
    limits: Limits,
) -> list[Finding]:
    """End before start, too long, more energy than the EVSE delivers in the time."""
    if end is None:
        return []
    times = {"start_date_time": format_datetime(start), "end_date_time": format_datetime(end)}
    if end < start:
        return [Finding(Code.END_BEFORE_START, times)]
    findings = []
    duration = seconds(start, end) / 3600  # hours
    if end - start > limits.max_duration:
        limit = Decimal(limits.max_duration // timedelta(microseconds=1)) / 3_600_000_000
        too_long = {**times, "hours": figure(duration), "max_hours": figure(limit)}
        findings.append(Finding(Code.TOO_LONG, too_long))
    power = evse_power_w(evse) if evse is not None else None
    if evse is not None and power is not None and energy > power * duration / 1000:
        evidence = {
            "energy_kwh": str(energy),
            "max_power_kw": figure(power / 1000),
            "hours": figure(duration),
            "max_energy_kwh": figure(power * duration / 1000),
            "evse_uid": evse.get("uid"),
        }
        findings.append(Finding(Code.ENERGY_ABOVE_MAX_POWER, evidence))
    return findings


def wanted_tariffs(obj: Mapping[str, Any], held: Held) -> list[str]:
    """The ids of the stored tariffs a charge is compared with: those its periods name that a
    CDR does not carry itself, else (none named) its connector's `tariff_ids`."""
    carried = {str(t["id"]).upper() for t in obj.get("tariffs") or ()}
    named = [str(p["tariff_id"]) for p in obj.get("charging_periods") or () if p.get("tariff_id")]
    if named or carried:
        return list(dict.fromkeys(i for i in named if i.upper() not in carried))
    place = Place.of(obj)
    evse = find_place(place, held).evse or {}
    connector = matching(held.speaks, evse.get("connectors") or (), "id", place.connector_id)
    return [str(i) for i in (connector or {}).get("tariff_ids") or ()]


def tariffs_of(obj: Mapping[str, Any], held: Held) -> list[Mapping[str, Any]]:
    """The tariffs of a charge: those a CDR carries, then the held ones `wanted_tariffs` names."""
    tariffs = list(obj.get("tariffs") or ())
    tariffs += [t for i in wanted_tariffs(obj, held) if (t := held.tariffs.get(i.upper()))]
    return list({str(t["id"]).upper(): t for t in tariffs}.values())


def _currency(obj: Mapping[str, Any], held: Held) -> list[Finding]:
    currency = str(obj["currency"])
    return [
        Finding(
            Code.CURRENCY_MISMATCH,
            {"currency": currency, "tariff_id": t["id"], "tariff_currency": t["currency"]},
            detail=str(t["id"]).upper(),
        )
        for t in tariffs_of(obj, held)
        if str(t["currency"]).upper() != currency.upper()
    ]


def check_cdr(cdr: Mapping[str, Any], held: Held, limits: Limits) -> list[Finding]:
    """The findings of one CDR: physics, places and token, currency, its price (core.price_check),
    a second CDR for its Session, a credit CDR's unknown reference."""
    place = Place.of(cdr)
    found = find_place(place, held)
    findings = _places(cdr, place, found, held)
    start = parse_datetime(str(cdr["start_date_time"]))
    end = parse_datetime(str(cdr["end_date_time"]))
    findings += _physics(json_decimal(cdr["total_energy"]), start, end, found.evse, limits)
    findings += _periods(cdr["charging_periods"], end)
    findings += _currency(cdr, held)
    findings += price_findings(cdr, tariffs_of(cdr, held), found.location, limits.price_tolerance)
    reference = credited(cdr)
    if reference is not None:
        if matching(held.speaks, held.credits, "id", reference) is None:
            unknown = {"credit_reference_id": reference}
            findings.append(Finding(Code.UNKNOWN_CREDIT_REFERENCE, unknown))
    elif cdr.get("session_id") and held.same_session and not held.credited:
        second = {
            "session_id": cdr["session_id"],
            "other_cdrs": [other.id for other in held.same_session],
        }
        findings.append(Finding(Code.SECOND_CDR_FOR_SESSION, second))
    return findings


def check_session(session: Mapping[str, Any], held: Held, limits: Limits) -> list[Finding]:
    """The findings of one completed Session: what applies of a CDR's (physics, places and
    token, currency); its missing CDR is reconciliation's (core.reconcile)."""
    place = Place.of(session)
    found = find_place(place, held)
    findings = _places(session, place, found, held)
    start = parse_datetime(str(session["start_date_time"]))
    ended = session.get("end_date_time")
    end = parse_datetime(str(ended)) if ended else None
    findings += _physics(json_decimal(session["kwh"]), start, end, found.evse, limits)
    findings += _periods(session.get("charging_periods") or (), end)
    findings += _currency(session, held)
    return findings
