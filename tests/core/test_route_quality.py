"""What a route did, as route choice reads it (core.route_quality): success, the latency
histogram and its p95, time buckets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.route_quality import (
    BUCKETS,
    LATENCY_BOUNDS_MS,
    Figures,
    bucket_seconds,
    bucket_start,
    latency_bucket,
    succeeded,
)


def figures_of(latencies_ms: list[float], failed: int = 0) -> Figures:
    counts = [0] * BUCKETS
    for ms in latencies_ms:
        counts[latency_bucket(ms)] += 1
    return Figures(len(latencies_ms), failed, tuple(counts))


def test_success_is_an_envelope_below_http_500() -> None:
    """An OCPI envelope with HTTP < 500 succeeded, whatever its status (a refusal reached the
    party); HTTP 5xx, no envelope, or no answer at all failed."""
    assert succeeded(200, True)
    assert succeeded(404, True)
    assert succeeded(401, True)
    assert not succeeded(503, True)
    assert not succeeded(200, False)
    assert not succeeded(None, False)


def test_latencies_fall_in_the_first_bucket_whose_bound_they_do_not_exceed() -> None:
    """10 ms is in the 10 ms bucket, 11 ms in the 25 ms one, anything past the last bound in
    the overflow bucket."""
    assert latency_bucket(0) == 0
    assert latency_bucket(10) == 0
    assert latency_bucket(11) == 1
    assert latency_bucket(LATENCY_BOUNDS_MS[-1] + 1) == BUCKETS - 1


def test_p95_is_the_bound_of_the_bucket_holding_it() -> None:
    """19 fast requests and one slow: the slow one is past the 95th percentile; two slow ones
    out of 20 are not."""
    assert figures_of([5] * 19 + [400]).p95_ms == 10
    assert figures_of([5] * 18 + [400, 400]).p95_ms == 500
    assert figures_of([100_000]).p95_ms == LATENCY_BOUNDS_MS[-1]
    assert Figures().p95_ms is None and Figures().success_rate is None


def test_buckets_are_a_fifteenth_of_the_window_at_most_a_minute() -> None:
    """Per minute at the default 15-minute window, finer for a short one, never under 1 s."""
    assert bucket_seconds(900) == 60
    assert bucket_seconds(3600) == 60
    assert bucket_seconds(30) == 2
    assert bucket_seconds(3) == 1
    assert bucket_start(125.5, 60) == 120


def test_stored_histograms_of_another_length_are_cut_or_padded() -> None:
    """Counts stored under other bounds still add up: cut or padded to today's buckets."""
    assert Figures.of(1, 0, [1]).latencies == (1,) + (0,) * (BUCKETS - 1)
    assert len(Figures.of(1, 0, [0] * (BUCKETS + 3)).latencies) == BUCKETS


latencies = st.lists(st.floats(min_value=0, max_value=120_000), max_size=60)


@given(latencies, latencies)
def test_figures_add_up_exactly_whatever_their_split(a: list[float], b: list[float]) -> None:
    """Counts from two processes or two minutes add to the counts of all the requests: the
    p95 of the sum is the p95 of everything, however the samples were split."""
    total = Figures.total([figures_of(a), figures_of(b)])
    assert total == figures_of(a + b)
    assert total.sent == len(a) + len(b)


@given(latencies.filter(bool))
def test_p95_bounds_at_least_95_percent_of_the_requests(samples: list[float]) -> None:
    """At least 95% of the requests took no longer than the p95 (up to the last bound)."""
    p95 = figures_of(samples).p95_ms
    assert p95 is not None
    within = sum(1 for ms in samples if ms <= p95 or p95 == LATENCY_BOUNDS_MS[-1])
    assert within >= 0.95 * len(samples)
