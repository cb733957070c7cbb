"""HubClientInfo: the hub as Sender (checklist §4.8, §5), and as Receiver for networks.

A configuration module: registered platforms only (token C), never routed, and no routing
headers on the answer, so the handler does not go through `relay.functional_call`, which
adds them. The list is every party the hub knows but itself, each with its ConnectionStatus,
paged like any list (checklist §1.5) and filtered on `last_updated`. The pushes of ClientInfo
are queued by the platforms repository whenever a status changes; the liveness probe runs
here as a background task of the application.

Receiver (issue 8): a network tells the hub about the parties behind it with
`PUT {receiver}/hubclientinfo/{country_code}/{party_id}`; each becomes (or stays) a remote party
of that network, with the status the network reports. Only a network may: any other platform's
PUT is refused (405, 2000) and changes nothing. Each such PUT is also recorded as a cue for a
full pull of the network, which the puller heeds where the network's dialect says a ClientInfo
means one (ENAPI's, sent when an agreement is signed: core.pulls).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.model import validation_message
from ocpi_hub.core.modules.hubclientinfo import ClientInfo, remote_party
from ocpi_hub.core.paging import next_link, parse_page_request
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Platform
from ocpi_hub.core.urls import module_path
from ocpi_hub.errors import InvalidParameters, MethodNotAllowed
from ocpi_hub.push.liveness import LivenessProbe
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import clientinfo, platforms, pulls
from ocpi_hub.web.background import background
from ocpi_hub.web.keys import CALLER, CLIENT, DATABASE, PLATFORMS, POOL, SETTINGS
from ocpi_hub.web.middleware import ocpi_response, read_json

SENDER_PATH = module_path(ModuleID.HUB_CLIENT_INFO, InterfaceRole.SENDER)
RECEIVER_PATH = module_path(ModuleID.HUB_CLIENT_INFO, InterfaceRole.RECEIVER)
# The hub owns HubClientInfo towards its parties (Sender); networks tell it theirs (Receiver).
ENDPOINTS = [
    (ModuleID.HUB_CLIENT_INFO, InterfaceRole.SENDER, SENDER_PATH),
    (ModuleID.HUB_CLIENT_INFO, InterfaceRole.RECEIVER, RECEIVER_PATH),
]


async def receiver_put(request: web.Request) -> web.Response:
    """A network's ClientInfo of a party behind it: that party is a remote party of the
    network from now on, with the status it reports (issue 8)."""
    caller: Platform = request[CALLER]
    if not caller.network:
        raise MethodNotAllowed("only a network tells the hub about the parties behind it")
    body = await read_json(request)
    try:
        info = ClientInfo.model_validate(body)
    except ValidationError as exc:
        raise InvalidParameters(validation_message(exc)) from exc
    try:
        party = remote_party(info)
    except ValueError as exc:
        raise InvalidParameters(str(exc)) from None
    url_party = (request.match_info["country_code"].upper(), request.match_info["party_id"].upper())
    if party.key != url_party:
        raise InvalidParameters(
            f"country_code/party_id: {party.country_code}/{party.party_id} is not the party"
            f" the URL names ({'/'.join(url_party)})"
        )
    async with request.app[POOL].acquire() as conn:
        await platforms.add_remote(
            conn,
            caller.id,
            party,
            name=None,
            source="HUBCLIENTINFO",
            status=info.status.value,
            hub=(request.app[SETTINGS].country_code, request.app[SETTINGS].party_id),
        )
        # A network whose dialect says so wants this to start a full pull of it (core.pulls).
        await pulls.cue_full(conn, caller.id)
    request.app[PLATFORMS].invalidate(caller.id)
    await announce(request.app[POOL], caller.id)
    return ocpi_response(envelope(None))


async def sender_list(request: web.Request) -> web.Response:
    """A page of ClientInfo with Link, X-Total-Count and X-Limit (checklist §1.5)."""
    settings = request.app[SETTINGS]
    page = parse_page_request(request.query, max_limit=settings.page_limit)
    rows, total = await clientinfo.client_info_page(
        request.app[POOL],
        page,
        hub=(settings.country_code, settings.party_id),
        peers_only=request[CALLER].network,
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


def liveness_probe(app: web.Application) -> Coroutine[Any, Any, None]:
    """The liveness probe, run while the application serves."""
    return LivenessProbe(app[POOL], app[CLIENT], app[SETTINGS], app[DATABASE]).run()


BACKGROUND = [background("liveness-probe", liveness_probe)]


def routes() -> list[web.RouteDef]:
    # Not "config:": the middleware opens config routes to token A, and this list is for
    # registered platforms only.
    return [
        web.get(SENDER_PATH, sender_list, name="hubclientinfo:sender_list"),
        web.put(
            RECEIVER_PATH + "/{country_code}/{party_id}",
            receiver_put,
            name="hubclientinfo:receiver_put",
        ),
    ]
