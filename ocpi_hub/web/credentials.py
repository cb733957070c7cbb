"""Credentials module, the hub as server (checklist §3.2).

POST registers an invited platform (token A → its token B → our token C), PUT re-registers and
rotates, DELETE unregisters, GET shows the hub's credentials. The callbacks to the client happen
before anything is stored, so a failed registration changes nothing.

Registering makes the platform's parties CONNECTED and unregistering makes them SUSPENDED; the
repository queues the HubClientInfo pushes in the same transaction (checklist §4.8).

A change is answered once every hub process sharing the database has acknowledged it
(`platform_cache.announce`): a rotated or deleted token is refused by all of them by the time
the peer reads the answer.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from ocpi_hub import dialects
from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.handshake import (
    OCPI_VERSION,
    check_endpoints,
    check_invited,
    new_token,
    parties_of,
)
from ocpi_hub.core.model import validation_message
from ocpi_hub.core.parties import (
    Credentials,
    InterfaceRole,
    ModuleID,
    Platform,
    PlatformStatus,
    Role,
)
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.v211 import V211
from ocpi_hub.dialects.v211.credentials import credentials_in, credentials_out
from ocpi_hub.errors import InvalidParameters, MethodNotAllowed
from ocpi_hub.logging import get_logger
from ocpi_hub.push.connect import business_details, discover, our_credentials
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import platforms
from ocpi_hub.web.keys import CALLER, CALLER_TOKEN, CLIENT, PLATFORMS, POOL, SETTINGS
from ocpi_hub.web.middleware import ocpi_response, read_json

log = get_logger("ocpi_hub.credentials")


async def _changed(request: web.Request, platform_id: int) -> None:
    """A committed change of the caller's platform: this process forgets it at once (so the
    answer is never followed by a request on stale state here, however slow the announcement),
    and every other process when `announce` reaches it."""
    request.app[PLATFORMS].retire(request[CALLER_TOKEN])
    request.app[PLATFORMS].invalidate(platform_id)
    await announce(request.app[POOL], platform_id)


async def _hub_credentials(request: web.Request, token: str) -> dict[str, Any]:
    """The hub's credentials for the caller: towards a network whose dialect wants them, the
    local parties it serves there as well (push.connect.our_credentials)."""
    settings = request.app[SETTINGS]
    caller: Platform = request[CALLER]
    credentials = await our_credentials(request.app[POOL], settings, token, caller.dialect,
                                        network=caller.network)  # fmt: skip
    return credentials.model_dump(mode="json")


def _hub(request: web.Request) -> PartyKey:
    """The hub's own identity: the FROM of the HubClientInfo pushes a registration causes."""
    settings = request.app[SETTINGS]
    return (settings.country_code, settings.party_id)


def _version(request: web.Request) -> str:
    """The OCPI version the request came in: the path's (/ocpi/2.1.1/credentials)."""
    return V211 if request.path.startswith(f"/ocpi/{V211}/") else OCPI_VERSION


def _role(caller: Platform) -> Role:
    """The role of a 2.1.1 party: its invitation's (2.1.1 credentials carry none)."""
    return caller.role or Role.OTHER


def _answer(request: web.Request, credentials: dict[str, Any]) -> web.Response:
    """The hub's credentials in the request's version: in 2.1.1 the hub's one identity."""
    if _version(request) == V211:
        credentials, _ = credentials_out(credentials)
    return ocpi_response(envelope(credentials))


async def get_credentials(request: web.Request) -> web.Response:
    """The hub's credentials, with the token the caller used: we keep only its hash, and the
    caller already holds it (an answer to ocpi/ocpi#394)."""
    return _answer(request, await _hub_credentials(request, request[CALLER_TOKEN]))


async def post_credentials(request: web.Request) -> web.Response:
    caller: Platform = request[CALLER]
    if caller.status != PlatformStatus.INVITED:
        raise MethodNotAllowed("already registered: use PUT to update, DELETE to unregister")
    return await _register(request, caller)


async def put_credentials(request: web.Request) -> web.Response:
    caller: Platform = request[CALLER]
    if caller.status != PlatformStatus.REGISTERED:
        raise MethodNotAllowed("not registered: use POST to register")
    return await _register(request, caller)


async def delete_credentials(request: web.Request) -> web.Response:
    caller: Platform = request[CALLER]
    if caller.status != PlatformStatus.REGISTERED:
        raise MethodNotAllowed("not registered")
    async with request.app[POOL].acquire() as conn:
        unregistered = await platforms.unregister(
            conn, caller.id, current_token=request[CALLER_TOKEN], hub=_hub(request)
        )
    if not unregistered:
        raise MethodNotAllowed("the registration changed meanwhile")
    await _changed(request, caller.id)
    log.info("platform_unregistered", platform=caller.id)
    return ocpi_response(envelope(None))


async def _register(request: web.Request, caller: Platform) -> web.Response:
    """Register (or re-register) the caller in the version it came in: the one it picked, so
    an invited party may register in 2.1.1 or 2.2.1, and move from one to the other by a PUT."""
    version = _version(request)
    body = await read_json(request)
    if version == V211 and isinstance(body, dict):
        body, _ = credentials_in(body, _role(caller))
    try:
        credentials = Credentials.model_validate(body)
    except ValidationError as exc:
        raise InvalidParameters(validation_message(exc)) from exc
    check_invited(parties_of(credentials.roles), set(caller.parties))

    settings = request.app[SETTINGS]
    details = await discover(
        request.app[CLIENT],
        credentials.url,
        credentials.token,
        settings.forward_timeout,
        dialects.speaking(dialects.spoken(caller.dialect), version),
        versions=(version,),
        role=_role(caller),
    )
    check_endpoints(details, (p.role for p in caller.parties))

    token_c = new_token()
    async with request.app[POOL].acquire() as conn, conn.transaction():
        stored = await platforms.register(
            conn,
            caller.id,
            current_token=request[CALLER_TOKEN],
            incoming_token=token_c,
            outgoing_token=credentials.token,
            versions_url=credentials.url,
            version=version,
            endpoints=details.endpoints,
            # A network's other roles are the remote parties it hosts.
            parties=business_details(credentials) if caller.network else None,
            hub=_hub(request),
        )
        if not stored:
            raise MethodNotAllowed("the registration changed meanwhile")
        await platforms.update_business_details(conn, caller.id, business_details(credentials))
    await _changed(request, caller.id)
    log.info(
        "platform_registered",
        platform=caller.id,
        rotated=caller.status == PlatformStatus.REGISTERED,
    )
    return _answer(request, await _hub_credentials(request, token_c))


PATH = f"/ocpi/{OCPI_VERSION}/credentials"
PATH_211 = f"/ocpi/{V211}/credentials"
# Credentials is symmetric; d2 advises publishing it as SENDER (checklist §2).
ENDPOINTS = [(ModuleID.CREDENTIALS, InterfaceRole.SENDER, PATH)]


def routes() -> list[web.RouteDef]:
    """The credentials module in both versions: one set of handlers, which read the version
    from the path."""
    return [
        route
        for path, version in ((PATH, ""), (PATH_211, "_v211"))
        for route in (
            web.get(path, get_credentials, name=f"config:credentials{version}"),
            web.post(path, post_credentials, name=f"config:credentials_post{version}"),
            web.put(path, put_credentials, name=f"config:credentials_put{version}"),
            web.delete(path, delete_credentials, name=f"config:credentials_delete{version}"),
        )
    ]
