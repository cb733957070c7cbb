"""Fault modes: a simulated party that misbehaves the way real partners do, on purpose.

Each mode is written `MODE[=ARG]` (on the command line with `--fault`, or in `POST
/admin/faults`):

| mode             | the party answers every OCPI request ...                               |
|------------------|------------------------------------------------------------------------|
| `429[=s]`        | HTTP 429 with `Retry-After: s` (default 2)                             |
| `5xx[=p]`        | HTTP 500, 502 or 503 with probability p (default 0.5), else normally   |
| `slow[=s]`       | normally, after s seconds (default 3)                                  |
| `truncated`      | normally, but the JSON body is cut in half                             |
| `one-item-pages` | normally, but list GETs return one item per page (`X-Limit: 1`)        |
| `refuse-auth`    | HTTP 401, whatever the token                                           |
| `offline`        | not at all: the connection is reset                                    |
| `offline=s`      | not at all for s seconds: the port stops listening, then comes back    |

Faults touch only OCPI requests (`/ocpi/...`), never `/admin/`, so a party can always be
switched back; `offline=s` is the exception (nothing listens), and ends by itself. They apply
once the party is registered: the credentials handshake is never faulted, so a party started
with `--fault` registers and then misbehaves. Several modes combine (e.g. `slow` + `truncated`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.simulate.stats import Stats

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FaultMode(StrEnum):
    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "5xx"
    SLOW = "slow"
    TRUNCATED = "truncated"
    ONE_ITEM_PAGES = "one-item-pages"
    REFUSE_AUTH = "refuse-auth"
    OFFLINE = "offline"


# The argument each mode takes: (default, lowest, highest, integer only). None: no argument.
# `offline` has no default: without seconds it resets connections until switched off.
_ARGUMENTS: dict[FaultMode, tuple[float | None, float, float, bool] | None] = {
    FaultMode.TOO_MANY_REQUESTS: (2, 0, 86400, True),
    FaultMode.SERVER_ERROR: (0.5, 0, 1, False),
    FaultMode.SLOW: (3.0, 0, 3600, False),
    FaultMode.TRUNCATED: None,
    FaultMode.ONE_ITEM_PAGES: None,
    FaultMode.REFUSE_AUTH: None,
    FaultMode.OFFLINE: (None, 0.001, 86400, False),
}
SERVER_ERRORS = (500, 502, 503)


@dataclass(frozen=True)
class Fault:
    """One fault mode with its argument (None where the mode takes none)."""

    mode: FaultMode
    arg: float | None = None

    @classmethod
    def parse(cls, text: str) -> Fault:
        """`MODE[=ARG]` → Fault, the default argument filled in; ValueError saying what is wrong."""
        name, has_arg, raw = text.strip().partition("=")
        try:
            mode = FaultMode(name.strip().lower())
        except ValueError:
            known = ", ".join(m.value for m in FaultMode)
            raise ValueError(f"unknown fault mode {name!r}: one of {known}") from None
        spec = _ARGUMENTS[mode]
        if not has_arg:
            return cls(mode, spec[0] if spec else None)
        if spec is None:
            raise ValueError(f"fault mode {mode.value} takes no argument")
        _, low, high, integer = spec
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{mode.value}: {raw!r} is not a number") from None
        if not low <= value <= high or (integer and value != int(value)):
            kind = "a whole number" if integer else "a number"
            raise ValueError(f"{mode.value}: the argument must be {kind} in [{low:g}, {high:g}]")
        return cls(mode, value)

    def __str__(self) -> str:
        return self.mode.value if self.arg is None else f"{self.mode.value}={self.arg:g}"


class Faults:
    """The faults in force on one party's server, and the middleware that applies them."""

    def __init__(self, stats: Stats, rng: random.Random) -> None:
        self.stats = stats
        self.rng = rng
        self.active: dict[FaultMode, Fault] = {}
        # Off until the party is registered (see the module docstring).
        self.armed = False
        # Set by the party: stop listening for `seconds` (`offline=s`).
        self.go_dark: Callable[[float], None] | None = None

    def set(self, faults: Iterable[Fault]) -> None:
        """Replace the faults in force (an empty iterable clears them)."""
        self.active = {}
        self.add(faults)

    def add(self, faults: Iterable[Fault]) -> None:
        """Switch faults on, replacing any of the same mode."""
        for fault in faults:
            self.active[fault.mode] = fault
        self._maybe_go_dark()

    def remove(self, modes: Iterable[FaultMode]) -> None:
        for mode in modes:
            self.active.pop(mode, None)

    def arm(self) -> None:
        """The party is registered: faults apply from now on."""
        self.armed = True
        self._maybe_go_dark()

    def _maybe_go_dark(self) -> None:
        offline = self.active.get(FaultMode.OFFLINE)
        if self.armed and offline is not None and offline.arg and self.go_dark is not None:
            self.go_dark(offline.arg)

    def listing(self) -> list[str]:
        """The faults in force as `MODE[=ARG]` strings, as `/admin/faults` shows them."""
        return [str(f) for f in sorted(self.active.values(), key=lambda f: f.mode.value)]

    def on(self, mode: FaultMode) -> Fault | None:
        return self.active.get(mode) if self.armed else None

    def page_limit(self, limit: int) -> int:
        """The page size a list GET gets: 1 under `one-item-pages`."""
        if self.on(FaultMode.ONE_ITEM_PAGES) is None:
            return limit
        self.stats.count_fault(FaultMode.ONE_ITEM_PAGES.value)
        return 1

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.armed or not request.path.startswith("/ocpi/"):
            return await handler(request)
        if self.on(FaultMode.OFFLINE) is not None:
            self.stats.count_fault(FaultMode.OFFLINE.value)
            if request.transport is not None:
                request.transport.abort()  # the client sees the connection reset
            return web.Response(status=503)  # never written: the transport is gone
        if self.on(FaultMode.REFUSE_AUTH) is not None:
            self.stats.count_fault(FaultMode.REFUSE_AUTH.value)
            body = envelope(status_code=2000, status_message="simulated fault: refuse-auth")
            return web.Response(status=401, body=body, content_type="application/json")
        too_many = self.on(FaultMode.TOO_MANY_REQUESTS)
        if too_many is not None:
            self.stats.count_fault(too_many.mode.value)
            retry_after = str(int(too_many.arg or 0))
            return web.Response(
                status=429, text="Too Many Requests", headers={"Retry-After": retry_after}
            )
        failing = self.on(FaultMode.SERVER_ERROR)
        if failing is not None and self.rng.random() < (failing.arg or 0):
            self.stats.count_fault(failing.mode.value)
            status = self.rng.choice(SERVER_ERRORS)
            return web.Response(status=status, text=f"simulated fault: HTTP {status}")
        slow = self.on(FaultMode.SLOW)
        if slow is not None:
            self.stats.count_fault(slow.mode.value)
            # Take the request first, then be slow to answer: a client that gives up meanwhile
            # finds its request processed all the same, as with a real slow server.
            await request.read()
            await asyncio.sleep(slow.arg or 0)
        response = await handler(request)
        if (
            self.on(FaultMode.TRUNCATED) is not None
            and isinstance(response, web.Response)
            and isinstance(response.body, bytes)
            and len(response.body) > 1
        ):
            self.stats.count_fault(FaultMode.TRUNCATED.value)
            response.body = response.body[: len(response.body) // 2]
        return response
