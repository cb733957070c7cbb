"""Work that runs beside the server: one task per job, started with the application and
cancelled when it stops (an aiohttp cleanup context)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web

__all__ = ["background"]

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def background(
    name: str, job: Callable[[web.Application], Coroutine[Any, Any, None]]
) -> CleanupContext:
    """A cleanup context running `job(app)` as the task `name` while the application serves."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(job(app), name=name)
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
