"""Reconciliation rules (issue 9 §4), pure: what the hub finds by setting Sessions and CDRs
side by side.

- A Session COMPLETED with no CDR `OCPI_HUB_CDR_GRACE_HOURS` after the hub saw it completed
  (`missing_cdr`). Counted from when the hub saw it, not from its `end_date_time`: a network
  pulled weekly brings week-old Sessions with their CDRs in the same pull.
- A CDR whose Session the hub never saw, from a CPO that sends the hub its Sessions (a CPO
  that sends none would have every CDR found), or whose energy, start or end disagree with
  the Session's beyond the tolerances below (`reconcile_cdr`).
- The same charge twice under different ids: two CDRs of one CPO with the same Location,
  EVSE, token, start and end (`charge_of`), neither a credit CDR nor credited. Two CDRs for one
  Session are the CDR check SECOND_CDR_FOR_SESSION already; this finds what that cannot
  (another session_id, or none), so a pair is found once.

The checker (storage.checker) applies these when it checks a CDR or Session, and again, with
what the hub holds then, to every subject with an open finding each reconciliation: a finding
whose cause went away (the missing CDR arrived, the Session caught up) is closed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ocpi_hub.core.cdr_checks import Held, Place, figure, matching, same, seconds
from ocpi_hub.core.findings import Code, Finding
from ocpi_hub.core.types import format_datetime, json_decimal, parse_datetime

__all__ = [
    "ENERGY_TOLERANCE_KWH",
    "TIME_TOLERANCE",
    "charge_of",
    "missing_cdr",
    "reconcile_cdr",
]

# A CDR's total_energy may be the Session's kwh rounded (to two decimals, say): a difference
# below a hundredth of a kWh is rounding, not a disagreement.
ENERGY_TOLERANCE_KWH = Decimal("0.01")
# Start and end may be written to the minute in one and to the second in the other.
TIME_TOLERANCE = timedelta(seconds=60)


def charge_of(cdr: Mapping[str, Any]) -> str | None:
    """What makes a charge the same charge in two CDRs: Location, EVSE, token, start and end
    (ids upper case, times in UTC to the microsecond), as one text; None for a credit CDR,
    which repeats the charge of the CDR it credits by design."""
    if cdr.get("credit"):
        return None
    place, token = Place.of(cdr), cdr["cdr_token"]
    parts = [
        place.location_id.upper(),
        place.evse_uid.upper(),
        str(token["uid"]).upper(),
        str(token["type"]).upper(),
        parse_datetime(str(cdr["start_date_time"])).isoformat(),
        parse_datetime(str(cdr["end_date_time"])).isoformat(),
    ]
    return json.dumps(parts)


def _differences(cdr: Mapping[str, Any], session: Mapping[str, Any]) -> dict[str, Any]:
    """Energy, start and end where a CDR and its Session disagree beyond the tolerances."""
    found: dict[str, Any] = {}
    energy, kwh = json_decimal(cdr["total_energy"]), json_decimal(session["kwh"])
    if abs(energy - kwh) > ENERGY_TOLERANCE_KWH:
        found["energy_kwh"] = {"cdr": str(energy), "session": str(kwh)}
    for field in ("start_date_time", "end_date_time"):
        ours, theirs = cdr[field], session.get(field)
        if theirs is None:
            found[field] = {"cdr": ours, "session": None}
            continue
        a, b = parse_datetime(str(ours)), parse_datetime(str(theirs))
        if abs(a - b) > TIME_TOLERANCE:
            found[field] = {"cdr": ours, "session": theirs, "seconds": figure(seconds(b, a), 6)}
    return found


def reconcile_cdr(cdr: Mapping[str, Any], held: Held) -> list[Finding]:
    """The reconciliation findings of one CDR: no Session seen, figures disagreeing with its
    Session's, the same charge under another id. A credit CDR is judged by its reference
    (core.cdr_checks), not here."""
    if cdr.get("credit"):
        return []
    findings = []
    session_id = cdr.get("session_id")
    session = matching(held.speaks, held.sessions, "id", str(session_id)) if session_id else None
    if session is None and held.sessions_shared:
        findings.append(Finding(Code.CDR_WITHOUT_SESSION, {"session_id": session_id}))
    elif session is not None and (differences := _differences(cdr, session)):
        evidence = {
            "session_id": session_id,
            "session_status": session.get("status"),
            "differences": differences,
        }
        findings.append(Finding(Code.CDR_SESSION_MISMATCH, evidence))
    if held.credited:
        return findings
    # A pair with one session_id is SECOND_CDR_FOR_SESSION's, found once.
    others = [
        other.id
        for other in held.same_charge
        if not session_id
        or not other.session_id
        or not same(held.speaks, other.session_id, str(session_id))
    ]
    if others:
        place, token = Place.of(cdr), cdr["cdr_token"]
        evidence = {
            "other_cdrs": others,
            "location_id": place.location_id,
            "evse_uid": place.evse_uid,
            "token_uid": token["uid"],
            "start_date_time": cdr["start_date_time"],
            "end_date_time": cdr["end_date_time"],
        }
        findings.append(Finding(Code.DUPLICATE_CHARGE, evidence))
    return findings


def missing_cdr(
    session: Mapping[str, Any],
    *,
    awaiting: bool,
    completed_seen: datetime,
    now: datetime,
    grace: timedelta,
) -> list[Finding]:
    """MISSING_CDR for a COMPLETED Session still `awaiting` a CDR (no CDR for it but credit
    CDRs) `grace` after the hub saw it completed (`completed_seen`), at `now`."""
    if not awaiting or session.get("status") != "COMPLETED" or now - completed_seen < grace:
        return []
    evidence = {
        "session_id": session["id"],
        "end_date_time": session.get("end_date_time"),
        "completed_seen_at": format_datetime(completed_seen),
        "grace_hours": figure(seconds(completed_seen, completed_seen + grace) / 3600),
    }
    return [Finding(Code.MISSING_CDR, evidence)]
