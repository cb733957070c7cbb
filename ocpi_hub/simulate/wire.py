"""How a simulated party speaks OCPI on its own server: envelopes with the id and routing headers
echoed, refusals as OCPI errors, bodies, and paged lists (checklist §1.2-§1.6).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.routing import FROM_COUNTRY, FROM_PARTY, TO_COUNTRY, TO_PARTY, PartyKey
from ocpi_hub.core.types import parse_datetime

OCPI_VERSION = "2.2.1"
IDENTITY = web.AppKey("identity", tuple)  # this party's (country_code, party_id)
PUBLIC_URL = web.AppKey("public_url", str)
MAX_PAGE = 50  # the largest page this party serves, announced in X-Limit

_LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


class Refused(Exception):
    """A request this party refuses: rendered as an OCPI envelope by the party's middleware."""

    def __init__(self, http_status: int, status_code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code
        self.message = message
        self.data = data


def reply(
    request: web.Request,
    data: Any = None,
    *,
    status: int = 200,
    code: int = 1000,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An OCPI envelope, ids echoed; OCPI-from this party and OCPI-to the requester when the
    request named itself (checklist §1.6: the response swaps the pairs)."""
    sent: dict[str, str] = {
        "X-Request-ID": request.headers.get("X-Request-ID", ""),
        "X-Correlation-ID": request.headers.get("X-Correlation-ID", ""),
    }
    requester = (request.headers.get(FROM_COUNTRY), request.headers.get(FROM_PARTY))
    if requester[0] and requester[1]:
        us: PartyKey = request.app[IDENTITY]
        sent.update(
            {
                FROM_COUNTRY: us[0],
                FROM_PARTY: us[1],
                TO_COUNTRY: requester[0],
                TO_PARTY: requester[1],
            }
        )
    sent.update(headers or {})
    body = envelope(data, status_code=code, status_message=message)
    return web.Response(status=status, body=body, headers=sent, content_type="application/json")


async def json_body(request: web.Request) -> Any:
    """The request's JSON body; 400 with 2001 when it is not JSON."""
    try:
        raw = await request.read()
    except ConnectionResetError:  # the client gave up before sending it all
        raise Refused(400, 2001, "the body did not arrive") from None
    try:
        return orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        raise Refused(400, 2001, "the body is not valid JSON") from None


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's body, which must be a JSON object (2001 otherwise)."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Refused(400, 2001, "the body must be a JSON object")
    return body


def _number(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise Refused(400, 2001, f"{name}: a non-negative integer, not {raw!r}")
    return int(raw)


def _in_window(item: Mapping[str, Any], query: Mapping[str, str]) -> bool:
    # date_from inclusive, date_to exclusive, on last_updated (checklist §1.5).
    try:
        moment = parse_datetime(str(item.get("last_updated", "")))
        if "date_from" in query and moment < parse_datetime(query["date_from"]):
            return False
        return not ("date_to" in query and moment >= parse_datetime(query["date_to"]))
    except ValueError as exc:
        raise Refused(400, 2001, f"date filter: {exc}") from None


def page(
    request: web.Request,
    items: Sequence[Mapping[str, Any]],
    *,
    page_limit: Callable[[int], int] = lambda limit: limit,
) -> web.Response:
    """One page of `items` (oldest first) for a list GET, with `X-Total-Count`, `X-Limit` and a
    `Link` to the next page that repeats the filters; `page_limit` lets a fault shrink pages."""
    query = request.query
    offset = _number(query, "offset", 0)
    limit = page_limit(min(_number(query, "limit", MAX_PAGE), MAX_PAGE))
    selected = [item for item in items if _in_window(item, query)]
    headers = {"X-Total-Count": str(len(selected)), "X-Limit": str(limit)}
    if offset + limit < len(selected):
        params = {k: v for k, v in query.items() if k in ("date_from", "date_to")}
        params.update(offset=str(offset + limit), limit=str(limit))
        url = f"{request.app[PUBLIC_URL]}{request.path}?{urlencode(params)}"
        headers["Link"] = f'<{url}>; rel="next"'
    return reply(request, list(selected[offset : offset + limit]), headers=headers)


def next_link(header: str | None) -> str | None:
    """The `rel="next"` URL of a Link header, if any."""
    match = _LINK_NEXT.search(header or "")
    return match.group(1) if match else None


@web.middleware
async def refusals(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    """Render `Refused` as an OCPI envelope (the outermost middleware)."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except Refused as refused:
        return reply(
            request,
            refused.data,
            status=refused.http_status,
            code=refused.status_code,
            message=refused.message,
        )
