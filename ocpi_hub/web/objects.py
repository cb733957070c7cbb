"""Client-owned objects through the hub, for every module that stores them (checklist §1.7, §5).

The receiver side stores what a party pushes and queues its deliveries in one transaction
(storage.changes, the path pulled objects take too): broadcast modules to every party of the
opposite roles, personal data (Sessions, CDRs) to the one party it is meant for. The sender side
serves the stored JSON as pages. Each module's handler supplies only what is its own: its URL
shape and how a push changes the stored object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from ocpi_hub.core.envelope import envelope, envelope_raw
from ocpi_hub.core.objects import ObjectModule
from ocpi_hub.core.paging import next_link, parse_page_request
from ocpi_hub.core.parties import InterfaceRole, ModuleID
from ocpi_hub.core.patch import merge_patch
from ocpi_hub.core.planner import Plan
from ocpi_hub.core.routing import PartyKey, Route
from ocpi_hub.core.stored import STORED
from ocpi_hub.core.urls import module_path, object_path
from ocpi_hub.errors import InvalidParameters, OcpiError
from ocpi_hub.logging import get_logger
from ocpi_hub.storage import changes
from ocpi_hub.storage.changes import Apply, Pushed
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.keys import CORRELATION_ID, PLATFORMS, POOL, SETTINGS, STATUS_CODE, TRAILING_SLASH
from ocpi_hub.web.middleware import body_bytes, ocpi_response
from ocpi_hub.web.relay import Call, forward, refused

log = get_logger("ocpi_hub.web.objects")


def relay_path(request: web.Request, *, then: Sequence[str] = (), query: Sequence[str] = ()) -> str:
    """The object this request names below its module's URL, rebuilt from the decoded ids the
    route matched, in URL order, then the fixed segments `then`, with only the `query`
    parameters listed: what a relay or a delivery appends to the receiver's endpoint. Never the
    raw path: an id that is not a valid OCPI id of its field is 2001 (core.urls)."""
    ids = [(name, value) for name, value in request.match_info.items() if name != TRAILING_SLASH]
    params = [(name, request.query[name]) for name in query if name in request.query]
    return object_path(ids, then=then, query=params)


def replace_or_merge(method: str, body: dict[str, Any], unknown: OcpiError) -> Apply:
    """PUT replaces, PATCH changes the given top-level fields of an object that must exist."""

    def apply(stored: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
        if method == "PATCH":
            if stored is None:
                raise unknown
            return merge_patch(stored, body), False
        return body, stored is None

    return apply


def pushed(
    request: web.Request,
    call: Call,
    spec: ObjectModule,
    key: ObjectKey,
    body: str | None,
    behind: ObjectKey | None = None,
) -> Pushed:
    """This request as a change to the stored object `key` (storage.changes): its method, the
    object's path below the module's endpoint, the body as sent, from the calling party."""
    return Pushed(
        spec=spec,
        key=key,
        method=request.method,
        path=relay_path(request, query=("type",) if spec.typed else ()),
        body=body,
        source=call.caller,
        sender=call.sender,
        hub=call.hub,
        correlation_id=request[CORRELATION_ID],
        agreements=call.agreements,
        behind=behind,
    )


async def receive(
    request: web.Request,
    call: Call,
    spec: ObjectModule,
    key: ObjectKey,
    apply: Apply,
    *,
    deliver: bool = True,
) -> web.Response:
    """Apply a push to the stored object, validate the result, store it and queue its
    deliveries, all or nothing (storage.changes); answer 201 for a new object, 200 otherwise."""
    body = (await body_bytes(request)).decode()
    change = pushed(request, call, spec, key, body)
    app = request.app
    stored = await changes.store(app[POOL], app[PLATFORMS], change, apply, deliver=deliver)
    assert stored is not None  # only a change left unchanged is None, when asked for
    return ocpi_response(
        envelope(None, status_message=_refusals(stored.plan)),
        status=201 if stored.created else 200,
    )


def _refusals(planned: Plan) -> str | None:
    """The status message of an accepted push that some receivers' dialects refused: the
    object is stored and sent to everyone else; the sender learns who did not get it and why."""
    return "stored; " + "; ".join(planned.refused) if planned.refused else None


async def named_object(request: web.Request, call: Call, key: ObjectKey) -> dict[str, Any] | None:
    """The stored object `key` names, if the caller means it: the store matches ids as
    CiStrings, and a caller whose dialect's ids are case-sensitive means another object by
    `loc1` than by `LOC1` (issue 8)."""
    found = await objects.get(request.app[POOL], key)
    return found if found is None else next(iter(_named(call, key.module, key.id, [found])), None)


async def named_objects(
    request: web.Request, call: Call, module: str, ident: str, **filters: Any
) -> list[dict[str, Any]]:
    """`objects.find` of the id `ident` the caller named (with its `filters`), as the caller's
    dialect compares ids (`named_object`)."""
    found = await objects.find(request.app[POOL], module, ident, **filters)
    return _named(call, module, ident, found)


def _named(
    call: Call, module: str, ident: str, found: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    field = STORED[module].id_field
    return [o for o in found if call.same_id(ident, str(o.get(field, ident)))]


def viewer(call: Call, spec: ObjectModule) -> list[PartyKey] | None:
    """Who is reading, where it matters: personal data is filtered to the caller's parties."""
    return [party.key for party in call.caller.parties] if spec.personal else None


async def sender_list(request: web.Request, call: Call, spec: ObjectModule) -> web.Response:
    """A page of stored objects the caller may see, with Link, X-Total-Count and X-Limit."""
    settings = request.app[SETTINGS]
    page = parse_page_request(
        request.query,
        max_limit=settings.page_limit,
        require_date_from=spec.module == ModuleID.SESSIONS,  # the spec marks it required there
    )
    found = await objects.page(
        request.app[POOL],
        spec.module.value,
        page,
        owner=call.decision.to,  # OCPI-to naming a party narrows the list to its objects
        viewer=viewer(call, spec),
        visible=call.visible,
    )
    headers = {"X-Total-Count": str(found.total), "X-Limit": str(settings.page_limit)}
    link = next_link(
        settings.public_url + module_path(spec.module, InterfaceRole.SENDER),
        page,
        returned=found.count,
        total=found.total,
        last_seq=found.last_seq,
    )
    if link is not None:
        headers["Link"] = link
    return ocpi_response(envelope_raw(found.data.encode()), headers=headers)


# ---- Personal data (Sessions, CDRs): its addressee, relayed copies, objects that must be new ----


async def personal_addressee(
    request: web.Request, call: Call, spec: ObjectModule, data: dict[str, Any]
) -> PartyKey:
    """The one party personal data is meant for, read from its content (open routing, §5).

    - OCPI-to naming a party (DIRECT) must name this addressee: 2001 otherwise, since personal
      data goes to no one else (checklist §5: never broadcast, GDPR). An OCPI-to party the hub
      does not know never gets here: functional_call answered 4001 before the content was read.
    - Under open routing (or OCPI-to the hub) the content is what names the addressee: one no
      platform of the hub hosts is 2001.
    - A known addressee that is not connected right now is fine: what is queued for it waits in
      the outbox, and it can page the sender list once it is back.
    - An addressee the sender has no agreement with is answered as an unknown one (and logged).
    """
    addressee = spec.addressee(data) if spec.addressee else None
    if addressee is None:
        raise InvalidParameters(f"this {spec.module.value} object names no party it is meant for")
    if call.decision.route == Route.DIRECT:
        if call.decision.to != addressee:
            to = "*".join(call.decision.to or ())
            raise InvalidParameters(
                f"OCPI-to {to} is not {'*'.join(addressee)}, the party the token belongs to"
            )
        return addressee
    known = bool(await request.app[PLATFORMS].platforms_of_party(*addressee))
    if known and not call.trades_with(addressee):
        refused(call, addressee)
        known = False
    if not known:
        raise InvalidParameters(
            f"{'*'.join(addressee)}, the party the token belongs to, is not known to this hub"
        )
    return addressee


async def relay_then_keep(
    request: web.Request, call: Call, spec: ObjectModule, key: ObjectKey, apply: Apply, path: str
) -> web.Response:
    """Relay a push to the party OCPI-to names (its answer comes back unchanged) and, once that
    party accepted it (1xxx), keep the hub's copy, not delivered again, so the sender list
    serves it. A copy the hub cannot build (a PATCH of an object it never saw) is not kept; the
    relayed answer stands either way."""
    answer = await forward(request, call, path)
    if 1000 <= request.get(STATUS_CODE, 0) < 2000:
        try:
            await receive(request, call, spec, key, apply, deliver=False)
        except OcpiError as exc:
            log.warning("relayed_not_kept", object="/".join(key.args()), reason=exc.message)
    return answer


async def receive_new(
    request: web.Request,
    call: Call,
    spec: ObjectModule,
    key: ObjectKey,
    data: dict[str, Any],
    *,
    exists: OcpiError,
    headers: dict[str, str] | None = None,
    behind: ObjectKey | None = None,
) -> web.Response:
    """Store an object that must be new (CDRs are immutable) exactly as sent, and queue its
    deliveries, all or nothing, behind those of the object `behind` names if given; answer 201
    with `headers`. When the (owner, id) is taken, `exists` is raised: nothing is stored or
    delivered a second time."""
    body = (await body_bytes(request)).decode()
    change = pushed(request, call, spec, key, body, behind)
    planned = await changes.store_new(request.app[POOL], request.app[PLATFORMS], change, data)
    if planned is None:
        raise exists
    return ocpi_response(
        envelope(None, status_message=_refusals(planned)), status=201, headers=headers
    )
