"""The anomalies a simulated CPO injects into its CDRs (simulate.anomalies): each is valid
OCPI 2.2.1 and differs from the CDR it comes from exactly as its name says, and `inject` sends
and records what it made."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.simulate import anomalies
from ocpi_hub.simulate.anomalies import WRONG_PRICE_SURCHARGE, Anomaly
from tests.simulate.test_objects import START, ac_session

LATER = "2024-03-02T09:00:00.000Z"


def a_cdr() -> dict[str, Any]:
    """The CDR of a 30-minute AC session: 2.45 EUR excl. VAT, 2.96 incl."""
    session = ac_session()
    session.complete(START + timedelta(minutes=30), "2024-03-01T10:30:00Z")
    return session.cdr("CDR-1", "2024-03-01T10:30:01Z")


def test_a_wrong_price_changes_the_total_only() -> None:
    """The total excl. and incl. VAT gain the surcharge; the parts and the rest stay."""
    cdr = a_cdr()
    wrong = anomalies.wrong_price(cdr, Decimal("5.00"))
    CDR.model_validate(wrong)
    assert wrong["total_cost"] == {"excl_vat": 7.45, "incl_vat": 7.96}
    assert {k: v for k, v in wrong.items() if k != "total_cost"} == {
        k: v for k, v in cdr.items() if k != "total_cost"
    }
    with pytest.raises(ValueError, match="differs"):
        anomalies.wrong_price(cdr, Decimal(0))


def test_a_duplicate_is_the_same_charge_under_a_new_id() -> None:
    """Every field as before (the same Session) but the id and last_updated."""
    cdr = a_cdr()
    again = anomalies.duplicate(cdr, "CDR-2", LATER)
    assert {**again, "id": "CDR-1", "last_updated": cdr["last_updated"]} == cdr
    assert (again["id"], again["session_id"]) == ("CDR-2", cdr["session_id"])
    with pytest.raises(ValueError, match="id of its own"):
        anomalies.duplicate(cdr, "CDR-1", LATER)


def test_a_credit_cdr_negates_every_cost() -> None:
    """Checklist §4.3: id `<id>-C`, credit=true, credit_reference_id, every cost negated; a
    Credit CDR is not credited again."""
    cdr = a_cdr()
    refund = anomalies.credit(cdr, LATER)
    CDR.model_validate(refund)
    assert (refund["id"], refund["credit"], refund["credit_reference_id"]) == (
        "CDR-1-C", True, "CDR-1",
    )  # fmt: skip
    assert refund["total_cost"] == {"excl_vat": -2.45, "incl_vat": -2.96}
    assert refund["total_energy_cost"] == {"excl_vat": -2.15, "incl_vat": -2.6}
    assert refund["total_time_cost"] == {"excl_vat": -0.3, "incl_vat": -0.36}
    assert refund["total_energy"] == cdr["total_energy"]
    with pytest.raises(ValueError, match="not credited again"):
        anomalies.credit(refund, LATER)


@pytest.mark.parametrize(
    ("anomaly", "sent", "extra"),
    [
        (Anomaly.WRONG_PRICE, ["CDR-1"], {"surcharge": str(WRONG_PRICE_SURCHARGE)}),
        (Anomaly.MISSING_CDR, [], {}),
        (Anomaly.DUPLICATE_CDR, ["CDR-1", "NEW-1"], {"duplicate": "NEW-1"}),
        (Anomaly.CREDIT_CDR, ["CDR-1", "CDR-1-C"], {"credit": "CDR-1-C"}),
    ],
)
async def test_inject_sends_and_records_what_it_made(
    anomaly: Anomaly, sent: list[str], extra: dict[str, str]
) -> None:
    """What `inject` sends, in order, and the record it returns naming every id."""
    cdr, posted = a_cdr(), []

    async def send(body: dict[str, Any]) -> bool:
        posted.append(body)
        return True

    record = await anomalies.inject(anomaly, cdr, send, lambda: "NEW-1", lambda: LATER)
    assert [c["id"] for c in posted] == sent
    assert record == {
        "anomaly": anomaly.value,
        "session": cdr["session_id"],
        "cdr": None if anomaly == Anomaly.MISSING_CDR else "CDR-1",
        **extra,
    }
    if anomaly == Anomaly.WRONG_PRICE:
        assert posted[0]["total_cost"]["excl_vat"] == 7.45
    with pytest.raises(ValueError, match="not an anomaly of a CDR"):
        await anomalies.inject(Anomaly.IMPOSSIBLE_TRAVEL, cdr, send, str, str)
