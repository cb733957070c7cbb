"""The console's pages: Overview, Partners, Deliveries. Each reads and acts through what the CLI
and the admin API use (`operations`, the outbox repository), never a copy of it. Bad input is
the page again with the field named (HTTP 400), and changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from ocpi_hub import dialects
from ocpi_hub.console import charts
from ocpi_hub.console.auth import see_other
from ocpi_hub.console.keys import SESSION
from ocpi_hub.console.render import PREFIX, page, stylesheet
from ocpi_hub.core.parties import PlatformStatus, Role
from ocpi_hub.operations import Refused, agreements, outbox, parties
from ocpi_hub.operations import routes as routes_ops
from ocpi_hub.operations import trace as trace_ops
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = ["DELIVERY_STATES", "routes"]

DELIVERY_STATES = ("PENDING", "DEAD", "DELIVERED")
ROLES = (Role.CPO.value, Role.EMSP.value, Role.HUB.value)
LISTED = 100  # deliveries a page shows, newest first
# The overview's time series: (caption, seconds per column, columns, where the axis starts).
SERIES = (("Last hour", 300, 12, "1 h ago"), ("Last day", 3600, 24, "24 h ago"))


async def overview(request: web.Request) -> web.Response:
    """Parties by status, the outbox's backlog and dead letters, deliveries over time, and
    the requests in per module with their error rate (from the trace)."""
    pool = request.app[POOL]
    by_status = Counter(p["status"] for p in await parties.listed(pool))
    party_counts = [(s.value, by_status.get(s.value, 0)) for s in PlatformStatus]
    states = (await outbox.listed(pool, limit=1))["totals"]
    delivery_counts = [(s, states.get(s, 0)) for s in DELIVERY_STATES]
    now = datetime.now(UTC)
    series, traffic = [], []
    for caption, bucket, count, start in SERIES:
        delivered = await outbox.delivered_per(pool, bucket, count)
        labels = [_period(now - timedelta(seconds=bucket * (count - i))) for i in range(count)]
        series.append((caption, sum(delivered), start, charts.columns(delivered, labels)))
        seen = await trace_ops.traffic(pool, seconds=bucket, count=count)
        traffic.append(
            {
                "caption": caption,
                "start": start,
                "total": sum(seen.messages),
                "per_minute": seen.per_minute(sum(seen.messages)),
                "error_rate": seen.error_rate,
                "chart": charts.columns(seen.messages, labels),
                "modules": [(m, sum(c), seen.per_minute(sum(c))) for m, c in seen.modules.items()],
            }
        )
    return page(
        request,
        "overview.html",
        current="overview",
        party_counts=party_counts,
        parties_chart=charts.bars(party_counts),
        backlog=states.get("PENDING", 0),
        dead=states.get("DEAD", 0),
        delivery_counts=delivery_counts,
        series=series,
        traffic=traffic,
    )


def _period(start: datetime) -> str:
    """A column's caption: the UTC time its period starts."""
    return start.strftime("from %H:%M UTC")


async def partners(request: web.Request) -> web.Response:
    """Every party with its network, dialect, version, status, last call and routes (their
    measured quality); the agreements with their form; the invite form."""
    return await _partners(request)


async def _partners(
    request: web.Request,
    *,
    status: int = 200,
    invited: dict[str, Any] | None = None,
    refused: Refused | None = None,
    sent: dict[str, str] | None = None,
    agreed: dict[str, Any] | None = None,
    agree_refused: Refused | None = None,
    agree_sent: dict[str, str] | None = None,
    suspension: dict[str, Any] | None = None,
    suspend_refused: Refused | None = None,
    suspend_sent: dict[str, str] | None = None,
) -> web.Response:
    pool, settings = request.app[POOL], request.app[SETTINGS]
    listed = await parties.listed(pool)
    names = {p["platform_id"]: p["name"] for p in listed if p["via"] is None}
    return page(
        request,
        "partners.html",
        status=status,
        current="partners",
        parties=listed,
        networks=names,
        roles=ROLES,
        dialects=sorted(dialects.DIALECTS),
        default_dialect=dialects.DEFAULT,
        invited=invited,
        refused=refused,
        sent=sent or {},
        seen=await parties.last_seen(pool),
        routes={r["party"]: r for r in await routes_ops.listed(pool, settings, several=False)},
        agreements=await agreements.listed(pool, settings),
        actions=list(agreements.ACTIONS),
        agreed=agreed,
        agree_refused=agree_refused,
        agree_sent=agree_sent or {},
        suspensions=await parties.suspended(pool),
        suspension=suspension,
        suspend_refused=suspend_refused,
        suspend_sent=suspend_sent or {},
    )


async def agree(request: web.Request) -> web.Response:
    """Allow, deny or remove what two parties may trade (`operations.agreements.change`, as
    `ocpi-hub agreements allow|deny|remove` does); modules blank: all of them."""
    form = await request.post()
    sent = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    modules = [m.strip() for m in sent.get("modules", "").split(",") if m.strip()]
    try:
        done = await agreements.change(
            request.app[POOL],
            request.app[SETTINGS],
            action=sent.get("action", ""),
            between=sent.get("between", ""),
            and_=sent.get("and", ""),
            modules=modules or None,
        )
    except Refused as refused:
        return await _partners(request, status=400, agree_refused=refused, agree_sent=sent)
    return await _partners(request, agreed=done)


async def suspend(request: web.Request) -> web.Response:
    """Suspend an eMSP's new charging in the operator's name (`operations.parties.suspend`,
    as `ocpi-hub parties suspend` does)."""
    form = await request.post()
    sent = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    try:
        done = await parties.suspend(
            request.app[POOL],
            party=sent.get("party", ""),
            why=sent.get("why", ""),
            by=request[SESSION].operator.name,
        )
    except Refused as refused:
        return await _partners(request, status=400, suspend_refused=refused, suspend_sent=sent)
    return await _partners(request, suspension={**done, "suspended": True})


async def lift(request: web.Request) -> web.Response:
    """Lift an operator's suspension (`operations.parties.lift`)."""
    form = await request.post()
    party = str(form.get("party", "")).strip()
    try:
        done = await parties.lift(request.app[POOL], party=party)
    except Refused as refused:
        return await _partners(request, status=400, suspend_refused=refused)
    return await _partners(request, suspension={**done, "suspended": False})


async def invite(request: web.Request) -> web.Response:
    """Invite a partner (`operations.parties.invite`): its token A, shown on this answer only."""
    form = await request.post()
    sent = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    try:
        invited = await parties.invite(
            request.app[POOL],
            request.app[SETTINGS],
            role=sent.get("role", ""),
            country_code=sent.get("country_code", ""),
            party_id=sent.get("party_id", ""),
            name=sent.get("name") or None,
            dialect=sent.get("dialect") or dialects.DEFAULT,
        )
    except Refused as refused:
        return await _partners(request, status=400, refused=refused, sent=sent)
    party = f"{sent['country_code'].upper()}*{sent['party_id'].upper()} ({sent['role'].upper()})"
    return await _partners(request, status=201, invited={**invited, "party": party})


async def deliveries(request: web.Request) -> web.Response:
    """The outbox, newest first, filtered by state; a replay button on each dead letter."""
    status = request.query.get("status", "").strip().upper()
    refused = None
    pool = request.app[POOL]
    try:
        listed = await outbox.listed(pool, status=status or None, limit=LISTED)
    except Refused as why:
        refused = why
        listed = await outbox.listed(pool, limit=1)  # the counts the filter shows
        listed["deliveries"] = []
    replayed = request.query.get("replayed", "")
    return page(
        request,
        "deliveries.html",
        status=400 if refused else 200,
        current="deliveries",
        deliveries=listed["deliveries"],
        counts=listed["totals"],
        states=DELIVERY_STATES,
        chosen=status,
        refused=refused,
        replayed=int(replayed) if replayed.isdigit() else None,
        limit=LISTED,
    )


async def replay(request: web.Request) -> web.Response:
    """Queue dead deliveries again (`outbox.replay`, as `ocpi-hub outbox replay` does): the one
    named by the form's `id`, or every dead one when the form sends `all`."""
    form = await request.post()
    ids: list[int] | None = None
    if form.get("all") is None:
        value = form.get("id")
        if not isinstance(value, str) or not value.isdigit():
            return page(
                request,
                "error.html",
                status=400,
                message="id: the id of a dead delivery (a whole number) is required",
            )
        ids = [int(value)]
    try:
        done = await outbox.replay(request.app[POOL], ids)
    except Refused as refused:
        return page(request, "error.html", status=400, message=str(refused))
    return see_other(f"{PREFIX}/deliveries?status=DEAD&replayed={done['replayed']}")


def routes() -> list[web.RouteDef]:
    """The console's pages and its stylesheet."""
    return [
        web.get(PREFIX, root, name="console:root"),
        web.get(f"{PREFIX}/", overview, name="console:overview"),
        web.get(f"{PREFIX}/partners", partners, name="console:partners"),
        web.post(f"{PREFIX}/partners", invite, name="console:invite"),
        web.post(f"{PREFIX}/partners/agreements", agree, name="console:agree"),
        web.post(f"{PREFIX}/partners/suspensions", suspend, name="console:suspend"),
        web.post(f"{PREFIX}/partners/suspensions/lift", lift, name="console:lift"),
        web.get(f"{PREFIX}/deliveries", deliveries, name="console:deliveries"),
        web.post(f"{PREFIX}/deliveries/replay", replay, name="console:replay"),
        web.get(f"{PREFIX}/static/console.css", stylesheet, name="console:css"),
    ]


async def root(request: web.Request) -> web.Response:
    """/console is the overview, at /console/."""
    return see_other(f"{PREFIX}/")
