"""Hubject's calls to the hub (issue 10): a TLS listener of its own, OICP in, OCPI inside.

`serve` listens on OCPI_HUB_OICP_HOST:OCPI_HUB_OICP_PORT (port 0: not at all) once a Hubject
network is connected, with our certificate and key as the server's, and requires a client
certificate signed by the CA given at `hubject connect` (mutual TLS, hub-dialects.md §5.1): a
caller without one does not get past the handshake. It serves the paths Hubject
calls a partner on: the partner's URL (configured in Hubject's portal: the listener's
address) followed by the path of the operation in Hubject's own API, `/api/oicp/...`:

- `/charging/v21/providers/{providerID}/authorize-remote/start` and `.../stop`:
  AuthorizeRemoteStart/Stop for a local CPO's EVSE (`push.oicp.charges`);
- `/charging/v21/operators/{operatorID}/authorize/start` and `.../stop`: AuthorizeStart/Stop
  for a local eMSP's token (`push.oicp.emp`);
- `/cdrmgmt/v22/operators/{operatorID}/charge-detail-record`: a CDR Hubject forwards to a
  local eMSP (`push.oicp.operators`).

Each call is answered within OCPI_HUB_HUBJECT_ANSWER_BUDGET seconds (Hubject allows 60 and
advises under 10); past it, with Result false. A body that is not a JSON object is answered
StatusCode 022 (invalid request data) and changes nothing. The listener is restarted when the
stored connection's files change (`hubject connect` again).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import orjson
from aiohttp import web

from ocpi_hub.dialects.oicp.status_codes import acknowledgement
from ocpi_hub.logging import get_logger
from ocpi_hub.push.oicp.bridge import Inbound, OicpBridge
from ocpi_hub.storage.repositories.hubject import HubjectNetwork

__all__ = ["BRIDGE", "PREFIX", "OicpListener", "listening", "oicp_app"]

log = get_logger("ocpi_hub.web.oicp")

BRIDGE = web.AppKey("oicp_bridge", OicpBridge)
PREFIX = "/api/oicp"  # Hubject calls a partner at its URL + the path of its own API
# How often the listener looks whether the Hubject connection appeared or changed.
WATCH_INTERVAL = 2.0


def server_context(network: HubjectNetwork) -> ssl.SSLContext:
    """Our certificate as the server's; only clients with a certificate from the CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=network.ca_file)
    context.load_cert_chain(network.cert_file, network.key_file)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def oicp_app(bridge: OicpBridge, routes: Mapping[str, Inbound]) -> web.Application:
    """The listener's application: each path of `routes` (below PREFIX) served by its
    operation."""
    app = web.Application()
    app[BRIDGE] = bridge
    for path, operation in routes.items():
        app.router.add_post(PREFIX + path, _handler(operation))
    return app


def _handler(operation: Inbound) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        bridge = request.app[BRIDGE]
        network = await bridge.network()
        if network is None:
            return _json(acknowledgement(False, "021", "no Hubject connection"), 503)
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return _json(acknowledgement(False, "022", "the body is not a JSON object"), 400)
        budget = bridge.settings.hubject_answer_budget
        try:
            async with asyncio.timeout(budget):
                answered = await operation(bridge, network, request.match_info, body)
        except TimeoutError:
            log.warning("oicp_answer_late", path=request.path, budget=budget)
            answered = acknowledgement(False, "021", f"no answer within {budget:g} s")
        return _json(answered)

    return handle


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


class OicpListener:
    """Serves Hubject's calls while the hub serves; see the module docstring."""

    def __init__(
        self, bridge: OicpBridge, routes: Mapping[str, Inbound], host: str, port: int
    ) -> None:
        self.bridge = bridge
        self.routes = routes
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None
        self._serving: tuple[str, str, str] | None = None

    async def run(self) -> None:
        """Start, restart or keep the listener as the stored connection says, until cancelled."""
        try:
            while True:
                try:
                    await self._follow()
                except (OSError, ssl.SSLError) as exc:
                    log.error("oicp_listener_failed", reason=str(exc))
                except Exception as exc:  # the database away: look again later
                    log.warning("oicp_listener_check_failed", reason=str(exc))
                await asyncio.sleep(WATCH_INTERVAL)
        finally:
            await self._stop()

    async def _follow(self) -> None:
        network = await self.bridge.network()
        wanted = None if network is None else (network.cert_file, network.key_file, network.ca_file)
        if wanted == self._serving:
            return
        await self._stop()
        if network is None:
            return
        runner = web.AppRunner(oicp_app(self.bridge, self.routes), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, ssl_context=server_context(network))
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self._serving = runner, wanted
        log.info("oicp_listening", listen=f"{self.host}:{self.port}")

    async def _stop(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
        self._runner, self._serving = None, None


@contextlib.asynccontextmanager
async def listening(
    bridge: OicpBridge, routes: Mapping[str, Inbound], host: str, port: int
) -> AsyncIterator[OicpListener]:
    """An OicpListener running beside the caller."""
    listener = OicpListener(bridge, routes, host, port)
    task = asyncio.create_task(listener.run(), name="oicp-listener")
    try:
        yield listener
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
