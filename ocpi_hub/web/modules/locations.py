"""Locations through the hub (checklist §4.1, §1.6-§1.8, §5).

Receiver interface (a CPO pushes): GET/PUT/PATCH on `{cc}/{pid}/{location_id}[/{evse_uid}
[/{connector_id}]]`. Addressed to the hub (or open routing) the hub validates, stores the result
and the deliveries to every connected eMSP in one transaction, answers, and lets the outbox fan it
out; addressed to one party it is relayed there, and not stored (it was not meant for everyone).

Sender interface (an eMSP pulls): the merged, paged list of every stored Location, and single
Locations, EVSEs and Connectors, served from the stored JSON.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.model import OcpiModel, validate
from ocpi_hub.core.modules.locations import Connector, Evse, Location
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.patch import SameId, UnknownObject, apply_to_location, find_object
from ocpi_hub.core.routing import PartyKey, Route
from ocpi_hub.core.stored import LOCATIONS
from ocpi_hub.core.urls import module_path
from ocpi_hub.errors import InvalidParameters, UnknownLocation
from ocpi_hub.storage.changes import Apply
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import (
    named_objects,
    receive,
    relay_path,
    sender_list,
)
from ocpi_hub.web.relay import forward, functional_call, owned_party

SENDER_PATH = module_path(ModuleID.LOCATIONS, InterfaceRole.SENDER)
RECEIVER_PATH = module_path(ModuleID.LOCATIONS, InterfaceRole.RECEIVER)
ENDPOINTS = [
    (ModuleID.LOCATIONS, InterfaceRole.SENDER, SENDER_PATH),
    (ModuleID.LOCATIONS, InterfaceRole.RECEIVER, RECEIVER_PATH),
]
_LEVELS: dict[str, tuple[type[OcpiModel], str]] = {
    "Location": (Location, "id"),
    "EVSE": (Evse, "uid"),
    "Connector": (Connector, "id"),
}

Ids = tuple[str, str | None, str | None]


def _ids(request: web.Request) -> Ids:
    info = request.match_info
    return info["location_id"], info.get("evse_uid"), info.get("connector_id")


def _child(
    location: dict[str, Any], evse_uid: str | None, connector_id: str | None, same: SameId
) -> Any:
    """The Location, EVSE or Connector the URL names; 404/2003 when it is not there."""
    try:
        return find_object(location, evse_uid, connector_id, same)
    except UnknownObject as exc:
        raise UnknownLocation(f"{exc} in Location {location.get('id')!r}") from exc


def _exists(
    location: dict[str, Any] | None, evse_uid: str | None, connector_id: str | None, same: SameId
) -> bool:
    if location is None:
        return False
    try:
        find_object(location, evse_uid, connector_id, same)
    except UnknownObject:
        return False
    return True


def _check_body(method: str, body: Any, owner: PartyKey, ids: Ids, same: SameId) -> None:
    """What the URL fixes, the body may not contradict (checklist §1.7, §1.8): 2001."""
    if not isinstance(body, dict):
        raise InvalidParameters("the body must be a JSON object")
    if method == "PATCH" and "last_updated" not in body:
        raise InvalidParameters("last_updated: a PATCH must carry last_updated")
    location_id, evse_uid, connector_id = ids
    level, url_id = (
        ("Connector", connector_id)
        if connector_id is not None
        else ("EVSE", evse_uid)
        if evse_uid is not None
        else ("Location", location_id)
    )
    model, field = _LEVELS[level]
    if field in body and not same(str(body[field]), str(url_id)):
        raise InvalidParameters(f"{field}: {body[field]!r} differs from the {level} id in the URL")
    if level == "Location":
        for name, value in zip(("country_code", "party_id"), owner, strict=True):
            if name in body and str(body[name]).upper() != value:
                raise InvalidParameters(f"{name}: {body[name]!r} differs from the URL")
    if method == "PUT":
        validate(model, body)


def _apply(method: str, body: dict[str, Any], ids: Ids, same: SameId) -> Apply:
    """A PUT or PATCH at the URL's level; parents' last_updated follow (core.patch). EVSE and
    Connector ids compare by `same`: as the sender's dialect compares ids."""
    location_id, evse_uid, connector_id = ids
    patch, replacement = (body, None) if method == "PATCH" else (None, body)

    def apply(stored: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
        if stored is None and (method == "PATCH" or evse_uid is not None):
            raise UnknownLocation(f"unknown Location {location_id!r}: PUT the Location first")
        try:
            updated = apply_to_location(
                stored or {},
                evse_uid,
                connector_id,
                patch=patch,
                replacement=replacement,
                same=same,
            )
        except UnknownObject as exc:
            raise UnknownLocation(str(exc)) from exc
        # 201 exactly when the object the URL addresses is new (checklist §1.4).
        return updated, not _exists(stored, evse_uid, connector_id, same)

    return apply


async def receiver(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.LOCATIONS, InterfaceRole.RECEIVER)
    info = request.match_info
    owner = owned_party(call.caller, info["country_code"], info["party_id"], Role.CPO)
    if call.decision.route == Route.DIRECT:
        return await forward(request, call, relay_path(request))
    ids = _ids(request)
    if request.method == "GET":
        found = await named_objects(request, call, "locations", ids[0], owner=owner)
        if not found:
            raise UnknownLocation(f"unknown Location {ids[0]!r}")
        return ocpi_response(envelope(_child(found[0], *ids[1:], call.same_id)))
    body = await read_json(request)
    _check_body(request.method, body, owner, ids, call.same_id)
    key = ObjectKey("locations", owner, ids[0])
    apply = _apply(request.method, body, ids, call.same_id)
    return await receive(request, call, LOCATIONS, key, apply)


async def sender_locations(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.LOCATIONS, InterfaceRole.SENDER)
    return await sender_list(request, call, LOCATIONS)


async def sender_object(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.LOCATIONS, InterfaceRole.SENDER)
    location_id, evse_uid, connector_id = _ids(request)
    owner = call.decision.to
    found = await named_objects(
        request, call, "locations", location_id, owner=owner, visible=call.visible
    )
    if not found:
        raise UnknownLocation(f"unknown Location {location_id!r}")
    if len(found) > 1:
        raise InvalidParameters(
            f"several CPOs have a Location {location_id!r}: name one with OCPI-to-* headers"
        )
    return ocpi_response(envelope(_child(found[0], evse_uid, connector_id, call.same_id)))


def routes() -> list[web.RouteDef]:
    receiver_paths = [
        "/{country_code}/{party_id}/{location_id}",
        "/{country_code}/{party_id}/{location_id}/{evse_uid}",
        "/{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}",
    ]
    sender_paths = [
        "/{location_id}",
        "/{location_id}/{evse_uid}",
        "/{location_id}/{evse_uid}/{connector_id}",
    ]
    # Route names start with the module: the middleware logs it and tells functional modules
    # (token C only) from configuration modules by it.
    defs = [web.get(SENDER_PATH, sender_locations, name="locations:sender_list")]
    for level, path in enumerate(sender_paths):
        defs.append(web.get(SENDER_PATH + path, sender_object, name=f"locations:sender{level}"))
    for level, path in enumerate(receiver_paths):
        defs += [
            web.route(
                m, RECEIVER_PATH + path, receiver, name=f"locations:receiver{level}{m.lower()}"
            )
            for m in ("GET", "PUT", "PATCH")
        ]
    return defs
