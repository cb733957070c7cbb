"""`ocpi-hub price`: what a CDR or Session costs under a Tariff (core.pricing), per charging
period and dimension, and in total excl. and incl. VAT.

No database and no hub settings: the three objects are read from JSON files, as a party sends
them (a Tariff, a CDR or a Session object, not an OCPI envelope). Bad input (a file that cannot
be read, is not JSON, or is not a valid object, naming the field; an unknown time zone; a
charging period of another tariff) is said on stderr, exit 1, nothing on stdout.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import ValidationError

from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.sessions import Session
from ocpi_hub.core.modules.tariffs import Price, Tariff
from ocpi_hub.core.pricing import (
    Amount,
    Cost,
    Line,
    PricedDimension,
    PricingError,
    price_cdr,
    price_session,
    round_amount,
)
from ocpi_hub.terminal import fail, table

__all__ = ["add_parser", "run"]

Model = TypeVar("Model", bound=OcpiModel)

_UNITS = {
    PricedDimension.FLAT: "",  # a FLAT line is shown as "1"
    PricedDimension.ENERGY: " kWh",
    PricedDimension.TIME: " h",
    PricedDimension.PARKING_TIME: " h",
    PricedDimension.RESERVATION_TIME: " h",
}


def add_parser(commands: Any) -> None:
    """Add `price` to the `ocpi-hub` subcommands."""
    price = commands.add_parser(
        "price",
        help="what a CDR or Session costs under a Tariff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    price.add_argument("--tariff", required=True, metavar="FILE", help="the Tariff (JSON)")
    priced = price.add_mutually_exclusive_group(required=True)
    priced.add_argument("--cdr", metavar="FILE", help="the CDR to price (JSON)")
    priced.add_argument("--session", metavar="FILE", help="the Session to price (JSON)")
    price.add_argument(
        "--time-zone",
        default="UTC",
        metavar="TZ",
        help="the Location's time_zone, an IANA name such as Europe/Amsterdam (default UTC): "
        "restrictions on times and dates are local to it",
    )
    price.add_argument("--json", action="store_true")


class _BadFile(Exception):
    pass


def _load(path: str, model: type[Model]) -> Model:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise _BadFile(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _BadFile(f"{path} is not JSON: {exc}") from exc
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise _BadFile(
            f"{path} is not a valid {model.__name__}: {validation_message(exc)}"
        ) from exc


def run(args: argparse.Namespace) -> int:
    """`ocpi-hub price ...`: 0, or 1 with the reason on stderr."""
    reported: Price | None  # the total_cost the CDR or Session states
    try:
        tariff = _load(args.tariff, Tariff)
        if args.cdr is not None:
            cdr = _load(args.cdr, CDR)
            subject, reported = f"CDR {_name(cdr)}", cdr.total_cost
            starts = [p.start_date_time for p in cdr.charging_periods]
            cost = price_cdr(tariff, cdr, args.time_zone)
        else:
            session = _load(args.session, Session)
            subject, reported = f"Session {_name(session)}", session.total_cost
            starts = [p.start_date_time for p in session.charging_periods or []]
            cost = price_session(tariff, session, args.time_zone)
    except (_BadFile, PricingError) as exc:
        return fail(str(exc))
    if args.json:
        report = {
            "tariff": _name(tariff),
            "priced": subject,
            "time_zone": args.time_zone,
            "currency": cost.currency,
            "lines": [_line_json(x, starts) for x in cost.lines],
            "total": _amount(cost.total),
            "uncapped": _amount(cost.uncapped),
            "limits": list(cost.limits),
            "cdr_totals": {k: _amount(v) for k, v in cost.cdr_totals().items()},
            "reported_total_cost": None if reported is None else _amount(reported),
            "warnings": list(cost.warnings),
        }
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    _print(cost, f"{subject} under tariff {_name(tariff)}, time zone {args.time_zone}", starts)
    if reported is not None:
        print(f"the {subject.split()[0]} says: {_figures(reported)}")
    return 0


def _print(cost: Cost, heading: str, starts: list[str]) -> None:
    print(heading)
    rows = []
    for line in cost.lines:
        row = _line_json(line, starts)
        unit = _UNITS[line.dimension]
        flat = line.dimension == PricedDimension.FLAT
        rows.append(
            {
                **row,
                "dimension": f"{line.dimension}{' (reservation)' if line.reservation else ''}",
                "element": "-" if line.element is None else line.element,
                "volume": "1" if flat else f"{row['volume']}{unit}",
                "billed": "1" if flat else f"{row['billed_volume']}{unit}",
                "vat": "-" if line.vat is None else f"{line.vat}%",
            }
        )
    table(
        rows,
        ["period", "start_date_time", "dimension", "element", "volume", "billed", "price", "vat",
         "excl_vat", "incl_vat"],
    )  # fmt: skip
    for limit in cost.limits:
        print(f"{limit} applied: the lines add up to {_figures(cost.uncapped)}")
    print(f"total: {_figures(cost.total)} ({cost.currency})")
    for warning in cost.warnings:
        print(f"warning: {warning}")


def _line_json(line: Line, starts: list[str]) -> dict[str, Any]:
    return {
        "period": line.period,
        # A Session priced without periods has one, made of its kwh, starting with it.
        "start_date_time": starts[line.period] if line.period < len(starts) else None,
        "dimension": line.dimension.value,
        "reservation": line.reservation,
        "element": line.element,
        "volume": _text(line.volume),
        "billed_volume": _text(line.billed_volume),
        "price": str(line.price),
        "vat": None if line.vat is None else str(line.vat),
        "excl_vat": _text(line.cost.excl_vat),
        "incl_vat": _text(line.cost.incl_vat),
    }


def _text(value: Decimal) -> str:
    """A figure for people and JSON alike: 4 decimals, as a string (never a float)."""
    return str(round_amount(value))


def _amount(amount: Amount | Price) -> dict[str, str | None]:
    incl = amount.incl_vat
    return {"excl_vat": _text(amount.excl_vat), "incl_vat": None if incl is None else _text(incl)}


def _figures(amount: Amount | Price) -> str:
    shown = _amount(amount)
    return f"{shown['excl_vat']} excl. VAT, {shown['incl_vat'] or '(not given)'} incl. VAT"


def _name(thing: Tariff | CDR | Session) -> str:
    return f"{thing.country_code}*{thing.party_id}*{thing.id}"
