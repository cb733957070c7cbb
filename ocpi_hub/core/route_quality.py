"""How well a route carries traffic: the figures route choice is made from (issue 8), sans I/O.

Each request the hub sends to a platform (a relay, an outbox delivery, a route probe) is one
*sample* of that platform as a route: whether it succeeded and how long it took.

- **Success** is the route doing its job: an OCPI envelope came back with HTTP < 500, whatever
  the OCPI status (a receiver that refuses an object has still been reached). A timeout, a
  connection failure, HTTP 5xx or an answer that is no envelope is a failure.
- **Latency** is the time the request took, whatever its outcome (a timeout counts as the time
  waited). It is kept as counts per bucket of a fixed histogram (`LATENCY_BOUNDS_MS`), so that
  figures from any number of processes and minutes add up exactly and the 95th percentile is
  read from the sum; it is the upper bound of the bucket holding the 95th percentile, which is
  as fine as route choice needs (its latency margin is wider than any bucket step).
- Samples are counted per platform in time buckets (`bucket_seconds`): a fifteenth of the
  sliding window, at most a minute (per minute at the default window of 15 minutes), so a
  sample leaves the window at most one bucket late however short a window is set.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "LATENCY_BOUNDS_MS",
    "Figures",
    "bucket_seconds",
    "bucket_start",
    "latency_bucket",
    "succeeded",
]

# Upper bounds (ms) of the latency histogram's buckets, then one bucket for anything slower.
# Steps of 2-2.5x: finer would cost space and add nothing, since routes are told apart only
# when they differ by more than a step (core.routes.LATENCY_MARGIN_MS, LATENCY_RATIO).
LATENCY_BOUNDS_MS: tuple[int, ...] = (
    10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
)  # fmt: skip
BUCKETS = len(LATENCY_BOUNDS_MS) + 1

# Time buckets per window, and the longest bucket (seconds).
BUCKETS_PER_WINDOW = 15
LONGEST_BUCKET = 60.0


def succeeded(http_status: int | None, envelope: bool) -> bool:
    """Whether one request over a route succeeded: an OCPI envelope with HTTP < 500. None for
    `http_status`: no HTTP answer at all (timeout, connection failure)."""
    return http_status is not None and http_status < 500 and envelope


def latency_bucket(milliseconds: float) -> int:
    """The histogram bucket of one latency: the first whose bound it does not exceed."""
    return bisect_left(LATENCY_BOUNDS_MS, milliseconds)


def bucket_seconds(window: float) -> float:
    """The width of a time bucket for a sliding `window` (seconds): a fifteenth of it, at least
    one second, at most a minute."""
    return min(LONGEST_BUCKET, max(1.0, window / BUCKETS_PER_WINDOW))


def bucket_start(now: float, width: float) -> float:
    """The start (epoch seconds) of the time bucket holding `now`."""
    return now - now % width


@dataclass(frozen=True)
class Figures:
    """What a route did over the window: requests sent, how many failed, and the latency
    histogram (a count per bucket of LATENCY_BOUNDS_MS, the last one for anything slower)."""

    sent: int = 0
    failed: int = 0
    latencies: tuple[int, ...] = field(default=(0,) * BUCKETS)

    @classmethod
    def of(cls, sent: int, failed: int, latencies: Sequence[int]) -> Figures:
        """Figures from stored counts; a histogram of another length (stored under other
        bounds) is cut or padded to these."""
        counts = tuple(latencies[:BUCKETS]) + (0,) * max(0, BUCKETS - len(latencies))
        return cls(sent, failed, counts)

    @classmethod
    def total(cls, parts: Iterable[Figures]) -> Figures:
        """The sum of several figures (minutes, processes)."""
        result = cls()
        for part in parts:
            result = result + part
        return result

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.sent + other.sent,
            self.failed + other.failed,
            tuple(a + b for a, b in zip(self.latencies, other.latencies, strict=True)),
        )

    @property
    def succeeded(self) -> int:
        return self.sent - self.failed

    @property
    def success_rate(self) -> float | None:
        """Share of requests that succeeded; None without samples."""
        return self.succeeded / self.sent if self.sent else None

    @property
    def p95_ms(self) -> int | None:
        """The 95th percentile latency in ms, as the upper bound of its bucket (the last
        bound for the overflow bucket: "at least"); None without samples."""
        counted = sum(self.latencies)
        if not counted:
            return None
        rank = 0.95 * counted
        seen = 0
        for index, count in enumerate(self.latencies):
            seen += count
            if seen >= rank:
                return LATENCY_BOUNDS_MS[min(index, len(LATENCY_BOUNDS_MS) - 1)]
        return LATENCY_BOUNDS_MS[-1]  # pragma: no cover - the loop always reaches the rank

    def describe(self) -> str:
        """In words, for reasons and logs: `96% of 25 succeeded, p95 50 ms`."""
        if not self.sent:
            return "no samples"
        rate = self.success_rate or 0.0
        return f"{rate:.0%} of {self.sent} succeeded, p95 {self.p95_ms} ms"
