"""What to do after one delivery attempt: the retry policy, sans I/O.

- Delivered: HTTP 2xx with an OCPI 1xxx status.
- Retried with exponential backoff and jitter: the peer unreachable or slow, HTTP 401/403 (a
  token rotation may be under way), 408, 429, 5xx, an OCPI 3xxx/4xxx status or no envelope.
  `Retry-After` is honoured: the next attempt never comes sooner than it asks.
- Dead-lettered at once: any other HTTP 4xx, or an OCPI 2xxx status — the receiver refused the
  content itself, and sending it again would not change its mind. Also after the last attempt.
- Except a PATCH answered with HTTP 404 or OCPI 2003 (unknown object): the receiver missed the
  object the PATCH changes, so it is sent the whole object as the hub stores it (core.delivery).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from ocpi_hub.core.trace import Hop, at_start, party
from ocpi_hub.push.client import PeerResponse
from ocpi_hub.storage.repositories.outbox import Delivery

_RANDOM = random.Random()
RETRYABLE_HTTP = frozenset({401, 403, 408, 425, 429})


class Outcome(StrEnum):
    DELIVERED = "DELIVERED"
    RETRY = "RETRY"
    DEAD = "DEAD"
    SEND_OBJECT = "SEND_OBJECT"  # send the receiver the stored object instead of the PATCH


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str = ""
    retry_after: float | None = None


def judge(response: PeerResponse, method: str = "PUT") -> Verdict:
    """Classify one answer from a receiver to a request of `method`."""
    http, code = response.http_status, response.status_code
    described = f"HTTP {http}, status_code {code}"
    if 200 <= http < 300 and code is not None and 1000 <= code < 2000:
        return Verdict(Outcome.DELIVERED)
    if method == "PATCH" and (http == 404 or code == 2003):
        return Verdict(Outcome.SEND_OBJECT, described)
    if http in RETRYABLE_HTTP or http >= 500:
        return Verdict(Outcome.RETRY, described, retry_after(response.headers.get("Retry-After")))
    if 400 <= http < 500 or (code is not None and 2000 <= code < 3000):
        return Verdict(Outcome.DEAD, described)
    return Verdict(Outcome.RETRY, described)


def attempt_hop(
    head: Delivery,
    method: str,
    url: str,
    request_id: str,
    seconds: float,
    response: PeerResponse | None,
    verdict: Verdict,
) -> Hop:
    """One attempt at `head` (sent to `url`, answered `response` or not at all, after
    `seconds`) as a hop of the trace of the change that caused it, with its verdict."""
    return Hop(
        head.correlation_id,
        at_start(seconds),
        "delivery",
        method,
        url,
        party(head.from_party),
        party(head.to_party),
        http_status=response.http_status if response is not None else None,
        ocpi_status=response.status_code if response is not None else None,
        duration_ms=round(seconds * 1000, 3),
        request_id=request_id,
        note=f"{verdict.outcome.value}: {verdict.reason}" if verdict.reason else verdict.outcome,
    )


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (1 = the first retry): exponential, capped, with
    "equal jitter" (half fixed, half random) so a crowd of retries spreads out but still waits."""
    delay = min(cap, base * 2.0 ** (attempt - 1))
    return delay / 2 + (rng or _RANDOM).uniform(0, delay / 2)


def next_delay(
    verdict: Verdict, attempts_made: int, *, max_attempts: int, base: float, cap: float
) -> float | None:
    """Seconds until the next attempt, or None when the delivery is to be dead-lettered."""
    if verdict.outcome != Outcome.RETRY or attempts_made >= max_attempts:
        return None
    delay = backoff(attempts_made, base=base, cap=cap)
    if verdict.retry_after is not None:
        delay = max(delay, verdict.retry_after)
    return delay
