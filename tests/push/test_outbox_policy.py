"""The retry policy of the outbox, without sockets (DESIGN.md decision 4)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.push.client import PeerResponse
from ocpi_hub.push.outbox import Outcome, Verdict, backoff, judge, next_delay, retry_after


def answer(http: int, status_code: int | None = None, **headers: str) -> PeerResponse:
    body = None if status_code is None else {"status_code": status_code, "timestamp": "x"}
    return PeerResponse(http, b"", headers, body)


@pytest.mark.parametrize(
    ("http", "code", "outcome"),
    [
        (200, 1000, Outcome.DELIVERED),
        (201, 1000, Outcome.DELIVERED),
        (200, 2001, Outcome.DEAD),
        (404, 2003, Outcome.DEAD),
        (400, None, Outcome.DEAD),
        (405, None, Outcome.DEAD),
        (200, 3000, Outcome.RETRY),
        (200, 4003, Outcome.RETRY),
        (200, None, Outcome.RETRY),
        (401, 2000, Outcome.RETRY),
        (429, None, Outcome.RETRY),
        (500, None, Outcome.RETRY),
        (503, None, Outcome.RETRY),
    ],
)
def test_judge_classifies_answers(http: int, code: int | None, outcome: Outcome) -> None:
    """1xxx delivers; a refusal of the content (2xxx, 4xx) is final; the rest is retried."""
    assert judge(answer(http, code)).outcome == outcome


def test_judge_reads_retry_after_seconds() -> None:
    """A 429/503 with Retry-After: N asks for N seconds (RFC 9110 §10.2.3)."""
    assert judge(answer(429, None, **{"Retry-After": "7"})).retry_after == 7.0


def test_retry_after_http_date() -> None:
    """Retry-After may be an HTTP date; it becomes the seconds until then."""
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after(later, now=now) == 90.0
    assert retry_after("nonsense") is None
    assert retry_after(None) is None


@given(st.integers(1, 40), st.floats(0.01, 10), st.floats(1, 600), st.integers(0, 2**32))
def test_backoff_is_capped_exponential_with_equal_jitter(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    """Each retry waits between half and all of min(cap, base·2^(n-1))."""
    full = min(cap, base * 2 ** (attempt - 1))
    delay = backoff(attempt, base=base, cap=cap, rng=random.Random(seed))
    assert full / 2 <= delay <= full


def test_next_delay_honours_retry_after_and_the_last_attempt() -> None:
    """Retry-After is a floor; after max_attempts or a DEAD verdict there is no next attempt."""
    retry = Verdict(Outcome.RETRY, "busy", retry_after=30.0)
    assert next_delay(retry, 1, max_attempts=5, base=0.1, cap=1) == 30.0
    assert next_delay(retry, 5, max_attempts=5, base=0.1, cap=1) is None
    assert next_delay(Verdict(Outcome.DEAD, "no"), 1, max_attempts=5, base=0.1, cap=1) is None


@pytest.mark.parametrize(
    ("http", "code", "method", "outcome"),
    [
        (404, None, "PATCH", Outcome.SEND_OBJECT),
        (404, 2003, "PATCH", Outcome.SEND_OBJECT),
        (200, 2003, "PATCH", Outcome.SEND_OBJECT),
        (404, 2003, "PUT", Outcome.DEAD),
        (200, 2001, "PATCH", Outcome.DEAD),
        (200, 1000, "PATCH", Outcome.DELIVERED),
    ],
)
def test_a_patch_of_an_unknown_object_asks_for_the_whole_object(
    http: int, code: int | None, method: str, outcome: Outcome
) -> None:
    """HTTP 404 or OCPI 2003 to a PATCH: the receiver lacks the object, so it is to be sent the
    stored object (issue 7 §1); to any other method it stays final."""
    assert judge(answer(http, code), method).outcome == outcome
    assert next_delay(judge(answer(http, code), method), 1, max_attempts=5, base=1, cap=1) is None
