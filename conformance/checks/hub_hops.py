"""Judging one hop through the hub (transport_and_format §1.2, §1.6; hub rules §5): the routing
headers and ids of a request the hub forwarded to a suite party, the `last_updated` values it
carried, and how long to wait for what the hub sends."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.checks.hub_parties import Key, Member
from conformance.model import Exchange, Verdict, failed, passed, warned
from conformance.peer import Received
from conformance.validate import parse_datetime

# Longest wait for the hub to deliver something (a broadcast goes out after the answer, §5).
DELIVERY_WAIT = 10.0
# Least wait before concluding that something did NOT arrive; longer when deliveries are slow.
QUIET = 0.5


def same_party(pair: tuple[str | None, str | None], key: Key) -> bool:
    """CiString compare (types §1.9: case-insensitive)."""
    return (
        pair[0] is not None
        and pair[1] is not None
        and ((pair[0].upper(), pair[1].upper()) == (key[0].upper(), key[1].upper()))
    )


def shown(pair: tuple[str | None, str | None]) -> str:
    return "(none)" if pair == (None, None) else f"{pair[0]}*{pair[1]}"


def hop_problems(what: str, got: Received, sent: Exchange, sender: Key, receiver: Key) -> list[str]:
    """A forwarded request's routing headers (§1.6) and ids (§1.2: a new X-Request-ID per hop,
    the same X-Correlation-ID)."""
    problems = []
    origin = (got.header("OCPI-from-country-code"), got.header("OCPI-from-party-id"))
    target = (got.header("OCPI-to-country-code"), got.header("OCPI-to-party-id"))
    if not same_party(origin, sender):
        problems.append(f"{what}: OCPI-from {shown(origin)}, not {'*'.join(sender)}")
    if not same_party(target, receiver):
        problems.append(f"{what}: OCPI-to {shown(target)}, not {'*'.join(receiver)}")
    request_id, original = got.header("X-Request-ID"), sent.sent_header("X-Request-ID")
    if not request_id:
        problems.append(f"{what}: no X-Request-ID")
    elif request_id == original:
        problems.append(f"{what}: X-Request-ID {request_id} is the sender's, not a new one")
    correlation, kept = got.header("X-Correlation-ID"), sent.sent_header("X-Correlation-ID")
    if correlation != kept:
        problems.append(f"{what}: X-Correlation-ID {correlation!r}, not the sender's {kept!r}")
    return problems


def stamps(value: Any, path: str = "") -> dict[str, Any]:
    """Every `last_updated` in an object, by JSON path (a Location's, its EVSEs', ...)."""
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for name, member in value.items():
            where = f"{path}.{name}" if path else name
            if name == "last_updated":
                found[where] = member
            else:
                found.update(stamps(member, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(stamps(item, f"{path}[{index}]"))
    return found


def stamp_problems(what: str, got: Any, sent: Any) -> tuple[list[str], list[str]]:
    """(problems, doubts): a Hub never modifies `last_updated` (§1.6 [M]); the same instant
    written another way is only a doubt."""
    problems, doubts = [], []
    delivered = stamps(got)
    for where, value in stamps(sent).items():
        now = delivered.get(where)
        if now == value:
            continue
        then_at = parse_datetime(value) if isinstance(value, str) else None
        now_at = parse_datetime(now) if isinstance(now, str) else None
        if then_at is not None and then_at == now_at:
            doubts.append(f"{what}: {where} {now!r} is the {value!r} sent, written otherwise")
        else:
            problems.append(f"{what}: {where} is {now!r}, not the {value!r} sent")
    return problems, doubts


def fractional_moment(seconds_ago: float, millis: int) -> str:
    """A DateTime with fractional seconds (types §1.9 allows them): a hub that re-renders or
    rounds `last_updated` shows it."""
    at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return at.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


def as_evidence(member: Member, received: Received) -> Exchange:
    """A request the hub sent to a suite party, as evidence (no answer recorded: the suite's
    party answered it)."""
    query = f"?{received.query}" if received.query else ""
    body = received.body
    return Exchange(
        method=received.method,
        url=f"{member.party.public_url}{received.path}{query}",
        request_headers=dict(received.headers),
        request_body=None if body is None else body if isinstance(body, str) else json.dumps(body),
        error=f"a request the hub sent to the suite's party {member.name}",
    )


async def waited(
    member: Member, predicate: Callable[[Received], bool], mark: int
) -> Received | None:
    """The first request after `mark` at `member`'s party matching `predicate`."""
    return await member.party.wait_for(predicate, DELIVERY_WAIT, mark)


def quiet(elapsed: float) -> float:
    """How long to wait for a delivery that must NOT come: as long again as the ones that came
    took, at least QUIET seconds."""
    return max(QUIET, elapsed)


def judged(
    problems: list[str], doubts: list[str], ok: str, expected: str, evidence: list[Exchange]
) -> Verdict:
    """FAIL on problems, WARN on doubts, else PASS; with exactly this evidence (the exchanges
    and the requests the hub sent, not the suite's setup)."""
    if problems:
        return failed("; ".join(problems), expected=expected, evidence=evidence)
    if doubts:
        return warned("; ".join(doubts), expected=expected, evidence=evidence)
    return passed(ok, evidence=evidence)
