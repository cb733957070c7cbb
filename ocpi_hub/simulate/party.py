"""A simulated OCPI 2.2.1 party: a real aiohttp server, its handshake, its faults, its counters.

`Party` is what the CPO and eMSP simulators share. It serves
- `/ocpi/versions`, `/ocpi/2.2.1` (version details) and `/ocpi/2.2.1/credentials`;
- `/ocpi/2.2.1/<module>...`: the role's own interfaces (subclasses add them);
- `/admin/stats` and `/admin/faults`: for local testing only. They take no OCPI token (anyone
  who can reach the port can read the counters and switch faults), so bind the simulator to a
  loopback or private address.

Lifecycle: `start()` serves; `registration.register(...)` (or the hub's own `ocpi-hub connect`)
registers; `start_traffic()` runs the role's first pushes and its traffic loops;
`stop_traffic()` ends them (a CPO finishes its sessions first); `stop()` closes everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, ClassVar

from aiohttp import web

from ocpi_hub.core.handshake import token_candidates
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.logging import get_logger
from ocpi_hub.push.http import HttpClient
from ocpi_hub.simulate.config import SimulatorConfig
from ocpi_hub.simulate.faults import Fault, FaultMode, Faults
from ocpi_hub.simulate.generate import Clock
from ocpi_hub.simulate.handshake import Registration
from ocpi_hub.simulate.link import HubLink
from ocpi_hub.simulate.receivers import ClientInfoStore
from ocpi_hub.simulate.stats import Stats
from ocpi_hub.simulate.wire import (
    IDENTITY,
    OCPI_VERSION,
    PUBLIC_URL,
    Refused,
    page,
    refusals,
    reply,
)

log = get_logger("ocpi_hub.simulate")

BASE = f"/ocpi/{OCPI_VERSION}"
_CONFIGURATION = ("/ocpi/versions", BASE, f"{BASE}/credentials")


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening-ready socket; SO_REUSEADDR so `offline=s` can bind the same port again."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class Party:
    """One simulated platform hosting one party; subclasses add the role's interfaces and
    traffic."""

    role: ClassVar[Role]
    # The interfaces this role offers besides credentials, as (module, interface).
    interfaces: ClassVar[tuple[tuple[ModuleID, InterfaceRole], ...]]

    def __init__(self, config: SimulatorConfig, clock: Clock | None = None) -> None:
        """`clock`: one shared by several parties (a scenario moving simulated time for all);
        by default the party's own, as `config.clock_start` and `clock_scale` say."""
        self.config = config
        self.identity = config.identity
        # One generator per party, seeded by the seed and the identity: two simulators with one
        # seed still differ, and one simulator generates the same objects run after run.
        self.rng = random.Random(
            f"{config.seed}:{config.role}:{config.country_code}{config.party_id}"
        )
        self.stats = Stats()
        self.faults = Faults(self.stats, random.Random(f"faults:{config.seed}"))
        self.faults.go_dark = self.go_dark
        self.faults.add(config.faults)
        self.clock = clock or Clock(config.clock_start, config.clock_scale)
        self.link = HubLink(self.identity, self.stats, config.timeout)
        self.registration = Registration(self.link, self.credentials, self._registration_changed)
        self.clientinfo = ClientInfoStore(self.stats)
        self.url = ""
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._halt = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.trafficking = False
        self._dark_now = False

    # ---- what a role adds -------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The role's module routes, below BASE."""
        raise NotImplementedError

    async def begin(self) -> None:
        """The first traffic once registered: initial pushes, and pulls of what we missed."""

    def loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        """The role's traffic, each a coroutine run until traffic stops."""
        return []

    async def wind_down(self) -> None:
        """Finish what is under way before traffic stops (a CPO completes its sessions)."""

    def state(self) -> dict[str, Any]:
        """Role-specific figures for `/admin/stats`."""
        return {}

    # ---- server -----------------------------------------------------------------------------

    def credentials(self, token: str) -> dict[str, Any]:
        """Our credentials object around `token` (the one the hub is to call us with)."""
        return {
            "token": token,
            "url": f"{self.url}/ocpi/versions",
            "roles": [
                {
                    "role": self.role.value,
                    "business_details": {"name": self.config.display_name},
                    "party_id": self.identity[1],
                    "country_code": self.identity[0],
                }
            ],
        }

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    def module_url(self, module: ModuleID) -> str:
        return f"{self.url}{BASE}/{module.value}"

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[refusals, self.faults.middleware, self._authenticate])
        app[IDENTITY] = self.identity
        app[PUBLIC_URL] = self.url
        app.add_routes(
            [
                web.get("/ocpi/versions", self._versions),
                web.get(BASE, self._details),
                web.route("*", f"{BASE}/credentials", self.registration.handle),
                web.get("/admin/stats", self._admin_stats),
                web.get("/admin/faults", self._admin_faults),
                web.post("/admin/faults", self._admin_set_faults),
                *self.clientinfo.routes(f"{BASE}/hubclientinfo"),
                *self.routes(),
            ]
        )
        return app

    def sender_list(
        self, path: str, items: Callable[[], Sequence[Mapping[str, Any]]]
    ) -> web.RouteDef:
        """A paged list GET of a Sender interface, of what `items()` holds at request time."""

        async def listing(request: web.Request) -> web.Response:
            return page(request, items(), page_limit=self.faults.page_limit)

        return web.get(path, listing)

    @web.middleware
    async def _authenticate(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith("/ocpi/"):
            return await handler(request)
        configuration = request.path.rstrip("/") in _CONFIGURATION
        candidates = token_candidates(request.headers.get("Authorization"))
        if not any(self.registration.accepts(t, configuration) for t in candidates):
            raise Refused(401, 2000, "unknown or missing token")
        return await handler(request)

    async def _versions(self, request: web.Request) -> web.Response:
        return reply(request, [{"version": OCPI_VERSION, "url": f"{self.url}{BASE}"}])

    async def _details(self, request: web.Request) -> web.Response:
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{self.url}{BASE}/credentials"}
        ]
        endpoints += [
            {"identifier": m.value, "role": r.value, "url": self.module_url(m)}
            for m, r in self.interfaces
        ]
        return reply(request, {"version": OCPI_VERSION, "endpoints": endpoints})

    # ---- admin (no OCPI token: local testing only) --------------------------------------------

    def report(self) -> dict[str, Any]:
        """Everything `/admin/stats` shows, and the JSON line logged at exit."""
        return {
            "party": "*".join(self.identity),
            "role": self.role.value,
            "url": self.url,
            "registered": self.link.connected,
            "hub": "*".join(self.link.hub) if self.link.hub else None,
            **self.stats.snapshot(),
            "active_faults": self.faults.listing(),
            "state": self.state(),
            "hub_client_info": self.clientinfo.statuses(),
        }

    async def _admin_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.report())

    async def _admin_faults(self, request: web.Request) -> web.Response:
        return web.json_response({"faults": self.faults.listing(), "armed": self.faults.armed})

    async def _admin_set_faults(self, request: web.Request) -> web.Response:
        """`{"faults": [...]}` replaces the faults in force, `{"add": [...]}` adds, `{"remove":
        ["429"]}` removes, `{"clear": true}` clears; each fault is `MODE[=ARG]`."""
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            if body.get("clear"):
                self.faults.set([])
            if "faults" in body:
                self.faults.set(_faults(body["faults"]))
            if "add" in body:
                self.faults.add(_faults(body["add"]))
            if "remove" in body:
                self.faults.remove(FaultMode(m) for m in _strings(body["remove"]))
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        log.info("faults_changed", faults=self.faults.listing())
        return await self._admin_faults(request)

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on the configured address (port 0: any free one)."""
        sock = bound_socket(self.config.host, self.config.port)
        self.port = sock.getsockname()[1]
        self.url = self.config.base_url(self.port)
        self.link.http = HttpClient()
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()
        log.info("serving", party="*".join(self.identity), versions_url=self.versions_url)

    async def stop(self) -> None:
        await self.stop_traffic()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.link.http is not None:
            await self.link.http.close()

    def go_dark(self, seconds: float) -> None:
        """`offline=s`: stop listening for `seconds`, then listen on the same port again."""
        if not self._dark_now:  # one outage at a time: the port can be bound only once
            self._dark_now = True
            self.spawn(self._dark(seconds))

    async def _dark(self, seconds: float) -> None:
        if self._site is None or self._runner is None:
            return
        log.info("offline", seconds=seconds)
        await self._site.stop()
        try:
            await asyncio.sleep(seconds)  # the outage itself
        finally:
            self.faults.remove([FaultMode.OFFLINE])
            self._site = web.SockSite(self._runner, bound_socket(self.config.host, self.port))
            await self._site.start()
            self._dark_now = False
            log.info("online")

    def _registration_changed(self, registered: bool) -> None:
        if registered:
            self.faults.arm()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coroutine` in the background; its failure is logged, never lost silently."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.stats.count_error("internal")
            log.error("task_failed", error=repr(task.exception()))

    def start_traffic(self) -> None:
        """Begin the role's traffic (the party must be registered)."""
        self.trafficking = True
        self._halt.clear()

        async def run() -> None:
            if self.registration.hub_initiated and not await self.link.usable():
                log.warning(
                    "hub_not_taking_our_token", hint="the hub did not finish registering us"
                )
            await self.begin()
            await asyncio.gather(*(loop() for loop in self.loops()))

        self._loops.append(asyncio.get_running_loop().create_task(run()))

    async def stop_traffic(self, grace: float = 15.0) -> None:
        """Stop generating traffic; finish what is under way within `grace` seconds."""
        if not self.trafficking:
            return
        self.trafficking = False
        self._halt.set()
        # Each loop ends at its next gap, so a request under way is answered and counted: cut
        # short, the hub may have taken a message our statistics never saw sent.
        _, late = await asyncio.wait(self._loops, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wind_down(), grace)

    async def every(self, rate: float, action: Callable[[], Awaitable[None]]) -> None:
        """Call `action` at `rate` per second on average (exponential gaps) until the traffic
        stops; an action under way then finishes."""
        if rate <= 0:
            return
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._halt.wait(), self.rng.expovariate(rate))
            if not self.trafficking:
                return
            try:
                await action()
            except Exception as exc:  # a bug in one event must not end the traffic
                self.stats.count_error("internal")
                log.exception("traffic_failed", error=repr(exc))


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError('faults are given as a list of strings, e.g. ["429=2", "slow"]')
    return value


def _faults(value: Any) -> list[Fault]:
    return [Fault.parse(text) for text in _strings(value)]
