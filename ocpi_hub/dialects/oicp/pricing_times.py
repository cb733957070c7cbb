"""When an OICP pricing product applies, from the time and day restrictions of an OCPI
TariffElement (`pricing`'s ProductAvailabilityTimes; OICP 2.3 ProductAvailabilityTimesType).

Each restriction is OCPI's own (as `core.tariff_restrictions` reads it): `start_time` inclusive,
`end_time` exclusive, `00:00` as an end is midnight, an end before the start wraps past midnight,
equal ends are the whole day, and the day is checked at each moment (so Friday 22:00-06:00 is
Friday 00:00-06:00 and Friday 22:00-24:00). Written as the AsciiDoc spec does (hub-dialects.md
§5.6): one ProductAvailabilityTimes per day value and period, `Period` and `on`; midnight as
`00:00`; a window across midnight split there, so each period begins before it ends. Days are
grouped as Everyday, Workdays and Weekend where they can be. Nothing is lost here: what a
`pricing` product cannot say is decided, and noted, there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["availability"]

_WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def availability(said: Mapping[str, Any]) -> list[dict[str, Any]]:
    """ProductAvailabilityTimes of time and day restrictions; none: always (empty)."""
    if not said:
        return []
    return [
        {"Period": {"begin": begin, "end": end}, "on": day}
        for day in _days(said.get("day_of_week") or _WEEK)
        for begin, end in _windows(said.get("start_time"), said.get("end_time"))
    ]


def _days(days: Sequence[str]) -> list[str]:
    """OICP day values of OCPI days: Everyday, Workdays, Weekend where they fit, else days."""
    left = set(days)
    if left >= set(_WEEK):
        return ["Everyday"]
    found = []
    for name, group in (("Workdays", set(_WEEK[:5])), ("Weekend", set(_WEEK[5:]))):
        if left >= group:
            found.append(name)
            left -= group
    return found + [day.capitalize() for day in _WEEK if day in left]


def _windows(start: str | None, end: str | None) -> list[tuple[str, str]]:
    """The periods of a time window: `00:00` is midnight, across midnight is split there, and
    equal ends are the whole day (as core.tariff_restrictions reads them)."""
    begin, finish = start or "00:00", end or "00:00"
    if begin == finish:
        return [("00:00", "00:00")]
    if finish == "00:00" or begin < finish:
        return [(begin, finish)]
    return [("00:00", finish), (begin, "00:00")]
