"""OCPI 2.2.1 Tariff ⇄ OCPI 2.1.1 (ocpi-2.1.1-differences.md §4, §10.3 "Tariff").

| 2.2.1                            | 2.1.1                  | lost                             |
|----------------------------------|------------------------|----------------------------------|
| country_code, party_id           | - (the URL)            | in: the owner                    |
| type                             | -                      | out: dropped; a type other than  |
|                                  |                        | REGULAR: nothing sent            |
| min_price, max_price             | -                      | out: dropped                     |
| start_date_time, end_date_time   | -                      | out: dropped                     |
| elements[].price_components[].   | -                      | out: dropped (price is excl. VAT |
| vat                              |                        | in both)                         |
| elements[].restrictions.         | -                      | out: the whole element (else it  |
| reservation                      |                        | would price charging)            |
| elements[].restrictions.         | -                      | out: dropped (the element        |
| min_current, max_current         |                        | applies more broadly)            |
| energy_mix.environ_impact[].     | ....source             |                                  |
| category                         |                        |                                  |

`None` out means: send the 2.1.1 party nothing. That is a Tariff with a type other than
REGULAR (a profile or ad hoc tariff is no 2.1.1 party's business), and a Tariff whose every
element prices a reservation (2.1.1 `elements` is `+`). A null 2.2.1-only field carries nothing
and goes without a Loss. In, a 2.1.1 Tariff is a 2.2.1 one without the owner; a 2.1.1 PATCH is
merged into the stored Tariff by the edge (2.2.1 has no Tariff PATCH), so there is no `patch`.
Fields neither version defines (`x_*`) go through as they are, both ways.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211.location_parts import rename_impact
from ocpi_hub.dialects.v211.session_parts import Found

__all__ = ["TARIFF_TYPES_SENT", "tariff_in", "tariff_out"]

MODULE = "tariffs"
# The tariff types a 2.1.1 party is sent: a 2.1.1 Tariff applies to every session.
TARIFF_TYPES_SENT = frozenset({"REGULAR"})
_ONLY_221 = {
    "min_price": "2.1.1 has no minimum price",
    "max_price": "2.1.1 has no maximum price",
    "start_date_time": "2.1.1 Tariffs have no validity window",
    "end_date_time": "2.1.1 Tariffs have no validity window",
}
_RESTRICTIONS_221 = ("min_current", "max_current")


def tariff_out(obj: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[Loss]]:
    """2.2.1 Tariff -> 2.1.1; None (DROPPED) when a 2.1.1 party is not to see it."""
    found = Found(MODULE, Direction.OUT)
    kind = obj.get("type")
    if kind is not None and kind not in TARIFF_TYPES_SENT:
        found.add("type", Lost.DROPPED, kind, "only regular tariffs go to 2.1.1: not sent")
        return None, found.losses
    body = {k: copy.deepcopy(v) for k, v in obj.items()}
    for name in ("country_code", "party_id"):  # the 2.1.1 URL carries them: no loss
        body.pop(name, None)
    if body.pop("type", None) is not None:
        found.add("type", Lost.DROPPED, kind, "2.1.1 Tariffs have no type")
    for name, why in _ONLY_221.items():
        value = body.pop(name, None)
        if value is not None:
            found.add(name, Lost.DROPPED, value, why)
    rename_impact(body, "category", "source")
    if isinstance(body.get("elements"), list):
        body["elements"] = _elements_out(body["elements"], found)
        if not body["elements"]:
            found.add("elements", Lost.DROPPED, obj.get("id", ""), "only reservation prices")
            return None, found.losses
    return body, found.losses


def _elements_out(elements: list[Any], found: Found) -> list[Any]:
    kept = []
    for element in elements:
        restrictions = element.get("restrictions") if isinstance(element, dict) else None
        if not isinstance(restrictions, dict):
            kept.append(element)
            _components_out(element, found)
            continue
        if restrictions.get("reservation") is not None:
            why = "2.1.1 cannot price a reservation: the element would price charging"
            found.add(
                "elements[].restrictions.reservation",
                Lost.DROPPED,
                restrictions["reservation"],
                why,
            )
            continue
        for name in _RESTRICTIONS_221:
            value = restrictions.pop(name, None)
            if value is not None:
                why = "2.1.1 has no current restriction: the element applies more broadly"
                found.add(f"elements[].restrictions.{name}", Lost.DROPPED, value, why)
        restrictions.pop("reservation", None)
        _components_out(element, found)
        kept.append(element)
    return kept


def _components_out(element: Any, found: Found) -> None:
    components = element.get("price_components") if isinstance(element, dict) else None
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        vat = component.pop("vat", None)
        if vat is not None:
            why = "2.1.1 has no VAT rate (price excludes VAT in both)"
            found.add("elements[].price_components[].vat", Lost.DROPPED, vat, why)


def tariff_in(obj: Mapping[str, Any], owner: PartyKey) -> tuple[dict[str, Any], list[Loss]]:
    """2.1.1 Tariff of CPO `owner` -> 2.2.1: the owner's country_code and party_id added."""
    rest = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("country_code", "party_id")}
    body = {"country_code": owner[0], "party_id": owner[1], **rest}
    rename_impact(body, "source", "category")
    return body, []
