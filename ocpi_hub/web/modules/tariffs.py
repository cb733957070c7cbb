"""Tariffs through the hub (checklist §4.4, §1.6-§1.8, §5).

Receiver interface (a CPO pushes): GET/PUT/DELETE on `{cc}/{pid}/{tariff_id}`; the URL party must
be one of the caller's CPO parties (else HTTP 404 + 2001). Addressed to the hub, or with no
OCPI-to (open routing), a PUT is validated, stored and broadcast to every connected eMSP, NSP and
OTHER party in one transaction, like a Location. Addressed to one party, the request is relayed
there and not stored.

DELETE removes the stored Tariff and broadcasts the DELETE, both in one transaction. A DELETE of a
Tariff the hub does not hold is HTTP 404 with status_code 2000 and broadcasts nothing: there is
nothing the receivers could have, and a 1000 would hide a CPO's id mistake. (The spec advises not
to delete a Tariff still named by a Connector's `tariff_ids`; that is the CPO's duty, not
checked here.) A receiver GET returns the hub's stored copy, 404/2000 when unknown.

Sender interface (everyone connected pulls): the merged, paged list of every stored Tariff, and
single Tariffs by id; OCPI-to naming a CPO narrows both to its Tariffs (ids are unique per CPO
only, so an id two CPOs use is 2001 without OCPI-to).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.model import validate
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.patch import SameId
from ocpi_hub.core.routing import PartyKey, Route
from ocpi_hub.core.stored import TARIFFS
from ocpi_hub.core.urls import module_path
from ocpi_hub.errors import InvalidParameters, NotFound
from ocpi_hub.storage import changes
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.keys import PLATFORMS, POOL
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import (
    named_object,
    named_objects,
    pushed,
    receive,
    relay_path,
    replace_or_merge,
    sender_list,
)
from ocpi_hub.web.relay import Call, forward, functional_call, owned_party

SENDER_PATH = module_path(ModuleID.TARIFFS, InterfaceRole.SENDER)
RECEIVER_PATH = module_path(ModuleID.TARIFFS, InterfaceRole.RECEIVER)
ENDPOINTS = [
    (ModuleID.TARIFFS, InterfaceRole.SENDER, SENDER_PATH),
    (ModuleID.TARIFFS, InterfaceRole.RECEIVER, RECEIVER_PATH),
]


def unknown_tariff(tariff_id: str) -> NotFound:
    return NotFound(f"unknown Tariff {tariff_id!r}")


def check_tariff(body: Any, owner: PartyKey, tariff_id: str, same: SameId) -> None:
    """A PUT body must be a valid Tariff whose id and party are the URL's (§1.7): else 2001."""
    if not isinstance(body, dict):
        raise InvalidParameters("the body must be a JSON object")
    if "id" in body and not same(str(body["id"]), tariff_id):
        raise InvalidParameters(f"id: {body['id']!r} differs from the Tariff id in the URL")
    for name, value in zip(("country_code", "party_id"), owner, strict=True):
        if name in body and str(body[name]).upper() != value:
            raise InvalidParameters(f"{name}: {body[name]!r} differs from the URL")
    validate(Tariff, body)


async def delete_tariff(request: web.Request, call: Call, key: ObjectKey) -> web.Response:
    """Remove the stored Tariff and queue the DELETE for every receiver, all or nothing."""
    async with request.app[POOL].acquire() as conn, conn.transaction():
        if not await objects.delete(conn, key):
            raise unknown_tariff(key.id)
        change = pushed(request, call, TARIFFS, key, None)
        planned = await changes.deliveries(request.app[PLATFORMS], change, None)
        await changes.enqueue(conn, planned, change.correlation_id)
    return ocpi_response(envelope(None))


async def receiver(request: web.Request) -> web.Response:
    """GET/PUT/DELETE of one CPO's Tariff on the hub's Receiver interface."""
    call = await functional_call(request, ModuleID.TARIFFS, InterfaceRole.RECEIVER)
    info = request.match_info
    owner = owned_party(call.caller, info["country_code"], info["party_id"], Role.CPO)
    if call.decision.route == Route.DIRECT:
        return await forward(request, call, relay_path(request))
    tariff_id = info["tariff_id"]
    key = ObjectKey(ModuleID.TARIFFS.value, owner, tariff_id)
    if request.method == "GET":
        stored = await named_object(request, call, key)
        if stored is None:
            raise unknown_tariff(tariff_id)
        return ocpi_response(envelope(stored))
    if request.method == "DELETE":
        return await delete_tariff(request, call, key)
    body = await read_json(request)
    check_tariff(body, owner, tariff_id, call.same_id)
    # PUT only: Tariffs have no PATCH, so the merge's "unknown object" branch never runs.
    apply = replace_or_merge("PUT", body, unknown_tariff(tariff_id))
    return await receive(request, call, TARIFFS, key, apply)


async def sender_tariffs(request: web.Request) -> web.Response:
    """GET-all: a page of every stored Tariff (or one CPO's, narrowed by OCPI-to)."""
    call = await functional_call(request, ModuleID.TARIFFS, InterfaceRole.SENDER)
    return await sender_list(request, call, TARIFFS)


async def sender_tariff(request: web.Request) -> web.Response:
    """One stored Tariff by id; 2001 when several CPOs use the id and OCPI-to names none."""
    call = await functional_call(request, ModuleID.TARIFFS, InterfaceRole.SENDER)
    tariff_id = request.match_info["tariff_id"]
    owner = call.decision.to
    found = await named_objects(
        request, call, ModuleID.TARIFFS.value, tariff_id, owner=owner, visible=call.visible
    )
    if not found:
        raise unknown_tariff(tariff_id)
    if len(found) > 1:
        raise InvalidParameters(
            f"several CPOs have a Tariff {tariff_id!r}: name one with OCPI-to-* headers"
        )
    return ocpi_response(envelope(found[0]))


def routes() -> list[web.RouteDef]:
    # Route names start with the module: the middleware tells functional modules by it.
    receiver_path = RECEIVER_PATH + "/{country_code}/{party_id}/{tariff_id}"
    return [
        web.get(SENDER_PATH, sender_tariffs, name="tariffs:sender_list"),
        web.get(SENDER_PATH + "/{tariff_id}", sender_tariff, name="tariffs:sender_object"),
        *(
            web.route(m, receiver_path, receiver, name=f"tariffs:receiver_{m.lower()}")
            for m in ("GET", "PUT", "DELETE")
        ),
    ]
