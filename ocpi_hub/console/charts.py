"""The console's small charts, as geometry for inline SVG (the templates draw it): no
JavaScript, no image files, so a chart works wherever the page does. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "Chart", "bars", "columns"]

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
