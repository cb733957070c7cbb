"""The Receiver interfaces of an eMSP under test, exercised with objects the suite creates as a
CPO (ids prefixed `CONFTEST-`; never in --read-only): Locations (PUT, GET, PATCH of a
Connector bumping its parents' last_updated), Tariffs (PUT, GET, DELETE), Sessions (PATCH
appends charging periods) and CDRs (POST answered with a Location header).

Sessions and CDRs are personal data for one eMSP: they are addressed (cdr_token) to the eMSP
party the endpoint announces in its Credentials, and not applicable when it announces none
(a Hub's eMSPs come through HubClientInfo: routing them is a HUB-role check).
"""

from __future__ import annotations

from yarl import URL

from conformance import testobjects
from conformance.checks import check
from conformance.checks.modules import conclude, expect_2001, object_problems, step
from conformance.context import Context
from conformance.envelope import describe, succeeded
from conformance.model import ONLY_221, NotApplicable, Phase, Role, Verdict
from conformance.validate import parse_datetime


def _emsp_party(ctx: Context) -> tuple[str, str]:
    for role, cc, pid in ctx.endpoint_roles:
        if role == "EMSP":
            return (cc, pid)
    raise NotApplicable("the endpoint announces no EMSP party to address a Session or CDR to")


def _not_before(value: object, moment: str) -> bool:
    got = parse_datetime(value) if isinstance(value, str) else None
    wanted = parse_datetime(moment)
    return got is not None and wanted is not None and got >= wanted


@check(
    "modules.locations.receiver",
    clause="mod_locations §4.1 Receiver [M] (parents' last_updated); §1.8 [M]; §1.7 [S]",
    roles={Role.EMSP},
    versions=ONLY_221,  # pushes 2.2.1 test objects
    phase=Phase.WRITE,
    writes=True,
)
async def locations_receiver(ctx: Context) -> Verdict:
    """A CONFTEST Location is PUT and read back; a Connector PATCH bumps its parents"""
    base = ctx.require_endpoint("locations", "RECEIVER")
    cc, pid = ctx.identity
    location_id, evse_uid = testobjects.test_id("LOC"), testobjects.test_id("EVSE")
    url = f"{base}/{cc}/{pid}/{location_id}"
    headers = ctx.routing_headers()
    created = testobjects.location(cc, pid, location_id, evse_uid)
    created["last_updated"] = created["evses"][0]["last_updated"] = testobjects.moment(-120)
    created["evses"][0]["connectors"][0]["last_updated"] = testobjects.moment(-120)
    problems: list[str] = []
    doubts: list[str] = []
    put = await ctx.client.request("PUT", url, json_body=created, headers=headers)
    if not step(problems, "PUT Location", put):
        return conclude(problems, "", "PUT accepted (1000)")
    if put.status != 201:
        doubts.append(f"a new Location's PUT answered HTTP {put.status}, not 201")
    # The URL's id must be the body's (§1.7 [S]: 2001 otherwise); both are test ids.
    elsewhere = await ctx.client.request("PUT", f"{url}-OTHER", json_body=created, headers=headers)
    if elsewhere.status_code != 2001:
        doubts.append(f"a PUT whose URL id is not the body's answered {describe(elsewhere)}")
    read = await ctx.client.get(url, headers=headers)
    if step(problems, "GET Location", read, "object"):
        problems += object_problems("Location", read.data, "Location")
    stamp = testobjects.moment()
    patch = {"max_electric_power": 22000, "last_updated": stamp}
    patched = await ctx.client.request(
        "PATCH", f"{url}/{evse_uid}/1", json_body=patch, headers=headers
    )
    if step(problems, "PATCH Connector", patched):
        after = await ctx.client.get(url, headers=headers)
        if step(problems, "GET after PATCH", after, "object"):
            evses = after.data.get("evses") or [{}]
            if not _not_before(after.data.get("last_updated"), stamp):
                problems.append(
                    f"Location last_updated {after.data.get('last_updated')!r} not "
                    f"bumped to the Connector's {stamp}"
                )
            if not _not_before(evses[0].get("last_updated"), stamp):
                problems.append(
                    f"EVSE last_updated {evses[0].get('last_updated')!r} not bumped "
                    f"to the Connector's {stamp}"
                )
    unstamped = await ctx.client.request(
        "PATCH", url, json_body={"name": "unstamped"}, headers=headers
    )
    expect_2001(problems, "PATCH without last_updated", unstamped)
    # Locations are never deleted (§4.1 [M]); a REMOVED EVSE retires the test Location.
    await ctx.client.request(
        "PATCH",
        f"{url}/{evse_uid}",
        headers=headers,
        json_body={"status": "REMOVED", "last_updated": testobjects.moment()},
    )
    return conclude(
        problems,
        f"Location {location_id} PUT, read, PATCHed; parents bumped",
        "1000s (a new one HTTP 201); Location and EVSE last_updated ≥ the Connector's; "
        "unstamped PATCH 2001; URL id ≠ body id 2001",
        doubts,
    )


@check(
    "modules.tariffs.receiver",
    clause="mod_tariffs §4.4 Receiver; status_codes §1.4 [S] 404",
    roles={Role.EMSP},
    versions=ONLY_221,  # pushes 2.2.1 test objects
    phase=Phase.WRITE,
    writes=True,
)
async def tariffs_receiver(ctx: Context) -> Verdict:
    """A CONFTEST Tariff is PUT, read back and DELETEd; afterwards it is gone"""
    base = ctx.require_endpoint("tariffs", "RECEIVER")
    cc, pid = ctx.identity
    tariff_id = testobjects.test_id("TAR")
    url = f"{base}/{cc}/{pid}/{tariff_id}"
    headers = ctx.routing_headers()
    problems: list[str] = []
    put = await ctx.client.request(
        "PUT", url, json_body=testobjects.tariff(cc, pid, tariff_id), headers=headers
    )
    if not step(problems, "PUT Tariff", put):
        return conclude(problems, "", "PUT accepted (1000)")
    read = await ctx.client.get(url, headers=headers)
    if step(problems, "GET Tariff", read, "object"):
        problems += object_problems("Tariff", read.data, "Tariff")
    if not step(
        problems, "DELETE Tariff", await ctx.client.request("DELETE", url, headers=headers)
    ):
        return conclude(problems, "", "DELETE accepted (1000)")
    gone = await ctx.client.get(url, headers=headers)
    doubts = []
    if succeeded(gone) and gone.data:
        problems.append(f"the deleted Tariff is still served: {describe(gone)}")
    elif gone.status != 404:
        doubts.append(f"GET after DELETE answered {describe(gone)}, not HTTP 404")
    return conclude(
        problems,
        f"Tariff {tariff_id} PUT, read, deleted",
        "1000s; GET after DELETE: HTTP 404",
        doubts,
    )


@check(
    "modules.sessions.receiver",
    clause="mod_sessions §4.2 Receiver [M] (PATCH appends periods, PUT replaces); §1.8 [M]",
    roles={Role.EMSP},
    versions=ONLY_221,  # pushes 2.2.1 test objects
    phase=Phase.WRITE,
    writes=True,
)
async def sessions_receiver(ctx: Context) -> Verdict:
    """A CONFTEST Session: a PATCH appends a period, a PUT without periods clears them"""
    base = ctx.require_endpoint("sessions", "RECEIVER")
    emsp = _emsp_party(ctx)
    cc, pid = ctx.identity
    session_id = testobjects.test_id("SES")
    url = f"{base}/{cc}/{pid}/{session_id}"
    headers = ctx.routing_headers(emsp)
    session = testobjects.session(cc, pid, session_id, emsp, testobjects.test_id("LOC"))
    session["last_updated"] = testobjects.moment(-120)
    problems: list[str] = []
    if not step(
        problems,
        "PUT Session",
        await ctx.client.request("PUT", url, json_body=session, headers=headers),
    ):
        return conclude(problems, "", "PUT accepted (1000)")
    patch = {
        "kwh": 2.0,
        "charging_periods": [testobjects.charging_period(1.0)],
        "last_updated": testobjects.moment(),
    }
    if step(
        problems,
        "PATCH Session",
        await ctx.client.request("PATCH", url, json_body=patch, headers=headers),
    ):
        read = await ctx.client.get(url, headers=headers)
        if step(problems, "GET Session", read, "object"):
            problems += object_problems("Session", read.data, "Session")
            periods = read.data.get("charging_periods") or []
            if len(periods) != 2:
                problems.append(
                    f"{len(periods)} charging period(s) after the PATCH, not 2: "
                    "a PATCH appends periods"
                )
    # A PUT replaces the whole Session: without charging_periods it has none (§4.2 [M]).
    replaced = {**session, "last_updated": testobjects.moment()}
    del replaced["charging_periods"]
    if step(
        problems,
        "PUT without periods",
        await ctx.client.request("PUT", url, json_body=replaced, headers=headers),
    ):
        read = await ctx.client.get(url, headers=headers)
        if step(problems, "GET after PUT", read, "object") and read.data.get("charging_periods"):
            count = len(read.data["charging_periods"])
            problems.append(f"{count} charging period(s) left after a PUT without any")
    unstamped = await ctx.client.request("PATCH", url, json_body={"kwh": 3.0}, headers=headers)
    expect_2001(problems, "PATCH without last_updated", unstamped)
    done = {
        "status": "COMPLETED",
        "end_date_time": testobjects.moment(),
        "last_updated": testobjects.moment(),
    }
    await ctx.client.request("PATCH", url, json_body=done, headers=headers)
    return conclude(
        problems,
        f"Session {session_id} PUT, PATCH appended a period",
        "1000s; 2 periods after PUT(1) + PATCH(1), 0 after a PUT without; unstamped PATCH 2001",
    )


@check(
    "modules.cdrs.receiver",
    clause="mod_cdrs §4.3 Receiver [M] (Location header), [S] 201",
    roles={Role.EMSP},
    versions=ONLY_221,  # pushes 2.2.1 test objects
    phase=Phase.WRITE,
    writes=True,
)
async def cdrs_receiver(ctx: Context) -> Verdict:
    """POST of a CONFTEST CDR is answered with a Location header where it can be read"""
    base = ctx.require_endpoint("cdrs", "RECEIVER")
    emsp = _emsp_party(ctx)
    cc, pid = ctx.identity
    cdr_id = testobjects.test_id("CDR")
    headers = ctx.routing_headers(emsp)
    cdr = testobjects.cdr(cc, pid, cdr_id, emsp, testobjects.test_id("LOC"))
    problems: list[str] = []
    posted = await ctx.client.request("POST", base, json_body=cdr, headers=headers)
    if not step(problems, "POST CDR", posted):
        return conclude(problems, "", "POST accepted (1000)")
    doubts = [] if posted.status == 201 else [f"POST answered HTTP {posted.status}, not 201"]
    location = posted.header("Location")
    if not location:
        problems.append("no Location header in the POST answer")
    else:
        # A relative Location resolves against the POST's URL, as HTTP does.
        read = await ctx.client.get(str(URL(posted.url).join(URL(location))), headers=headers)
        if step(problems, "GET the Location URL", read, "object"):
            problems += object_problems("CDR", read.data, "CDR")
            if read.data.get("id") != cdr_id:
                problems.append(f"the Location URL serves {read.data.get('id')!r}, not {cdr_id}")
    return conclude(
        problems,
        f"CDR {cdr_id} posted and read at its Location URL",
        "HTTP 201, Location header, GET there returns the CDR",
        doubts,
    )
