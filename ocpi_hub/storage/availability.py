"""Whether the database can be reached, as this process sees it, and what an outage looks like
from outside.

A database outage is not a hub bug: the request that meets one is answered 3000 with HTTP 503
and Retry-After (errors.DatabaseUnavailable), without a traceback. The outage is logged once: a
warning `database_unreachable` when this process first meets it (in a request, the readiness
check `/health`, or a background loop), an info `database_reachable` when the database answers
again; a probe looks every second in between, so the recovery is seen (and logged) without
waiting for traffic. Background loops (outbox worker, sweepers, liveness probe) hand a failed
round to `round_failed`, which logs it unless it is (part of) an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import asyncpg

from ocpi_hub.logging import get_logger
from ocpi_hub.storage.db import ping

log = get_logger("ocpi_hub.storage")

# The errors of a database that is down, restarting, or out of connection slots; never of a
# statement that is wrong (those stay hub failures, with their traceback).
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was lost
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: terminated by pg_ctl stop or pg_terminate_backend
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.InsufficientResourcesError,  # class 53: too many connections, disk full, no memory
)
# asyncpg raises these plain ones for a closed connection or a server that is gone; they count
# only when they come from inside asyncpg (an OSError of our own making is a bug).
_UNAVAILABLE_IN_ASYNCPG: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, socket file missing (TimeoutError is an OSError too)
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing"
    # "cannot switch to state ...": a pooled connection handed out between the server's FATAL
    # message and the socket's close, as a shutdown does to every idle connection.
    asyncpg.InternalClientError,
)

# How often the probe looks while the database is unreachable, and how long one look may take.
PROBE_INTERVAL = 1.0
PING_TIMEOUT = 2.0


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (rather than that a query is wrong)."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    return isinstance(exc, _UNAVAILABLE_IN_ASYNCPG) and _raised_in_asyncpg(exc)


def _raised_in_asyncpg(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__name__", "").startswith("asyncpg"):
            return True
        traceback = traceback.tb_next
    return False


class DatabaseWatch:
    """This process's view of its database: reachable or not, each change logged once."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.reachable = True
        self._since = 0.0
        self._probe: asyncio.Task[None] | None = None

    def report(self, exc: BaseException) -> bool:
        """Note `exc` when it says the database is unavailable (logged once per outage) and
        return True; False for any other error, which the caller logs itself."""
        if not is_unavailable(exc):
            return False
        self.failed(exc)
        return True

    async def every(
        self, interval: float, round: Callable[[], Awaitable[object]], event: str
    ) -> None:
        """A background loop: `round()` every `interval` seconds until cancelled; a failed round
        is logged as `event` (`round_failed`) and the loop goes on."""
        while True:
            try:
                await round()
            except Exception as exc:
                self.round_failed(exc, event)
            await asyncio.sleep(interval)

    def round_failed(self, exc: Exception, event: str, **fields: object) -> None:
        """Log a background loop's failed round as `event`: a warning for a database error, the
        traceback for anything else (a bug; the loop goes on), nothing more for an outage."""
        if self.report(exc):
            return
        if isinstance(exc, asyncpg.PostgresError | OSError):
            log.warning(event, error=str(exc), **fields)
        else:
            log.exception(event, **fields)

    def failed(self, exc: BaseException) -> None:
        """A database call failed with an unavailability error (`is_unavailable(exc)`)."""
        if not self.reachable:
            return
        self.reachable = False
        self._since = time.monotonic()
        log.warning("database_unreachable", error=f"{type(exc).__name__}: {exc}")
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._until_reachable(), name="database-probe")

    async def check(self) -> bool:
        """Ask the database now (bounded); True when it answers."""
        try:
            await ping(self.pool, PING_TIMEOUT)
        except Exception as exc:
            if not (isinstance(exc, TimeoutError) or is_unavailable(exc)):
                raise
            self.failed(exc)
            return False
        if not self.reachable:
            self.reachable = True
            log.info("database_reachable", outage_seconds=round(time.monotonic() - self._since, 1))
        return True

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe

    async def _until_reachable(self) -> None:
        while not self.reachable:
            await asyncio.sleep(PROBE_INTERVAL)
            await self.check()
