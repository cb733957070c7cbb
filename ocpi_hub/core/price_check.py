"""The CDR check that recomputes a CDR's price from its tariff (issue 9 §2, PRICE_MISMATCH).

The one pricing (core.pricing) prices the CDR's charging periods under its tariff, in its
Location's `time_zone`, and the CDR's `total_cost` is compared with that price: a difference
beyond the tolerance (`OCPI_HUB_PRICE_TOLERANCE`, default 0.01 in the CDR's currency) in the
excl. VAT total, or in the incl. VAT total where the CDR states one, is a finding.

Choices, where the spec leaves them to us:
- A CDR is priced only when the hub can say what it should cost: exactly one tariff applies
  (the one it carries or its periods name, else its connector's; a CDR priced under several
  tariffs part by part is not recomputed), in the CDR's currency (another currency is
  CURRENCY_MISMATCH's), at a Location the hub holds (its time zone places the restrictions).
  What cannot be priced (`PricingError`: a period naming another tariff, an unknown time zone)
  is not a finding either: the other checks say what is wrong with such a CDR.
- A credit CDR's `total_cost` is the negative of what its periods cost (mod_cdrs "credit").
- Both sides are compared as the pricing rounds (4 decimals, core.pricing.round_amount).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ocpi_hub.core.findings import Code, Finding
from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.pricing import Amount, PricingError, price_cdr, round_amount
from ocpi_hub.core.types import json_decimal

__all__ = ["DEFAULT_TOLERANCE", "price_findings"]

DEFAULT_TOLERANCE = Decimal("0.01")


def price_findings(
    cdr: Mapping[str, Any],
    tariffs: Sequence[Mapping[str, Any]],
    location: Mapping[str, Any] | None,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> list[Finding]:
    """PRICE_MISMATCH when `cdr` (as stored) costs more or less than its one tariff says, by
    more than `tolerance`; nothing when it cannot be priced (module docstring)."""
    if len(tariffs) != 1 or location is None or not location.get("time_zone"):
        return []
    tariff = tariffs[0]
    if str(tariff["currency"]).upper() != str(cdr["currency"]).upper():
        return []
    try:
        cost = price_cdr(
            Tariff.model_validate(tariff), CDR.model_validate(cdr), str(location["time_zone"])
        )
    except (PricingError, ValidationError):
        return []
    sign = -1 if cdr.get("credit") else 1
    expected = Amount(sign * cost.total.excl_vat, sign * cost.total.incl_vat)
    charged = cdr["total_cost"]
    differences = {"excl_vat": _difference(charged["excl_vat"], expected.excl_vat)}
    if charged.get("incl_vat") is not None:
        differences["incl_vat"] = _difference(charged["incl_vat"], expected.incl_vat)
    if all(abs(d) <= tolerance for d in differences.values()):
        return []
    evidence = {
        "tariff_id": tariff["id"],
        "time_zone": location["time_zone"],
        "currency": cdr["currency"],
        "charged": {k: format(json_decimal(charged[k]), "f") for k in differences},
        "expected": {k: format(getattr(expected, k), "f") for k in differences},
        "difference": {k: format(d, "f") for k, d in differences.items()},
        "tolerance": format(tolerance, "f"),
    }
    return [Finding(Code.PRICE_MISMATCH, evidence)]


def _difference(charged: Any, expected: Decimal) -> Decimal:
    """What the CDR charged above the expected price (negative: below)."""
    return round_amount(json_decimal(charged)) - expected
