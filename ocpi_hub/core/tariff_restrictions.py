"""Which TariffElement applies when: a Tariff's elements compiled once into plain values, the test
of an element at one moment of a session, and the instants inside a charging period at which a
restriction may change its answer (mod_tariffs "TariffRestrictions"). Sans-I/O; `core.pricing`
is its one user.

What each restriction looks at (all of them combined with AND, as the spec says):

- `start_time`/`end_time`: the wall clock in the Location's time zone, start inclusive, end
  exclusive. An `end_time` before `start_time` wraps past midnight; `00:00` as `end_time` is the
  end of the day. Choice (the spec is silent): `start_time` equal to `end_time` is the whole day.
  Each restriction is tested on its own, so a window across midnight with `day_of_week: FRIDAY`
  matches Friday 22:00-24:00 and Friday 00:00-06:00, not Saturday 00:00-06:00.
- `start_date` (inclusive), `end_date` (exclusive), `day_of_week`: the local date.
- `min_kwh` (inclusive), `max_kwh` (exclusive): the energy the session consumed before the moment.
- `min_duration` (inclusive), `max_duration` (exclusive): seconds since the session started (the
  CDR's or Session's `start_date_time`).
- `min_power`/`max_power`, `min_current`/`max_current`: the charging period's figures. A minimum
  is met when the period's lowest value is at least it, a maximum when its highest value is below
  it: "charging with a maximum of 16 A" meets `max_current: 32` (mod_tariffs complex example).
  Lowest: MIN_*, else the Session's POWER/CURRENT, else MAX_*; highest the other way round. With
  no power dimension the period's average power (ENERGY over its length) is used. With no current
  dimension (nothing to derive it from) a current restriction is not met.
- `reservation`: elements with it price reservations only, elements without it charging only
  (so a reservation's FLAT is its fee, and the expired-reservation examples charge no start fee).

Volumes are taken as spread evenly over their charging period, so every restriction changes its
answer only at the instants `Restrictions.cuts` returns; between two of them one element applies.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from ocpi_hub.core.modules.tariffs import (
    DayOfWeek,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffElement,
)

__all__ = ["Component", "Cut", "Element", "Moment", "Restrictions", "seconds"]

SECONDS_PER_DAY = 86_400
_MICROSECONDS = Decimal(1_000_000)
# date.weekday() numbers, Monday 0: the order DayOfWeek is declared in.
_WEEKDAY = {day: number for number, day in enumerate(DayOfWeek)}


@dataclass(frozen=True, slots=True)
class Component:
    """One PriceComponent, where it comes from: `element` is its index in `Tariff.elements`."""

    element: int
    price: Decimal  # per unit (kWh, hour, or the flat fee), excluding VAT
    vat: Decimal | None  # percent; None when no VAT applies (not 0 %)
    step_size: int  # Wh for ENERGY, seconds for TIME and PARKING_TIME


@dataclass(slots=True)
class Cut:
    """A point inside a charging period: `part` of `whole`, its seconds or its kWh. Kept as the
    two numbers, so that a volume up to the cut (volume x part / whole) is exact whenever it can
    be, and the energy at a kWh cut is the restriction's own figure."""

    part: Decimal
    whole: Decimal

    @property
    def share(self) -> Decimal:
        return self.part / self.whole


@dataclass(slots=True)
class Moment:
    """What the restrictions look at, at one instant of a session."""

    local: datetime | None  # wall clock in the Location's time zone; None if no element asks
    duration: Decimal  # seconds since the session started
    energy: Decimal  # kWh consumed since the session started
    power: tuple[Decimal, Decimal] | None  # lowest and highest kW of the period, if known
    current: tuple[Decimal, Decimal] | None  # lowest and highest A of the period, if known


def _seconds(hour_minute: str | None) -> int | None:
    if hour_minute is None:
        return None
    hours, minutes = hour_minute.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _in_window(second: int, start: int | None, end: int | None) -> bool:
    # Whole seconds suffice: boundaries are whole minutes, so a fraction never moves a comparison.
    # `end_time` 00:00 closes the day (spec); any other end before the start wraps midnight.
    if end == 0:
        end = SECONDS_PER_DAY
    if start is None:
        return end is None or second < end
    if end is None:
        return second >= start
    if start < end:
        return start <= second < end
    if start > end:
        return second >= start or second < end
    return True  # start == end: the whole day (choice, see the module docstring)


@dataclass(frozen=True, slots=True)
class Element:
    """One TariffElement, compiled: its components by dimension and its restrictions as values."""

    index: int
    components: Mapping[TariffDimensionType, Component]
    reservation: ReservationRestrictionType | None = None
    start_time: int | None = None  # seconds of the local day
    end_time: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    days: frozenset[int] | None = None  # date.weekday() numbers
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None

    local: bool = False  # whether a restriction reads the local wall clock or calendar

    @classmethod
    def compile(cls, index: int, element: TariffElement) -> Element:
        # A second component of the same dimension in one element can never be reached: the
        # first is the element's (first match, spec "Tariff object").
        components: dict[TariffDimensionType, Component] = {}
        for c in element.price_components:
            components.setdefault(c.type, Component(index, c.price, c.vat, c.step_size))
        r = element.restrictions
        if r is None:
            return cls(index, components)
        days = frozenset(_WEEKDAY[d] for d in r.day_of_week) if r.day_of_week else None
        local = (r.start_time, r.end_time, r.start_date, r.end_date, days) != (None,) * 5
        return cls(
            index,
            components,
            reservation=r.reservation,
            start_time=_seconds(r.start_time),
            end_time=_seconds(r.end_time),
            start_date=date.fromisoformat(r.start_date) if r.start_date else None,
            end_date=date.fromisoformat(r.end_date) if r.end_date else None,
            days=days,
            min_kwh=r.min_kwh,
            max_kwh=r.max_kwh,
            min_current=r.min_current,
            max_current=r.max_current,
            min_power=r.min_power,
            max_power=r.max_power,
            min_duration=r.min_duration,
            max_duration=r.max_duration,
            local=local,
        )

    def applies(self, m: Moment) -> bool:
        """Whether every restriction of the element holds at `m` (a reservation is the
        caller's to decide: it chooses which elements it asks)."""
        if self.local and m.local is not None:
            today = m.local.date()
            if self.days is not None and today.weekday() not in self.days:
                return False
            if self.start_date is not None and today < self.start_date:
                return False
            if self.end_date is not None and today >= self.end_date:
                return False
            if self.start_time is not None or self.end_time is not None:
                second = m.local.hour * 3600 + m.local.minute * 60 + m.local.second
                if not _in_window(second, self.start_time, self.end_time):
                    return False
        if self.min_kwh is not None and m.energy < self.min_kwh:
            return False
        if self.max_kwh is not None and m.energy >= self.max_kwh:
            return False
        if self.min_duration is not None and m.duration < self.min_duration:
            return False
        if self.max_duration is not None and m.duration >= self.max_duration:
            return False
        return _range_holds(m.power, self.min_power, self.max_power) and _range_holds(
            m.current, self.min_current, self.max_current
        )


def _range_holds(
    measured: tuple[Decimal, Decimal] | None, minimum: Decimal | None, maximum: Decimal | None
) -> bool:
    if minimum is None and maximum is None:
        return True
    if measured is None:
        return False
    lowest, highest = measured
    return (minimum is None or lowest >= minimum) and (maximum is None or highest < maximum)


class Restrictions:
    """A Tariff's elements, compiled once per pricing, and what they need of the timeline."""

    def __init__(self, tariff: Tariff) -> None:
        self.elements = tuple(Element.compile(i, e) for i, e in enumerate(tariff.elements))
        self.local = any(e.local for e in self.elements)
        # Seconds of the local day at which a time window opens or closes; and midnight, where
        # dates and days change and a window open at one end (from 18:00, until 08:00) too.
        clock = {e.start_time for e in self.elements if e.start_time is not None}
        clock |= {e.end_time for e in self.elements if e.end_time is not None}
        if self.local:
            clock.add(0)
        self._clock = tuple(sorted(clock))
        self._durations = tuple(
            sorted(
                {Decimal(e.min_duration) for e in self.elements if e.min_duration is not None}
                | {Decimal(e.max_duration) for e in self.elements if e.max_duration is not None}
            )
        )
        self._kwh = tuple(
            sorted(
                {e.min_kwh for e in self.elements if e.min_kwh is not None}
                | {e.max_kwh for e in self.elements if e.max_kwh is not None}
            )
        )

    def candidates(
        self, dimension: TariffDimensionType, reservation: ReservationRestrictionType | None
    ) -> tuple[Element, ...]:
        """The elements that may price `dimension`, in the order they are tried: charging
        (`reservation` None) takes the elements without a reservation restriction, in list order.
        A reservation takes RESERVATION elements; an expired one (RESERVATION_EXPIRES) first the
        RESERVATION_EXPIRES elements, then the RESERVATION ones (ReservationRestrictionType NOTE:
        the expiry element wins where both price the time; the fee-only expiry element of
        example 17 still leaves the time to the RESERVATION element)."""
        if reservation is None:
            families: tuple[ReservationRestrictionType | None, ...] = (None,)
        elif reservation == ReservationRestrictionType.RESERVATION:
            families = (ReservationRestrictionType.RESERVATION,)
        else:
            families = (
                ReservationRestrictionType.RESERVATION_EXPIRES,
                ReservationRestrictionType.RESERVATION,
            )
        return tuple(
            e
            for family in families
            for e in self.elements
            if e.reservation == family and dimension in e.components
        )

    def cuts(
        self,
        start: datetime,
        length: Decimal,
        since_start: Decimal,
        energy_before: Decimal,
        energy: Decimal,
        zone: tzinfo,
    ) -> list[Cut]:
        """Where some restriction may change its answer inside a period that starts at `start`,
        lasts `length` seconds, begins `since_start` seconds into the session after
        `energy_before` kWh and consumes `energy` kWh evenly. Sorted, unique, strictly inside."""
        found: list[Cut] = []
        if length > 0:
            for limit in self._durations:
                if 0 < limit - since_start < length:
                    found.append(Cut(limit - since_start, length))
            if self._clock:
                found += [Cut(t, length) for t in self._clock_offsets(start, length, zone)]
        if energy > 0:
            for limit in self._kwh:
                if energy_before < limit < energy_before + energy:
                    found.append(Cut(limit - energy_before, energy))
        if len(found) < 2:
            return found
        inside = {cut.share: cut for cut in found}
        return [inside[share] for share in sorted(inside)]

    def _clock_offsets(self, start: datetime, length: Decimal, zone: tzinfo) -> Iterator[Decimal]:
        """Seconds after `start`, within `length`, at which the local wall clock passes a
        boundary of the local day (`self._clock`)."""
        micro = int(length * _MICROSECONDS)
        end = start + timedelta(microseconds=micro)
        local, local_end = start.astimezone(zone), end.astimezone(zone)
        if local.utcoffset() == local_end.utcoffset():
            # One UTC offset throughout (a period would have to last months to hide two DST
            # changes): the wall clock runs with real time, so offsets are plain arithmetic.
            clock = (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000
            clock += local.microsecond
            for days in range((local_end.date() - local.date()).days + 1):
                for second in self._clock:
                    offset = (days * SECONDS_PER_DAY + second) * 1_000_000 - clock
                    if 0 < offset < micro:
                        yield Decimal(offset) / _MICROSECONDS
            return
        # Across a DST change: each boundary in both readings of a wall time the change repeats
        # or skips (fold 0 and 1), and the change itself, where the clock jumps over boundaries.
        instants = []
        day = local.date()
        while day <= local_end.date():
            for second in self._clock:
                wall_time = datetime.combine(day, _wall_time(second), zone)
                instants += [wall_time.astimezone(UTC), wall_time.replace(fold=1).astimezone(UTC)]
            day += timedelta(days=1)
        change = _offset_change(start, end, zone)
        if change is not None:
            instants.append(change)
        for instant in instants:
            if start < instant < end:
                yield seconds(instant - start)


def _wall_time(second: int) -> time:
    return time(second // 3600, second // 60 % 60)


def seconds(delta: timedelta) -> Decimal:
    """`delta` in seconds, exactly (to the microsecond, as datetime keeps time)."""
    micro = (delta.days * SECONDS_PER_DAY + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micro) / _MICROSECONDS


def _offset_change(start: datetime, end: datetime, zone: tzinfo) -> datetime | None:
    """The first second in (start, end] at which `zone`'s UTC offset differs from start's, or
    None when the ends have one offset (a period would have to last months to hide two
    changes)."""

    def offset(second: int) -> timedelta | None:
        return datetime.fromtimestamp(second, zone).utcoffset()

    low, high = math.floor(start.timestamp()), math.ceil(end.timestamp())
    if offset(low) == offset(high):
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if offset(middle) == offset(low):
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)
