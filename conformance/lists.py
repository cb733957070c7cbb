"""Reading the endpoint's Sender lists page by page (transport_and_format §1.5), shared by the
pagination, object and module checks.

A `Walk` follows `Link: <url>; rel="next"` from a first page until there is none, keeping
every page with its exchange, items and headers, and stopping (not looping) on a Link to an
empty page, a URL already visited, a broken page, or `--max-pages`. Judging what it saw is the
checks' business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from conformance.context import Context
from conformance.model import Exchange, Role

# The Sender lists each role offers (mod_* §4: the data owner's interface; a Hub serves every
# module's Sender, and HubClientInfo's, checklist §5).
LIST_MODULES: dict[Role, tuple[str, ...]] = {
    Role.CPO: ("locations", "tariffs", "sessions", "cdrs"),
    Role.EMSP: ("tokens",),
    Role.HUB: ("locations", "tariffs", "tokens", "sessions", "cdrs", "hubclientinfo"),
}
# What each list holds, by spec.OBJECTS name.
OBJECT_KIND = {
    "locations": "Location",
    "tariffs": "Tariff",
    "tokens": "Token",
    "sessions": "Session",
    "cdrs": "CDR",
    "hubclientinfo": "ClientInfo",
}
# What identifies an object in a list (tokens: uid and type, mod_tokens §4.5).
_KEY_FIELDS = {
    "tokens": ("country_code", "party_id", "uid", "type"),
    "hubclientinfo": ("country_code", "party_id"),
}
# Sessions' Sender GET marks date_from required (checklist §7.6); every read of it gives one.
EPOCH = "1970-01-01T00:00:00Z"
_LINK = re.compile(r'<([^>]*)>\s*;[^,]*\brel\s*=\s*"?next"?', re.IGNORECASE)


def sender_lists(ctx: Context) -> list[tuple[str, str]]:
    """(module, Sender URL) of every list the endpoint offers for the role under test."""
    found = []
    for module in LIST_MODULES[ctx.role]:
        url = ctx.endpoint(module, "SENDER")
        if url is not None:
            found.append((module, url))
    return found


def base_params(module: str) -> dict[str, str]:
    """The query every read of `module`'s list carries (Sessions: a date_from)."""
    return {"date_from": EPOCH} if module == "sessions" else {}


def request_headers(ctx: Context, module: str) -> dict[str, str]:
    """Routing headers for functional modules only (§1.6 [M]: none on configuration ones)."""
    return {} if module == "hubclientinfo" else ctx.routing_headers()


def object_key(module: str, item: Any) -> str:
    """A readable identity of a list item, for duplicates and gaps."""
    if not isinstance(item, dict):
        return repr(item)
    fields = _KEY_FIELDS.get(module, ("country_code", "party_id", "id"))
    return "/".join(str(item.get(f)) for f in fields)


def parse_link(header: str | None) -> str | None:
    """The next-page URL of a `Link` header, None when there is no rel="next"."""
    if not header:
        return None
    match = _LINK.search(header)
    return match.group(1) if match else None


def int_header(exchange: Exchange, name: str) -> int | None:
    """A header's value as a non-negative integer, None when absent or not one."""
    value = exchange.header(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


@dataclass
class Page:
    """One page of a list: its exchange, and its items when it was a 1000 list."""

    exchange: Exchange
    items: list[Any] | None  # None: the answer was not a 1000 envelope with a list

    @property
    def link(self) -> str | None:
        return self.exchange.header("Link")

    @property
    def next_url(self) -> str | None:
        found = parse_link(self.link)
        # A relative Link is resolved against the page's own URL, as HTTP does.
        return str(URL(self.exchange.url).join(URL(found))) if found else None

    @property
    def total(self) -> int | None:
        return int_header(self.exchange, "X-Total-Count")

    @property
    def limit(self) -> int | None:
        return int_header(self.exchange, "X-Limit")


@dataclass
class Walk:
    """The pages read from a first one, following Link."""

    module: str
    pages: list[Page] = field(default_factory=list)
    complete: bool = False  # ended on a page without Link
    stopped: str | None = None  # why it ended early

    @property
    def items(self) -> list[Any]:
        return [item for page in self.pages for item in page.items or []]

    @property
    def first(self) -> Page:
        return self.pages[0]

    @property
    def exchanges(self) -> list[Exchange]:
        return [p.exchange for p in self.pages]

    def page_of(self, index: int) -> Page:
        """The page holding item `index` of `items`."""
        seen = 0
        for page in self.pages:
            seen += len(page.items or [])
            if index < seen:
                return page
        return self.pages[-1]


async def fetch_page(ctx: Context, module: str, url: str | URL, **params: str | int) -> Page:
    """One page of `module`'s list (routing headers where the module takes them)."""
    exchange = await ctx.client.get(
        url, params=params or None, headers=request_headers(ctx, module)
    )
    data = exchange.data
    ok = exchange.status == 200 and exchange.status_code == 1000 and isinstance(data, list)
    return Page(exchange, data if ok and isinstance(data, list) else None)


async def walk(
    ctx: Context,
    module: str,
    url: str,
    *,
    limit: int | None = None,
    filters: dict[str, str] | None = None,
) -> Walk:
    """Every page from the first (with `limit` and `filters`) following Link to the end."""
    query: dict[str, str | int] = {**base_params(module), **(filters or {})}
    if limit is not None:
        query["limit"] = limit
    result = Walk(module)
    page = await fetch_page(ctx, module, url, **query)
    visited = {page.exchange.url}
    result.pages.append(page)
    while True:
        if page.items is None:
            result.stopped = f"page {len(result.pages)} is not a list: {page.exchange.summary()}"
            return result
        next_url = page.next_url
        if next_url is None:
            result.complete = True
            return result
        if not page.items:
            result.stopped = f"page {len(result.pages)} is empty but links on"
            return result
        if next_url in visited:
            result.stopped = f"page {len(result.pages)} links back to a page already read"
            return result
        if len(result.pages) >= ctx.options.max_pages:
            result.stopped = f"stopped after {ctx.options.max_pages} pages (--max-pages)"
            return result
        visited.add(next_url)
        # encoded=True: follow the server's URL byte for byte (an opaque cursor stays intact).
        page = await fetch_page(ctx, module, URL(next_url, encoded=True))
        result.pages.append(page)


async def full_read(ctx: Context, module: str) -> Walk:
    """The whole list at the server's own page size, read once per run."""
    key = f"lists.full.{module}"
    cached = ctx.cache.get(key)
    if isinstance(cached, Walk):
        return cached
    url = ctx.endpoint(module, "SENDER")
    assert url is not None
    result = await walk(ctx, module, url)
    ctx.cache[key] = result
    return result
