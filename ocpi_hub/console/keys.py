"""What the console's edge (console.auth) leaves on a request for the pages."""

from __future__ import annotations

from aiohttp import web

from ocpi_hub.storage.repositories.console_sessions import ConsoleSession

__all__ = ["SESSION"]

SESSION = web.RequestKey("console_session", ConsoleSession)
