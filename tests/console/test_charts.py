"""The console's chart geometry (console.charts): pure, scaled to the largest value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.console import charts


def test_bars_scale_to_the_largest_value() -> None:
    """The largest count fills the room; half of it, half; zero draws nothing."""
    chart = charts.bars([("A", 10), ("B", 5), ("C", 0)], width=300)
    room = 300 - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    assert [b.width for b in chart.bars] == [room, room / 2, 0.0]
    assert chart.peak == 10 and [b.label for b in chart.bars] == ["A", "B", "C"]


def test_nothing_to_count_draws_empty_bars() -> None:
    """All zero, or no values at all: no division by zero, no bar."""
    assert [b.width for b in charts.bars([("A", 0)]).bars] == [0.0]
    assert charts.bars([]).bars == [] and charts.columns([], []).bars == []


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=48))
def test_columns_stay_inside_the_chart(counts: list[int]) -> None:
    """Every column is within the chart's box, the oldest left, the tallest full height."""
    chart = charts.columns(counts, [str(i) for i in range(len(counts))], width=360, height=96)
    for bar in chart.bars:
        assert bar.x >= 0 and bar.x + bar.width <= 360 + 1e-9
        assert 0 <= bar.y <= 96 and abs(bar.y + bar.height - 96) < 1e-9
    assert [b.x for b in chart.bars] == sorted(b.x for b in chart.bars)
    if max(counts):
        assert max(b.height for b in chart.bars) == 96


def test_columns_need_one_label_per_count() -> None:
    """A label missing is an error, not a silently shifted axis."""
    with pytest.raises(ValueError):
        charts.columns([1, 2], ["one"])


def test_a_gauge_fills_its_value_against_the_limits_mark() -> None:
    """4.60 of 5.00 fills 92 % with the mark at the end; 6 of 4 fills the width with the
    mark at two thirds, over; no limit fills the width, unmarked; nothing owed fills nothing."""
    under = charts.gauge(4.6, 5.0, width=100)
    assert (round(under.fill, 6), under.mark, under.over) == (92.0, 100.0, False)
    over = charts.gauge(6.0, 4.0, width=90)
    assert (over.fill, over.mark, over.over) == (90.0, 60.0, True)
    assert (charts.gauge(3.0, None, width=50).fill, charts.gauge(3.0, None).mark) == (50.0, None)
    assert charts.gauge(0.0, 0.0).fill == 0.0 and not charts.gauge(0.0, 0.0).over
    assert charts.gauge(1.0, 0.0).over  # anything over a zero limit is over


def test_spans_place_each_hop_by_its_start_and_duration() -> None:
    """The latest end fills the room: a hop from 0 lasting 10 ms of 10 spans it all; one at
    5 ms without a duration is a 2-unit mark halfway."""
    chart = charts.spans([("request", 0.0, 10.0), ("relay", 5.0, None)], width=300)
    room = 300 - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    first, second = chart.bars
    assert (first.x, first.width) == (charts.LABEL_WIDTH, room)
    assert (second.x, second.width, second.value) == (charts.LABEL_WIDTH + room / 2, 2.0, 5)
    assert chart.peak == 10 and charts.spans([]).bars == []
