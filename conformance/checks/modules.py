"""Each functional module's interface for the role under test, where it can be checked without
side effects (mod_locations, mod_tariffs, mod_sessions, mod_cdrs, mod_tokens, mod_commands;
checklist §4).

Reads: every Sender list answers; a Location, EVSE and Connector read by id; an unknown
Location is 404; an unknown token's real-time authorization is 404 + 2004. Writes (never in
--read-only) touch only objects the suite creates, ids prefixed `CONFTEST-`: this module holds
the ones for a CPO under test (the suite as eMSP pushes a Token, sends a command for a Location
that does not exist); `modules_receivers.py` those for an eMSP under test.
"""

from __future__ import annotations

from typing import Any

from conformance import testobjects
from conformance.checks import check
from conformance.context import Context
from conformance.envelope import answer_problems, describe, succeeded
from conformance.lists import full_read, sender_lists
from conformance.model import (
    ALL_ROLES,
    ONLY_221,
    Exchange,
    NotApplicable,
    Phase,
    Role,
    Verdict,
    failed,
    passed,
    warned,
)
from conformance.spec import V221
from conformance.validate import errors, validate


def step(problems: list[str], what: str, exchange: Exchange, shape: str | None = None) -> bool:
    """Record why `exchange` is not a success (if it is not); True when it is."""
    found = answer_problems(exchange, shape)
    problems += [f"{what}: {p}" for p in found]
    return not found


def expect_2001(problems: list[str], what: str, exchange: Exchange) -> None:
    """A PATCH without last_updated must be refused with 2001 (transport_and_format §1.8 [M])."""
    if exchange.status_code != 2001:
        problems.append(f"{what} was answered {describe(exchange)}, not status_code 2001")


def conclude(
    problems: list[str], ok: str, expected: str, doubts: list[str] | None = None
) -> Verdict:
    """FAIL on problems, WARN on doubts (SHOULDs not met), else PASS; evidence: every exchange
    the check made (the runner attaches them)."""
    if problems:
        return failed("; ".join(problems), expected=expected)
    if doubts:
        return warned("; ".join(doubts), expected=expected)
    return passed(ok)


def created_then_replaced(first: Exchange, second: Exchange) -> list[str]:
    """Doubts about the HTTP status of a first PUT (new: 201) and a second one (replaced:
    200), status_codes §1.4 [S]."""
    doubts = []
    if first.status != 201:
        doubts.append(f"a new object's PUT answered HTTP {first.status}, not 201")
    if second.status != 200:
        doubts.append(f"a replacing PUT answered HTTP {second.status}, not 200")
    return doubts


def object_problems(kind: str, data: Any, what: str, version: str = V221) -> list[str]:
    return [f"{what}: {p}" for p in errors(validate(kind, data, kind, version))]


@check(
    "modules.sender_lists",
    clause="mod_* Sender interface GET list (checklist §4, §1.5)",
    roles=ALL_ROLES,
)
async def sender_list_answers(ctx: Context) -> Verdict:
    """Each Sender list of the role answers HTTP 200, status 1000, a list"""
    lists = sender_lists(ctx)
    if not lists:
        raise NotApplicable(f"the endpoint offers no Sender list for a {ctx.role.value}")
    problems: list[str] = []
    evidence = []
    for module, _ in lists:
        full = await full_read(ctx, module)
        evidence.append(full.first.exchange)
        step(problems, f"GET {module}", full.first.exchange, "list")
    if problems:
        return failed("; ".join(problems), expected="HTTP 200, 1000, data: list", evidence=evidence)
    return passed(f"{', '.join(m for m, _ in lists)} answered", evidence=evidence)


@check(
    "modules.locations.sender_object",
    clause="mod_locations §4.1 Sender GET object",
    roles={Role.CPO, Role.HUB},
)
async def location_by_id(ctx: Context) -> Verdict:
    """A Location, its EVSE and its Connector are read by id on the Sender"""
    base = ctx.require_endpoint("locations", "SENDER")
    full = await full_read(ctx, "locations")
    found = [i for i in full.items if isinstance(i, dict) and isinstance(i.get("id"), str)]
    if not found:
        raise NotApplicable("no Location in the list to read by id")
    # Prefer one with an EVSE that has a Connector, to read all three levels.
    location = next((i for i in found if _first_connector(i) is not None), found[0])
    problems: list[str] = []
    headers = ctx.routing_headers()
    answer = await ctx.client.get(f"{base}/{location['id']}", headers=headers)
    if step(problems, "GET Location", answer, "object"):
        problems += object_problems("Location", answer.data, "Location", ctx.options.version)
        if answer.data.get("id") != location["id"]:
            problems.append(f"asked for {location['id']}, got {answer.data.get('id')!r}")
    levels = _first_connector(location)
    if levels is not None:
        evse_uid, connector_id = levels
        evse = await ctx.client.get(f"{base}/{location['id']}/{evse_uid}", headers=headers)
        if step(problems, "GET EVSE", evse, "object"):
            problems += object_problems("EVSE", evse.data, "EVSE", ctx.options.version)
            if evse.data.get("uid") != evse_uid:
                problems.append(f"asked for EVSE {evse_uid}, got {evse.data.get('uid')!r}")
        url = f"{base}/{location['id']}/{evse_uid}/{connector_id}"
        connector = await ctx.client.get(url, headers=headers)
        if step(problems, "GET Connector", connector, "object"):
            problems += object_problems(
                "Connector", connector.data, "Connector", ctx.options.version
            )
    return conclude(
        problems, f"Location {location['id']} read by id", "1000 with the object asked for"
    )


def _first_connector(location: dict[str, Any]) -> tuple[str, str] | None:
    for evse in location.get("evses") or []:
        if isinstance(evse, dict) and isinstance(evse.get("uid"), str):
            for connector in evse.get("connectors") or []:
                if isinstance(connector, dict) and isinstance(connector.get("id"), str):
                    return evse["uid"], connector["id"]
    return None


@check(
    "modules.locations.unknown",
    clause="status_codes §1.4 [S] (GET of what does not exist: 404)",
    roles={Role.CPO, Role.HUB},
)
async def unknown_location(ctx: Context) -> Verdict:
    """GET of an unknown Location is HTTP 404"""
    base = ctx.require_endpoint("locations", "SENDER")
    answer = await ctx.client.get(
        f"{base}/CONFTEST-NO-SUCH-LOCATION", headers=ctx.routing_headers()
    )
    if answer.status == 404:
        return passed("HTTP 404")
    if succeeded(answer):
        return failed(
            f"an unknown Location was answered {describe(answer)}",
            expected="HTTP 404 (an OCPI error at least)",
        )
    return warned(f"answered {describe(answer)}", expected="HTTP 404")


@check(
    "modules.tokens.authorize_unknown",
    clause="mod_tokens §4.5 [M] (unknown token: HTTP 404 and status_code 2004)",
    roles={Role.EMSP},
    writes=True,  # a POST, though it only asks: not in --read-only
    versions=ONLY_221,
)
async def authorize_unknown(ctx: Context) -> Verdict:
    """Real-time authorization of an unknown token is HTTP 404 with 2004, no data"""
    base = ctx.require_endpoint("tokens", "SENDER")
    uid = testobjects.test_id("NO-SUCH-TOKEN")
    answer = await ctx.client.request(
        "POST", f"{base}/{uid}/authorize", headers=ctx.routing_headers()
    )
    problems = []
    if answer.status != 404:
        problems.append(f"HTTP {answer.status}, not 404")
    if answer.status_code != 2004:
        problems.append(f"status_code {answer.status_code!r}, not 2004")
    if answer.data not in (None, "", [], {}):
        problems.append("data is present")
    return conclude(problems, "HTTP 404 with 2004", "HTTP 404, status_code 2004, no data")


@check(
    "modules.tokens.receiver",
    clause="mod_tokens §4.5 Receiver (uid + type; type defaults to RFID); §1.8 [M]; §1.4 [S]",
    roles={Role.CPO},
    phase=Phase.WRITE,
    writes=True,
    versions=ONLY_221,
)
async def tokens_receiver(ctx: Context) -> Verdict:
    """A CONFTEST Token is PUT, read back (by type too), PATCHed; PATCH w/o last_updated 2001"""
    base = ctx.require_endpoint("tokens", "RECEIVER")
    cc, pid = ctx.identity
    uid = testobjects.test_id("TOK")
    url = f"{base}/{cc}/{pid}/{uid}"
    headers = ctx.routing_headers()
    token = {**testobjects.token(cc, pid, uid), "last_updated": testobjects.moment(-120)}
    problems: list[str] = []
    doubts: list[str] = []
    put = await ctx.client.request("PUT", url, json_body=token, headers=headers)
    if not step(problems, "PUT Token", put):
        return conclude(problems, "", "PUT accepted (1000)")
    read = await ctx.client.get(url, headers=headers)
    if step(problems, "GET Token", read, "object"):
        problems += object_problems("Token", read.data, "Token")
        if read.data.get("uid") != uid:
            problems.append(f"read back uid {read.data.get('uid')!r}")
    replaced = {**token, "last_updated": testobjects.moment(-60)}
    again = await ctx.client.request("PUT", url, json_body=replaced, headers=headers)
    if step(problems, "second PUT", again):
        doubts += created_then_replaced(put, again)
    patch = {"valid": False, "last_updated": testobjects.moment()}
    if step(
        problems,
        "PATCH Token",
        await ctx.client.request("PATCH", url, json_body=patch, headers=headers),
    ):
        again = await ctx.client.get(url, headers=headers)
        if (
            step(problems, "GET after PATCH", again, "object")
            and again.data.get("valid") is not False
        ):
            problems.append("the PATCH did not change valid to false")
    # A Token is (uid, type), and an absent type means RFID (mod_tokens §4.5).
    typed = await ctx.client.get(url, params={"type": "RFID"}, headers=headers)
    if step(problems, "GET ?type=RFID", typed, "object") and typed.data.get("uid") != uid:
        problems.append(f"GET ?type=RFID read back uid {typed.data.get('uid')!r}")
    other = await ctx.client.get(url, params={"type": "APP_USER"}, headers=headers)
    if succeeded(other) and isinstance(other.data, dict) and other.data.get("type") == "RFID":
        problems.append("GET ?type=APP_USER answered the RFID Token: type is part of its id")
    unstamped = await ctx.client.request("PATCH", url, json_body={"valid": True}, headers=headers)
    expect_2001(problems, "PATCH without last_updated", unstamped)
    if succeeded(unstamped):  # it took it: leave the test token invalid again
        await ctx.client.request("PATCH", url, json_body=patch, headers=headers)
    return conclude(
        problems,
        f"Token {uid} PUT, read, PATCHed; unstamped PATCH refused",
        "PUT/PATCH 1000 (HTTP 201 new, 200 replaced), GET returns the Token, PATCH w/o "
        "last_updated 2001",
        doubts,
    )


@check(
    "modules.commands.unknown_location",
    clause="mod_commands §4.6 (unknown Location: 2003 with CommandResponse REJECTED)",
    roles={Role.CPO},
    phase=Phase.WRITE,
    writes=True,
    versions=ONLY_221,
)
async def command_unknown_location(ctx: Context) -> Verdict:
    """START_SESSION for a Location that does not exist is refused, never ACCEPTED"""
    base = ctx.require_endpoint("commands", "RECEIVER")
    cc, pid = ctx.identity
    command = {
        "response_url": f"{ctx.party.public_url}/callbacks/{testobjects.test_id('CMD')}",
        "token": testobjects.token(cc, pid, testobjects.test_id("TOK")),
        "location_id": "CONFTEST-NO-SUCH-LOCATION",
    }
    answer = await ctx.client.request(
        "POST", f"{base}/START_SESSION", json_body=command, headers=ctx.routing_headers()
    )
    data = answer.data
    result = data.get("result") if isinstance(data, dict) else None
    expected = "status_code 2003, data.result REJECTED"
    if result == "ACCEPTED":
        return failed("a command for an unknown Location was ACCEPTED", expected=expected)
    if answer.status_code == 2003 and result == "REJECTED":
        problems = object_problems("CommandResponse", data, "CommandResponse")
        return conclude(problems, "2003 with REJECTED", expected)
    return warned(f"answered {describe(answer)} (result {result!r})", expected=expected)
