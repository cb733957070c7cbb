"""Judging one answer: its OCPI envelope (transport_and_format §1.3), its id headers (§1.2),
its OCPI status. Small pure helpers every check area uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conformance.model import Exchange


def envelope_problems(exchange: Exchange, data: str | None = None) -> list[str]:
    """What is wrong with the answer's envelope; `data` "list" or "object" when a 1000 answer
    must carry that shape (§1.3: array for `*`/`+` endpoints, object for `1`/`?`)."""
    if exchange.status is None:
        return [f"no answer ({exchange.error})"]
    envelope = exchange.envelope
    if envelope is None:
        reason = exchange.json_error or "the body is JSON but not an object"
        return [f"no OCPI envelope: {reason}"]
    problems = []
    code = envelope.get("status_code")
    if "status_code" not in envelope:
        problems.append("status_code is missing")
    elif isinstance(code, bool) or not isinstance(code, int) or not 1000 <= code <= 9999:
        problems.append(f"status_code {code!r} is not a 4-digit integer")
    if "timestamp" not in envelope or envelope.get("timestamp") is None:
        problems.append("timestamp is missing")
    elif not isinstance(envelope.get("timestamp"), str):
        problems.append(f"timestamp {envelope.get('timestamp')!r} is not a string")
    message = envelope.get("status_message")
    if message is not None and not isinstance(message, str):
        problems.append(f"status_message {message!r} is not a string")
    if code == 1000 and data is not None:
        value: Any = envelope.get("data")
        if data == "list" and not isinstance(value, list):
            problems.append(f"data is {type(value).__name__}, expected a list")
        if data == "object" and not isinstance(value, dict):
            problems.append(f"data is {type(value).__name__}, expected an object")
    return problems


def id_problems(exchange: Exchange) -> list[str]:
    """X-Request-ID and X-Correlation-ID must come back as sent (§1.2 [M])."""
    problems = []
    for name in ("X-Request-ID", "X-Correlation-ID"):
        sent, got = exchange.sent_header(name), exchange.header(name)
        if got is None:
            problems.append(f"{name} not echoed")
        elif got != sent:
            problems.append(f"{name} {got!r} is not the {sent!r} sent")
    return problems


def succeeded(exchange: Exchange) -> bool:
    """HTTP 200/201 with OCPI status 1000 (or a custom 19xx success)."""
    code = exchange.status_code
    return (
        exchange.status in (200, 201)
        and isinstance(code, int)
        and not isinstance(code, bool)
        and (code == 1000 or 1900 <= code <= 1999)
    )


def describe(exchange: Exchange) -> str:
    """`GET url → 401 2000 "missing token"` with the status message, for results."""
    message = exchange.envelope.get("status_message") if exchange.envelope else None
    return exchange.summary() + (f' "{message}"' if isinstance(message, str) and message else "")


def answer_problems(exchange: Exchange, data: str | None = None) -> list[str]:
    """Why the answer is not a usable success: no answer, no envelope, not HTTP 200/201 with
    1000, or `data` not of the shape asked for. The envelope's other members (timestamp,
    status_message) are transport.envelope's to judge, so one mistake fails one check."""
    if exchange.status is None:
        return [f"no answer ({exchange.error})"]
    envelope = exchange.envelope
    if envelope is None:
        return [f"no OCPI envelope: {exchange.json_error or 'the body is not an object'}"]
    if not succeeded(exchange):
        return [f"answered {describe(exchange)}"]
    value = envelope.get("data")
    if data == "list" and not isinstance(value, list):
        return [f"data is {type(value).__name__}, expected a list"]
    if data == "object" and not isinstance(value, dict):
        return [f"data is {type(value).__name__}, expected an object"]
    return []


def unique(exchanges: Iterable[Exchange]) -> list[Exchange]:
    """The exchanges in order, each once (several problems may point at one answer)."""
    seen: list[Exchange] = []
    for exchange in exchanges:
        if not any(exchange is s for s in seen):
            seen.append(exchange)
    return seen
