"""Locations through the hub (checklist §4.1, §1.6-§1.8, §5).

Receiver interface (a CPO pushes): GET/PUT/PATCH on `{cc}/{pid}/{location_id}[/{evse_uid}
[/{connector_id}]]`. Addressed to the hub (or open routing) the hub validates, stores the result
and the deliveries to every connected eMSP in one transaction, answers, and lets the outbox fan it
out; addressed to one party it is relayed there.

Sender interface (an eMSP pulls): the merged, paged list of every stored Location, and single
Locations, EVSEs and Connectors, served from the stored JSON.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web
from pydantic import ValidationError

from ocpi_hub.core.envelope import envelope, envelope_raw, json_array
from ocpi_hub.core.handshake import OCPI_VERSION
from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules.locations import Connector, Evse, Location
from ocpi_hub.core.paging import next_link, parse_page_request
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.patch import UnknownObject, apply_to_location, find_object
from ocpi_hub.core.routing import PartyKey, Route, broadcast_audience
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.errors import InvalidParameters, UnknownLocation, UnknownReceiver
from ocpi_hub.storage.repositories import locations, outbox, platforms
from ocpi_hub.storage.repositories.outbox import NewDelivery
from ocpi_hub.web.keys import CORRELATION_ID, POOL, SETTINGS
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.relay import Call, forward, functional_call, owned_party

SENDER_PATH = f"/ocpi/{OCPI_VERSION}/sender/locations"
RECEIVER_PATH = f"/ocpi/{OCPI_VERSION}/receiver/locations"
MODULE = ModuleID.LOCATIONS


def _ids(request: web.Request) -> tuple[str, str | None, str | None]:
    info = request.match_info
    return info["location_id"], info.get("evse_uid"), info.get("connector_id")


def _suffix(request: web.Request, prefix: str) -> str:
    """The path below the module's URL, as the caller encoded it, for relays and fan-out."""
    return request.rel_url.raw_path[len(prefix) :].rstrip("/")


def _child(location: dict[str, Any], evse_uid: str | None, connector_id: str | None) -> Any:
    """The Location, EVSE or Connector the URL names; 404/2003 when it is not there."""
    try:
        return find_object(location, evse_uid, connector_id)
    except UnknownObject as exc:
        raise UnknownLocation(f"{exc} in Location {location.get('id')!r}") from exc


# ---- Receiver interface -------------------------------------------------------------------


async def receiver(request: web.Request) -> web.Response:
    call = functional_call(request, MODULE, InterfaceRole.RECEIVER)
    info = request.match_info
    owner = owned_party(call.caller, info["country_code"], info["party_id"], Role.CPO)
    if call.decision.route == Route.DIRECT:
        return await forward(request, call, _suffix(request, RECEIVER_PATH))
    location_id, evse_uid, connector_id = _ids(request)
    if request.method == "GET":
        found = await locations.find(request.app[POOL], location_id, owner)
        if not found:
            raise UnknownLocation(f"unknown Location {location_id!r}")
        return ocpi_response(envelope(_child(found[0], evse_uid, connector_id)))
    return await _store_and_broadcast(request, call, owner)


def _check_body(
    method: str, body: Any, owner: PartyKey, ids: tuple[str, str | None, str | None]
) -> None:
    """What the URL fixes, the body may not contradict (checklist §1.7, §1.8): 2001."""
    if not isinstance(body, dict):
        raise InvalidParameters("the body must be a JSON object")
    if method == "PATCH" and "last_updated" not in body:
        raise InvalidParameters("last_updated: a PATCH must carry last_updated")
    location_id, evse_uid, connector_id = ids
    level, url_id, field = (
        ("Connector", connector_id, "id")
        if connector_id is not None
        else ("EVSE", evse_uid, "uid")
        if evse_uid is not None
        else ("Location", location_id, "id")
    )
    if field in body and str(body[field]).upper() != str(url_id).upper():
        raise InvalidParameters(f"{field}: {body[field]!r} differs from the {level} id in the URL")
    if level == "Location":
        for key, value in zip(("country_code", "party_id"), owner, strict=True):
            if key in body and str(body[key]).upper() != value:
                raise InvalidParameters(f"{key}: {body[key]!r} differs from the URL")
    if method == "PUT":
        models: dict[str, type[OcpiModel]] = {
            "Connector": Connector,
            "EVSE": Evse,
            "Location": Location,
        }
        _validate(models[level], body)


def _validate(model: type[OcpiModel], data: Any) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameters(validation_message(exc)) from exc


async def _store_and_broadcast(request: web.Request, call: Call, owner: PartyKey) -> web.Response:
    """Validate, store, and queue the same request for every eMSP, all or nothing."""
    raw = await request.read()
    body = await read_json(request)
    ids = _ids(request)
    _check_body(request.method, body, owner, ids)
    location_id, evse_uid, connector_id = ids
    change = {"patch": body} if request.method == "PATCH" else {"replacement": body}
    async with request.app[POOL].acquire() as conn, conn.transaction():
        stored = await locations.get_for_update(conn, *owner, location_id)
        if stored is None and (request.method == "PATCH" or evse_uid is not None):
            raise UnknownLocation(f"unknown Location {location_id!r}: PUT the Location first")
        try:
            updated = apply_to_location(stored or {}, evse_uid, connector_id, **change)
        except UnknownObject as exc:
            raise UnknownLocation(str(exc)) from exc
        _validate(Location, updated)
        created = await locations.upsert(conn, updated, parse_datetime(updated["last_updated"]))
        if evse_uid is not None:
            # The Location row existed (and is locked): 201 only when the EVSE or Connector the
            # URL addresses is new (checklist §1.4).
            created = not _exists(stored, evse_uid, connector_id)
        await outbox.enqueue(conn, await _broadcast(conn, request, call, owner, raw.decode()))
    return ocpi_response(envelope(None), status=201 if created else 200)


def _exists(
    location: dict[str, Any] | None, evse_uid: str | None, connector_id: str | None
) -> bool:
    if location is None:
        return False
    try:
        find_object(location, evse_uid, connector_id)
    except UnknownObject:
        return False
    return True


async def _broadcast(
    conn: Any, request: web.Request, call: Call, owner: PartyKey, body: str
) -> list[NewDelivery]:
    """One delivery per audience party (FROM = hub, TO = that party), never back to the sender's
    platform. Keyed by Location, so a Location's EVSE and Connector updates keep their order."""
    suffix = _suffix(request, RECEIVER_PATH)
    key = "/".join(
        quote(part, safe="") for part in (MODULE.value, *owner, _ids(request)[0].upper())
    )
    return [
        NewDelivery(
            receiver_platform_id=platform.id,
            to_party=party.key,
            from_party=call.hub,
            module=MODULE.value,
            interface=InterfaceRole.RECEIVER.value,
            method=request.method,
            path=suffix,
            body=body,
            correlation_id=request[CORRELATION_ID],
            object_key=key,
        )
        for party, platform in await platforms.registered_parties(
            conn, broadcast_audience(Role.CPO)
        )
        if platform.id != call.caller.id and platform.endpoint(MODULE, InterfaceRole.RECEIVER)
    ]


# ---- Sender interface ---------------------------------------------------------------------


async def _owner_filter(request: web.Request, call: Call) -> PartyKey | None:
    """OCPI-to naming a CPO narrows a Sender GET to its Locations (4001 when unknown)."""
    to = call.decision.to
    if to is not None and not await platforms.platforms_of_party(request.app[POOL], *to):
        raise UnknownReceiver(f"{'*'.join(to)} is not known to this hub")
    return to


async def sender_list(request: web.Request) -> web.Response:
    call = functional_call(request, MODULE, InterfaceRole.SENDER)
    owner = await _owner_filter(request, call)
    settings = request.app[SETTINGS]
    page = parse_page_request(request.query, max_limit=settings.page_limit)
    rows, total = await locations.page(request.app[POOL], page, owner)
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
    body = envelope_raw(json_array(text for _, text in rows))
    return ocpi_response(body, headers=headers)


async def sender_object(request: web.Request) -> web.Response:
    call = functional_call(request, MODULE, InterfaceRole.SENDER)
    owner = await _owner_filter(request, call)
    location_id, evse_uid, connector_id = _ids(request)
    found = await locations.find(request.app[POOL], location_id, owner)
    if not found:
        raise UnknownLocation(f"unknown Location {location_id!r}")
    if len(found) > 1:
        raise InvalidParameters(
            f"several CPOs have a Location {location_id!r}: name one with OCPI-to-* headers"
        )
    return ocpi_response(envelope(_child(found[0], evse_uid, connector_id)))


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
    defs = [web.get(SENDER_PATH, sender_list, name="locations:sender_list")]
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
