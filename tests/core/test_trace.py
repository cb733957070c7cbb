"""The timeline of a message (core.trace): hops in time order, causal order at one instant,
offsets from the first hop, times to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core import trace
from ocpi_hub.core.trace import KINDS, Hop, at_start, timeline, timestamp

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def hop(kind: str, ms: float, url: str = "/x") -> Hop:
    return Hop("C1", T0 + timedelta(milliseconds=ms), kind, "GET", url)


def test_hops_come_in_time_order_with_offsets_from_the_first() -> None:
    """Hops given in any order come out by time, each with its offset from the first in ms."""
    found = timeline("C1", [hop("delivery", 40), hop("request", 0), hop("answer", 12.5)])
    assert [(h["kind"], h["offset_ms"]) for h in found["hops"]] == [
        ("request", 0.0),
        ("answer", 12.5),
        ("delivery", 40.0),
    ]
    assert found["correlation_id"] == "C1"
    assert found["hops"][0]["at"] == "2025-03-01T12:00:00.000Z"


def test_at_one_instant_request_relay_answer_delivery() -> None:
    """Hops within one clock tick keep causal order: request in, relay, answer, delivery;
    hops of one kind at one instant stay as given."""
    given_order = [
        hop("delivery", 5, "/d"),
        hop("answer", 5),
        hop("relay", 5, "/r1"),
        hop("relay", 5, "/r2"),
        hop("request", 5),
    ]
    found = timeline("C1", given_order)["hops"]
    assert [(h["kind"], h["url"]) for h in found] == [
        ("request", "/x"),
        ("relay", "/r1"),
        ("relay", "/r2"),
        ("answer", "/x"),
        ("delivery", "/d"),
    ]


@given(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000)), max_size=20))
def test_a_timeline_is_a_sorted_permutation(spec: list[tuple[str, int]]) -> None:
    """Every hop appears once; times never go backwards; offsets are never negative."""
    hops = [hop(kind, ms) for kind, ms in spec]
    found = timeline("C1", hops)["hops"]
    assert sorted((h["kind"], h["offset_ms"]) for h in found) == sorted(
        (kind, float(ms - min(m for _, m in spec))) for kind, ms in spec
    )
    offsets = [h["offset_ms"] for h in found]
    assert offsets == sorted(offsets) and all(o >= 0 for o in offsets)


def test_no_hops_is_an_empty_timeline() -> None:
    """An id with no hops has an empty list of them."""
    assert timeline("C9", []) == {"correlation_id": "C9", "hops": []}


def test_times_to_the_millisecond_in_utc() -> None:
    """A hop's time is RFC 3339 UTC with milliseconds; a start is its end less its duration."""
    assert timestamp(T0 + timedelta(microseconds=1500)) == "2025-03-01T12:00:00.001Z"
    assert at_start(2.5, T0) == T0 - timedelta(seconds=2.5)


def test_a_requests_module_is_read_from_its_path() -> None:
    """Sender and receiver paths and the credentials name their module; anything else is
    `other`."""
    assert trace.module_of("/ocpi/2.2.1/sender/tokens/U1/authorize") == "tokens"
    assert trace.module_of("/ocpi/2.2.1/receiver/locations/NL/CPA/L1") == "locations"
    assert trace.module_of("/ocpi/2.1.1/credentials") == "credentials"
    assert trace.module_of("/ocpi/versions") == trace.OTHER
    assert trace.module_of("/metrics") == trace.OTHER


def test_traffic_is_laid_out_oldest_first_per_module() -> None:
    """Rows by periods ago land right to left, summed per module; rows outside the window
    are left out; the error rate and messages per minute are over the whole window."""
    rows = [(0, "tokens", 3, 1), (2, "locations", 4, 0), (0, "locations", 1, 1), (3, "x", 9, 9)]
    seen = trace.bucketed(rows, 60, 3)
    assert (seen.messages, seen.errors) == ([4, 0, 4], [0, 0, 2])
    assert seen.modules == {"locations": [4, 0, 1], "tokens": [0, 0, 3]}
    assert seen.error_rate == 0.25 and seen.per_minute(8) == 8 / 3
    assert trace.bucketed([], 60, 3).error_rate is None
