"""`GET /metrics`: the hub's Prometheus metrics (ocpi_hub.metrics), behind an operator token
(`Authorization: Bearer <token>`, which Prometheus sends with `authorization: {credentials}`
in its scrape config). 401 otherwise, and no series."""

from __future__ import annotations

from aiohttp import web

from ocpi_hub.admin.auth import Unauthenticated, bearer, operator_of
from ocpi_hub.admin.endpoint import respond
from ocpi_hub.metrics import CONTENT_TYPE
from ocpi_hub.web.keys import METRICS, POOL

__all__ = ["routes"]


async def get_metrics(request: web.Request) -> web.Response:
    """Every series, in the Prometheus text format."""
    try:
        await operator_of(request, bearer(request))
    except Unauthenticated as exc:
        answer = respond({"error": {"status": 401, "message": str(exc), "field": None}}, 401)
        answer.headers["WWW-Authenticate"] = "Bearer"
        return answer
    body = await request.app[METRICS].render(request.app[POOL])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def routes() -> list[web.RouteDef]:
    """The metrics route; its name, "metrics", keeps the OCPI middleware off it."""
    return [web.get("/metrics", get_metrics, name="metrics")]
