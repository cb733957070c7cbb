"""Tariff between OCPI 2.2.1 and 2.1.1 (ocpi-2.1.1-differences.md §4, §10.3 "Tariff")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.spec import V211
from conformance.validate import errors, validate
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211.tariffs import tariff_in, tariff_out
from tests import factories, strategies

CPO = ("NL", "CPA")
ONLY_221 = ("type", "min_price", "max_price", "start_date_time", "end_date_time")


def problems_211(kind: str, obj: Any) -> list[str]:
    """Errors of `obj` as a strict 2.1.1 `kind` (a field outside the table is one); `x_*`
    fields are extensions the hub relays."""
    found = validate(kind, obj, version=V211, strict=True)
    return [str(p) for p in errors(found) if ".x_" not in p.path]


def fields(losses: list[Loss]) -> dict[str, Lost]:
    return {loss.field: loss.lost for loss in losses}


def test_factory_tariff_out_is_2_1_1_and_back_2_2_1() -> None:
    """Owner fields go without a loss, vat with one; in again it validates as a 2.2.1 Tariff."""
    out, losses = tariff_out(factories.tariff())
    assert out is not None and problems_211("Tariff", out) == []
    assert "country_code" not in out and "party_id" not in out
    assert fields(losses) == {"elements[].price_components[].vat": Lost.DROPPED}
    back, back_losses = tariff_in(out, CPO)
    Tariff.model_validate(back)
    assert back_losses == [] and back["country_code"] == "NL" and back["party_id"] == "CPA"


@pytest.mark.parametrize(
    "kind", ["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN"]
)
def test_tariff_of_a_type_other_than_regular_is_not_sent(kind: str) -> None:
    """A typed, non-REGULAR tariff is None out, one DROPPED loss naming the type (§10.3)."""
    out, losses = tariff_out(factories.tariff(type=kind))
    assert out is None
    assert losses == [Loss("tariffs", "type", Direction.OUT, Lost.DROPPED, kind, losses[0].why)]


def test_regular_tariff_is_sent_without_its_type() -> None:
    """type REGULAR goes, the type DROPPED; no type at all is no loss."""
    out, losses = tariff_out(factories.tariff(type="REGULAR"))
    assert out is not None and "type" not in out and fields(losses)["type"] is Lost.DROPPED
    out, losses = tariff_out(factories.tariff(type=None))
    assert out is not None and "type" not in out and "type" not in fields(losses)


def test_price_limits_and_validity_window_are_dropped_out() -> None:
    """min_price, max_price, start_date_time, end_date_time: each DROPPED, named."""
    tariff = factories.tariff(
        min_price={"excl_vat": 1, "incl_vat": 1.21},
        max_price={"excl_vat": 50},
        start_date_time="2024-01-01T00:00:00Z",
        end_date_time="2025-01-01T00:00:00Z",
    )
    out, losses = tariff_out(tariff)
    assert out is not None and not set(ONLY_221) & set(out)
    assert {name: fields(losses)[name] for name in ONLY_221[1:]} == {
        name: Lost.DROPPED for name in ONLY_221[1:]
    }
    assert problems_211("Tariff", out) == []


def test_element_priced_on_reservation_is_dropped_whole() -> None:
    """An element restricted to a reservation would price charging in 2.1.1: it goes, named."""
    reserving = {
        "price_components": [{"type": "TIME", "price": 2, "step_size": 60}],
        "restrictions": {"reservation": "RESERVATION"},
    }
    charging = {"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}
    out, losses = tariff_out(factories.tariff(elements=[reserving, charging]))
    assert out is not None and out["elements"] == [charging]
    assert fields(losses) == {"elements[].restrictions.reservation": Lost.DROPPED}


def test_tariff_pricing_only_reservations_is_not_sent() -> None:
    """Every element a reservation's: 2.1.1 elements is `+`, so nothing is sent."""
    reserving = {
        "price_components": [{"type": "FLAT", "price": 2, "step_size": 0}],
        "restrictions": {"reservation": "RESERVATION_EXPIRES"},
    }
    out, losses = tariff_out(factories.tariff(elements=[reserving]))
    assert out is None and fields(losses)["elements"] is Lost.DROPPED


def test_current_restrictions_are_dropped_and_the_rest_kept() -> None:
    """min_current/max_current DROPPED; 2.1.1 restrictions stay; a null reservation goes."""
    restrictions = {"min_current": 16, "max_current": 32, "min_kwh": 1, "reservation": None}
    element = {
        "price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}],
        "restrictions": restrictions,
    }
    out, losses = tariff_out(factories.tariff(elements=[element]))
    assert out is not None and out["elements"][0]["restrictions"] == {"min_kwh": 1}
    assert fields(losses) == {
        "elements[].restrictions.min_current": Lost.DROPPED,
        "elements[].restrictions.max_current": Lost.DROPPED,
    }


def test_flat_tariff_dimension_is_kept_both_ways() -> None:
    """FLAT is a TariffDimensionType in both versions (only CdrDimensionType lost it)."""
    element = {"price_components": [{"type": "FLAT", "price": 0, "step_size": 0}]}
    out, _ = tariff_out(factories.tariff(elements=[element]))
    assert out is not None and out["elements"] == [element]
    back, _ = tariff_in(out, CPO)
    assert back["elements"] == [element]


def test_tariff_in_takes_the_owner_over_the_body() -> None:
    """The URL's owner fills country_code/party_id, whatever the body says."""
    back, _ = tariff_in({**factories.tariff(), "country_code": "XX", "party_id": "YYY"}, CPO)
    assert (back["country_code"], back["party_id"]) == CPO


def test_translations_do_not_mutate_their_input() -> None:
    """Pure functions: the object given is left as it was, both ways."""
    tariff = factories.tariff(
        elements=[
            {
                "price_components": [{"type": "ENERGY", "price": 0.3, "vat": 9, "step_size": 1}],
                "restrictions": {"max_current": 16},
            }
        ]
    )
    before = copy.deepcopy(tariff)
    out, _ = tariff_out(tariff)
    assert tariff == before and out is not None
    out_before = copy.deepcopy(out)
    tariff_in(out, CPO)
    assert out == out_before


# --- properties --------------------------------------------------------------------------------


def kept_211(tariff: dict[str, Any]) -> dict[str, Any]:
    """What 2.1.1 can carry of a 2.2.1 Tariff, in 2.2.1 terms."""
    kept = {k: copy.deepcopy(v) for k, v in tariff.items() if k not in ONLY_221}
    elements = []
    for element in kept["elements"]:
        restrictions = element.get("restrictions")
        if isinstance(restrictions, dict):
            if restrictions.get("reservation") is not None:
                continue
            for name in ("min_current", "max_current", "reservation"):
                restrictions.pop(name, None)
        for component in element["price_components"]:
            component.pop("vat", None)
        elements.append(element)
    kept["elements"] = elements
    return kept


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.tariffs)
def test_tariff_out_then_in_keeps_what_2_1_1_carries(tariff: dict[str, Any]) -> None:
    """Any 2.2.1 Tariff out is a strict 2.1.1 one (or None), and in again equals it but for
    what the losses name."""
    out, losses = tariff_out(tariff)
    if out is None:
        assert tariff.get("type") not in (None, "REGULAR") or not kept_211(tariff)["elements"]
        assert [loss.lost for loss in losses][-1] is Lost.DROPPED
        return
    assert problems_211("Tariff", out) == []
    dropped = fields(losses)
    for name in ONLY_221:
        assert (tariff.get(name) is not None) == (name in dropped)
    back, _ = tariff_in(out, (tariff["country_code"], tariff["party_id"]))
    Tariff.model_validate(back)
    assert back == kept_211(tariff)
