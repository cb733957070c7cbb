"""Fixtures for the operator's console: an operator, a signed-in HTTP client (cookies, the
forms' CSRF token), and the e2e fixtures (fake parties registered with the hub)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, async_playwright
from yarl import URL

from ocpi_hub.core.handshake import new_token
from ocpi_hub.storage.repositories import operators
from tests.conftest import RunningHub
from tests.e2e.conftest import cpo, emsp, make_party, parties

__all__ = [
    "SCREENSHOTS",
    "Console",
    "browser",
    "console",
    "cpo",
    "emsp",
    "make_party",
    "operator_token",
    "parties",
]

# The system's Chromium (Debian's `chromium`), never a browser Playwright downloads.
CHROMIUM = os.environ.get("OCPI_HUB_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Where the browser tests leave a screenshot of each page (git-ignored).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
async def operator_token(hub: RunningHub) -> str:
    """The token of an operator called alice."""
    token = new_token()
    await operators.create(hub.pool, "alice", token)
    return token


@dataclass
class Page:
    """A console answer: status, where it landed (after redirects), its HTML."""

    status: int
    url: str
    html: str

    @property
    def csrf(self) -> str:
        """The CSRF token the page's forms carry."""
        found = _CSRF.search(self.html)
        assert found, "the page has no form carrying a CSRF token"
        return found.group(1)


@dataclass
class Console:
    """A browser-like client of a running hub's console: it keeps cookies, follows redirects."""

    hub: RunningHub
    session: aiohttp.ClientSession

    def url(self, path: str) -> str:
        return f"{self.hub.url}/console{path}"

    async def get(self, path: str, **kwargs: object) -> Page:
        async with self.session.get(self.url(path), **kwargs) as answer:  # type: ignore[arg-type]
            return Page(answer.status, str(answer.url), await answer.text())

    async def post(self, path: str, form: dict[str, str], **kwargs: object) -> Page:
        async with self.session.post(self.url(path), data=form, **kwargs) as answer:  # type: ignore[arg-type]
            return Page(answer.status, str(answer.url), await answer.text())

    async def sign_in(self, token: str) -> Page:
        """Sign in with `token` through the sign-in form, as a person would."""
        form = await self.get("/login")
        return await self.post("/login", {"csrf": form.csrf, "token": token})

    def cookie(self, name: str) -> str | None:
        found = self.session.cookie_jar.filter_cookies(URL(self.hub.url + "/console/"))
        return found[name].value if name in found else None


@pytest.fixture
async def console(hub: RunningHub) -> AsyncIterator[Console]:
    """A console client, not signed in (cookies for 127.0.0.1 allowed)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Console(hub, session)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium driven by Playwright; the test is skipped, saying why, only where no
    Chromium is installed (`make test` installs it where it can; with
    OCPI_HUB_REQUIRE_CHROMIUM, as .ci/run sets, it fails instead)."""
    if not os.access(CHROMIUM, os.X_OK):
        why = f"no Chromium at {CHROMIUM}: apt-get install chromium (make test does, as root)"
        if os.environ.get("OCPI_HUB_REQUIRE_CHROMIUM"):
            pytest.fail(why)  # CI: the browser tests must run
        pytest.skip(why)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
