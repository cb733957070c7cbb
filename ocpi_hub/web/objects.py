"""Client-owned objects through the hub, for every module that stores them (checklist §1.7, §5).

The receiver side stores what a party pushes and queues its deliveries in one transaction:
broadcast modules to every party of the opposite roles, personal data (Sessions, CDRs) to the
one party it is meant for. The sender side serves the stored JSON as pages. Each module's
handler supplies only what is its own: its URL shape and how a push changes the stored object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from ocpi_hub.core.agreements import entitled
from ocpi_hub.core.envelope import envelope, envelope_raw
from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.objects import ObjectModule
from ocpi_hub.core.paging import next_link, parse_page_request
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Party, Platform
from ocpi_hub.core.patch import merge_patch
from ocpi_hub.core.planner import Change, Plan, personal_route, plan, queue_of
from ocpi_hub.core.routing import PartyKey, Route, broadcast_audience
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.core.urls import object_path
from ocpi_hub.errors import InvalidParameters, OcpiError
from ocpi_hub.logging import get_logger
from ocpi_hub.storage import Connection
from ocpi_hub.storage.repositories import objects, outbox
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.keys import CORRELATION_ID, PLATFORMS, POOL, SETTINGS, STATUS_CODE, TRAILING_SLASH
from ocpi_hub.web.middleware import body_bytes, ocpi_response
from ocpi_hub.web.relay import Call, forward, refused

log = get_logger("ocpi_hub.web.objects")

# What a push does to the stored object: (the object to store, whether it is new); OcpiErrors
# for pushes that cannot apply (an unknown object for a PATCH, say).
Apply = Callable[[dict[str, Any] | None], tuple[dict[str, Any], bool]]


def module_path(module: ModuleID, interface: InterfaceRole) -> str:
    """Where the hub serves `module`'s `interface` (distinct URLs: see core.handshake)."""
    return f"/ocpi/2.2.1/{interface.value.lower()}/{module.value}"


def relay_path(request: web.Request, *, then: Sequence[str] = (), query: Sequence[str] = ()) -> str:
    """The object this request names below its module's URL, rebuilt from the decoded ids the
    route matched, in URL order, then the fixed segments `then`, with only the `query`
    parameters listed: what a relay or a delivery appends to the receiver's endpoint. Never the
    raw path: an id that is not a valid OCPI id of its field is 2001 (core.urls)."""
    ids = [(name, value) for name, value in request.match_info.items() if name != TRAILING_SLASH]
    params = [(name, request.query[name]) for name in query if name in request.query]
    return object_path(ids, then=then, query=params)


def validate(model: type[OcpiModel], data: Any) -> None:
    """A spec-invalid object is 2001, naming the field (DESIGN.md decision 7)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameters(validation_message(exc)) from exc


def replace_or_merge(method: str, body: dict[str, Any], unknown: OcpiError) -> Apply:
    """PUT replaces, PATCH changes the given top-level fields of an object that must exist."""

    def apply(stored: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
        if method == "PATCH":
            if stored is None:
                raise unknown
            return merge_patch(stored, body), False
        return body, stored is None

    return apply


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
    deliveries, all or nothing; answer 201 for a new object, 200 otherwise."""
    body = (await body_bytes(request)).decode()
    async with request.app[POOL].acquire() as conn, conn.transaction():
        stored = await objects.get(conn, key, for_update=True)
        updated, created = apply(stored)
        validate(spec.model, updated)
        addressee = spec.addressee(updated) if spec.addressee else None
        await objects.upsert(conn, key, updated, parse_datetime(updated["last_updated"]), addressee)
        planned = Plan()
        if deliver:
            planned = await deliveries(
                conn, request, call, spec, key, body, addressee, whole=updated
            )
            await enqueue(conn, request, planned)
    return ocpi_response(envelope(None, status_message=_refusals(planned)),
                         status=201 if created else 200)  # fmt: skip


def _refusals(planned: Plan) -> str | None:
    """The status message of an accepted push that some receivers' dialects refused: the
    object is stored and sent to everyone else; the sender learns who did not get it and why."""
    return "stored; " + "; ".join(planned.refused) if planned.refused else None


async def deliveries(
    conn: Connection,
    request: web.Request,
    call: Call,
    spec: ObjectModule,
    key: ObjectKey,
    body: str | None,
    addressee: PartyKey | None,
    behind: ObjectKey | None = None,
    whole: dict[str, Any] | None = None,
) -> Plan:
    """What this stored change sends (core.planner): for personal data one delivery to the
    party it is meant for, over its best route, FROM the party that sent it, as any message
    routed through a hub (open routing is answered "as Via Hub", checklist §1.6); otherwise one
    per party of the opposite roles and one per network, never back to the sender's platform
    (a broadcast). Either way only to parties the object's owner trades with (core.agreements).
    Keyed by object, so one object's changes reach each receiver in order;
    keyed by `behind` instead when given, so they reach it after that object's. `whole` is the
    object as now stored (for dialects that take a PUT where the change was a PATCH)."""
    change = Change(
        module=spec.module.value,
        method=request.method,
        path=relay_path(request, query=("type",) if spec.typed else ()),
        body=body,
        whole=whole,
        key=key.args(),
        queue=queue_of((behind or key).args()),
        source=call.caller,
        sender=call.sender,
        hub=call.hub,
        personal=spec.personal,
    )
    cache = request.app[PLATFORMS]
    receivers: list[tuple[Party, Platform]] = []
    if spec.personal and addressee and call.agreements.allows(key.owner, addressee, change.module):
        route = personal_route(await cache.platforms_of_party(*addressee), change)
        if route is not None:
            receivers = [(party, route) for party in route.parties if party.key == addressee]
    elif not spec.personal:
        roles = broadcast_audience(spec.owner_role)
        # Precomputed per change of the platforms: only the deliveries are built per push.
        audience = await cache.receivers(roles, spec.module, InterfaceRole.RECEIVER)
        receivers = entitled(audience, key.owner, change.module, roles, call.agreements)
    planned = plan(change, receivers)
    for refusal in planned.refused:
        log.info("delivery_refused_by_dialect", module=change.module, reason=refusal)
    return planned


async def enqueue(conn: Connection, request: web.Request, planned: Plan) -> None:
    """Queue what `deliveries` planned, in the caller's transaction."""
    await outbox.enqueue(conn, outbox.planned(planned.deliveries, request[CORRELATION_ID]))


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
    addressee = spec.addressee(data) if spec.addressee else None
    async with request.app[POOL].acquire() as conn, conn.transaction():
        last_updated = parse_datetime(data["last_updated"])
        if not await objects.insert(conn, key, data, last_updated, addressee):
            raise exists
        planned = await deliveries(
            conn, request, call, spec, key, body, addressee, behind, whole=data
        )
        await enqueue(conn, request, planned)
    return ocpi_response(
        envelope(None, status_message=_refusals(planned)), status=201, headers=headers
    )
