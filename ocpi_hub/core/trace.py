"""The path of one message through the hub, by its correlation id (issue 12), sans I/O.

Each *hop* is one thing the hub did or was asked under a correlation id:

- `request`: a peer's request to the hub, dated when it came in, with what it was answered;
- `relay`: the hub sending it on to the receiving party, dated when it was sent;
- `answer`: that relay's answer (or why none came), dated when it came, with its duration;
- `delivery`: one attempt of an outbox delivery, dated when it started, with its verdict.

A request's hop is written when it has been answered, yet dated when it came in, so the
hops it caused fall after it. `timeline` orders them: by time, and at the same instant in the
order above (a relay and its answer within one clock tick stay in causal order), then as
recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "KINDS", "MODULE_PATTERN", "OTHER", "Hop", "Traffic", "at_start", "bucketed", "module_of",
    "party", "timeline", "timestamp",
]  # fmt: skip

KINDS = ("request", "relay", "answer", "delivery")
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(slots=True)
class Hop:
    """One hop of a message: who sent what to whom, and how it was answered. (Not frozen:
    a frozen dataclass's constructor costs several times more, and one is made per request.)"""

    correlation_id: str
    at: datetime  # UTC
    kind: str  # one of KINDS
    method: str
    url: str  # the path of a request in; the full URL of a relay or delivery
    from_party: str | None = None  # CC*PID
    to_party: str | None = None
    http_status: int | None = None
    ocpi_status: int | None = None
    duration_ms: float | None = None
    request_id: str | None = None  # the X-Request-ID of this hop
    note: str | None = None  # why no answer came; a delivery's verdict


def party(key: tuple[str, str] | None) -> str | None:
    """A party key as hops name it: `CC*PID`."""
    return None if key is None else "*".join(key)


def at_start(seconds: float, now: datetime | None = None) -> datetime:
    """When something that took `seconds` and ended `now` (default: this instant) began."""
    return (now or datetime.now(UTC)) - timedelta(seconds=seconds)


def timestamp(moment: datetime) -> str:
    """A hop's time in RFC 3339 UTC to the millisecond (the spec's DateTime is to the second,
    too coarse for a relay's hops)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timeline(correlation_id: str, hops: Iterable[Hop]) -> dict[str, Any]:
    """Every hop of `correlation_id` in time order (ties: request, relay, answer, delivery,
    then as given), each with its offset from the first in ms, as JSON-ready data."""
    ordered = sorted(hops, key=lambda h: (h.at, _RANK.get(h.kind, len(KINDS))))
    first = ordered[0].at if ordered else None
    return {
        "correlation_id": correlation_id,
        "hops": [
            {
                "at": timestamp(h.at),
                "offset_ms": round((h.at - first).total_seconds() * 1000, 3) if first else 0.0,
                "kind": h.kind,
                "method": h.method,
                "url": h.url,
                "from": h.from_party,
                "to": h.to_party,
                "http_status": h.http_status,
                "ocpi_status": h.ocpi_status,
                "duration_ms": h.duration_ms,
                "request_id": h.request_id,
                "note": h.note,
            }
            for h in ordered
        ],
    }


# The OCPI module a request in was for, from its path: /ocpi/{version}/[sender|receiver/]{module}.
# The repository hands the same pattern to PostgreSQL (its regular expressions read it alike).
MODULE_PATTERN = r"^/ocpi/[^/]+/(?:(?:sender|receiver)/)?([a-z_]+)"
OTHER = "other"  # a request in that names no module (versions, a wrong path)


def module_of(path: str) -> str:
    """The module a request's path is for, or `other`."""
    found = re.match(MODULE_PATTERN, path)
    return found.group(1) if found else OTHER


@dataclass(frozen=True)
class Traffic:
    """Requests in per period, the oldest period first (the current, partial one last): in
    all and per module, and how many were errors (an HTTP status of 400 or more, or an OCPI
    status of 2000 or more)."""

    seconds: int
    messages: list[int]
    errors: list[int]
    modules: dict[str, list[int]]

    @property
    def error_rate(self) -> float | None:
        """Errors over messages in the whole window; None without messages."""
        total = sum(self.messages)
        return sum(self.errors) / total if total else None

    def per_minute(self, count: int) -> float:
        """`count` messages over the whole window, per minute."""
        return count * 60 / (self.seconds * len(self.messages)) if self.messages else 0.0


def bucketed(rows: Iterable[tuple[int, str, int, int]], seconds: int, count: int) -> Traffic:
    """`rows` of (periods ago: 0 is the current one, module, messages, errors) as a `Traffic`
    of `count` periods; rows older than the window are left out."""
    messages, errors = [0] * count, [0] * count
    modules: dict[str, list[int]] = {}
    for ago, module, sent, failed in rows:
        if not 0 <= ago < count:
            continue
        slot = count - 1 - ago
        messages[slot] += sent
        errors[slot] += failed
        modules.setdefault(module, [0] * count)[slot] += sent
    return Traffic(seconds, messages, errors, dict(sorted(modules.items())))
