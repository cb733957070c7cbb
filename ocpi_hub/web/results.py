"""The response_url proxy shared by Commands and ChargingProfiles (checklist §4.6, §4.7, §7.14).

Both modules answer in two steps: the receiver (a CPO) answers the request at once, and POSTs
the outcome later to a `response_url` the requester chose. The spec is silent on hubs here; like
OCN, the hub rewrites the `response_url` to a URL of its own, so that:

- the receiver needs no route to the requester, and never learns its URLs;
- only the platform the request was sent to can post its result (any other caller gets 404);
- the result reaches the requester durably, through the outbox, retried like any push;
- a result that never comes can be reported (Commands: TIMEOUT) once the receiver's own
  `timeout` has passed, by a sweeper that several hub processes may run on one database.

The hub's URL ends in a fresh unguessable id; the mapping lives in `response_urls` (storage).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg
import orjson
from aiohttp import web
from pydantic import ValidationError

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules.commands import response_timeout
from ocpi_hub.core.modules.sessions import SessionRequest, may_act_on_session
from ocpi_hub.core.parties import InterfaceRole, ModuleID
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.errors import (
    ClientError,
    InvalidParameters,
    NotFound,
    OcpiError,
)
from ocpi_hub.logging import get_logger
from ocpi_hub.settings import Settings
from ocpi_hub.storage.repositories import outbox, results
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.storage.repositories.outbox import NewDelivery
from ocpi_hub.storage.repositories.results import ProxiedRequest
from ocpi_hub.web.background import background
from ocpi_hub.web.keys import (
    CALLER,
    CORRELATION_ID,
    DATABASE,
    POOL,
    SETTINGS,
)
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import named_object, named_objects
from ocpi_hub.web.relay import Call, ask, receiving_platform, relayed

log = get_logger("ocpi_hub.web.results")

# A request row stays SENT this much longer than the relay may take: if the hub process dies
# mid-relay, the sweeper closes it afterwards (the requester got no answer, so expects no result).
RELAY_GRACE = 30.0
# Closed requests and charging-profile senders are kept this long (for CANCEL_RESERVATION
# routing, late-result answers and ActiveChargingProfile updates), then purged.
RETENTION = 7 * 24 * 3600.0
PURGE_INTERVAL = 3600.0

# (body, query) to send, given the hub's URL that replaces the requester's response_url.
Rewrite = Callable[[str], tuple[bytes | None, Mapping[str, str] | None]]


def parse(model: type[OcpiModel], data: Any) -> Any:
    """The validated object, or 2001 naming the field (DESIGN.md decision 7)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameters(validation_message(exc)) from exc


def with_response_url(body: Mapping[str, Any], url: str) -> bytes:
    """The body as received, `response_url` replaced; unknown fields ride along."""
    return orjson.dumps({**body, "response_url": url})


async def check_session_request(
    request: web.Request,
    call: Call,
    cpo: PartyKey,
    session_id: str,
    kind: SessionRequest,
    refused: Any,
) -> None:
    """2001, with `refused` as data, and nothing relayed, when the hub holds `cpo`'s Session
    `session_id` and the requesting party may not send `kind` about it
    (core.modules.sessions.may_act_on_session)."""
    key = ObjectKey(ModuleID.SESSIONS.value, cpo, session_id)
    session = await named_object(request, call, key)
    roles = {party.role for party in call.caller.parties if party.key == call.sender}
    if may_act_on_session(session, call.sender, roles, kind):
        return
    log.warning(
        "session_request_refused",
        kind=kind.value,
        requester="*".join(call.sender),
        session=f"{'*'.join(cpo)}/{session_id}",
    )
    raise InvalidParameters(
        f"session_id: {session_id!r} of {'*'.join(cpo)} is not a session of yours"
        " (its token belongs to another party)",
        data=refused,
    )


async def stored_owner(
    request: web.Request,
    call: Call,
    module: str,
    object_id: str,
    viewer: list[PartyKey] | None = None,
) -> PartyKey | None:
    """Open routing (checklist §5): the party owning the stored `module` object `object_id`
    (its country_code/party_id) that `viewer` may see and the call's requesting party trades
    with in the call's module (core.agreements); None when there is none; 2001 when several
    parties have one by that id and only OCPI-to can tell which is meant."""
    found = await named_objects(
        request, call, module, object_id, viewer=viewer, visible=call.visible
    )
    if len(found) > 1:
        raise InvalidParameters(
            f"several parties have a {module} object {object_id!r}: name one with OCPI-to-*"
        )
    if not found:
        return None
    owner = found[0]
    return (str(owner["country_code"]).upper(), str(owner["party_id"]).upper())


@dataclass(frozen=True)
class Target:
    """Where a proxied request goes and what the hub remembers about it."""

    to: PartyKey
    module: ModuleID
    kind: str
    path: str  # below the receiver's endpoint URL, from core.urls.object_path
    result_path: str  # the hub's URL for results, without the id
    response_url: str  # the requester's own
    session_id: str | None = None
    reservation_id: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Relayed:
    response: web.Response  # the receiver's answer, relayed unchanged
    wait: int | None  # seconds until a result is due; None when none will come


async def relay(request: web.Request, call: Call, target: Target, rewrite: Rewrite) -> Relayed:
    """Relay a request to `target.to` with the hub's URL as its response_url (FROM the
    requester, new X-Request-ID, same X-Correlation-ID) and relay the answer unchanged.

    4001/4003 when the receiver is unknown or not connected, 4002 past the forward timeout.
    Unless the receiver answers ACCEPTED (OCPI success), the mapping closes: no result comes.
    """
    app = request.app
    settings = app[SETTINGS]
    platform = await receiving_platform(
        request, target.to, target.module, InterfaceRole.RECEIVER, call.hosts_of(target.to)
    )
    proxied = ProxiedRequest(
        id=secrets.token_urlsafe(24),
        module=target.module.value,
        kind=target.kind,
        requester_platform_id=call.caller.id,
        requester=call.sender,
        response_url=target.response_url,
        receiver_platform_id=platform.id,
        receiver=target.to,
        correlation_id=request[CORRELATION_ID],
        session_id=target.session_id,
        reservation_id=target.reservation_id,
        expires_at=target.expires_at,
    )
    body, params = rewrite(f"{settings.public_url}{target.result_path}/{proxied.id}")
    path = target.path + (f"?{urlencode(list(params.items()))}" if params else "")
    # Stored before the relay: a quick receiver may post its result before it answers.
    await results.insert(app[POOL], proxied, settings.forward_timeout + RELAY_GRACE)
    try:
        answer = await ask(
            request,
            call,
            target.to,
            path,
            module=target.module,
            interface=InterfaceRole.RECEIVER,
            body=body,
            platform=platform,
        )
    except OcpiError:  # 4002, 4003, no envelope, or a URL refused (2001): no result will come
        await results.close(app[POOL], proxied.id)
        raise
    wait = response_timeout(answer.ok, answer.data)
    data = answer.data
    said = data.get("result") if isinstance(data, dict) else None
    await results.answered(app[POOL], proxied.id, str(said) if said else None, wait)
    return Relayed(relayed(request, call, target.to, answer), wait)


def _result_delivery(
    proxied: ProxiedRequest, body: str, from_party: PartyKey, correlation_id: str
) -> NewDelivery:
    # Keyed by request: several results for one request (a reservation's ACCEPTED, then its
    # CANCELED_RESERVATION) reach the requester in the order they came. The correlation id is
    # the one of the request the hub forwards (checklist §1.2): the receiver's result POST, or
    # the original request's for a TIMEOUT the hub makes up itself.
    return NewDelivery(
        receiver_platform_id=proxied.requester_platform_id,
        to_party=proxied.requester,
        from_party=from_party,
        module=proxied.module,
        interface=InterfaceRole.SENDER.value,  # a response_url is on the requester's Sender side
        method="POST",
        path="",
        body=body,
        correlation_id=correlation_id,
        object_key=f"{proxied.module}/{proxied.id}",
        url=proxied.response_url,
    )


# The result object a request expects, or None when the URL does not fit the request.
Expected = Callable[[ProxiedRequest], type[OcpiModel] | None]
# When a result leaves its request open for more: a datetime ahead, else None (closed).
OpenUntil = Callable[[ProxiedRequest, Any], datetime | None]


async def relay_result(
    request: web.Request, module: ModuleID, expected: Expected, open_until: OpenUntil
) -> web.Response:
    """A receiver POSTs a result to the hub's URL: answer 1000 at once and queue its delivery,
    body unchanged, to the requester's own response_url (FROM the receiver, TO the requester,
    the correlation id of the original request).

    404 unless the URL names a request of this module (and kind) sent to the caller's platform;
    2001 for a result that is not the object this request expects; 2000, and no delivery, once
    the request is closed (its timeout passed, or it was not ACCEPTED).
    """
    pool = request.app[POOL]
    proxied = await results.get(pool, request.match_info["id"])
    model = expected(proxied) if proxied is not None else None
    if (
        proxied is None
        or model is None
        or proxied.module != module.value
        or proxied.receiver_platform_id != request[CALLER].id
    ):
        raise NotFound("no such response_url at this hub")
    result = parse(model, await read_json(request))
    body = (await request.read()).decode()
    async with pool.acquire() as conn, conn.transaction():
        taken = await results.take_result(conn, proxied.id, open_until(proxied, result))
        if taken is None:
            # Its timeout passed (the requester heard TIMEOUT, or gave up), or a result came
            # already: relaying this one now would contradict what the requester was told.
            raise ClientError(
                f"this {module.value} request is closed: its result is no longer expected"
                " and was not relayed"
            )
        delivery = _result_delivery(proxied, body, proxied.receiver, request[CORRELATION_ID])
        await outbox.enqueue(conn, [delivery])
    return ocpi_response(envelope(None))


# --- The sweeper -------------------------------------------------------------------------------


async def sweep(
    pool: asyncpg.Pool, settings: Settings, module: ModuleID, timeout_result: bytes | None
) -> int:
    """Close `module`'s requests whose deadline passed; for each that was ACCEPTED and got no
    result, queue `timeout_result` (if any) to the requester, FROM the hub, which made it up.
    Exactly once per request, however many hub processes sweep (results.expire)."""
    hub = (settings.country_code, settings.party_id)
    async with pool.acquire() as conn, conn.transaction():
        expired = await results.expire(conn, module.value)
        if timeout_result is not None:
            body = timeout_result.decode()
            await outbox.enqueue(
                conn, [_result_delivery(p, body, hub, p.correlation_id) for p in expired]
            )
    for proxied in expired:
        log.info("result_timed_out", module=module.value, kind=proxied.kind, id=proxied.id)
    return len(expired)


def sweeper(
    module: ModuleID, timeout_result: bytes | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context running `sweep` every `result_sweep_interval` seconds, and
    purging what is older than RETENTION every PURGE_INTERVAL (idempotent: that each module's
    sweeper purges both tables costs one empty DELETE an hour)."""

    async def run(app: web.Application) -> None:
        pool, settings, database = app[POOL], app[SETTINGS], app[DATABASE]
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        while True:
            try:
                await sweep(pool, settings, module, timeout_result)
                if loop.time() >= next_purge:
                    await results.purge(pool, RETENTION)
                    next_purge = loop.time() + PURGE_INTERVAL
            except Exception as exc:
                # A bug must not stop every later timeout either: log it and sweep again.
                database.round_failed(exc, "result_sweep_failed", module=module.value)
            await asyncio.sleep(settings.result_sweep_interval)

    return background(f"{module.value}-result-sweeper", run)
