"""The edge every request passes: ids, authentication, errors → envelope, one log line.

- X-Request-ID / X-Correlation-ID are echoed on every response, errors included, and generated
  when absent (checklist §1.2).
- The token identifies the calling platform (checklist §1.1). Token A (or our token B while we
  are the initiator) opens only the configuration modules; anything else is 401.
- A registered caller was heard from: that feeds the HubClientInfo liveness probe (checklist §5)
  and brings an OFFLINE platform back to CONNECTED. Both the caller and its liveness come from
  the platform cache, so an ordinary request runs no statement before its handler.
- Only here are OcpiErrors rendered (DESIGN.md decision 6).
- Each request is counted for /metrics and kept as a hop of its trace (web.observe), beside
  its one log line.
- What a client causes is not a hub failure: a client gone while its body is read is logged as
  `client_disconnected` (info, no traceback); a database outage is 3000 with HTTP 503 and
  Retry-After, logged once per outage (storage.availability). Only the rest is `unhandled_error`.
- No string or field name the hub accepts holds a control character (core.model.unprintable):
  2001 naming the field or URL segment, before anything is stored or relayed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from aiohttp import web

from ocpi_hub import dialects
from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.handshake import token_candidates
from ocpi_hub.core.model import may_be_unprintable, unprintable
from ocpi_hub.core.parties import PlatformStatus
from ocpi_hub.errors import (
    ClientError,
    DatabaseUnavailable,
    InvalidJson,
    InvalidParameters,
    MethodNotAllowed,
    NotFound,
    OcpiError,
    Unauthorized,
)
from ocpi_hub.logging import get_logger
from ocpi_hub.storage.availability import is_unavailable
from ocpi_hub.storage.repositories import clientinfo
from ocpi_hub.web import observe
from ocpi_hub.web.keys import (
    BODY_TEXT,
    CALLER,
    CALLER_TOKEN,
    CORRELATION_ID,
    DATABASE,
    EDGES,
    HEARD_FROM,
    PLATFORMS,
    POOL,
    RESPONSE_HEADERS,
    SETTINGS,
    STATUS_CODE,
)

log = get_logger("ocpi_hub.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Route names: "config:*" for configuration modules, "<module>:<interface>" for functional ones.
PUBLIC_ROUTES = frozenset({"health:ready", "health:live"})
# The operator's side (ocpi_hub.admin): not OCPI, authenticated with operator tokens there.
OPERATOR_ROUTES = ("admin:", "console:", "metrics")
# ... and their paths, so that a path there naming nothing is answered by their edge, not 2000.
OPERATOR_PATHS = ("/admin/", "/console/")
# Seconds between two writes of a platform's last_seen (liveness needs minutes, not precision).
_LAST_SEEN_THROTTLE = 30.0


def route_name(request: web.Request) -> str:
    route = request.match_info.route
    return route.name or "" if route is not None else ""


def ocpi_response(
    body: bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; 400 when it is not JSON at all, 2001 naming the field when a
    string or field name holds a control character."""
    raw = await request.read()
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(f"request body is not valid JSON: {exc}") from exc
    if may_be_unprintable(raw) and (refusal := unprintable(document)):
        raise InvalidParameters(refusal)
    caller = request.get(CALLER)
    if caller is not None:
        spec = dialects.as_spec(dialects.spoken_by(caller), document)
        if spec is not document:
            document = spec
            request[BODY_TEXT] = orjson.dumps(document)
    return document


async def body_bytes(request: web.Request) -> bytes:
    """The body as the hub passes it on: as sent, or in the spec's form where the caller's
    dialect sends otherwise (`read_json` made it so)."""
    return request.get(BODY_TEXT) or await request.read()


def error_response(error: OcpiError) -> web.Response:
    body = envelope(error.data, status_code=error.status_code, status_message=error.message)
    headers = None if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return ocpi_response(body, status=error.http_status, headers=headers)


async def authenticate(request: web.Request, name: str) -> None:
    """Identify the caller by token; 401 when unknown or out of its scope. The platform comes
    from the process's platform cache: no statement while nothing changed."""
    candidates = token_candidates(request.headers.get("Authorization"))
    found = await request.app[PLATFORMS].by_token(candidates)
    if found is None:
        raise Unauthorized("missing or unknown token")
    platform, token = found
    if platform.status != PlatformStatus.REGISTERED and not name.startswith("config:"):
        raise Unauthorized("this token is only valid for versions and credentials")
    request[CALLER] = platform
    request[CALLER_TOKEN] = token
    if platform.status == PlatformStatus.REGISTERED:
        await heard_from(request, platform.id)
    structlog.contextvars.bind_contextvars(
        platform=platform.id,
        party=",".join(f"{p.country_code}*{p.party_id}" for p in platform.parties),
    )


async def heard_from(request: web.Request, platform_id: int) -> None:
    """Record that a registered platform called: at most one statement per platform per
    throttle period in this process, and at once when it is OFFLINE (which brings it back).

    The throttle is 30 s, or half the probe's silence when that is shorter (tests), so that
    last_seen stays meaningful to the liveness probe.
    """
    app = request.app
    settings = app[SETTINGS]
    throttle = min(_LAST_SEEN_THROTTLE, settings.liveness_silence / 2)
    now = time.monotonic()
    last = app[HEARD_FROM].get(platform_id)
    offline = await app[PLATFORMS].offline(platform_id)
    if last is not None and now - last < throttle and not offline:
        return
    app[HEARD_FROM][platform_id] = now
    changed = await clientinfo.heard_from(
        app[POOL], platform_id, hub=(settings.country_code, settings.party_id), throttle=throttle
    )
    if changed:
        app[PLATFORMS].invalidate(platform_id)


@web.middleware
async def ocpi_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if route_name(request).startswith(OPERATOR_ROUTES) or request.path.startswith(OPERATOR_PATHS):
        for prefix, edge in request.app.get(EDGES, ()):
            if request.path.startswith(prefix):
                return await edge(request, handler)
        return await handler(request)
    started = time.perf_counter()
    request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
    correlation_id = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
    name = route_name(request)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=request_id, correlation_id=correlation_id, module=name.split(":")[0] or None
    )
    request[RESPONSE_HEADERS] = {}
    request[CORRELATION_ID] = correlation_id
    try:
        http_exception = request.match_info.http_exception
        if http_exception is not None:
            raise _as_ocpi_error(http_exception)
        if name not in PUBLIC_ROUTES:
            await authenticate(request, name)
        if unprintable(request.path) and (refusal := unprintable(request.match_info)):
            raise InvalidParameters(f"URL segment {refusal}")
        response = await handler(request)
    except OcpiError as error:
        response = _failed(request, error)
    except web.HTTPException as exc:
        response = _failed(request, _as_ocpi_error(exc))
    except Exception as exc:
        if _client_gone(request, exc):
            # Nobody is left to answer; the response below is never sent.
            log.info("client_disconnected", method=request.method, path=request.path)
            return _failed(request, ClientError("client disconnected"))
        if is_unavailable(exc):
            request.app[DATABASE].failed(exc)
            response = _failed(request, DatabaseUnavailable())
        elif isinstance(exc, web.RequestPayloadError):
            response = _failed(request, InvalidJson(f"request body could not be read: {exc}"))
        else:
            log.exception("unhandled_error", method=request.method, path=request.path)
            response = _failed(request, OcpiError("internal error"))
    response.headers.update(request[RESPONSE_HEADERS])
    response.headers["X-Request-ID"] = request_id
    response.headers["X-Correlation-ID"] = correlation_id
    seconds = time.perf_counter() - started
    log.info(
        "request",
        method=request.method,
        path=request.path,
        http_status=response.status,
        status_code=request.get(STATUS_CODE, 1000),
        duration_ms=round(seconds * 1000, 2),
    )
    # Health probes are counted, not traced: a monitor's polls are no message's path.
    observe.request_in(
        request, name, response, seconds, request_id, traced=name not in PUBLIC_ROUTES
    )
    return response


def _failed(request: web.Request, error: OcpiError) -> web.Response:
    request[STATUS_CODE] = error.status_code
    return error_response(error)


def _client_gone(request: web.Request, exc: Exception) -> bool:
    """The client closed its connection while the hub read the body (or was about to answer)."""
    transport = request.transport
    gone = transport is None or transport.is_closing()
    return gone and isinstance(exc, ConnectionError | web.RequestPayloadError)


def _as_ocpi_error(exc: web.HTTPException) -> OcpiError:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return MethodNotAllowed(f"{exc.method} is not allowed here")
    if isinstance(exc, web.HTTPNotFound):
        return NotFound("no such OCPI endpoint")
    # 413 (body over the size limit) and the like: the client's doing, 2000 not 3000.
    error = ClientError(exc.reason) if exc.status < 500 else OcpiError(exc.reason)
    error.http_status = exc.status
    return error
