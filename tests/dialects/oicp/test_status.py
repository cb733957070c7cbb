"""OCPI EVSE status ⇄ OICP EvseStatus (dialects.oicp.status; hub-dialects.md §5.4): one test per
table row, a Loss on every lossy row, and the lossless rows go there and back unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.modules.locations import Status
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp.status import TO_OCPI, TO_OICP, EvseStatus, ocpi_status, oicp_status


@pytest.mark.parametrize(
    ("ocpi", "oicp"),
    [
        ("AVAILABLE", "Available"),
        ("CHARGING", "Occupied"),
        ("RESERVED", "Reserved"),
        ("OUTOFORDER", "OutOfService"),
        ("UNKNOWN", "Unknown"),
    ],
)
def test_lossless_rows_out(ocpi: str, oicp: str) -> None:
    """OCPI → OICP rows that lose nothing return no Loss."""
    assert oicp_status(ocpi) == (oicp, [])


def test_blocked_becomes_occupied_approximated() -> None:
    """BLOCKED → Occupied (our choice, not OutOfService), with an APPROXIMATED Loss."""
    status, losses = oicp_status("BLOCKED")
    assert status == "Occupied"
    assert [(x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("evses[].status", Direction.OUT, Lost.APPROXIMATED, "BLOCKED → Occupied")
    ]


def test_inoperative_becomes_out_of_service_approximated() -> None:
    """INOPERATIVE → OutOfService, an APPROXIMATED Loss (OICP cannot tell it from OUTOFORDER)."""
    status, losses = oicp_status("INOPERATIVE")
    assert status == "OutOfService"
    assert [x.lost for x in losses] == [Lost.APPROXIMATED]


def test_planned_is_not_published_and_says_so() -> None:
    """PLANNED → no status record, a DROPPED Loss."""
    status, losses = oicp_status("PLANNED")
    assert status is None
    assert [(x.lost, x.example) for x in losses] == [(Lost.DROPPED, "PLANNED → (none)")]


def test_removed_has_no_status_record_and_loses_nothing() -> None:
    """REMOVED → no status record: the EVSE's data record is deleted, nothing is lost."""
    assert oicp_status("REMOVED") == (None, [])


@pytest.mark.parametrize(
    ("oicp", "ocpi"),
    [("Available", "AVAILABLE"), ("Reserved", "RESERVED"), ("Unknown", "UNKNOWN")],
)
def test_lossless_rows_in(oicp: str, ocpi: str) -> None:
    """OICP → OCPI rows that guess nothing return no Loss."""
    assert ocpi_status(oicp) == (ocpi, [])


@pytest.mark.parametrize(
    ("oicp", "ocpi"), [("Occupied", "CHARGING"), ("OutOfService", "OUTOFORDER")]
)
def test_coarse_oicp_statuses_are_guessed_finer(oicp: str, ocpi: str) -> None:
    """Occupied → CHARGING and OutOfService → OUTOFORDER pick one of two OCPI values: GUESSED."""
    status, losses = ocpi_status(oicp)
    assert status == ocpi
    assert [(x.direction, x.lost) for x in losses] == [(Direction.IN, Lost.GUESSED)]


def test_evse_not_found_is_no_status() -> None:
    """EvseNotFound → None: Hubject does not know the EVSE, there is no status to set."""
    assert ocpi_status("EvseNotFound") == (None, [])


def test_tables_cover_both_enums() -> None:
    """Every OCPI status and every OICP EvseStatus has its row."""
    assert set(TO_OICP) == {s.value for s in Status}
    assert set(TO_OCPI) == {s.value for s in EvseStatus}


@pytest.mark.parametrize(
    ("translate", "value"), [(oicp_status, "Available"), (ocpi_status, "AVAILABLE")]
)
def test_a_value_of_no_table_is_refused_naming_it(
    translate: Callable[[str], object], value: str
) -> None:
    """The other protocol's spelling (or anything else) is a ValueError naming the value."""
    with pytest.raises(ValueError, match=repr(value)):
        translate(value)


_LOSSLESS = ["AVAILABLE", "CHARGING", "RESERVED", "OUTOFORDER", "UNKNOWN"]


@given(st.sampled_from(_LOSSLESS))
def test_lossless_rows_go_there_and_back(status: str) -> None:
    """OCPI → OICP → OCPI gives the status back, with no Loss on the way out."""
    oicp, out_losses = oicp_status(status)
    assert oicp is not None and out_losses == []
    assert ocpi_status(oicp)[0] == status


def test_every_loss_names_the_locations_module() -> None:
    """Losses are counted per module and field: the EVSE status of the Locations module."""
    losses: list[Loss] = []
    for status in Status:
        losses += oicp_status(status)[1]
    assert {(x.module, x.field) for x in losses} == {("locations", "evses[].status")}
