"""The aiohttp application: routes, middleware, the peer client, the outbox worker, the
puller, route choice (the meter of every request sent, and the chooser), the checker of
CDRs and Sessions (with reconciliation), the credit watch, and what the operator watches:
/metrics and the trace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import asyncpg
from aiohttp import web

from ocpi_hub.admin import api as admin_api
from ocpi_hub.admin import metrics as admin_metrics
from ocpi_hub.admin.api import admin_middleware
from ocpi_hub.console import auth as console_auth
from ocpi_hub.console import money as console_money
from ocpi_hub.console import pages as console_pages
from ocpi_hub.console import trace as console_trace
from ocpi_hub.core.route_quality import bucket_seconds
from ocpi_hub.dialects import HUBJECT
from ocpi_hub.metrics import Metrics
from ocpi_hub.push.client import Bridge, peer_client
from ocpi_hub.push.oicp import charges as oicp_charges
from ocpi_hub.push.oicp import emp as oicp_emp
from ocpi_hub.push.oicp import operators as oicp_operators
from ocpi_hub.push.oicp.bridge import OicpBridge
from ocpi_hub.push.puller import Puller
from ocpi_hub.push.routes import RouteChooser
from ocpi_hub.push.v211 import Translator
from ocpi_hub.push.worker import OutboxWorker
from ocpi_hub.settings import Settings
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.checker import Checker
from ocpi_hub.storage.credit_watch import CreditWatch
from ocpi_hub.storage.fraud_watch import AuthorizationLog, FraudWatch
from ocpi_hub.storage.platform_cache import PlatformCache
from ocpi_hub.storage.repositories import agreements, findings
from ocpi_hub.storage.route_meter import RouteMeter
from ocpi_hub.storage.trace_log import TraceLog
from ocpi_hub.web import credentials, oicp, v211, versions
from ocpi_hub.web.background import background
from ocpi_hub.web.keys import (
    AUTHORIZATIONS,
    CLIENT,
    DATABASE,
    EDGES,
    HEARD_FROM,
    METER,
    METRICS,
    PLATFORMS,
    POOL,
    SETTINGS,
    TRACE,
    TRAILING_SLASH,
)
from ocpi_hub.web.middleware import ocpi_middleware
from ocpi_hub.web.modules import (
    cdrs,
    chargingprofiles,
    commands,
    hubclientinfo,
    locations,
    sessions,
    tariffs,
    tokens,
)

# Each module offers `routes()`, `ENDPOINTS` (module, role, path) for the version details, and
# may offer `BACKGROUND`: aiohttp cleanup contexts for its own tasks (sweepers, probes).
MODULES = [
    credentials,
    locations,
    tariffs,
    tokens,
    sessions,
    cdrs,
    commands,
    chargingprofiles,
    hubclientinfo,
]

WORKER = web.AppKey("worker", OutboxWorker)


def tolerate_trailing_slash(routes: list[web.RouteDef]) -> list[web.RouteDef]:
    """Each path also matches with one trailing slash: the spec's own examples disagree on it
    (checklist §7.7), and a redirect would lose a PUT's body."""
    tail = f"{{{TRAILING_SLASH}:/?}}"
    return [web.RouteDef(r.method, r.path + tail, r.handler, r.kwargs) for r in routes]


def create_app(
    settings: Settings, pool: asyncpg.Pool, *, run_worker: bool = True
) -> web.Application:
    """The hub as an aiohttp application on an open, migrated pool."""
    app = web.Application(middlewares=[ocpi_middleware])
    app[EDGES] = (("/admin/api/", admin_middleware), ("/console", console_auth.console_middleware))
    app[SETTINGS] = settings
    app[POOL] = pool
    app[DATABASE] = DatabaseWatch(pool)
    app[PLATFORMS] = PlatformCache(pool, database=app[DATABASE], policy=settings.agreement_policy)
    app[HEARD_FROM] = {}
    app[METER] = RouteMeter(bucket_seconds(settings.route_window))
    app[METRICS] = Metrics(settings.metrics_parties)
    app[TRACE] = TraceLog()
    app[AUTHORIZATIONS] = AuthorizationLog(counted=app[METRICS].authorization)
    app[v211.TRANSLATIONS] = Translator(pool)
    app[versions.OFFERED] = [endpoint for module in MODULES for endpoint in module.ENDPOINTS]
    routes = versions.routes() + [route for module in MODULES for route in module.routes()]
    app.add_routes(tolerate_trailing_slash(routes + v211.routes(routes)))
    app.add_routes(admin_api.routes())
    app.add_routes(
        console_auth.routes()
        + console_pages.routes()
        + console_money.routes()
        + console_trace.routes()
    )
    app.add_routes(admin_metrics.routes())
    app.cleanup_ctx.append(_oicp_bridge)
    app.cleanup_ctx.append(_peer_client)
    app.on_cleanup.append(_stop_database_probe)
    app.cleanup_ctx.append(_platform_cache)
    app.cleanup_ctx.append(background("route-meter", _route_meter))
    app.cleanup_ctx.append(background("trace", _trace))
    if run_worker:
        app.cleanup_ctx.append(_outbox_worker)
        app.cleanup_ctx.append(background("puller", _puller))
        app.cleanup_ctx.append(background("route-chooser", _route_chooser))
        app.cleanup_ctx.append(background("fraud-watch", _fraud_watch))
        app.cleanup_ctx.append(background("checker", _checker))
        app.cleanup_ctx.append(background("credit-watch", _credit_watch))
        for module in MODULES:
            app.cleanup_ctx.extend(getattr(module, "BACKGROUND", []))
    return app


async def _oicp_bridge(app: web.Application) -> AsyncIterator[None]:
    """The OICP bridge every client hands Hubject's requests to, and, with OCPI_HUB_OICP_PORT,
    the listener for Hubject's calls (web.oicp)."""
    settings = app[SETTINGS]
    async with OicpBridge(app[POOL], settings) as bridge:
        app[oicp.BRIDGE] = bridge
        if not settings.oicp_port:
            yield
            return
        routes = {**oicp_charges.INBOUND, **oicp_emp.INBOUND, **oicp_operators.INBOUND}
        async with oicp.listening(bridge, routes, settings.oicp_host, settings.oicp_port):
            yield


def _bridges(app: web.Application) -> dict[str, Bridge]:
    return {HUBJECT.bridge or "": app[oicp.BRIDGE]}


async def _peer_client(app: web.Application) -> AsyncIterator[None]:
    async with peer_client(
        app[SETTINGS].peer_networks, bridges=_bridges(app), translator=Translator(app[POOL])
    ) as client:
        app[CLIENT] = client
        yield


async def _stop_database_probe(app: web.Application) -> None:
    await app[DATABASE].close()


async def _platform_cache(app: web.Application) -> AsyncIterator[None]:
    # The CLI judges agreement changes under the policy the hub serves with, and findings
    # (`ocpi-hub reconcile`) under its check limits.
    await agreements.record_policy(app[POOL], app[SETTINGS].agreement_policy)
    await findings.record_served_checks(app[POOL], app[SETTINGS])
    await app[PLATFORMS].start()
    yield
    await app[PLATFORMS].close()


def _route_meter(app: web.Application) -> Coroutine[Any, Any, None]:
    # What relays and deliveries to each platform did, written for every process to read.
    return app[METER].run(app[POOL], app[SETTINGS].route_flush_interval, app[DATABASE])


def _trace(app: web.Application) -> Coroutine[Any, Any, None]:
    # Every request, relay and delivery attempt of this process, written in batches.
    return app[TRACE].run(app[POOL], app[SETTINGS].trace_retention, app[DATABASE])


def _route_chooser(app: web.Application) -> Coroutine[Any, Any, None]:
    chooser = RouteChooser(app[POOL], app[CLIENT], app[SETTINGS], app[METER], app[DATABASE])
    return chooser.run()


async def _outbox_worker(app: web.Application) -> AsyncIterator[None]:
    # Deliveries have connections of their own, as many as they may send at once: a burst of
    # pushes never makes a relayed request (a real-time authorization) wait for a connection.
    settings = app[SETTINGS]
    async with peer_client(
        settings.peer_networks,
        connections=settings.push_concurrency,
        bridges=_bridges(app),
        translator=Translator(app[POOL]),
    ) as client:
        worker = OutboxWorker(
            app[POOL],
            client,
            settings,
            app[DATABASE],
            app[PLATFORMS],
            app[METER],
            app[METRICS],
            app[TRACE],
        )
        app[WORKER] = worker
        task = asyncio.create_task(worker.run(), name="outbox-worker")
        yield
        worker.stop()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=5)


def _checker(app: web.Application) -> Coroutine[Any, Any, None]:
    """Check CDRs and completed Sessions, and reconcile, beside the server: never on the path
    of a push, so a check never delays a delivery."""
    return Checker(app[POOL], app[SETTINGS], app[DATABASE]).run()


def _puller(app: web.Application) -> Coroutine[Any, Any, None]:
    """Pull the networks that do not push to the hub, while the application serves."""
    return Puller(app[POOL], app[CLIENT], app[SETTINGS], app[PLATFORMS], app[DATABASE]).run()


def _fraud_watch(app: web.Application) -> Coroutine[Any, Any, None]:
    """Raise fraud alerts from what the hub carried (core.fraud), while the application serves."""
    return FraudWatch(app[POOL], app[SETTINGS], app[AUTHORIZATIONS], app[DATABASE]).run()


def _credit_watch(app: web.Application) -> Coroutine[Any, Any, None]:
    """Assess each eMSP's credit exposure every OCPI_HUB_CREDIT_INTERVAL (core.credit)."""
    return CreditWatch(app[POOL], app[SETTINGS], app[DATABASE]).run()
