"""Builders of Tariffs, CDRs and Sessions for the pricing tests, short enough that a test reads
like the spec's prose: `tariff(element(flat(0.50, vat=20), energy(0.25, vat=10)))`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.sessions import Session
from ocpi_hub.core.modules.tariffs import Tariff
from tests import factories

Number = int | float | str | Decimal

__all__ = [
    "cdr",
    "component",
    "element",
    "energy",
    "flat",
    "parking",
    "period",
    "session",
    "tariff",
    "time",
]


def _number(value: Number) -> Decimal:
    # What the models hold for a JSON number; "0.25" as such would be refused as a string.
    return Decimal(str(value))


def component(
    type_: str, price: Number, vat: Number | None = None, step: int = 1
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_, "price": _number(price), "step_size": step}
    if vat is not None:
        body["vat"] = _number(vat)
    return body


def flat(price: Number, vat: Number | None = None, step: int = 1) -> dict[str, Any]:
    return component("FLAT", price, vat, step)


def energy(price: Number, vat: Number | None = None, step: int = 1) -> dict[str, Any]:
    return component("ENERGY", price, vat, step)


def time(price: Number, vat: Number | None = None, step: int = 1) -> dict[str, Any]:
    return component("TIME", price, vat, step)


def parking(price: Number, vat: Number | None = None, step: int = 1) -> dict[str, Any]:
    return component("PARKING_TIME", price, vat, step)


def element(*components: dict[str, Any], **restrictions: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"price_components": list(components)}
    if restrictions:
        body["restrictions"] = restrictions
    return body


def tariff(*elements: dict[str, Any], **fields: Any) -> Tariff:
    body = factories.tariff("T1", elements=list(elements), **fields)
    return Tariff.model_validate(body)


def period(start: str, **volumes: Number) -> dict[str, Any]:
    """A charging period starting at `start` (`YYYY-MM-DD hh:mm[:ss]`, UTC) with dimensions
    given as keywords: `period("2024-03-04 09:30", ENERGY=20, TIME=2.75)`."""
    dimensions = [{"type": t, "volume": _number(v)} for t, v in volumes.items()]
    return {"start_date_time": utc(start), "dimensions": dimensions}


def utc(moment: str) -> str:
    day, clock = moment.split(" ")
    if clock.count(":") == 1:
        clock += ":00"
    return f"{day}T{clock}Z"


def cdr(start: str, end: str, *periods: dict[str, Any], **fields: Any) -> CDR:
    body = factories.cdr(
        start_date_time=utc(start),
        end_date_time=utc(end),
        charging_periods=list(periods),
        **fields,
    )
    return CDR.model_validate(body)


def session(start: str, *periods: dict[str, Any], **fields: Any) -> Session:
    body = factories.session(
        start_date_time=utc(start), charging_periods=list(periods) or None, **fields
    )
    return Session.model_validate(body)
