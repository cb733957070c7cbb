"""What a charging session costs under a Tariff (checklist §4.4), in Decimal, never float
(DESIGN.md decision 9).

The rules applied, as the spec states them:
- per dimension, the first TariffElement (in list order) with a component of that dimension is
  used; elements with restrictions are skipped here, because the simulators' tariffs have none
  and evaluating them needs the Location's local time (a priced CDR must never guess);
- `step_size` rounds the session's *total* of a dimension up: ENERGY in Wh, TIME in seconds;
- `price` is excluding VAT; `vat` is a percentage, and absent means no VAT applies at all;
- `min_price` / `max_price` bound the totals, excluding and including VAT separately.

Rounding is not in the spec (it is a legal matter): each cost is rounded half-up to the cent,
and the total is the sum of the rounded parts, so a CDR's parts add up to its total exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from ocpi_hub.core.modules.tariffs import Price, PriceComponent, Tariff, TariffDimensionType

CENT = Decimal("0.01")
ZERO = Decimal(0)
_HOUR = Decimal(3600)
_KILO = Decimal(1000)


@dataclass(frozen=True)
class Cost:
    """An amount excluding and including VAT, rounded to the cent."""

    excl_vat: Decimal = ZERO
    incl_vat: Decimal = ZERO

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.excl_vat + other.excl_vat, self.incl_vat + other.incl_vat)

    def as_price(self) -> dict[str, Decimal]:
        """The OCPI Price object."""
        return {"excl_vat": self.excl_vat, "incl_vat": self.incl_vat}


@dataclass(frozen=True)
class SessionCost:
    """A session's cost by dimension, and in total."""

    fixed: Cost
    energy: Cost
    time: Cost
    total: Cost


def component(tariff: Tariff, dimension: TariffDimensionType) -> PriceComponent | None:
    """The price component that applies to `dimension`: the first unrestricted element's."""
    for element in tariff.elements:
        if element.restrictions is not None and element.restrictions.model_dump(exclude_none=True):
            continue
        for candidate in element.price_components:
            if candidate.type == dimension:
                return candidate
    return None


def _round_up(amount: Decimal, step: int) -> Decimal:
    """`amount` rounded up to a whole number of steps (a step of 0 or less: no rounding)."""
    if step <= 0:
        return amount
    return (amount / step).to_integral_value(rounding=ROUND_CEILING) * step


def _cost(price: PriceComponent | None, units: Decimal) -> Cost:
    if price is None:
        return Cost()
    excl = price.price * units
    incl = excl if price.vat is None else excl * (1 + price.vat / 100)
    return Cost(
        excl.quantize(CENT, rounding=ROUND_HALF_UP), incl.quantize(CENT, rounding=ROUND_HALF_UP)
    )


def _bounded(total: Cost, low: Price | None, high: Price | None) -> Cost:
    excl, incl = total.excl_vat, total.incl_vat
    if low is not None:
        excl = max(excl, low.excl_vat)
        incl = max(incl, low.incl_vat if low.incl_vat is not None else incl)
    if high is not None:
        excl = min(excl, high.excl_vat)
        incl = min(incl, high.incl_vat if high.incl_vat is not None else incl)
    return Cost(excl, incl)


def price_session(tariff: Tariff, kwh: Decimal, seconds: Decimal) -> SessionCost:
    """The cost of a session that delivered `kwh` over `seconds` of charging under `tariff`."""
    flat = component(tariff, TariffDimensionType.FLAT)
    energy = component(tariff, TariffDimensionType.ENERGY)
    time = component(tariff, TariffDimensionType.TIME)
    billed_wh = _round_up(kwh * _KILO, energy.step_size) if energy else ZERO
    billed_seconds = _round_up(seconds, time.step_size) if time else ZERO
    fixed_cost = _cost(flat, Decimal(1))
    energy_cost = _cost(energy, billed_wh / _KILO)
    time_cost = _cost(time, billed_seconds / _HOUR)
    total = _bounded(fixed_cost + energy_cost + time_cost, tariff.min_price, tariff.max_price)
    return SessionCost(fixed=fixed_cost, energy=energy_cost, time=time_cost, total=total)
