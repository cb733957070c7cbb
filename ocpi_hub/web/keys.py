"""Typed keys for what the aiohttp application and each request carry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web

from ocpi_hub.core.parties import Platform
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.metrics import Metrics
from ocpi_hub.push.client import PeerClient
from ocpi_hub.settings import Settings
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.fraud_watch import AuthorizationLog
from ocpi_hub.storage.platform_cache import PlatformCache
from ocpi_hub.storage.route_meter import RouteMeter
from ocpi_hub.storage.trace_log import TraceLog

SETTINGS = web.AppKey("settings", Settings)
# The operator's side (admin API, console): each edge by the path prefix it serves, applied by
# the one middleware (a middleware of their own each would cost every OCPI request two more
# layers; web.middleware.ocpi_middleware).
Edge = Callable[
    [web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]],
    Awaitable[web.StreamResponse],
]
EDGES = web.AppKey("edges", tuple[tuple[str, Edge], ...])
POOL = web.AppKey("pool", asyncpg.Pool)
CLIENT = web.AppKey("client", PeerClient)
DATABASE = web.AppKey("database", DatabaseWatch)  # whether the database answers (health, 503s)
PLATFORMS = web.AppKey("platforms", PlatformCache)  # every platform, kept current in memory
METER = web.AppKey("meter", RouteMeter)  # each request sent to a platform, for route choice
AUTHORIZATIONS = web.AppKey("authorizations", AuthorizationLog)  # for the fraud watch
METRICS = web.AppKey("metrics", Metrics)  # the Prometheus series (ocpi_hub.metrics)
TRACE = web.AppKey("trace", TraceLog)  # hops waiting to be written (storage.trace_log)
# When each platform was last recorded as heard from by this process (monotonic seconds).
HEARD_FROM = web.AppKey("heard_from", dict[int, float])

# Request-scoped values set by the middleware (request[...]).
CALLER = web.RequestKey("caller", Platform)  # the Platform that called, known by its token
CALLER_TOKEN = web.RequestKey("caller_token", str)  # the token it used, in clear (never stored)
RESPONSE_HEADERS = web.RequestKey("response_headers", dict[str, str])  # added to every answer
CORRELATION_ID = web.RequestKey("correlation_id", str)  # kept on every hop for this request
# The body as the hub passes it on, where the caller's dialect made it differ from what was sent.
BODY_TEXT = web.RequestKey("body_text", bytes)
STATUS_CODE = web.RequestKey("status_code", int)  # the OCPI status_code answered, for the log
# The requesting party and the party OCPI-to resolved to (None: the hub, or everyone), once a
# functional call is understood (web.relay.functional_call): metrics and the trace name them.
ROUTE = web.RequestKey("route", tuple[PartyKey, PartyKey | None])

# The route variable every path ends in (app.tolerate_trailing_slash): not an id.
TRAILING_SLASH = "trailing_slash"

__all__ = [
    "AUTHORIZATIONS",
    "CALLER",
    "CALLER_TOKEN",
    "CLIENT",
    "CORRELATION_ID",
    "DATABASE",
    "EDGES",
    "HEARD_FROM",
    "METER",
    "METRICS",
    "PLATFORMS",
    "POOL",
    "RESPONSE_HEADERS",
    "ROUTE",
    "SETTINGS",
    "STATUS_CODE",
    "TRACE",
    "TRAILING_SLASH",
    "Platform",
]
