"""What the web edge records of each request in and each relay (issue 12): a count in the
Prometheus series (ocpi_hub.metrics) and hops of the trace (core.trace), both in memory —
nothing is written on the request's path (storage.trace_log writes the hops in batches).

Called from the two places that know: the middleware's one log line (`request_in`: the route,
the caller and the status answered are known there) and the relay (`relay`, from
`web.relay.ask`, whatever came of it).
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.trace import Hop, at_start, party
from ocpi_hub.push.client import PeerResponse
from ocpi_hub.web.keys import CALLER, CORRELATION_ID, METRICS, ROUTE, STATUS_CODE, TRACE

__all__ = ["relay", "request_in", "requesting_party"]


def requesting_party(request: web.Request) -> str | None:
    """Who asked (`CC*PID`): the party OCPI-from named (or the caller's only party) once the
    call was understood; before that the calling platform's parties; None when unknown."""
    route = request.get(ROUTE)
    if route is not None:
        return party(route[0])
    caller = request.get(CALLER)
    if caller is None:
        return None
    return ",".join(sorted({party(p.key) or "" for p in caller.parties})) or None


def request_in(
    request: web.Request,
    route: str,
    response: web.StreamResponse,
    seconds: float,
    request_id: str,
    *,
    traced: bool = True,
) -> None:
    """A request answered with `response` after `seconds`: counted, and (if `traced`) a hop."""
    status_code = request.get(STATUS_CODE, 1000)
    sender = requesting_party(request)
    request.app[METRICS].request(route, sender, status_code)
    if not traced:
        return
    routed = request.get(ROUTE)
    request.app[TRACE].add(
        Hop(
            correlation_id=request[CORRELATION_ID],
            at=at_start(seconds),
            kind="request",
            method=request.method,
            url=request.path_qs,
            from_party=sender,
            to_party=party(routed[1]) if routed is not None else None,
            http_status=response.status,
            ocpi_status=status_code,
            duration_ms=round(seconds * 1000, 3),
            request_id=request_id,
        )
    )


def relay(
    request: web.Request,
    sender: PartyKey,
    to: PartyKey,
    url: str,
    request_id: str,
    seconds: float,
    answer: PeerResponse | None,
    failure: str | None,
) -> None:
    """A request relayed to `to` at `url`, answered `answer` (None: `failure` says why) after
    `seconds`: a latency sample of `to`, and two hops, the relay and its answer."""
    request.app[METRICS].relay(party(to) or "", seconds)
    trace, started = request.app[TRACE], at_start(seconds)
    correlation_id, method = request[CORRELATION_ID], request.method
    sent = (party(sender), party(to))
    trace.add(Hop(correlation_id, started, "relay", method, url, *sent, request_id=request_id))
    trace.add(
        Hop(
            correlation_id,
            started + timedelta(seconds=seconds),
            "answer",
            method,
            url,
            from_party=party(to),
            to_party=party(sender),
            http_status=answer.http_status if answer is not None else None,
            ocpi_status=answer.status_code if answer is not None else None,
            duration_ms=round(seconds * 1000, 3),
            request_id=request_id,
            note=failure,
        )
    )
