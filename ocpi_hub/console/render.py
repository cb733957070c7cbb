"""How the console draws a page: Jinja templates (autoescaped) under `templates/`, the one
stylesheet under `static/`, the navigation as data, and the headers every page carries."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
from aiohttp import web

from ocpi_hub.console.keys import SESSION

__all__ = ["NAV", "PREFIX", "NavEntry", "page", "stylesheet"]

PREFIX = "/console"


@dataclass(frozen=True)
class NavEntry:
    """One entry of the console's navigation; no `href`: a page still to come ("soon")."""

    key: str
    label: str
    href: str | None


# The pages, in the order the navigation shows them. A page that lands gets its href here.
NAV = (
    NavEntry("overview", "Overview", f"{PREFIX}/"),
    NavEntry("partners", "Partners", f"{PREFIX}/partners"),
    NavEntry("deliveries", "Deliveries", f"{PREFIX}/deliveries"),
    NavEntry("money", "Money", f"{PREFIX}/money"),
    NavEntry("trace", "Trace", f"{PREFIX}/trace"),
)

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("ocpi_hub.console", "templates"),
    autoescape=True,  # every value a page shows is escaped unless a template says otherwise
    undefined=jinja2.StrictUndefined,  # a misspelt name is an error, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)

# Pages only load what the hub serves itself; none may be framed; none is cached (an invite's
# token is shown once).
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A page rendered from `template` with `context`, plus what every page has: the signed-in
    operator and the session's CSRF token (None on the sign-in page), the navigation."""
    session = request.get(SESSION)
    context.setdefault("current", None)
    html = _ENV.get_template(template).render(
        nav=NAV,
        operator=session.operator.name if session else None,
        csrf=session.csrf_token if session else None,
        prefix=PREFIX,
        **context,
    )
    return web.Response(
        text=html, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
    )


_CSS = resources.files("ocpi_hub.console").joinpath("static/console.css").read_bytes()


async def stylesheet(request: web.Request) -> web.Response:
    """The console's one stylesheet (cacheable for an hour)."""
    return web.Response(
        body=_CSS,
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
