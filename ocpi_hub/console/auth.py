"""Signing in to the console, and the edge every console request passes.

- Sign-in takes an operator token (`ocpi-hub operators create`), checked as the admin API
  checks it (`admin.auth.operator_of`), and answers a session cookie: a random id (its hash
  stored, migration 0024), `HttpOnly`, `SameSite=Strict`, `Secure` when the hub's public URL
  is https, expiring after OCPI_HUB_CONSOLE_SESSION_HOURS. Revoking the operator ends it.
- Every page but sign-in and the stylesheet needs a live session; without one, a redirect to
  sign-in (303, so a POST is not repeated).
- CSRF: every POST carries the session's token in the form field `csrf` (403 otherwise). The
  sign-in form, made before any session exists, carries a token its own short-lived cookie
  holds (double submit), so no other site can sign a browser in to an operator of its choice.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from ocpi_hub.admin.auth import Unauthenticated, operator_of
from ocpi_hub.console.keys import SESSION
from ocpi_hub.console.render import PREFIX, page
from ocpi_hub.storage.repositories import console_sessions
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = ["COOKIE", "LOGIN_COOKIE", "console_middleware", "routes", "see_other"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COOKIE = "ocpi_hub_console"
LOGIN_COOKIE = "ocpi_hub_console_login"
PUBLIC = frozenset({"console:login", "console:login-post", "console:css"})
_LOGIN_SECONDS = 3600  # how long a sign-in form may wait to be sent


def _cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].public_url.startswith("https:"),
    )


def see_other(location: str) -> web.Response:
    """A redirect after which the browser GETs `location` (a sent form is not sent again)."""
    return web.Response(status=303, headers={"Location": location})


def _login_form(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    """The sign-in page, with a fresh form token in both its cookie and the form."""
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", status=status, error=error, login_csrf=token)
    _cookie(request, response, LOGIN_COOKIE, token, _LOGIN_SECONDS)
    return response


async def get_login(request: web.Request) -> web.StreamResponse:
    """The sign-in form; to the overview when already signed in."""
    if await _session(request) is not None:
        return see_other(f"{PREFIX}/")
    return _login_form(request)


async def post_login(request: web.Request) -> web.StreamResponse:
    """Sign in with an operator token: a session cookie, then the overview; a wrong token
    stays on the sign-in page, saying so."""
    form = await request.post()
    if not _same(form.get("csrf"), request.cookies.get(LOGIN_COOKIE)):
        return page(request, "error.html", status=403, message=_CSRF_REFUSED)
    token = form.get("token")
    try:
        operator = await operator_of(request, token.strip() if isinstance(token, str) else None)
    except Unauthenticated:
        return _login_form(
            request, "That is not the token of an operator (or it was revoked).", 401
        )
    settings = request.app[SETTINGS]
    lifetime = settings.console_session_hours * 3600
    session_id, _ = await console_sessions.start(request.app[POOL], operator, lifetime)
    response = see_other(f"{PREFIX}/")
    _cookie(request, response, COOKIE, session_id, int(lifetime))
    response.del_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


async def post_logout(request: web.Request) -> web.StreamResponse:
    """Sign out: the session ends on the server, the cookie is dropped."""
    await console_sessions.end(request.app[POOL], request.cookies[COOKIE])
    response = see_other(f"{PREFIX}/login")
    response.del_cookie(COOKIE, path=PREFIX)
    return response


_CSRF_REFUSED = "This form was not sent from the console (its CSRF token is missing or stale)."


def _same(sent: object, expected: str | None) -> bool:
    """Whether a form's token is the expected one (compared in constant time)."""
    return (
        isinstance(sent, str)
        and bool(expected)
        and hmac.compare_digest(sent.encode(), (expected or "").encode())
    )


async def _session(request: web.Request) -> console_sessions.ConsoleSession | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    return await console_sessions.find(request.app[POOL], session_id)


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The console's edge: a live session on every page but sign-in, the session's CSRF token
    on every POST, errors as pages."""
    if request.path != PREFIX and not request.path.startswith(PREFIX + "/"):
        return await handler(request)
    failed = request.match_info.http_exception
    if failed is not None:
        return page(request, "error.html", status=failed.status, message=failed.reason)
    route = request.match_info.route
    if route.name in PUBLIC:
        return await handler(request)
    session = await _session(request)
    if session is None:
        return see_other(f"{PREFIX}/login")
    request[SESSION] = session
    if request.method == "POST":
        form = await request.post()
        if not _same(form.get("csrf"), session.csrf_token):
            return page(request, "error.html", status=403, message=_CSRF_REFUSED)
    return await handler(request)


def routes() -> list[web.RouteDef]:
    """Sign-in and sign-out."""
    return [
        web.get(f"{PREFIX}/login", get_login, name="console:login"),
        web.post(f"{PREFIX}/login", post_login, name="console:login-post"),
        web.post(f"{PREFIX}/logout", post_logout, name="console:logout"),
    ]
