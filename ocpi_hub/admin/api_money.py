"""The admin API's money resources: CDR findings and reconciliation, disputes, fraud alerts,
settlement (balances, statements, payments) and credit (limits, exposure, alerts). Each
handler reads the request and calls the `ocpi_hub.operations` action the CLI calls; the answer
is that action's data. `admin.api` joins `ENDPOINTS` to its own (so import that module, not
this one, to serve them).

Query flags (`all`) take true or false; an empty query parameter is as if it were absent, so
that a console form can leave a filter blank. Amounts are JSON strings, never numbers.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub.admin.auth import OPERATOR
from ocpi_hub.admin.endpoint import (
    PARTY_KEY,
    BadRequest,
    Endpoint,
    flag_query,
    json_body,
    respond,
    text,
    text_query,
)
from ocpi_hub.operations import credit, disputes, findings, fraud, settlement
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = ["ENDPOINTS", "statement_download"]


def _id(request: web.Request) -> int:
    """The `{id}` of the path as a number; 400 naming `id` otherwise."""
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise BadRequest(400, "a whole number is required", "id") from None


def _by(request: web.Request, body: dict[str, Any]) -> str:
    """Who takes a step: the body's `by`, else the calling operator's name."""
    return text(body, "by", required=False) or request[OPERATOR].name


# ---- findings -----------------------------------------------------------------------------


async def get_findings(request: web.Request) -> web.Response:
    """The stored findings (`cdrs findings`)."""
    return respond(
        await findings.listed(
            request.app[POOL],
            party=text_query(request, "party"),
            since=text_query(request, "since"),
            everything=flag_query(request, "all"),
        )
    )


async def post_reconcile(request: web.Request) -> web.Response:
    """Check and reconcile now (`reconcile`); the open findings."""
    done = await findings.reconcile(
        request.app[POOL], request.app[SETTINGS], party=text_query(request, "party")
    )
    return respond(done)


# ---- disputes -----------------------------------------------------------------------------


async def get_disputes(request: web.Request) -> web.Response:
    """Open disputes (`disputes list`), resolved ones too with `all`."""
    return respond(await disputes.listed(request.app[POOL], everything=flag_query(request, "all")))


async def post_disputes(request: web.Request) -> web.Response:
    """Open a dispute (`disputes open`)."""
    body = await json_body(request)
    opened = await disputes.open_dispute(
        request.app[POOL],
        cdr=text(body, "cdr") or "",
        reason=text(body, "reason") or "",
        amount=text(body, "amount", required=False),
        by=_by(request, body),
    )
    return respond(opened, 201)


async def post_resolve(request: web.Request) -> web.Response:
    """Accept or reject an open dispute (`disputes resolve`)."""
    dispute_id = _id(request)
    body = await json_body(request)
    accept = body.get("accept")
    if not isinstance(accept, bool):
        raise BadRequest(400, "true (accept) or false (reject) is required", "accept")
    done = await disputes.resolve(
        request.app[POOL],
        dispute_id=dispute_id,
        accept=accept,
        note=text(body, "note", required=False),
        by=_by(request, body),
    )
    return respond(done)


# ---- fraud --------------------------------------------------------------------------------


async def get_fraud_alerts(request: web.Request) -> web.Response:
    """Open fraud alerts (`fraud alerts`), closed ones too with `all`."""
    return respond(await fraud.alerts(request.app[POOL], everything=flag_query(request, "all")))


async def post_fraud_close(request: web.Request) -> web.Response:
    """Close an open fraud alert (`fraud close`)."""
    alert_id = _id(request)
    body = await json_body(request) if request.can_read_body else {}
    closed = await fraud.close(
        request.app[POOL], alert_id=alert_id, note=text(body, "note", required=False)
    )
    return respond(closed)


# ---- settlement ---------------------------------------------------------------------------


async def get_balances(request: web.Request) -> web.Response:
    """Every party's balance now (`settlement balances`)."""
    return respond(await settlement.balances_of(request.app[POOL]))


async def get_statement(request: web.Request) -> web.Response:
    """One party's statement for a month (`settlement statement`), as JSON or (`format=csv`)
    the CSV `--csv` prints."""
    form = text_query(request, "format") or "json"
    if form not in ("json", "csv"):
        raise BadRequest(400, "json or csv", "format")
    for name in ("party", "period"):
        if text_query(request, name) is None:
            raise BadRequest(400, "a non-empty value is required", name)
    done = await settlement.statement_of(
        request.app[POOL], party=request.query["party"], period=request.query["period"]
    )
    return respond(done) if form == "json" else statement_download(done)


def statement_download(done: dict[str, Any]) -> web.Response:
    """A statement (as `settlement.statement_of` answers it) as the CSV file `settlement
    statement --csv` prints, to download; the console's download is this one too."""
    name = f"statement-{done['party'].replace('*', '-')}-{done['period']}.csv"
    return web.Response(
        text=settlement.statement_csv(done),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def post_payments(request: web.Request) -> web.Response:
    """Record a payment (`settlement pay`)."""
    body = await json_body(request)
    paid = await settlement.pay(
        request.app[POOL],
        request.app[SETTINGS],
        party=text(body, "party") or "",
        amount=text(body, "amount") or "",
        currency=text(body, "currency") or "",
        reference=text(body, "reference") or "",
    )
    return respond(paid, 201)


# ---- credit -------------------------------------------------------------------------------


async def get_exposure(request: web.Request) -> web.Response:
    """Each eMSP's credit exposure now (`settlement exposure`)."""
    rows = await credit.exposure(
        request.app[POOL], request.app[SETTINGS], party=text_query(request, "party")
    )
    return respond(rows)


async def put_limit(request: web.Request) -> web.Response:
    """Set an eMSP's credit limit (`settlement limit`)."""
    body = await json_body(request)
    done = await credit.limit(
        request.app[POOL],
        request.app[SETTINGS],
        party=text(body, "party") or "",
        amount=text(body, "amount") or "",
        currency=text(body, "currency") or "",
    )
    return respond(done)


async def delete_limit(request: web.Request) -> web.Response:
    """Lift an eMSP's credit limit (`settlement limit --remove`)."""
    body = await json_body(request)
    done = await credit.limit(
        request.app[POOL], request.app[SETTINGS], party=text(body, "party") or "", remove=True
    )
    return respond(done)


async def get_credit_alerts(request: web.Request) -> web.Response:
    """Every move of the eMSPs' credit levels (`settlement alerts`)."""
    return respond(await credit.alerts(request.app[POOL], party=text_query(request, "party")))


# ---- schemas ------------------------------------------------------------------------------

_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_AMOUNT = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
_ALL_Q = {"type": "boolean", "description": "closed or resolved ones too"}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_FINDING = _object(
    ["id", "code", "severity", "parties", "evidence", "found_at"],
    id=_INT, code=_STR, severity=_STR, cdr=_STR, session=_STR, parties=_array(_STR),
    evidence={"type": "object"}, found_at=_STR, resolved_at=_STR_OR_NULL,
)  # fmt: skip
_BOOKED = _object(["account", "party", "amount"], account=_STR, party=_STR, amount=_AMOUNT)
_EVENT = _object(
    ["step", "state", "by", "at"],
    step=_STR, state=_STR, by=_STR, at=_STR, note=_STR_OR_NULL,
    transaction={"type": ["integer", "null"]}, booked=_array(_BOOKED),
)  # fmt: skip
_DISPUTE = _object(
    ["id", "cdr", "emsp", "cpo", "amount", "currency", "state", "reason", "events"],
    id=_INT, cdr=_STR, emsp=_STR, cpo=_STR, amount=_AMOUNT, currency=_STR, state=_STR,
    reason=_STR, opened_at=_STR, events=_array(_EVENT),
)  # fmt: skip
_ALERT = _object(
    ["id", "code", "severity", "subject"],
    id=_INT, code=_STR, severity=_STR, subject=_STR, evidence={"type": "object"},
    found_at=_STR, closed_at=_STR_OR_NULL, note=_STR_OR_NULL,
)  # fmt: skip
_BALANCES = _object(
    ["parties", "hub", "total"],
    parties=_array(_object(["party", "currency", "balance"], party=_STR, currency=_STR,
                           receivable=_AMOUNT, payable=_AMOUNT, balance=_AMOUNT,
                           disputed=_AMOUNT)),
    hub=_array(_object(["currency"], currency=_STR, fees=_AMOUNT, cash=_AMOUNT)),
    total={"type": "object", "additionalProperties": _AMOUNT},
)  # fmt: skip
_STATEMENT = _object(
    ["party", "period", "lines", "totals"],
    party=_STR, period=_STR,
    lines=_array({"type": "object", "properties": {c: {} for c in settlement.LINE_COLUMNS}}),
    totals=_array(_object(["currency", "opening", "closing"], currency=_STR, opening=_AMOUNT,
                          cdrs=_INT, amount=_AMOUNT, fee=_AMOUNT, payments=_AMOUNT,
                          disputes=_AMOUNT, net=_AMOUNT, closing=_AMOUNT, disputed=_AMOUNT)),
)  # fmt: skip
_PAYMENT = _object(
    ["party", "amount", "currency", "reference"],
    party=PARTY_KEY, amount=_AMOUNT, currency=_STR, reference=_STR,
)  # fmt: skip
_PAID = _object(
    ["transaction", "party", "amount", "currency", "reference", "balance"],
    transaction=_INT, party=_STR, amount=_AMOUNT, currency=_STR, reference=_STR,
    balance=_AMOUNT, credit=_STR_OR_NULL,
)  # fmt: skip
_EXPOSURE = _object(
    ["party", "currency", "owed", "exposure", "suspended"],
    party=_STR, currency=_STR, counted={"type": "boolean"}, limit={"type": ["string", "null"]},
    owed=_AMOUNT, in_progress=_AMOUNT, exposure=_AMOUNT, ratio=_STR_OR_NULL,
    state=_STR_OR_NULL, suspended={"type": "boolean"}, sessions=_array({"type": "object"}),
    unpriced=_INT,
)  # fmt: skip
_LIMITED = _object(
    ["party", "limit", "exposure", "why"],
    party=_STR, exposure=_array(_EXPOSURE), why=_STR,
    limit={"oneOf": [{"type": "null"},
                     _object(["amount", "currency"], amount=_AMOUNT, currency=_STR)]},
)  # fmt: skip
_CREDIT_ALERT = _object(
    ["id", "at", "party", "events"],
    id=_INT, at=_STR, party=_STR, events=_array(_STR), level=_STR_OR_NULL,
    suspended={"type": "boolean"}, exposure=_STR_OR_NULL, limit=_STR_OR_NULL,
    currency=_STR_OR_NULL, why=_STR_OR_NULL,
)  # fmt: skip

ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/findings", get_findings, "admin:findings",
             "The findings of the CDR checks and reconciliation, oldest first",
             answer=_array(_FINDING),
             query={"party": PARTY_KEY, "all": _ALL_Q,
                    "since": {"type": "string", "description": "YYYY-MM-DD or a DateTime"}}),
    Endpoint("POST", "/reconcile", post_reconcile, "admin:reconcile",
             "Check and reconcile now; the open findings",
             answer=_object(["judged", "findings"], judged=_INT, findings=_array(_FINDING)),
             query={"party": PARTY_KEY}),
    Endpoint("GET", "/disputes", get_disputes, "admin:disputes",
             "Open disputes of CDRs, oldest first", answer=_array(_DISPUTE),
             query={"all": _ALL_Q}),
    Endpoint("POST", "/disputes", post_disputes, "admin:disputes-open",
             "Dispute (part of) a CDR, out of what its eMSP owes",
             body=_object(["cdr", "reason"], cdr={"type": "string",
                                                  "description": "CC*PID*CDR_ID"},
                          reason=_STR, amount=_AMOUNT, by=_STR),
             answer=_DISPUTE, status=201),
    Endpoint("POST", "/disputes/{id}/resolve", post_resolve, "admin:disputes-resolve",
             "Accept or reject an open dispute",
             body=_object(["accept"], accept={"type": "boolean"}, note=_STR, by=_STR),
             answer=_DISPUTE),
    Endpoint("GET", "/fraud/alerts", get_fraud_alerts, "admin:fraud-alerts",
             "Open fraud alerts, newest first", answer=_array(_ALERT), query={"all": _ALL_Q}),
    Endpoint("POST", "/fraud/alerts/{id}/close", post_fraud_close, "admin:fraud-close",
             "Close an open fraud alert", body=_object([], note=_STR),
             answer=_object(["id", "closed"], id=_INT, closed={"type": "boolean"},
                            note=_STR_OR_NULL)),
    Endpoint("GET", "/settlement/balances", get_balances, "admin:settlement-balances",
             "What each party owes the hub or is owed, now", answer=_BALANCES),
    Endpoint("GET", "/settlement/statements", get_statement, "admin:settlement-statements",
             "One party's statement for a month (JSON, or CSV with format=csv)",
             answer=_STATEMENT,
             query={"party": PARTY_KEY, "period": {"type": "string", "description": "YYYY-MM"},
                    "format": {"enum": ["json", "csv"]}}),
    Endpoint("POST", "/settlement/payments", post_payments, "admin:settlement-payments",
             "Record a payment received from (positive) or made to (negative) a party",
             body=_PAYMENT, answer=_PAID, status=201),
    Endpoint("GET", "/credit/exposure", get_exposure, "admin:credit-exposure",
             "Each eMSP's credit exposure against its limit, now",
             answer=_array(_EXPOSURE), query={"party": PARTY_KEY}),
    Endpoint("PUT", "/credit/limits", put_limit, "admin:credit-limits",
             "Set an eMSP's credit limit and assess it now",
             body=_object(["party", "amount", "currency"], party=PARTY_KEY, amount=_AMOUNT,
                          currency=_STR),
             answer=_LIMITED),
    Endpoint("DELETE", "/credit/limits", delete_limit, "admin:credit-limits-remove",
             "Lift an eMSP's credit limit and assess it now",
             body=_object(["party"], party=PARTY_KEY), answer=_LIMITED),
    Endpoint("GET", "/credit/alerts", get_credit_alerts, "admin:credit-alerts",
             "Every move of the eMSPs' credit levels, oldest first",
             answer=_array(_CREDIT_ALERT), query={"party": PARTY_KEY}),
]  # fmt: skip
