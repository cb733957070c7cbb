"""The console's Trace page: a correlation id (a GET form, so a trace is a link to share)
and every hop the hub kept of it (`operations.trace.timeline`, as `ocpi-hub trace` prints
it): a table with each hop's offset from the first, and a small timeline drawn server-side."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub.console import charts
from ocpi_hub.console.render import PREFIX, page
from ocpi_hub.operations import Refused, trace
from ocpi_hub.web.keys import POOL

__all__ = ["routes"]


async def trace_page(request: web.Request) -> web.Response:
    """The form; with `id`, that message's hops, or a notice that none is kept."""
    wanted = request.query.get("id")
    found = None
    refused = None
    if wanted is not None:
        try:
            found = await trace.timeline(request.app[POOL], wanted)
        except Refused as why:
            refused = why
    chart = None
    if found:
        chart = charts.spans([_span(h) for h in found["hops"]])
    return page(
        request,
        "trace.html",
        status=400 if refused else 200,
        current="trace",
        wanted=(wanted or "").strip(),
        found=found,
        chart=chart,
        refused=refused,
    )


def _span(hop: dict[str, Any]) -> tuple[str, float, float | None]:
    """A hop on the timeline: an answer is dated when it came, so its bar ends there; the
    others start at their date."""
    took = hop["duration_ms"]
    start = hop["offset_ms"]
    if hop["kind"] == "answer" and took is not None:
        start = max(start - took, 0.0)
    return f"{hop['kind']} {hop['to'] or ''}".strip(), start, took


def routes() -> list[web.RouteDef]:
    """The Trace page."""
    return [web.get(f"{PREFIX}/trace", trace_page, name="console:trace")]
