"""The console's small charts, as geometry for inline SVG (the templates draw it): no
JavaScript, no image files, so a chart works wherever the page does. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "Chart", "Gauge", "bars", "columns", "gauge", "spans"]

LABEL_WIDTH = 110  # room for a label left of a horizontal bar
VALUE_WIDTH = 48  # room for the value right of it


@dataclass(frozen=True)
class Bar:
    """One bar: what it counts, and its rectangle in the chart's coordinates."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A chart's size and bars; `peak` is the largest value (the scale's top)."""

    width: int
    height: int
    bars: list[Bar]
    peak: int


def bars(values: Sequence[tuple[str, int]], width: int = 360, row: int = 24) -> Chart:
    """Horizontal bars, one row per (label, count), scaled to the largest count; a zero
    count draws no bar (its label and 0 still show)."""
    peak = max((v for _, v in values), default=0)
    room = width - LABEL_WIDTH - VALUE_WIDTH
    drawn = [
        Bar(
            label,
            value,
            LABEL_WIDTH,
            i * row + 3,
            room * value / peak if peak else 0.0,
            row - 6,
        )
        for i, (label, value) in enumerate(values)
    ]
    return Chart(width, max(row * len(values), row), drawn, peak)


def columns(
    counts: Sequence[int], labels: Sequence[str], width: int = 360, height: int = 96
) -> Chart:
    """A time series as columns, the oldest left, scaled to the largest count; `labels` name
    each column (its period). A column is never thinner than one unit."""
    if len(labels) != len(counts):
        raise ValueError("one label per count")
    peak = max(counts, default=0)
    step = width / len(counts) if counts else 0.0
    drawn = []
    for i, (label, value) in enumerate(zip(labels, counts, strict=True)):
        tall = height * value / peak if peak else 0.0
        drawn.append(Bar(label, value, i * step, height - tall, max(step - 1, 1.0), tall))
    return Chart(width, height, drawn, peak)


@dataclass(frozen=True)
class Gauge:
    """A value against its limit as one horizontal bar: the filled part is the value, the
    mark is the limit, both on a scale whose end is the larger of the two (so a value over
    its limit runs past the mark). `ratio` is value/limit (None without a limit)."""

    width: int
    height: int
    fill: float
    mark: float | None
    ratio: float | None

    @property
    def over(self) -> bool:
        """Whether the value is above its limit."""
        return self.ratio is not None and self.ratio > 1


def gauge(value: float, limit: float | None, width: int = 240, height: int = 14) -> Gauge:
    """The geometry of `value` against `limit` (None: no limit, the bar fills the width when
    there is a value). Negative values draw nothing. Geometry only: amounts stay Decimal in
    the pages' text."""
    value = max(value, 0.0)
    if limit is None or limit < 0:
        return Gauge(width, height, float(width) if value > 0 else 0.0, None, None)
    end = max(value, limit)
    if end == 0:
        return Gauge(width, height, 0.0, 0.0, None)
    ratio = value / limit if limit else float("inf")  # anything over a zero limit is over
    return Gauge(width, height, width * value / end, width * limit / end, ratio)


def spans(
    hops: Sequence[tuple[str, float, float | None]], width: int = 480, row: int = 18
) -> Chart:
    """A timeline: one row per (label, start, duration) in ms from the first, on a scale from
    0 to the latest end; a hop without a duration is a thin mark at its start. `peak` is the
    scale's end in whole ms; each bar's value its start in whole ms."""
    end = max((start + (took or 0.0) for _, start, took in hops), default=0.0)
    room = width - LABEL_WIDTH - VALUE_WIDTH
    scale = room / end if end > 0 else 0.0
    drawn = [
        Bar(
            label,
            round(start),
            LABEL_WIDTH + start * scale,
            i * row + 3,
            max((took or 0.0) * scale, 2.0),
            row - 6,
        )
        for i, (label, start, took) in enumerate(hops)
    ]
    return Chart(width, max(row * len(hops), row), drawn, round(end))
