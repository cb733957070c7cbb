"""What a charging session costs under its Tariff, as OCPI 2.2.1 defines it (mod_tariffs, and
mod_cdrs "step_size"): sans-I/O, every amount a Decimal. The one pricing of the hub (DESIGN.md
"Money is core plus a ledger"): the CDR checks, the simulators and the credit exposure call it.

    cost = price_cdr(tariff, cdr, "Europe/Amsterdam")   # the Location's time_zone
    cost.total.excl_vat, cost.total.incl_vat           # rounded to 4 decimals, after min/max
    cost.lines                                         # per charging period and dimension
    cost.cdr_totals()["total_energy_cost"]             # named as the CDR's fields are

`price_session` does the same for a Session. Both raise `PricingError` (a ValueError) for an
unknown time zone, a charging period that names another tariff, or a figure too large to price
exactly (40 digits); everything else is priced.

How (each rule names its clause; the choices where the spec is silent are marked "choice"):

1. A charging period runs from its `start_date_time` to the next period's, the last one to the
   CDR's `end_date_time` (a Session's `end_date_time`, else its `last_updated`); see
   `core.pricing_periods` for periods out of order or without length.
2. What is priced is the volume each period reports (CdrDimension): ENERGY (kWh), TIME and
   PARKING_TIME (hours), RESERVATION_TIME (hours, by a reservation element's TIME component).
   The period's length only places it in time, for the restrictions.
3. Per dimension, the first element in list order that has a component for it and whose
   restrictions hold is used ("Tariff object"); none: that volume is free (a line without
   element). Restrictions are tested where they change, not only at the period's start: a
   period that crosses 17:00 or the 10th kWh is priced in parts, its volumes taken as spread
   evenly (choice; a CPO SHALL start a new period there anyway, mod_cdrs "ChargingPeriod", and
   then nothing is split). Each restriction: `core.tariff_restrictions`.
4. FLAT is counted once: from the first moment (in time) an element with a FLAT component
   applies. A reservation counts its own FLAT once more, its fee (tariff examples 16 and 17).
5. `step_size` is applied once per session (mod_cdrs "step_size", as the d2 text reads it): to
   the total ENERGY, and to the total of whichever of TIME or PARKING_TIME was consumed last
   (charging followed by parking rounds only the parking; d2 examples; a part reporting both
   counts its parking as the later), each with the step of the last component that priced a
   volume. Which was consumed last is read whether an element prices it or not: charging
   followed by free parking rounds no time at all (else more energy, bringing a price for the
   parking into force, could make the session cheaper: a property test found it). The volume
   added is billed on that last line, at its price. Restrictions are applied first, on what was
   consumed; the step never moves a restriction. Choice: reservation time is
   rounded on its own, as a part of the session apart.
6. VAT per component: incl = excl x (1 + vat/100); no `vat` means no VAT applies, incl = excl
   (PriceComponent.vat).
7. `min_price` and `max_price` bound the excl. and incl. totals separately (Tariff NOTEs); a
   bound without `incl_vat` bounds the excl. total only.
8. Choice (d2 NOTE: OCPI sets no rounding rules): amounts are computed exactly (40 digits); each
   total is rounded once, to the 4 decimals of OCPI's `number`, half up. Lines stay exact.
9. Choice: charging periods without `tariff_id` are this tariff's; one naming another tariff is
   refused (a CDR priced by two tariffs has to be priced part by part). The tariff's `type` is
   not checked; a session that started outside its `start_date_time`/`end_date_time` is priced
   with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import (
    ROUND_CEILING,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    localcontext,
)
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ocpi_hub.core.modules.cdrs import CDR, CdrDimensionType, ChargingPeriod
from ocpi_hub.core.modules.sessions import Session
from ocpi_hub.core.modules.tariffs import (
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
)
from ocpi_hub.core.pricing_periods import Period, parts, periods
from ocpi_hub.core.tariff_restrictions import Component, Element, Moment, Restrictions
from ocpi_hub.core.types import parse_datetime

__all__ = [
    "Amount",
    "Cost",
    "Line",
    "PricedDimension",
    "PricingError",
    "price_cdr",
    "price_session",
    "round_amount",
]

_EXACT = Context(prec=40)
_FOUR_DECIMALS, _TWENTY_DECIMALS = Decimal("1e-4"), Decimal("1e-20")
# Sums of a period's parts may differ from the whole in the 40th digit; a step must not be added
# for that, so step rounding looks at units (Wh, seconds) to 9 decimals.
_UNIT_NOISE = Decimal("1e-9")
_ONE, _ZERO, _HUNDRED = Decimal(1), Decimal(0), Decimal(100)
_WH_PER_KWH, _SECONDS_PER_HOUR = Decimal(1000), Decimal(3600)  # step_size units


class PricingError(ValueError):
    """The session cannot be priced with this tariff: the message says why."""


class PricedDimension(StrEnum):
    """What a line prices: the CDR dimension whose volume it bills, or the flat fee."""

    FLAT = "FLAT"
    ENERGY = "ENERGY"
    TIME = "TIME"
    PARKING_TIME = "PARKING_TIME"
    RESERVATION_TIME = "RESERVATION_TIME"


_ORDER = {d: i for i, d in enumerate(PricedDimension)}
_FLAT = TariffDimensionType.FLAT
_CHARGING = (
    (PricedDimension.ENERGY, TariffDimensionType.ENERGY),
    (PricedDimension.TIME, TariffDimensionType.TIME),
    (PricedDimension.PARKING_TIME, TariffDimensionType.PARKING_TIME),
)
_VOLUME: dict[PricedDimension, CdrDimensionType] = {
    d: CdrDimensionType(d.value) for d in PricedDimension if d != PricedDimension.FLAT
}


@dataclass(frozen=True, slots=True)
class Amount:
    """Money in the tariff's currency, excluding and including VAT."""

    excl_vat: Decimal
    incl_vat: Decimal

    def rounded(self) -> Amount:
        return Amount(round_amount(self.excl_vat), round_amount(self.incl_vat))


@dataclass(frozen=True, slots=True)
class Line:
    """What one charging period owes for one dimension under one element."""

    period: int  # index in the charging periods
    dimension: PricedDimension
    element: int | None  # index in Tariff.elements; None: no element prices it, it is free
    reservation: bool  # priced by a reservation element (the reservation fee, its time)
    volume: Decimal  # consumed: kWh, hours, or 1 for FLAT
    billed_volume: Decimal  # volume plus what step_size added (on the last line it rounds)
    price: Decimal  # per unit, excl. VAT
    vat: Decimal | None  # percent; None: no VAT applies
    cost: Amount  # exact


@dataclass(frozen=True, slots=True)
class Cost:
    """What a session costs: its lines, in period order, and its totals."""

    currency: str  # the tariff's
    lines: tuple[Line, ...]
    total: Amount  # rounded, after min_price/max_price
    uncapped: Amount  # the lines' sum, rounded, before min_price/max_price
    limits: tuple[str, ...]  # the bounds that moved a total, e.g. "max_price.incl_vat"
    warnings: tuple[str, ...]  # priced anyway, but worth a look (tariff not valid then, ...)

    def cdr_totals(self) -> dict[str, Amount]:
        """The lines' sums as the CDR names them (total_fixed_cost excludes the reservation fee,
        total_reservation_cost includes it, mod_cdrs), rounded; min/max price not applied."""
        sums = {name: [_ZERO, _ZERO] for name in _CDR_FIELD.values()}
        for line in self.lines:
            name = "total_reservation_cost" if line.reservation else _CDR_FIELD[line.dimension]
            sums[name][0] += line.cost.excl_vat
            sums[name][1] += line.cost.incl_vat
        return {name: Amount(excl, incl).rounded() for name, (excl, incl) in sums.items()}


_CDR_FIELD = {
    PricedDimension.FLAT: "total_fixed_cost",
    PricedDimension.ENERGY: "total_energy_cost",
    PricedDimension.TIME: "total_time_cost",
    PricedDimension.PARKING_TIME: "total_parking_cost",
    PricedDimension.RESERVATION_TIME: "total_reservation_cost",
}


def price_cdr(tariff: Tariff, cdr: CDR, time_zone: str) -> Cost:
    """The cost of `cdr` under `tariff`, its restrictions read in `time_zone` (IANA name)."""
    return _price(
        tariff,
        cdr.charging_periods,
        parse_datetime(cdr.start_date_time),
        parse_datetime(cdr.end_date_time),
        time_zone,
    )


def price_session(tariff: Tariff, session: Session, time_zone: str) -> Cost:
    """The cost of `session` so far: up to its end, or while it runs up to its `last_updated`.
    A Session without charging periods is priced as one period with its `kwh` (a warning)."""
    end = parse_datetime(session.end_date_time or session.last_updated)
    periods = session.charging_periods
    if not periods:
        periods = [
            ChargingPeriod.model_validate(
                {
                    "start_date_time": session.start_date_time,
                    "dimensions": [{"type": "ENERGY", "volume": session.kwh}],
                }
            )
        ]
    cost = _price(tariff, periods, parse_datetime(session.start_date_time), end, time_zone)
    if not session.charging_periods:
        note = "the Session has no charging periods: priced on its kwh alone"
        cost = replace(cost, warnings=(note, *cost.warnings))
    return cost


def _zone(time_zone: str) -> ZoneInfo:
    """The IANA time zone `time_zone`; PricingError if there is none of that name."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PricingError(f"unknown time zone {time_zone!r}") from exc


# --- The computation ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    period: int
    dimension: PricedDimension
    reservation: bool
    component: Component | None
    volume: Decimal = _ZERO
    extra: Decimal = _ZERO  # what step_size adds


_Key = tuple[int, PricedDimension, bool, int | None]


def _price(
    tariff: Tariff,
    charging_periods: Sequence[ChargingPeriod],
    start: datetime,
    end: datetime,
    time_zone: str,
) -> Cost:
    where = _zone(time_zone)
    for index, period in enumerate(charging_periods):
        if period.tariff_id is not None and period.tariff_id.casefold() != tariff.id.casefold():
            raise PricingError(
                f"charging period {index} is priced by tariff {period.tariff_id!r},"
                f" not {tariff.id!r}"
            )
    with localcontext(_EXACT):
        try:
            lines = _consume(Restrictions(tariff), periods(charging_periods, start, end), where)
            _round_steps(lines)
            return _cost(tariff, lines, _warnings(tariff, start))
        except InvalidOperation as exc:  # a figure past what 40 digits hold to 9 decimals
            raise PricingError("a volume or price is too large to be priced exactly") from exc


@dataclass(slots=True)
class _Lines:
    by_key: dict[_Key, _Line] = field(default_factory=dict)
    # Per dimension (but FLAT): the line of the last part of the session whose volume a
    # component priced.
    last: dict[PricedDimension, _Key] = field(default_factory=dict)
    # Which of TIME and PARKING_TIME was consumed last, priced or not: the one step_size rounds.
    last_time: PricedDimension | None = None

    def add(
        self,
        period: int,
        dimension: PricedDimension,
        reservation: bool,
        component: Component | None,
        volume: Decimal,
    ) -> None:
        if volume <= 0:
            return
        if dimension in (PricedDimension.TIME, PricedDimension.PARKING_TIME):
            self.last_time = dimension
        key = (period, dimension, reservation, None if component is None else component.element)
        line = self.by_key.get(key)
        if line is None:
            line = self.by_key[key] = _Line(period, dimension, reservation, component)
        line.volume += volume
        if component is not None and dimension != PricedDimension.FLAT:
            self.last[dimension] = key

    def rounded(self) -> list[_Key]:
        """The lines step_size rounds: the last priced line of ENERGY, of the one of TIME and
        PARKING_TIME consumed last, and of reservation time (rule 5)."""
        rounded = [PricedDimension.ENERGY, PricedDimension.RESERVATION_TIME, self.last_time]
        return [key for d in rounded if d is not None and (key := self.last.get(d)) is not None]


def _consume(restrictions: Restrictions, session: list[Period], where: ZoneInfo) -> _Lines:
    """Every part of every period, priced by the element that applies to it: the lines."""
    lines = _Lines()
    # A reservation followed by no charging has expired (ReservationRestrictionType).
    booking = (
        ReservationRestrictionType.RESERVATION
        if any(p.charging for p in session)
        else ReservationRestrictionType.RESERVATION_EXPIRES
    )
    charging = [(d, t, restrictions.candidates(t, None)) for d, t in _CHARGING]
    flat = restrictions.candidates(_FLAT, None)
    reserved_time = restrictions.candidates(TariffDimensionType.TIME, booking)
    reserved_flat = restrictions.candidates(_FLAT, booking)
    fee = reservation_fee = False  # whether the FLAT (of charging, of the reservation) is in
    for period in session:
        for share, moment in parts(restrictions, period, where):
            first = _First(moment)
            if period.charging and not fee and (component := first(flat, _FLAT)):
                lines.add(period.index, PricedDimension.FLAT, False, component, _ONE)
                fee = True
            for dimension, type_, elements in charging:
                volume = share.get(_VOLUME[dimension], _ZERO)
                if volume > 0:
                    lines.add(period.index, dimension, False, first(elements, type_), volume)
            if period.reservation and not reservation_fee and (c := first(reserved_flat, _FLAT)):
                lines.add(period.index, PricedDimension.FLAT, True, c, _ONE)
                reservation_fee = True
            volume = share.get(CdrDimensionType.RESERVATION_TIME, _ZERO)
            if volume > 0:
                component = first(reserved_time, TariffDimensionType.TIME)
                lines.add(period.index, PricedDimension.RESERVATION_TIME, True, component, volume)
    return lines


class _First:
    """The component of the first of some elements that applies at one moment (each element
    tested once per moment)."""

    __slots__ = ("_applies", "_moment")

    def __init__(self, moment: Moment) -> None:
        self._moment = moment
        self._applies: dict[int, bool] = {}

    def __call__(
        self, elements: Sequence[Element], dimension: TariffDimensionType
    ) -> Component | None:
        for element in elements:
            applies = self._applies.get(element.index)
            if applies is None:
                applies = self._applies[element.index] = element.applies(self._moment)
            if applies:
                return element.components[dimension]
        return None


def _round_steps(lines: _Lines) -> None:
    """step_size, once per group, on the group's last line (rule 5 of the module docstring)."""
    for key in lines.rounded():
        last = lines.by_key[key]
        if last.component is None:  # never: only a priced line is a group's last
            continue
        total = sum(
            (
                line.volume
                for line in lines.by_key.values()
                if line.dimension == last.dimension and line.component is not None
            ),
            _ZERO,
        )
        per_unit = _WH_PER_KWH if last.dimension == PricedDimension.ENERGY else _SECONDS_PER_HOUR
        last.extra = max(_billed(total, last.component.step_size, per_unit) - total, _ZERO)


def _billed(total: Decimal, step_size: int, per_unit: Decimal) -> Decimal:
    """`total` rounded up to whole steps of `step_size` units (Wh, seconds); a step_size below 1
    rounds nothing (choice: the free-of-charge example's FLAT has 0)."""
    if step_size < 1:
        return total
    units = (total * per_unit).quantize(_UNIT_NOISE)
    steps = (units / step_size).to_integral_value(ROUND_CEILING)
    return steps * step_size / per_unit


def _cost(tariff: Tariff, lines: _Lines, warnings: tuple[str, ...]) -> Cost:
    priced: list[Line] = []
    ordered = sorted(lines.by_key.values(), key=lambda x: (x.period, _ORDER[x.dimension]))
    for line in ordered:
        component = line.component
        billed = line.volume + line.extra
        price = _ZERO if component is None else component.price
        vat = None if component is None else component.vat
        excl = price * billed
        incl = excl if vat is None else excl * (_ONE + vat / _HUNDRED)
        element = None if component is None else component.element
        cost = Amount(excl, incl)
        priced.append(
            Line(line.period, line.dimension, element, line.reservation, line.volume, billed,
                 price, vat, cost)
        )  # fmt: skip
    lines_excl = sum((x.cost.excl_vat for x in priced), _ZERO)
    uncapped = Amount(lines_excl, sum((x.cost.incl_vat for x in priced), _ZERO))
    total, limits = _limit(tariff, uncapped)
    return Cost(
        currency=tariff.currency,
        lines=tuple(priced),
        total=total.rounded(),
        uncapped=uncapped.rounded(),
        limits=limits,
        warnings=warnings,
    )


def _limit(tariff: Tariff, amount: Amount) -> tuple[Amount, tuple[str, ...]]:
    """min_price, then max_price, on the excl. and incl. totals separately (Tariff NOTEs)."""
    totals = {"excl_vat": amount.excl_vat, "incl_vat": amount.incl_vat}
    moved: list[str] = []
    for name, bound in (("min_price", tariff.min_price), ("max_price", tariff.max_price)):
        for part in totals:
            limit = None if bound is None else getattr(bound, part)
            if limit is None:
                continue
            if totals[part] < limit if name == "min_price" else totals[part] > limit:
                totals[part] = limit
                moved.append(f"{name}.{part}")
    return Amount(totals["excl_vat"], totals["incl_vat"]), tuple(moved)


def _warnings(tariff: Tariff, start: datetime) -> tuple[str, ...]:
    notes = []
    if tariff.start_date_time and start < parse_datetime(tariff.start_date_time):
        notes.append(
            f"the tariff is valid from {tariff.start_date_time}, after the session started"
        )
    if tariff.end_date_time and start > parse_datetime(tariff.end_date_time):
        notes.append(f"the tariff ended at {tariff.end_date_time}, before the session started")
    return tuple(notes)


def round_amount(value: Decimal) -> Decimal:
    """The hub's one rounding of an amount: half up, to the 4 decimals of OCPI's `number`."""
    # Rounded to 20 places first: a total computed as 0.12344999...(40 digits) from parts that
    # add up to 0.12345 exactly must still round to 0.1235.
    near = value.quantize(_TWENTY_DECIMALS, context=_EXACT)
    return near.quantize(_FOUR_DECIMALS, rounding=ROUND_HALF_UP, context=_EXACT)
