"""The console's Money page: balances, a party's statement for a month (and its CSV, the admin
API's download), disputes (open one, accept or reject it), CDR findings, fraud alerts (close
one) and each eMSP's credit exposure drawn against its limit. Every figure and every action is
the `operations` function the CLI and the admin API call; a step is taken in the signed-in
operator's name. Bad input is the page again (HTTP 400) naming the field, and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from ocpi_hub.admin.api_money import statement_download
from ocpi_hub.console import charts
from ocpi_hub.console.auth import see_other
from ocpi_hub.console.keys import SESSION
from ocpi_hub.console.render import PREFIX, page
from ocpi_hub.operations import Refused, credit, disputes, findings, fraud, settlement
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = ["routes"]

PAGE = f"{PREFIX}/money"


def _form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def money(request: web.Request) -> web.Response:
    """The Money page; with `party` and `period` in the query, that statement too."""
    return await _money(request)


async def _money(
    request: web.Request,
    *,
    status: int = 200,
    refused: Refused | None = None,
    sent: dict[str, str] | None = None,
    action: str | None = None,
) -> web.Response:
    pool, settings = request.app[POOL], request.app[SETTINGS]
    query = request.query
    all_disputes = query.get("disputes") == "all"
    chosen = {"party": query.get("party", "").strip(), "period": query.get("period", "").strip()}
    statement = None
    statement_refused = None
    if chosen["party"] or chosen["period"]:
        try:
            statement = await settlement.statement_of(pool, **chosen)
        except Refused as why:
            statement_refused, status = why, 400
    exposure = await credit.exposure(pool, settings)
    return page(
        request,
        "money.html",
        status=status,
        current="money",
        balances=await settlement.balances_of(pool),
        chosen=chosen,
        statement=statement,
        statement_refused=statement_refused,
        disputes=await disputes.listed(pool, everything=all_disputes),
        all_disputes=all_disputes,
        findings=await findings.listed(pool),
        alerts=await fraud.alerts(pool),
        exposure=[(row, _gauge(row)) for row in exposure],
        refused=refused,
        action=action,
        sent=sent or {},
        done=_done(query.get("done", "")),
        this_month=datetime.now(UTC).strftime("%Y-%m"),
    )


# What a form did, said on the page it redirects to (`?done=opened-7`).
_DONE = {
    "opened": "Dispute {} opened.",
    "accepted": "Dispute {} accepted.",
    "rejected": "Dispute {} rejected.",
    "closed": "Fraud alert {} closed.",
}


def _done(value: str) -> str | None:
    what, _, which = value.partition("-")
    return _DONE[what].format(which) if what in _DONE and which.isdigit() else None


def _gauge(row: dict[str, Any]) -> charts.Gauge:
    """An exposure row's bar against its limit (amounts are strings of Decimals)."""
    limit = None if row["limit"] is None else float(Decimal(row["limit"]))
    return charts.gauge(float(Decimal(row["exposure"])), limit)


async def statement_csv(request: web.Request) -> web.StreamResponse:
    """A party's statement for a month as the CSV the admin API and the CLI give."""
    chosen = {k: request.query.get(k, "").strip() for k in ("party", "period")}
    try:
        done = await settlement.statement_of(request.app[POOL], **chosen)
    except Refused as refused:
        return page(request, "error.html", status=400, message=str(refused))
    return statement_download(done)


async def open_dispute(request: web.Request) -> web.Response:
    """Open a dispute of a CDR (`operations.disputes.open_dispute`) in the operator's name."""
    form = await request.post()
    sent = {k: _form_text(form, k) for k in ("cdr", "amount", "reason")}
    try:
        opened = await disputes.open_dispute(
            request.app[POOL],
            cdr=sent["cdr"],
            amount=sent["amount"] or None,
            reason=sent["reason"],
            by=request[SESSION].operator.name,
        )
    except Refused as refused:
        return await _money(request, status=400, refused=refused, sent=sent, action="open")
    return see_other(f"{PAGE}?done=opened-{opened['id']}#disputes-heading")


async def resolve_dispute(request: web.Request) -> web.Response:
    """Accept or reject an open dispute (`operations.disputes.resolve`)."""
    form = await request.post()
    decision = _form_text(form, "decision")
    note = _form_text(form, "note") or None
    try:
        dispute_id = _path_id(request)
        if decision not in ("accept", "reject"):
            raise Refused("decision", "accept or reject")
        await disputes.resolve(
            request.app[POOL],
            dispute_id=dispute_id,
            accept=decision == "accept",
            note=note,
            by=request[SESSION].operator.name,
        )
    except Refused as refused:
        return await _money(request, status=400, refused=refused, action="resolve")
    return see_other(f"{PAGE}?done={decision}ed-{dispute_id}#disputes-heading")


async def close_alert(request: web.Request) -> web.Response:
    """Close an open fraud alert (`operations.fraud.close`), keeping the note."""
    form = await request.post()
    try:
        alert_id = _path_id(request)
        await fraud.close(
            request.app[POOL], alert_id=alert_id, note=_form_text(form, "note") or None
        )
    except Refused as refused:
        return await _money(request, status=400, refused=refused, action="close")
    return see_other(f"{PAGE}?done=closed-{alert_id}#alerts-heading")


def _path_id(request: web.Request) -> int:
    value = request.match_info["id"]
    if not value.isdigit():
        raise Refused("id", f"{value!r}: a whole number is required")
    return int(value)


def routes() -> list[web.RouteDef]:
    """The Money page, its statement download and its forms."""
    return [
        web.get(PAGE, money, name="console:money"),
        web.get(f"{PAGE}/statement.csv", statement_csv, name="console:statement-csv"),
        web.post(f"{PAGE}/disputes", open_dispute, name="console:dispute-open"),
        web.post(f"{PAGE}/disputes/{{id}}/resolve", resolve_dispute, name="console:resolve"),
        web.post(f"{PAGE}/fraud/{{id}}/close", close_alert, name="console:alert-close"),
    ]
