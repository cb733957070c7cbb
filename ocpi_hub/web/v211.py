"""Serving OCPI 2.1.1: the same modules at /ocpi/2.1.1, translated at the edge (issue 11).

Every 2.1.1 route is a 2.2.1 route of the hub with its handler wrapped: the 2.1.1 request body
is translated to 2.2.1 (push.v211.Translations, over the pure `dialects.v211` modules), the
2.2.1 handler runs on it unchanged, and its answer is translated back. A 2.1.1 party has no
routing headers: it is the one party of its connection, and the hub routes what it sends as it
routes a one-party 2.2.1 platform that leaves OCPI-to out (core.routing: broadcast Locations,
Tariffs and Tokens; a Session or CDR to its Token's eMSP; a command to its Location's CPO).

Only here does the hub know a request came in 2.1.1; the handlers never test a version.

| 2.1.1 request                          | what the 2.2.1 handler sees                          |
|----------------------------------------|------------------------------------------------------|
| PUT/PATCH Location, EVSE, Connector    | the 2.2.1 object; owner from the URL                 |
| PUT Tariff                             | the 2.2.1 Tariff; owner from the URL                 |
| PATCH Tariff (2.2.1 has none)          | a PUT of the stored Tariff with the fields merged    |
| PUT/PATCH Token                        | the 2.2.1 Token, `?type=` from its type              |
| PUT/PATCH Session                      | `cdr_token` from the stored Token of its `auth_id`   |
| POST CDR                               | the 2.2.1 CDR; owner from the connection             |
| POST authorize                         | LocationReferences without `connector_ids`           |
| POST command / async CommandResponse   | the 2.2.1 command / CommandResult                    |

Answers: lists and objects in 2.1.1 (what 2.1.1 cannot hold is left out of a list), the OCPI
status codes 2.1.1 lacks mapped to ones it has, a CDR's `Location` under /ocpi/2.1.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.parties import InterfaceRole, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Loss
from ocpi_hub.dialects.v211 import V221, path_211
from ocpi_hub.dialects.v211.commands import (
    command_in,
    command_response_out,
    command_result_in,
)
from ocpi_hub.dialects.v211.locations import Level
from ocpi_hub.dialects.v211.status_codes import status_code_out
from ocpi_hub.dialects.v211.tokens import authorization_info_out, location_references_in
from ocpi_hub.errors import InvalidParameters, NotFound, OcpiError
from ocpi_hub.push.v211 import Translations, now, owner_of
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.keys import CALLER, POOL, STATUS_CODE
from ocpi_hub.web.middleware import Handler, ocpi_response, read_json

__all__ = ["path_211", "routes", "translations"]

# The modules a 2.1.1 party uses (§1.7): no hubclientinfo, no chargingprofiles.
MODULES = frozenset({"locations", "tariffs", "tokens", "sessions", "cdrs", "commands"})
_PREFIX_221 = f"/ocpi/{V221}/"

TRANSLATIONS = web.AppKey("v211_translations", Translations)


def translations(request: web.Request) -> Translations:
    return request.app[TRANSLATIONS]


def routes(served: Sequence[web.RouteDef]) -> list[web.RouteDef]:
    """The 2.1.1 twin of every served 2.2.1 route of a module 2.1.1 has, and the Tariff PATCH
    only 2.1.1 has."""
    twins: list[web.RouteDef] = []
    for route in served:
        parts = route.path.split("/")  # "", "ocpi", "2.2.1", "sender", "locations", ...
        if route.path.startswith(_PREFIX_221) and len(parts) > 4 and parts[4] in MODULES:
            module, interface = parts[4], InterfaceRole(parts[3].upper())
            name = (route.kwargs.get("name") or "").replace(":", ":v211:", 1) or None
            handler = translated(route.handler, module, interface)
            twins.append(web.route(route.method, path_211(route.path), handler, name=name))
            if module == "tariffs" and route.method == "PUT":
                patch = tariff_patch(route.handler)
                twins.append(
                    web.patch(path_211(route.path), patch, name="tariffs:v211:receiver_patch")
                )
    return twins


def _owner(request: web.Request) -> PartyKey:
    info = request.match_info
    return (info["country_code"].upper(), info["party_id"].upper())


def _level(request: web.Request) -> Level:
    info = request.match_info
    return Level.CONNECTOR if "connector_id" in info else (
        Level.EVSE if "evse_uid" in info else Level.LOCATION)  # fmt: skip


def as_221(request: web.Request, body: Any, *, method: str | None = None,
           query: dict[str, str] | None = None) -> web.Request:  # fmt: skip
    """The request as the 2.2.1 handler reads it: the translated body, and the query given."""
    url = request.rel_url if query is None else request.rel_url.update_query(query)
    # aiohttp reads a body once and keeps its bytes, and clones only a request not read yet:
    # the body was read (and its stream is spent), so the clone is given the translation.
    request._read_bytes = None
    clone = request.clone(method=method or request.method, rel_url=url)
    clone._read_bytes = b"" if body is None else orjson.dumps(body)
    return clone


def translated(handler: Handler, module: str, interface: InterfaceRole) -> Handler:
    """`handler` (2.2.1) serving a 2.1.1 request of `module`'s `interface`."""

    async def serve(request: web.Request) -> web.StreamResponse:
        query: dict[str, str] | None = None
        if request.method in ("PUT", "PATCH", "POST") and request.body_exists:
            body = await _inbound(request, module, interface, await read_json(request))
            if module == "tokens" and interface == InterfaceRole.RECEIVER:
                query = {"type": str(body.get("type") or "RFID")} if isinstance(body, dict) else {}
            inner = as_221(request, body, query=query)
        else:
            inner = request
        try:
            response = await handler(inner)
        except OcpiError as error:
            error.status_code = status_code_out(error.status_code)
            raise
        finally:
            if STATUS_CODE in inner:
                request[STATUS_CODE] = inner[STATUS_CODE]
        assert isinstance(response, web.Response)
        return await _outbound(request, module, interface, response)

    return serve


async def _inbound(request: web.Request, module: str, interface: InterfaceRole, doc: Any) -> Any:
    """A 2.1.1 request body in 2.2.1."""
    caller = request[CALLER]
    found: list[Loss]
    if module == "commands":
        kind = request.match_info.get("command", "").upper()
        if not isinstance(doc, (dict, str)):
            raise InvalidParameters("the body must be a JSON object")
        if interface == InterfaceRole.SENDER:  # the async CommandResponse to the hub's URL
            made, found = command_result_in(doc)
        else:
            if not isinstance(doc, dict):
                raise InvalidParameters("the body must be a JSON object")
            made, found = command_in(kind, doc, owner_of(caller, Role.EMSP), received_at=now())
        await translations(request).record(found)
        return made
    if module == "tokens" and interface == InterfaceRole.SENDER:  # authorize
        if not isinstance(doc, dict):
            return doc
        made, found = location_references_in(doc)
        await translations(request).record(found)
        return made
    if module == "cdrs":
        return await translations(request).into("cdrs", doc, owner_of(caller, Role.CPO))
    level = _level(request) if module == "locations" else None
    return await translations(request).into(
        module, doc, _owner(request), level=level, patch=request.method == "PATCH"
    )


async def _outbound(
    request: web.Request, module: str, interface: InterfaceRole, response: web.Response
) -> web.Response:
    """The 2.2.1 handler's answer in 2.1.1."""
    try:
        body = orjson.loads(response.body) if isinstance(response.body, bytes) else None
    except orjson.JSONDecodeError:
        return response
    if not isinstance(body, dict):
        return response
    data = body.get("data")
    code = body.get("status_code")
    if code == 1000 and data is not None:
        data = await _answer_data(request, module, interface, data)
        if data is None and request.method == "GET":
            raise NotFound("OCPI 2.1.1 has no place for this object")
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    for name in ("Location", "Link"):  # URLs of the hub's own: its 2.1.1 side
        if name in headers:
            headers[name] = path_211(headers[name])
    out = envelope(
        data,
        status_code=status_code_out(code) if isinstance(code, int) else 3000,
        status_message=body.get("status_message"),
    )
    return ocpi_response(out, status=response.status, headers=headers)


async def _answer_data(
    request: web.Request, module: str, interface: InterfaceRole, data: Any
) -> Any:
    done = translations(request)
    if module == "commands" and isinstance(data, dict):
        made, found = command_response_out(data)
        await done.record(found)
        return made
    if module == "tokens" and request.method == "POST" and isinstance(data, dict):
        made, found = authorization_info_out(data)
        await done.record(found)
        return made
    if request.method != "GET":
        return data
    if isinstance(data, list):
        return await done.out_list(module, data)
    return await done.out(module, data, level=_level(request) if module == "locations" else None)


def tariff_patch(put: Callable[..., Any]) -> Handler:
    """2.1.1's Tariff PATCH (2.2.1 has none, §4): the fields merged into the stored Tariff as
    2.1.1 sees it, then a PUT of the whole Tariff, translated, through the 2.2.1 handler."""

    async def patch(request: web.Request) -> web.StreamResponse:
        owner = _owner(request)
        tariff_id = request.match_info["tariff_id"]
        changes = await read_json(request)
        if not isinstance(changes, dict):
            raise InvalidParameters("the body must be a JSON object")
        async with request.app[POOL].acquire() as conn:
            stored = await objects.get(conn, ObjectKey("tariffs", owner, tariff_id))
        if stored is None or request[CALLER].party(*owner, Role.CPO) is None:
            raise NotFound(f"no Tariff {tariff_id!r} of yours to PATCH: PUT it first")
        done = translations(request)
        seen = await done.out("tariffs", stored)
        merged = await done.into("tariffs", {**(seen or {}), **changes}, owner)
        inner = as_221(request, merged, method="PUT")
        response = await put(inner)
        if STATUS_CODE in inner:
            request[STATUS_CODE] = inner[STATUS_CODE]
        return await _outbound(request, "tariffs", InterfaceRole.RECEIVER, response)

    return patch
