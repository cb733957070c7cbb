"""What every functional-module handler does first, and the relay to one party.

`functional_call` reads the routing headers, pins the requesting party to the caller's platform
and takes the routing decision; `forward` carries out a DIRECT decision (checklist §5): a new
X-Request-ID, the same X-Correlation-ID, the original OCPI-from/to, and the receiver's answer
relayed unchanged, 2xxx/3xxx included. 4001/4003/4002 when the receiver is unknown, not
connected, or too slow.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Platform, Role
from ocpi_hub.core.routing import (
    Decision,
    PartyKey,
    decide,
    parse_routing_headers,
    routing_headers,
)
from ocpi_hub.errors import (
    ForeignParty,
    ForwardTimeout,
    HubError,
    InvalidParameters,
    ReceiverNotConnected,
    UnknownReceiver,
)
from ocpi_hub.push.client import PeerTimeout, PeerUnreachable
from ocpi_hub.storage.repositories import platforms
from ocpi_hub.web.keys import (
    CALLER,
    CLIENT,
    CORRELATION_ID,
    POOL,
    RESPONSE_HEADERS,
    SETTINGS,
    STATUS_CODE,
)
from ocpi_hub.web.middleware import ocpi_response

# Answer headers worth relaying from a receiver besides the envelope itself.
_RELAYED_HEADERS = ("Location", "Link", "X-Total-Count", "X-Limit")


@dataclass(frozen=True)
class Call:
    """A functional-module request as the hub understood it."""

    caller: Platform
    sender: PartyKey
    hub: PartyKey
    decision: Decision
    module: ModuleID
    interface: InterfaceRole


def functional_call(request: web.Request, module: ModuleID, interface: InterfaceRole) -> Call:
    caller: Platform = request[CALLER]
    from_party, to = parse_routing_headers(request.headers)
    sender = requesting_party(caller, from_party)
    settings = request.app[SETTINGS]
    hub = (settings.country_code, settings.party_id)
    request[RESPONSE_HEADERS].update(routing_headers(hub, sender))
    return Call(
        caller, sender, hub, decide(module, interface, request.method, to, hub), module, interface
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
    """The URL's {country_code}/{party_id} must be one of the caller's parties in `role`."""
    party = caller.party(country_code, party_id, role)
    if party is None:
        raise ForeignParty(f"{country_code}/{party_id} is not one of your {role.value} parties")
    return party.key


async def receiving_platform(
    request: web.Request, to: PartyKey, module: ModuleID, interface: InterfaceRole
) -> Platform:
    """The connected platform hosting `to` that offers `module`/`interface`: 4001, 4003."""
    candidates = await platforms.platforms_of_party(request.app[POOL], *to)
    if not candidates:
        raise UnknownReceiver(f"{'*'.join(to)} is not known to this hub")
    for platform in candidates:
        if platform.registered and platform.endpoint(module, interface) and platform.outgoing_token:
            return platform
    raise ReceiverNotConnected(
        f"{'*'.join(to)} is not connected for {module.value} {interface.value}"
    )


async def forward(request: web.Request, call: Call, suffix: str) -> web.Response:
    """Relay this request to the party named by OCPI-to and relay its answer back."""
    to = call.decision.to
    assert to is not None
    platform = await receiving_platform(request, to, call.module, call.interface)
    url = str(platform.endpoint(call.module, call.interface)).rstrip("/") + suffix
    body = await request.read() if request.can_read_body else None
    settings = request.app[SETTINGS]
    try:
        answer = await request.app[CLIENT].request(
            request.method,
            url,
            token=str(platform.outgoing_token),
            timeout=settings.forward_timeout,
            body=body or None,
            correlation_id=request[CORRELATION_ID],
            headers=routing_headers(call.sender, to),
            params=request.query,
        )
    except PeerTimeout as exc:
        raise ForwardTimeout(
            f"{'*'.join(to)} did not answer within {settings.forward_timeout:g} s"
        ) from exc
    except PeerUnreachable as exc:
        raise ReceiverNotConnected(f"{'*'.join(to)} could not be reached") from exc
    if answer.status_code is None:
        raise HubError(
            f"{'*'.join(to)} answered HTTP {answer.http_status} without an OCPI envelope"
        )
    request[STATUS_CODE] = answer.status_code
    request[RESPONSE_HEADERS].update(routing_headers(to, call.sender))
    relayed = {h: answer.headers[h] for h in _RELAYED_HEADERS if h in answer.headers}
    return ocpi_response(answer.raw, status=answer.http_status, headers=relayed)
