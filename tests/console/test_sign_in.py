"""Signing in to the console (issue 12): an operator token opens a server-side session kept in
a cookie (HttpOnly, SameSite=Strict, Secure behind https, expiring); every page but sign-in
needs it; every POST needs the session's CSRF token."""

from __future__ import annotations

import aiohttp

from ocpi_hub.core.handshake import hash_token
from ocpi_hub.storage.repositories import operators
from tests.conftest import start_hub
from tests.console.conftest import Console

PAGES = ["/", "/partners", "/deliveries"]
FORMS = ["/partners", "/deliveries/replay", "/logout"]


async def test_every_page_redirects_to_sign_in_without_a_session(console: Console) -> None:
    """GET of a page, or POST of a form, without a session lands on the sign-in form."""
    for path in PAGES:
        page = await console.get(path)
        assert (page.status, page.url) == (200, console.url("/login")), path
        assert 'name="token"' in page.html
    for path in FORMS:
        async with console.session.post(console.url(path), allow_redirects=False) as answer:
            assert answer.status == 303 and answer.headers["Location"] == "/console/login"


async def test_a_token_signs_in_with_a_hashed_server_side_session(
    console: Console, operator_token: str
) -> None:
    """The right token lands on the overview; the cookie is HttpOnly, SameSite=Strict, scoped to
    /console, expiring; the database keeps only the session id's hash."""
    form = await console.get("/login")
    async with console.session.post(
        console.url("/login"),
        data={"csrf": form.csrf, "token": operator_token},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303 and answer.headers["Location"] == "/console/"
        cookie = answer.cookies["ocpi_hub_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console"
    assert not cookie["secure"]  # the hub's URL is http here
    assert int(cookie["max-age"]) == int(console.hub.settings.console_session_hours * 3600)
    stored = await console.hub.pool.fetch("SELECT id_hash, csrf_token FROM console_sessions")
    assert [bytes(r["id_hash"]) for r in stored] == [hash_token(cookie.value)]
    overview = await console.get("/")
    assert overview.status == 200 and "<h1>Overview</h1>" in overview.html
    assert overview.csrf == stored[0]["csrf_token"] and "alice" in overview.html


async def test_a_wrong_token_stays_on_sign_in(console: Console, operator_token: str) -> None:
    """An unknown token, or an empty one, is the sign-in form again saying so; no session."""
    for token in ("not-a-token", "", operator_token + "x"):
        page = await console.sign_in(token)
        assert (page.status, page.url) == (401, console.url("/login"))
        assert "not the token of an operator" in page.html
    assert console.cookie("ocpi_hub_console") is None
    assert await console.hub.pool.fetchval("SELECT count(*) FROM console_sessions") == 0


async def test_an_ocpi_token_does_not_sign_in(console: Console) -> None:
    """A party's token A is not an operator's: the console refuses it."""
    token_a = await console.hub.invite("CPO", "NL", "CPA")
    page = await console.sign_in(token_a)
    assert page.status == 401 and console.cookie("ocpi_hub_console") is None


async def test_sign_in_without_its_form_token_is_403(console: Console, operator_token: str) -> None:
    """A sign-in POST not made from the console's own form (no form token, or one that is not
    its cookie's) is refused: another site cannot sign a browser in."""
    await console.get("/login")
    for form in ({"token": operator_token}, {"token": operator_token, "csrf": "forged"}):
        page = await console.post("/login", form)
        assert page.status == 403
    assert await console.hub.pool.fetchval("SELECT count(*) FROM console_sessions") == 0


async def test_a_post_without_the_sessions_csrf_token_is_403_and_changes_nothing(
    console: Console, operator_token: str
) -> None:
    """Signed in, an invitation without the CSRF token, or with another, is 403; no party."""
    await console.sign_in(operator_token)
    invitation = {"role": "CPO", "country_code": "NL", "party_id": "CPA"}
    for extra in ({}, {"csrf": "forged"}):
        page = await console.post("/partners", {**invitation, **extra})
        assert page.status == 403 and "CSRF" in page.html
    assert await console.hub.pool.fetchval("SELECT count(*) FROM parties") == 0


async def test_sign_out_ends_the_session_on_the_server(
    console: Console, operator_token: str
) -> None:
    """After sign-out the old cookie opens nothing, even sent again by hand."""
    await console.sign_in(operator_token)
    session_id = console.cookie("ocpi_hub_console")
    assert session_id
    overview = await console.get("/")
    page = await console.post("/logout", {"csrf": overview.csrf})
    assert page.url == console.url("/login")
    assert await console.hub.pool.fetchval("SELECT count(*) FROM console_sessions") == 0
    console.session.cookie_jar.update_cookies({"ocpi_hub_console": session_id})
    assert (await console.get("/")).url == console.url("/login")


async def test_an_expired_session_or_a_revoked_operator_signs_out(
    console: Console, operator_token: str
) -> None:
    """A session past its expiry opens nothing; nor does one whose operator was revoked."""
    await console.sign_in(operator_token)
    assert (await console.get("/")).url == console.url("/")
    await console.hub.pool.execute("UPDATE console_sessions SET expires_at = now()")
    assert (await console.get("/")).url == console.url("/login")
    await console.sign_in(operator_token)
    assert (await console.get("/")).url == console.url("/")
    assert await operators.revoke(console.hub.pool, "alice")
    assert (await console.get("/")).url == console.url("/login")


async def test_the_cookie_is_secure_when_the_public_url_is_https(database_url: str) -> None:
    """Behind https (OCPI_HUB_PUBLIC_URL), the session cookie is Secure."""
    hub = await start_hub(database_url, public_url_setting="https://hub.example.com")
    try:
        await operators.create(hub.pool, "bob", "bobs-token-" + "x" * 30)
        base = f"http://{hub.settings.host}:{hub.settings.port}/console"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(f"{base}/login") as form:
                assert form.cookies["ocpi_hub_console_login"]["secure"]
                csrf = form.cookies["ocpi_hub_console_login"].value
            async with session.post(
                f"{base}/login",
                data={"csrf": csrf, "token": "bobs-token-" + "x" * 30},
                cookies={"ocpi_hub_console_login": csrf},
                allow_redirects=False,
            ) as answer:
                assert answer.status == 303
                assert answer.cookies["ocpi_hub_console"]["secure"]
    finally:
        await hub.stop()
        await hub.pool.close()


async def test_a_path_under_the_console_naming_nothing_is_an_html_404(console: Console) -> None:
    """Not an OCPI envelope: the console's own error page."""
    page = await console.get("/nothing-here")
    assert page.status == 404 and page.html.startswith("<!doctype html>")
