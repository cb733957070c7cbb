"""A session's charging periods as pricing reads them (sans-I/O, Decimal; `core.pricing` is the
one user): when each period starts and how long it lasts, the volumes it reports, where the
session stood when it began, its power and current; and the parts a period is cut into where a
tariff restriction may change (`core.tariff_restrictions`).

- A period runs from its `start_date_time` to the next period's; the last one to the session's
  end. Choice (the spec is silent): periods are taken in the order given, and one that does not
  end after it starts has no length: its restrictions are read at its start (and, for min/max
  kWh, where its energy crosses them).
- Volumes: ENERGY (kWh), TIME, PARKING_TIME and RESERVATION_TIME (hours), summed when a period
  repeats a dimension. They are taken as spread evenly over the period (choice: a period says
  nothing of what happened inside it).
- Power, current: see `core.tariff_restrictions`; without a power dimension, the period's
  average power, its ENERGY over its length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from ocpi_hub.core.modules.cdrs import CdrDimensionType, ChargingPeriod
from ocpi_hub.core.tariff_restrictions import Moment, Restrictions, seconds
from ocpi_hub.core.types import parse_datetime

__all__ = ["VOLUMES", "Period", "parts", "periods"]

# The dimensions whose volume a tariff prices; the others (power, current) describe a period.
VOLUMES = frozenset(
    {
        CdrDimensionType.ENERGY,
        CdrDimensionType.TIME,
        CdrDimensionType.PARKING_TIME,
        CdrDimensionType.RESERVATION_TIME,
    }
)
_ZERO, _HALF, _ONE = Decimal(0), Decimal("0.5"), Decimal(1)
_SECONDS_PER_HOUR = Decimal(3600)


@dataclass(slots=True)
class Period:
    index: int  # in the session's charging periods
    start: datetime
    length: Decimal  # seconds
    since_start: Decimal  # seconds from the session's start to the period's
    energy_before: Decimal  # kWh the session consumed before the period
    volumes: dict[CdrDimensionType, Decimal]  # the VOLUMES it reports
    power: tuple[Decimal, Decimal] | None  # lowest and highest kW, if known
    current: tuple[Decimal, Decimal] | None  # lowest and highest A, if known

    @property
    def reservation(self) -> bool:
        """Whether the period reports reservation time."""
        return CdrDimensionType.RESERVATION_TIME in self.volumes

    @property
    def charging(self) -> bool:
        """Whether it is part of the charging session: anything but a period that reports
        reservation time alone (an empty period is charging that consumed nothing)."""
        return not self.reservation or len(self.volumes) > 1


def periods(
    charging_periods: Sequence[ChargingPeriod], start: datetime, end: datetime
) -> list[Period]:
    """The periods of a session that started at `start` and ended (or was last seen) at `end`."""
    starts = [parse_datetime(p.start_date_time) for p in charging_periods]
    found: list[Period] = []
    energy = _ZERO
    for index, period in enumerate(charging_periods):
        begins = starts[index]
        ends = starts[index + 1] if index + 1 < len(starts) else end
        volumes: dict[CdrDimensionType, Decimal] = {}
        figures: dict[CdrDimensionType, Decimal] = {}
        for dimension in period.dimensions:
            if dimension.type in VOLUMES:
                volumes[dimension.type] = volumes.get(dimension.type, _ZERO) + dimension.volume
            else:
                figures[dimension.type] = dimension.volume
        length = max(seconds(ends - begins), _ZERO)
        kwh = volumes.get(CdrDimensionType.ENERGY, _ZERO)
        power = _range(figures, _POWER)
        if power is None and length > 0:
            average = kwh * _SECONDS_PER_HOUR / length
            power = (average, average)
        since_start = seconds(begins - start)
        current = _range(figures, _CURRENT)
        found.append(Period(index, begins, length, since_start, energy, volumes, power, current))
        energy += kwh
    return found


_POWER = (CdrDimensionType.MIN_POWER, CdrDimensionType.POWER, CdrDimensionType.MAX_POWER)
_CURRENT = (CdrDimensionType.MIN_CURRENT, CdrDimensionType.CURRENT, CdrDimensionType.MAX_CURRENT)


def _range(
    figures: dict[CdrDimensionType, Decimal], quantity: tuple[CdrDimensionType, ...]
) -> tuple[Decimal, Decimal] | None:
    # Lowest: MIN_x, else the Session's live x, else MAX_x; highest the other way round.
    if not figures:
        return None
    low, live, high = (figures.get(type_) for type_ in quantity)
    lowest = next((v for v in (low, live, high) if v is not None), None)
    highest = next((v for v in (high, live, low) if v is not None), None)
    return None if lowest is None or highest is None else (lowest, highest)


def parts(
    restrictions: Restrictions, period: Period, zone: tzinfo
) -> Iterator[tuple[dict[CdrDimensionType, Decimal], Moment]]:
    """The period cut where a restriction may change: each part's volumes and the moment its
    restrictions are read at. That is the part's middle, so that a part starting on a boundary
    is read on the right side of it (start_time and min_* inclusive, end_time and max_*
    exclusive); a period without length or energy is read at its start."""
    kwh = period.volumes.get(CdrDimensionType.ENERGY, _ZERO)
    cuts = restrictions.cuts(
        period.start, period.length, period.since_start, period.energy_before, kwh, zone
    )
    if not cuts:
        yield period.volumes, _moment(restrictions, period, zone, _HALF)
        return
    # Each part's volume is the difference of the volumes up to its two ends, so that the parts
    # of a period add up to the period's volume exactly.
    before = dict.fromkeys(period.volumes, _ZERO)
    begins = _ZERO
    for cut in [*cuts, None]:
        if cut is None:
            upto, ends = period.volumes, _ONE
        else:
            upto = {d: v * cut.part / cut.whole for d, v in period.volumes.items()}
            ends = cut.share
        yield (
            {d: upto[d] - before[d] for d in upto},
            _moment(restrictions, period, zone, (begins + ends) / 2),
        )
        before, begins = upto, ends


def _moment(restrictions: Restrictions, period: Period, zone: tzinfo, share: Decimal) -> Moment:
    """What the restrictions read when `share` of the period has passed."""
    at = period.length * share
    local = None
    if restrictions.local:
        local = (period.start + timedelta(microseconds=int(at * 1_000_000))).astimezone(zone)
    energy = period.energy_before + period.volumes.get(CdrDimensionType.ENERGY, _ZERO) * share
    return Moment(local, period.since_start + at, energy, period.power, period.current)
