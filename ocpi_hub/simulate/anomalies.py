"""What a CPO's back office gets wrong, or corrects, on purpose: the anomalies a simulated CPO
can inject into the CDRs it sends (issue 9: the money layer's checks must find exactly these).
Each is a pure function of a CDR; `inject` sends what one anomaly makes of a session's CDR.

- `wrong_price`: the CDR's `total_cost` is not what its tariff makes of its periods (a price
  list out of date, a rounding bug); the parts (`total_energy_cost`, ...) are left as priced,
  as a back office that adds a surcharge to the total only would.
- `missing-cdr`: the Session completes and no CDR follows (nothing to transform here; the CPO
  simply does not send it).
- `duplicate`: the same charge sent again under a new CDR id (a re-export of a batch): every
  field as before but `id` and `last_updated`, so it names the same Session.
- `credit`: a Credit CDR for a CDR sent before (checklist §4.3: a new id, `credit: true`,
  `credit_reference_id` the original's id, the same data with every cost negated).
- `impossible-travel`: one token at two Locations far apart too soon; a matter of when and
  where sessions are started (simulate.scenario plans it), not of a CDR.

Each is recorded by the CPO that injects it (`CpoSimulator.injected`), so a test derives what
the hub must find from what was injected, never from the hub's own output.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.simulate.generate import JsonObject, valid

__all__ = [
    "COST_FIELDS",
    "WRONG_PRICE_SURCHARGE",
    "Anomaly",
    "credit",
    "duplicate",
    "inject",
    "wrong_price",
]

# The Price fields of a CDR: a Credit CDR negates each one present.
COST_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)

# What a wrong-priced CDR adds to its total (excluding and including VAT), in its currency.
WRONG_PRICE_SURCHARGE = Decimal("5.00")


class Anomaly(StrEnum):
    WRONG_PRICE = "wrong-price"
    MISSING_CDR = "missing-cdr"
    DUPLICATE_CDR = "duplicate-cdr"
    CREDIT_CDR = "credit-cdr"
    IMPOSSIBLE_TRAVEL = "impossible-travel"


def _price(price: Any, change: Any) -> JsonObject:
    found: JsonObject = {"excl_vat": change(Decimal(str(price["excl_vat"])))}
    if price.get("incl_vat") is not None:
        found["incl_vat"] = change(Decimal(str(price["incl_vat"])))
    return found


def wrong_price(cdr: JsonObject, surcharge: Decimal) -> JsonObject:
    """`cdr` with `surcharge` added to its total cost, excluding and including VAT."""
    if surcharge == 0:
        raise ValueError("a wrong price differs from the right one")
    return valid(CDR, {**cdr, "total_cost": _price(cdr["total_cost"], lambda d: d + surcharge)})


def duplicate(cdr: JsonObject, cdr_id: str, last_updated: str) -> JsonObject:
    """The same charge as `cdr` under the id `cdr_id`."""
    if cdr_id == cdr["id"]:
        raise ValueError("a duplicate has an id of its own")
    return valid(CDR, {**cdr, "id": cdr_id, "last_updated": last_updated})


def credit(cdr: JsonObject, last_updated: str) -> JsonObject:
    """The Credit CDR of `cdr`: id `<id>-C`, credit=true, its costs negated."""
    if cdr.get("credit"):
        raise ValueError("a Credit CDR is not credited again")
    body = {**cdr, "id": f"{cdr['id']}-C", "credit": True, "credit_reference_id": cdr["id"]}
    for field in COST_FIELDS:
        if cdr.get(field) is not None:
            body[field] = _price(cdr[field], lambda d: 0 - d)  # never a -0
    body["last_updated"] = last_updated
    return valid(CDR, body)


async def inject(
    anomaly: Anomaly,
    cdr: JsonObject,
    send: Callable[[JsonObject], Awaitable[bool]],
    new_id: Callable[[], str],
    stamp: Callable[[], str],
) -> JsonObject:
    """Send (with `send`) the CDR of a closed session with `anomaly` injected; returns what was
    injected, with the ids it touched: `session`, `cdr` (the one sent, None when missing),
    `duplicate` or `credit` (the second CDR sent) and `surcharge`."""
    injected: JsonObject = {"anomaly": anomaly.value, "session": cdr["session_id"]}
    if anomaly == Anomaly.MISSING_CDR:
        return {**injected, "cdr": None}
    if anomaly == Anomaly.WRONG_PRICE:
        cdr = wrong_price(cdr, WRONG_PRICE_SURCHARGE)
        injected["surcharge"] = str(WRONG_PRICE_SURCHARGE)
    elif anomaly not in (Anomaly.DUPLICATE_CDR, Anomaly.CREDIT_CDR):
        raise ValueError(f"{anomaly} is not an anomaly of a CDR")
    await send(cdr)
    injected["cdr"] = cdr["id"]
    if anomaly == Anomaly.DUPLICATE_CDR:
        again = duplicate(cdr, new_id(), stamp())
        await send(again)
        injected["duplicate"] = again["id"]
    elif anomaly == Anomaly.CREDIT_CDR:
        refund = credit(cdr, stamp())
        await send(refund)
        injected["credit"] = refund["id"]
    return injected
