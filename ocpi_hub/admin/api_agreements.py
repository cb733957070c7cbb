"""Agreements in the admin API: who trades with whom, and the hub's fee between two parties
(`agreements list|allow|deny|remove|fee`, ocpi_hub.operations.agreements)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub.admin.endpoint import (
    PARTY_KEY,
    BadRequest,
    Endpoint,
    json_body,
    respond,
    strings,
    text,
)
from ocpi_hub.core.agreements import MODULES
from ocpi_hub.operations import agreements
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = ["ENDPOINTS"]


async def get_agreements(request: web.Request) -> web.Response:
    """The policy and every agreement (rules, then fees)."""
    return respond(await agreements.listed(request.app[POOL], request.app[SETTINGS]))


async def _change(request: web.Request, actions: tuple[str, ...]) -> web.Response:
    """One of `actions`: the body's `action` where there are several to choose from."""
    body = await json_body(request)
    action = actions[0] if len(actions) == 1 else text(body, "action")
    if action not in actions:
        raise BadRequest(400, f"{action!r}: one of {', '.join(actions)}", "action")
    done = await agreements.change(
        request.app[POOL],
        request.app[SETTINGS],
        action=action,
        between=text(body, "between") or "",
        and_=text(body, "and") or "",
        modules=strings(body, "modules"),
    )
    return respond(done)


async def post_agreements(request: web.Request) -> web.Response:
    """`{"action": "allow"|"deny", "between", "and", "modules"?}`: let two parties trade, or
    forbid it (a deny wins), in `modules` (absent: all)."""
    return await _change(request, ("allow", "deny"))


async def delete_agreements(request: web.Request) -> web.Response:
    """`{"between", "and", "modules"?}`: forget what was agreed between two parties (in
    `modules`; absent: all)."""
    return await _change(request, ("remove",))


async def post_fee(request: web.Request) -> web.Response:
    """`{"between", "and", "currency", "percent"?, "fixed"?}`: the hub's fee on the CDRs
    between two parties (zero: none)."""
    body = await json_body(request)
    terms = {}
    for field in ("percent", "fixed"):
        value = body.get(field, "0")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):  # never a float: money is exact
            raise BadRequest(400, 'a decimal number written as a string, as "12.50"', field)
        terms[field] = value
    done = await agreements.fee(
        request.app[POOL],
        request.app[SETTINGS],
        between=text(body, "between") or "",
        and_=text(body, "and") or "",
        currency=text(body, "currency") or "",
        **terms,
    )
    return respond(done)


_MODULES = {
    "type": "array",
    "items": {"enum": list(MODULES)},
    "minItems": 1,
    "description": "absent: every module",
}
_AGREEMENT = {
    "type": "object",
    "properties": {
        "between": PARTY_KEY,
        "and": PARTY_KEY,
        "effect": {"enum": ["allow", "deny", "fee"]},
        "modules": {"type": ["array", "null"], "items": {"type": "string"}},
        "percent": {"type": "string", "description": "fee only"},
        "fixed": {"type": "string", "description": "fee only"},
        "currency": {"type": "string", "description": "fee only"},
    },
}
_PAIR: dict[str, Any] = {
    "between": PARTY_KEY,
    "and": PARTY_KEY,
    "policy": {"enum": ["open", "closed"]},
    "agreements": {"type": "array", "items": _AGREEMENT, "description": "the pair's"},
}
_CHANGED = {
    "type": "object",
    "properties": {
        **_PAIR,
        "queued": {"type": "integer", "description": "objects sent to a party newly trading"},
    },
}
_DECIMAL = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$", "default": "0"}

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/agreements",
        get_agreements,
        "admin:agreements",
        "The policy and every agreement and fee",
        answer={
            "type": "object",
            "properties": {
                "policy": {"enum": ["open", "closed"]},
                "agreements": {"type": "array", "items": _AGREEMENT},
            },
        },
    ),
    Endpoint(
        "POST",
        "/agreements",
        post_agreements,
        "admin:agreements:change",
        "Allow or deny two parties to trade",
        body={
            "type": "object",
            "required": ["action", "between", "and"],
            "properties": {
                "action": {"enum": ["allow", "deny"]},
                "between": PARTY_KEY,
                "and": PARTY_KEY,
                "modules": _MODULES,
            },
        },
        answer=_CHANGED,
    ),
    Endpoint(
        "DELETE",
        "/agreements",
        delete_agreements,
        "admin:agreements:remove",
        "Forget what was agreed between two parties",
        body={
            "type": "object",
            "required": ["between", "and"],
            "properties": {"between": PARTY_KEY, "and": PARTY_KEY, "modules": _MODULES},
        },
        answer=_CHANGED,
    ),
    Endpoint(
        "POST",
        "/agreements/fee",
        post_fee,
        "admin:agreements:fee",
        "Set the hub's fee on the CDRs between two parties",
        body={
            "type": "object",
            "required": ["between", "and", "currency"],
            "properties": {
                "between": PARTY_KEY,
                "and": PARTY_KEY,
                "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                "percent": {**_DECIMAL, "description": "of each CDR's amount, 0 to 100"},
                "fixed": {**_DECIMAL, "description": "per CDR, in currency"},
            },
        },
        answer={
            "type": "object",
            "properties": {
                **_PAIR,
                "fee": {
                    "type": ["object", "null"],
                    "description": "its terms; null: no fee",
                    "properties": {
                        "percent": {"type": "string"},
                        "fixed": {"type": "string"},
                        "currency": {"type": "string"},
                    },
                },
            },
        },
    ),
]
