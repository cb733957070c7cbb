"""Commands through the hub: not implemented yet (issue 3)."""

from __future__ import annotations

from aiohttp import web

from ocpi_hub.core.parties import InterfaceRole, ModuleID

ENDPOINTS: list[tuple[ModuleID, InterfaceRole, str]] = []


def routes() -> list[web.RouteDef]:
    return []
