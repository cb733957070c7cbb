"""A Hub's routing between parties (transport_and_format §1.2, §1.6; hub rules §5), seen from
both ends: the suite plays the sending and the receiving parties (`--party`, hub_parties.py),
so it sees what the hub forwards, to whom, with which headers and ids.

Here: Broadcast Push (OCPI-to the hub), a push via the hub to one party (OCPI-to that party),
an OCPI-to nobody registered, and configuration modules, which are never routed.
`hub_delivery.py` holds the rest: proxied response_urls, personal data, parties gone.
Every object is a CONFTEST one of the suite's own parties; nothing runs in --read-only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from conformance import testobjects
from conformance.checks.hub_hops import (
    DELIVERY_WAIT,
    QUIET,
    as_evidence,
    fractional_moment,
    hop_problems,
    judged,
    quiet,
    same_party,
    shown,
    stamp_problems,
    waited,
)
from conformance.checks.hub_parties import (
    Member,
    hub_check,
    hub_key,
    members,
    new_push,
    pick,
    route,
    unknown_party,
)
from conformance.checks.transport import ROUTING
from conformance.context import Context
from conformance.envelope import describe, succeeded
from conformance.model import Exchange, NotApplicable, Verdict, failed, passed
from conformance.peer import OCPI_VERSION, Received

# Configuration modules are Platform↔Hub only (§1.6, §5): what the hub sends there is its own.
CONFIGURATION_PATHS = (
    "/ocpi/versions",
    f"/ocpi/{OCPI_VERSION}",
    f"/ocpi/{OCPI_VERSION}/credentials",
)
HUBCLIENTINFO_PATH = f"/ocpi/{OCPI_VERSION}/hubclientinfo"


def _location(member: Member) -> tuple[str, str, dict[str, Any]]:
    """(Receiver URL, id, body) of a CONFTEST Location of `member` whose `last_updated` values
    carry fractional seconds, oldest at the Connector (so no receiver has a reason to bump)."""
    cc, pid = member.key
    location_id, evse_uid = testobjects.test_id("LOC"), testobjects.test_id("EVSE")
    location = testobjects.location(cc, pid, location_id, evse_uid)
    evse = location["evses"][0]
    evse["connectors"][0]["last_updated"] = fractional_moment(90, 125)
    evse["last_updated"] = fractional_moment(60, 250)
    location["last_updated"] = fractional_moment(30, 375)
    url = f"{member.endpoint('locations', 'RECEIVER')}/{cc}/{pid}/{location_id}"
    return url, location_id, location


def _marks(found: list[Member]) -> dict[str, int]:
    """How many requests each member's party had received: what comes later is this check's."""
    return {m.name: len(m.party.received) for m in found}


def _about(object_id: str, method: str | None = None) -> Callable[[Received], bool]:
    """A request the hub sent about `object_id` (in its URL), by `method` if given."""

    def matches(received: Received) -> bool:
        return object_id in received.path and (method is None or received.method == method)

    return matches


@hub_check(
    "hub.broadcast",
    clause="transport_and_format §1.6 Broadcast Push [M]; hub rules §5 [M] (no echo to the "
    "sender, new X-Request-ID, same X-Correlation-ID, last_updated untouched); §1.2 [M]",
)
async def broadcast(ctx: Context) -> Verdict:
    """A Location PUT to the hub reaches every eMSP FROM the hub, as sent, and not its CPO"""
    found = await members(ctx)
    cpo = pick(
        found, "CPO", scripted=True, why="an echo is seen only at a CPO that takes Locations"
    )
    emsps = [m for m in found if m.role == "EMSP"]
    if not emsps:
        raise NotApplicable("a broadcast needs an eMSP to reach: give --party EMSP:CC:PID:TOKEN_A")
    hub = hub_key(ctx)
    url, location_id, location = _location(cpo)
    marks = _marks(found)
    started = time.monotonic()
    put = await cpo.client.request("PUT", url, json_body=location, headers=route(cpo.key, hub))
    evidence: list[Exchange] = [put]
    expected = (
        "each eMSP gets the PUT at the owner's URL, OCPI-from the hub, OCPI-to itself, a new "
        "X-Request-ID, the same X-Correlation-ID, every last_updated as sent; the CPO gets nothing"
    )
    if not succeeded(put):
        message = f"the broadcast PUT was answered {describe(put)}"
        return failed(message, expected=expected, evidence=evidence)
    problems: list[str] = []
    doubts: list[str] = []
    owner_path = f"/{cpo.key[0]}/{cpo.key[1]}/{location_id}".upper()
    for emsp in emsps:
        got = await waited(emsp, _about(location_id, "PUT"), marks[emsp.name])
        if got is None:
            problems.append(f"never reached the eMSP {emsp.name} within {DELIVERY_WAIT:g} s")
            continue
        evidence.append(as_evidence(emsp, got))
        what = f"at {emsp.name}"
        if not got.path.upper().rstrip("/").endswith(owner_path):
            # §5: client-owned-object URLs keep the original owner's country_code/party_id.
            problems.append(f"{what}: delivered to {got.path}, not the owner's …{owner_path}")
        problems += hop_problems(what, got, put, hub, emsp.key)
        wrong, odd = stamp_problems(what, got.body, location)
        problems += wrong
        doubts += odd
    await asyncio.sleep(quiet(time.monotonic() - started))
    echoed = [r for r in cpo.party.since(marks[cpo.name]) if location_id in r.path]
    if echoed:
        problems.append(
            f"echoed back to the sending CPO {cpo.name}: {echoed[0].method} {echoed[0].path}"
        )
        evidence += [as_evidence(cpo, r) for r in echoed]
    # Locations are never deleted (mod_locations §4.1 [M]): a REMOVED EVSE retires the test one.
    retire = {"status": "REMOVED", "last_updated": testobjects.moment()}
    evse_uid = location["evses"][0]["uid"]
    await cpo.client.request(
        "PATCH", f"{url}/{evse_uid}", json_body=retire, headers=route(cpo.key, hub)
    )
    reached = ", ".join(m.name for m in emsps)
    return judged(
        problems,
        doubts,
        f"Location {location_id} reached {reached} as sent; no echo",
        expected,
        evidence,
    )


@hub_check(
    "hub.direct",
    clause="transport_and_format §1.6 Via Hub [M]; hub rules §5 [M] (route by OCPI-to, new "
    "X-Request-ID, same X-Correlation-ID, receiver errors relayed unchanged); §1.2 [M]",
)
async def direct(ctx: Context) -> Verdict:
    """A PUT with OCPI-to one eMSP reaches only it, FROM the CPO; its answer comes back unchanged"""
    found = await members(ctx)
    target = pick(found, "EMSP", scripted=True, why="the eMSP addressed must answer as scripted")
    other = pick(
        found, "EMSP", besides=(target,), why="the push must be seen NOT to reach a 2nd eMSP"
    )
    cpo = pick(found, "CPO", why="a Location is pushed by a CPO")
    assert target.scripted is not None  # pick(scripted=True)
    url, location_id, location = _location(cpo)
    # A distinctive refusal: a hub passes a receiver's 2xxx back as it is (§5 [M]).
    message = f"CONFTEST: {target.name} refuses {location_id} to see its answer relayed"
    target.scripted.answers[location_id] = (2001, message)
    marks = _marks(found)
    started = time.monotonic()
    put = await cpo.client.request(
        "PUT", url, json_body=location, headers=route(cpo.key, target.key)
    )
    evidence: list[Exchange] = [put]
    problems: list[str] = []
    doubts: list[str] = []
    answered = put.envelope.get("status_message") if put.envelope else None
    if put.status_code != 2001 or answered != message:
        problems.append(f"{target.name}'s answer 2001 {message!r} came back as {describe(put)}")
    # §1.6 "Direct response, Hub to requesting platform": TO the CPO, FROM the eMSP.
    origin = (put.header("OCPI-from-country-code"), put.header("OCPI-from-party-id"))
    back_to = (put.header("OCPI-to-country-code"), put.header("OCPI-to-party-id"))
    if not same_party(origin, target.key) or not same_party(back_to, cpo.key):
        problems.append(
            f"the answer is OCPI-from {shown(origin)}, OCPI-to {shown(back_to)}, not from "
            f"{target.name} to {cpo.name}"
        )
    got = await waited(target, _about(location_id, "PUT"), marks[target.name])
    if got is None:
        problems.append(f"never reached {target.name} within {DELIVERY_WAIT:g} s")
    else:
        evidence.append(as_evidence(target, got))
        problems += hop_problems(f"at {target.name}", got, put, cpo.key, target.key)
        wrong, odd = stamp_problems(f"at {target.name}", got.body, location)
        problems += wrong
        doubts += odd
    await asyncio.sleep(quiet(time.monotonic() - started))
    strays = [r for r in other.party.since(marks[other.name]) if location_id in r.path]
    if strays:
        problems.append(f"also reached {other.name}, which OCPI-to did not name")
        evidence += [as_evidence(other, r) for r in strays]
    del target.scripted.answers[location_id]
    return judged(
        problems,
        doubts,
        f"{location_id} reached only {target.name}; its 2001 came back unchanged",
        "only the eMSP named gets the PUT, OCPI-from the CPO, a new X-Request-ID, the same "
        "X-Correlation-ID; its answer (2001, status_message) comes back as it was, OCPI-from it",
        evidence,
    )


@hub_check(
    "hub.unknown_receiver",
    clause="hub rules §5 [M] (unknown TO: 4001); status_codes §1.4",
)
async def unknown_receiver(ctx: Context) -> Verdict:
    """A push with OCPI-to naming a party nobody registered is answered 4001"""
    found = await members(ctx)
    sender = found[0]  # the main identity: a push of its role's own objects
    nobody = unknown_party(found, hub_key(ctx))
    push = new_push(sender)
    answer = await sender.client.request(
        "PUT", push.url, json_body=push.body, headers=route(sender.key, nobody)
    )
    if answer.status_code == 4001:
        return passed(f"OCPI-to {'*'.join(nobody)}: 4001", evidence=[answer])
    return failed(
        f"a push to {'*'.join(nobody)}, a party nobody registered, was answered {describe(answer)}",
        expected="status_code 4001 (unknown receiver)",
        evidence=[answer],
    )


def _configuration(received: Received) -> bool:
    path = received.path.rstrip("/")
    return path in CONFIGURATION_PATHS or path.startswith(HUBCLIENTINFO_PATH)


def _roles(exchange: Exchange) -> list[tuple[str, str, str]]:
    """The (role, country_code, party_id) of a Credentials answer, sorted."""
    data = exchange.data
    roles = data.get("roles") if isinstance(data, dict) else None
    return sorted(
        (str(r.get("role")), str(r.get("country_code")), str(r.get("party_id")))
        for r in (roles if isinstance(roles, list) else [])
        if isinstance(r, dict)
    )


@hub_check(
    "hub.configuration_not_routed",
    clause="transport_and_format §1.6 [M] (no routing headers on configuration modules); hub "
    "rules §5 [M] (versions, credentials, hubclientinfo: Platform↔Hub only, never routed)",
)
async def configuration_not_routed(ctx: Context) -> Verdict:
    """The hub's versions/credentials/hubclientinfo calls carry no OCPI-to/from; none is routed"""
    found = await members(ctx)
    problems: list[str] = []
    doubts: list[str] = []
    evidence: list[Exchange] = []
    calls = 0
    # What the hub itself sent: registration callbacks, ClientInfo pushes (the answers are
    # transport.routing_headers' to judge).
    for member in found:
        for got in member.party.received:
            if not _configuration(got):
                continue
            calls += 1
            present = [h for h in ROUTING if got.header(h) is not None]
            if present:
                problems.append(
                    f"{got.method} {got.path} to {member.name} carried {', '.join(present)}"
                )
                evidence.append(as_evidence(member, got))
    # A credentials GET naming another party is still the hub's own: never routed.
    asker, named = found[0], found[1]
    mark = len(named.party.received)
    own = await asker.client.get(asker.credentials_url)
    addressed = await asker.client.get(asker.credentials_url, headers=route(asker.key, named.key))
    evidence += [own, addressed]
    code = addressed.status_code
    if isinstance(code, int) and 4000 <= code <= 4999:
        problems.append(f"a credentials GET OCPI-to {named.name} was routed: {describe(addressed)}")
    elif succeeded(addressed) and _roles(addressed) != _roles(own):
        problems.append(
            f"a credentials GET OCPI-to {named.name} answered roles {_roles(addressed)}"
        )
    elif not succeeded(addressed):
        doubts.append(f"a credentials GET with OCPI-to headers was refused: {describe(addressed)}")
    await asyncio.sleep(QUIET)
    reached = [r for r in named.party.since(mark) if r.path.rstrip("/").endswith("/credentials")]
    if reached:
        problems.append(f"the credentials GET reached {named.name}")
        evidence += [as_evidence(named, r) for r in reached]
    return judged(
        problems,
        doubts,
        f"{calls} configuration calls of the hub without routing headers; credentials not routed",
        "no OCPI-to/OCPI-from on the hub's versions, credentials, hubclientinfo calls; a "
        "credentials GET is answered by the hub whatever OCPI-to says",
        evidence,
    )
