"""What every functional-module handler does first, and the relay to one party.

`functional_call` reads the routing headers, pins the requesting party to the caller's platform,
takes the routing decision and looks up the party OCPI-to names: an unknown one is 4001 there,
for every functional route, before any handler reads the content (checklist §1.4, §5) — and so
is one the requesting party has no agreement with (core.agreements), in the same words. `forward`
carries out a DIRECT decision (checklist §5): a new X-Request-ID, the same X-Correlation-ID, the
original OCPI-from/to, and the receiver's answer relayed unchanged, 2xxx/3xxx included.
4003/4002 when the receiver is not connected or too slow. The receiver is the first route of
the party that can take the request (`receiving_platform`: the route chosen for it first), and
every relay is counted as a sample of that route (storage.route_meter), a latency of its
destination for /metrics, and two hops of the trace, the relay and its answer (web.observe).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from ocpi_hub import dialects
from ocpi_hub.core.agreements import Agreements, Visible
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Platform, Role
from ocpi_hub.core.route_quality import succeeded
from ocpi_hub.core.routing import (
    Decision,
    PartyKey,
    decide,
    parse_routing_headers,
    routing_headers,
)
from ocpi_hub.core.urls import endpoint_url
from ocpi_hub.errors import (
    ForeignParty,
    ForwardTimeout,
    HubError,
    InvalidParameters,
    ReceiverNotConnected,
    UnknownReceiver,
)
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerResponse, PeerTimeout, PeerUnreachable, Target
from ocpi_hub.web import observe
from ocpi_hub.web.keys import (
    CALLER,
    CLIENT,
    CORRELATION_ID,
    METER,
    PLATFORMS,
    RESPONSE_HEADERS,
    ROUTE,
    SETTINGS,
    STATUS_CODE,
)
from ocpi_hub.web.middleware import body_bytes, ocpi_response

log = get_logger("ocpi_hub.web.relay")

# Answer headers worth relaying from a receiver besides the envelope itself.
RELAYED_HEADERS = ("Location", "Link", "X-Total-Count", "X-Limit")


@dataclass(frozen=True)
class Call:
    """A functional-module request as the hub understood it."""

    caller: Platform
    sender: PartyKey
    hub: PartyKey
    decision: Decision
    module: ModuleID
    interface: InterfaceRole
    # Who trades with whom (core.agreements), as of this request.
    agreements: Agreements = field(default_factory=Agreements)
    # The platforms hosting the party OCPI-to named (decision.to when the call was resolved),
    # looked up once: the relay reuses them.
    named: PartyKey | None = None
    named_hosts: tuple[Platform, ...] = ()

    @property
    def visible(self) -> Visible | None:
        """Whose objects of this module the requesting party sees (None: everyone's)."""
        return self.agreements.visible(self.sender, self.module.value)

    def trades_with(self, party: PartyKey) -> bool:
        """Whether the requesting party may trade with `party` in this module."""
        return self.agreements.allows(self.sender, party, self.module.value)

    def same_id(self, named: str, stored: str) -> bool:
        """Whether an id the caller named is a stored object's id, as the caller's dialect
        compares ids (the store matches them as CiStrings: a platform whose ids are
        case-sensitive means another object by `loc1` than by `LOC1`)."""
        return dialects.same_id(dialects.spoken_by(self.caller), named, stored)

    def hosts_of(self, party: PartyKey) -> tuple[Platform, ...] | None:
        """The platforms hosting `party` if the call looked them up already, else None."""
        return self.named_hosts if party == self.named else None


async def functional_call(request: web.Request, module: ModuleID, interface: InterfaceRole) -> Call:
    """The request as the hub understands it. OCPI-to naming a party no platform of the hub
    hosts is 4001 here, whatever the route, method or content: the receiver is resolved
    before anything is read from the body, so no content check can answer first."""
    caller: Platform = request[CALLER]
    from_party, to = parse_routing_headers(request.headers)
    sender = requesting_party(caller, from_party)
    settings = request.app[SETTINGS]
    hub = (settings.country_code, settings.party_id)
    request[RESPONSE_HEADERS].update(routing_headers(hub, sender))
    decision = decide(module, interface, request.method, to, hub)
    cache = request.app[PLATFORMS]
    call = Call(caller, sender, hub, decision, module, interface, await cache.agreements())
    request[ROUTE] = (sender, decision.to)
    if decision.to is None:
        return call
    hosts = tuple(await cache.platforms_of_party(*decision.to))
    if not hosts or not call.trades_with(decision.to):
        if hosts:
            refused(call, decision.to)
        raise UnknownReceiver(f"{'*'.join(decision.to)} is not known to this hub")
    return replace(call, named=decision.to, named_hosts=hosts)


def refused(call: Call, party: PartyKey) -> None:
    """Log a request refused for want of an agreement (the requester is answered as if
    `party` were unknown)."""
    log.info(
        "agreement_refused",
        module=call.module.value,
        sender="*".join(call.sender),
        party="*".join(party),
    )


def requesting_party(caller: Platform, from_party: PartyKey | None) -> PartyKey:
    """OCPI-from must name one of the caller's parties; it may be left out by a one-party
    platform, never by one that hosts several (checklist §1.6)."""
    if from_party is not None:
        if caller.party(*from_party) is None:
            raise InvalidParameters(
                f"OCPI-from {'*'.join(from_party)} is not a party of the calling platform"
            )
        return from_party
    keys = {party.key for party in caller.parties}
    if len(keys) == 1:
        return keys.pop()
    raise InvalidParameters("OCPI-from-* headers are required: this platform hosts several parties")


def owned_party(caller: Platform, country_code: str, party_id: str, role: Role) -> PartyKey:
    """The URL's {country_code}/{party_id} must be one of the caller's parties in `role`: HTTP
    404 with 2001 otherwise, the URL naming no object the caller may address (checklist §1.7)."""
    party = caller.party(country_code, party_id, role)
    if party is None:
        raise ForeignParty(f"{country_code}/{party_id} is not one of your {role.value} parties")
    return party.key


def owned_party_in_body(caller: Platform, body: dict[str, Any], role: Role) -> PartyKey:
    """An object POSTed to a module URL that names no party (a CDR) must carry one of the
    caller's parties in `role` as its own country_code/party_id. Otherwise 2001 with HTTP 200:
    the URL is right and the JSON valid, a field is wrong (checklist §1.4). The spec's 404 is
    for an unknown object in the URL, which this is not."""
    country_code, party_id = str(body["country_code"]), str(body["party_id"])
    party = caller.party(country_code, party_id, role)
    if party is None:
        raise InvalidParameters(
            f"country_code/party_id: {country_code}/{party_id} is not one of your"
            f" {role.value} parties"
        )
    return party.key


async def receiving_platform(
    request: web.Request,
    to: PartyKey,
    module: ModuleID,
    interface: InterfaceRole,
    hosts: Sequence[Platform] | None = None,
) -> Platform:
    """The connected platform hosting `to` that offers `module`/`interface`: 4001, 4003.
    `hosts`: the platforms hosting `to` when the caller looked them up already."""
    candidates = (
        hosts if hosts is not None else await request.app[PLATFORMS].platforms_of_party(*to)
    )
    if not candidates:
        raise UnknownReceiver(f"{'*'.join(to)} is not known to this hub")
    for platform in candidates:
        if platform.registered and platform.endpoint(module, interface) and platform.outgoing_token:
            return platform
    lacking = [
        refusal
        for platform in candidates
        if (refusal := dialects.refusal(dialects.spoken_by(platform), module.value))
    ]
    reason = f": {lacking[0]}" if lacking else ""
    raise ReceiverNotConnected(
        f"{'*'.join(to)} is not connected for {module.value} {interface.value}{reason}"
    )


async def ask(
    request: web.Request,
    call: Call,
    to: PartyKey,
    path: str,
    *,
    module: ModuleID | None = None,
    interface: InterfaceRole | None = None,
    body: bytes | None = None,
    timeout: float | None = None,
    platform: Platform | None = None,
) -> PeerResponse:
    """Send this request to `to`: its `module`/`interface` endpoint (the call's by default) +
    `path` (below the endpoint, query included, from `core.urls.object_path`), FROM the
    requesting party, with a new X-Request-ID and the same X-Correlation-ID. The body is the
    request's own unless given.

    2001 when the URL would not stay under the endpoint (nothing is sent); 4001/4003 when `to`
    is unknown or not connected (or refuses the hub's token), 4002 past `timeout` (the forward
    timeout by default), 4000 when the answer is not an OCPI envelope.
    """
    module = module or call.module
    interface = interface or call.interface
    if platform is None:
        platform = await receiving_platform(request, to, module, interface, call.hosts_of(to))
    url = endpoint_url(str(platform.endpoint(module, interface)), path)
    if body is None and request.body_exists:
        body = await body_bytes(request) or None  # aiohttp caches it: handlers may have read it
    settings = request.app[SETTINGS]
    timeout = settings.forward_timeout if timeout is None else timeout
    name = "*".join(to)
    request_id = str(uuid.uuid4())
    started = time.monotonic()
    answer: PeerResponse | None = None
    # Also when a deadline of the caller's cancels the relay: the route was slow.
    failure: str | None = "no answer before the requester's deadline"
    try:
        answer = await request.app[CLIENT].request(
            request.method,
            url,
            dialect=dialects.spoken_by(platform),
            token=str(platform.outgoing_token),
            timeout=timeout,
            body=body,
            correlation_id=request[CORRELATION_ID],
            request_id=request_id,
            headers=routing_headers(call.sender, to),
            single=request.method == "GET",  # the hub relays GETs of one object only
            target=Target(platform, module.value, interface, path),
        )
        failure = None
    except PeerTimeout as exc:
        failure = str(exc)
        raise ForwardTimeout(f"{name} did not answer within {timeout:g} s") from exc
    except PeerUnreachable as exc:
        failure = str(exc)
        raise ReceiverNotConnected(f"{name} could not be reached") from exc
    finally:
        seconds = time.monotonic() - started
        ok = answer is not None and succeeded(answer.http_status, answer.status_code is not None)
        # Route choice: every relay is a sample of the route it took (core.route_quality).
        request.app[METER].record(platform.id, ok, seconds)
        observe.relay(request, call.sender, to, url, request_id, seconds, answer, failure)
    if answer.http_status in (401, 403):
        # The receiver refused the hub's own token: the hub cannot use it (4003). Relaying the
        # 401 would tell the requester that *its* credentials are dead.
        raise ReceiverNotConnected(
            f"{name} refused the hub's credentials (HTTP {answer.http_status})"
        )
    if answer.status_code is None:
        raise HubError(f"{name} answered HTTP {answer.http_status} without an OCPI envelope")
    return answer


def relayed(request: web.Request, call: Call, to: PartyKey, answer: PeerResponse) -> web.Response:
    """The receiver's answer back to the requester unchanged, OCPI-from the receiver."""
    request[STATUS_CODE] = int(answer.status_code or 0)
    request[RESPONSE_HEADERS].update(routing_headers(to, call.sender))
    headers = {h: answer.headers[h] for h in RELAYED_HEADERS if h in answer.headers}
    return ocpi_response(answer.raw, status=answer.http_status, headers=headers)


async def forward(request: web.Request, call: Call, path: str) -> web.Response:
    """Relay this request to the party named by OCPI-to, at `path` below its endpoint (from
    `objects.relay_path`), and relay its answer back."""
    to = call.decision.to
    assert to is not None
    return relayed(request, call, to, await ask(request, call, to, path))
