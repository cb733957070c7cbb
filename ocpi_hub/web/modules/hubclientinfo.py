"""HubClientInfo, the hub as Sender (checklist §4.8, §5).

A configuration module: registered platforms only (token C), never routed, and no routing
headers on the answer, so the handler does not go through `relay.functional_call`, which
adds them. The list is every party the hub knows but itself, each with its ConnectionStatus,
paged like any list (checklist §1.5) and filtered on `last_updated`. The pushes of ClientInfo
are queued by the platforms repository whenever a status changes; the liveness probe runs
here as a background task of the application.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.paging import next_link, parse_page_request
from ocpi_hub.core.parties import InterfaceRole, ModuleID
from ocpi_hub.push.liveness import LivenessProbe
from ocpi_hub.storage.repositories import clientinfo
from ocpi_hub.web.keys import CLIENT, DATABASE, POOL, SETTINGS
from ocpi_hub.web.middleware import ocpi_response
from ocpi_hub.web.objects import module_path

SENDER_PATH = module_path(ModuleID.HUB_CLIENT_INFO, InterfaceRole.SENDER)
# The hub owns HubClientInfo: it offers the Sender only; parties offer the Receiver.
ENDPOINTS = [(ModuleID.HUB_CLIENT_INFO, InterfaceRole.SENDER, SENDER_PATH)]


async def sender_list(request: web.Request) -> web.Response:
    """A page of ClientInfo with Link, X-Total-Count and X-Limit (checklist §1.5)."""
    settings = request.app[SETTINGS]
    page = parse_page_request(request.query, max_limit=settings.page_limit)
    rows, total = await clientinfo.client_info_page(
        request.app[POOL], page, hub=(settings.country_code, settings.party_id)
    )
    headers = {"X-Total-Count": str(total), "X-Limit": str(settings.page_limit)}
    link = next_link(
        settings.public_url + SENDER_PATH,
        page,
        returned=len(rows),
        total=total,
        last_seq=rows[-1][0] if rows else None,
    )
    if link is not None:
        headers["Link"] = link
    data = [info.model_dump(mode="json") for _, info in rows]
    return ocpi_response(envelope(data), headers=headers)


async def liveness_probe(app: web.Application) -> AsyncIterator[None]:
    """Run the liveness probe while the application serves (aiohttp cleanup context)."""
    probe = LivenessProbe(app[POOL], app[CLIENT], app[SETTINGS], app[DATABASE])
    task = asyncio.create_task(probe.run(), name="liveness-probe")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


BACKGROUND = [liveness_probe]


def routes() -> list[web.RouteDef]:
    # Not "config:": the middleware opens config routes to token A, and this list is for
    # registered platforms only.
    return [web.get(SENDER_PATH, sender_list, name="hubclientinfo:sender_list")]
