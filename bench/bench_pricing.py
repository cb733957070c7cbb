"""Pricing: CDRs priced per second by `core.pricing.price_cdr`, in this process, no I/O.

    .venv/bin/python -m bench.bench_pricing [--cdrs 100000] [--distinct 5000] [--runs 3]
                                            [--seed 1] [--profile]

Realistic CDRs, generated once from `--seed`: 4-10 charging periods each (10-75 min of charging
with ENERGY, TIME and MIN/MAX_POWER, a last period of parking), starting at any hour of any day
of a month, under one of four tariffs of 2-4 elements with restrictions, read in
Europe/Amsterdam time:

- AC: a start fee; energy dearer 07:00-23:00 than at night (a window across midnight); charging
  time; parking from the second hour (min_duration) on weekdays.
- DC: energy by power (max_power 50, then a fallback); a blocking fee (parking) after 45 min.
- Weekend: energy cheaper on SATURDAY and SUNDAY; the first 10 kWh dearer (max_kwh); time.
- Capped: a start fee, energy in 100 Wh steps, parking in 15-minute steps, min and max price.

`--distinct` CDRs are validated (pydantic, not measured) and priced in turn until `--cdrs` are
priced; pricing keeps nothing between calls, so repeating one costs what the first pricing did.
Reports, as the median of `--runs` runs: CDRs/s and microseconds per CDR, and the total priced
(the same every run: a check that each run did the same work). `--profile`: the top functions of
one more run (cProfile). Never run in CI.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.pricing import price_cdr
from tests import factories

ZONE = "Europe/Amsterdam"
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]


def _component(kind: str, price: str, step: int = 1, vat: str = "21") -> dict[str, Any]:
    return {"type": kind, "price": Decimal(price), "vat": Decimal(vat), "step_size": step}


def _tariff(id: str, elements: list[dict[str, Any]], **fields: Any) -> Tariff:
    return Tariff.model_validate(factories.tariff(id, elements=elements, **fields))


TARIFFS = [
    _tariff(
        "AC",
        [
            {"price_components": [_component("FLAT", "0.35")]},
            {
                "price_components": [_component("ENERGY", "0.39"), _component("TIME", "0.60", 60)],
                "restrictions": {"start_time": "07:00", "end_time": "23:00"},
            },
            {"price_components": [_component("ENERGY", "0.29"), _component("TIME", "0.60", 60)]},
            {
                "price_components": [_component("PARKING_TIME", "2.40", 60)],
                "restrictions": {"min_duration": 3600, "day_of_week": WEEKDAYS},
            },
        ],
    ),
    _tariff(
        "DC",
        [
            {
                "price_components": [_component("ENERGY", "0.49")],
                "restrictions": {"max_power": 50},
            },
            {"price_components": [_component("ENERGY", "0.69"), _component("FLAT", "1.00")]},
            {
                "price_components": [_component("PARKING_TIME", "6.00", 60)],
                "restrictions": {"min_duration": 2700},
            },
        ],
    ),
    _tariff(
        "WEEKEND",
        [
            {
                "price_components": [_component("ENERGY", "0.25")],
                "restrictions": {"day_of_week": ["SATURDAY", "SUNDAY"]},
            },
            {
                "price_components": [_component("ENERGY", "0.45")],
                "restrictions": {"max_kwh": 10},
            },
            {"price_components": [_component("ENERGY", "0.35"), _component("TIME", "0.30", 300)]},
        ],
    ),
    _tariff(
        "CAPPED",
        [
            {
                "price_components": [
                    _component("FLAT", "0.50"),
                    _component("ENERGY", "0.30", 100),
                    _component("PARKING_TIME", "1.20", 900),
                ]
            },
            {
                "price_components": [_component("TIME", "1.00", 60)],
                "restrictions": {"start_time": "18:00", "end_time": "08:00"},
            },
        ],
        min_price={"excl_vat": Decimal("1.00")},
        max_price={"excl_vat": Decimal("25.00"), "incl_vat": Decimal("30.25")},
    ),
]


def generate(count: int, seed: int) -> list[tuple[Tariff, CDR]]:
    """`count` CDRs, each with the tariff it is priced under."""
    return [(tariff, CDR.model_validate(body)) for tariff, body in bodies(count, seed)]


def bodies(count: int, seed: int) -> list[tuple[Tariff, dict[str, Any]]]:
    """`count` CDRs as JSON objects (as a CPO sends them), each with the tariff that prices it."""
    rng = random.Random(seed)
    found = []
    for number in range(count):
        tariff = TARIFFS[number % len(TARIFFS)]
        start = datetime(2024, 3, 1) + timedelta(minutes=rng.randrange(31 * 24 * 60))
        power = Decimal(rng.choice([7, 11, 22, 50, 120, 150]))
        periods, at = [], start
        for _ in range(rng.randint(3, 9)):
            minutes = rng.randint(10, 75)
            kwh = (power * minutes / 60 * Decimal(rng.uniform(0.6, 1.0))).quantize(Decimal("0.001"))
            dims = [
                ("ENERGY", kwh),
                ("TIME", (Decimal(minutes) / 60).quantize(Decimal("0.0001"))),
                ("MIN_POWER", power * Decimal("0.6")),
                ("MAX_POWER", power),
            ]
            periods.append((at, dims))
            at += timedelta(minutes=minutes)
        parked = rng.randint(5, 120)
        periods.append((at, [("PARKING_TIME", (Decimal(parked) / 60).quantize(Decimal("0.0001")))]))
        end = at + timedelta(minutes=parked)
        body = factories.cdr(
            f"CDR{number}",
            start_date_time=_stamp(start),
            end_date_time=_stamp(end),
            charging_periods=[
                {
                    "start_date_time": _stamp(moment),
                    "dimensions": [{"type": t, "volume": v} for t, v in dims],
                    "tariff_id": tariff.id,
                }
                for moment, dims in periods
            ],
        )
        found.append((tariff, body))
    return found


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def price_all(cdrs: Sequence[tuple[Tariff, CDR]], total: int) -> tuple[float, Decimal]:
    """Seconds to price `total` CDRs (cycling through `cdrs`), and what they cost in all."""
    priced = Decimal(0)
    started = time.perf_counter()
    for number in range(total):
        tariff, cdr = cdrs[number % len(cdrs)]
        priced += price_cdr(tariff, cdr, ZONE).total.excl_vat
    return time.perf_counter() - started, priced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdrs", type=int, default=100_000)
    parser.add_argument("--distinct", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    cdrs = generate(args.distinct, args.seed)
    periods = statistics.mean(len(c.charging_periods) for _, c in cdrs)
    price_all(cdrs, min(args.distinct, 2_000))  # warm-up
    runs = [price_all(cdrs, args.cdrs) for _ in range(args.runs)]
    seconds = statistics.median(s for s, _ in runs)
    totals = {t for _, t in runs}
    print(
        f"{args.cdrs} CDRs ({args.distinct} distinct, {periods:.1f} charging periods on average,"
        f" {len(TARIFFS)} tariffs), median of {args.runs}:"
    )
    print(
        f"  price_cdr: {args.cdrs / seconds:8.0f} CDRs/s,"
        f" {seconds / args.cdrs * 1e6:6.1f} us per CDR"
        f" (all priced: {', '.join(str(t) for t in totals)} EUR excl. VAT)"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(price_all, cdrs, min(args.cdrs, 20_000))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(20)


if __name__ == "__main__":
    main()
