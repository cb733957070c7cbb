"""A recording HTTP client for the endpoint under test.

Every request carries `Authorization: Token <Base64 of the token>` (transport_and_format §1.1
[M], 2.2.1-d2 wording) unless a check asks for the raw form or for no header at all, and fresh
`X-Request-ID` / `X-Correlation-ID` values (§1.2 [M]). Every exchange is kept, in order, so
the runner can attach to a result exactly the requests its check made. Transport failures
(refused, timeout) do not raise: they become an Exchange without a status, which a check can
report like any other wrong answer.

A read-only client (--read-only) sends GETs only: any other method raises ReadOnlyRefused
before a byte leaves, so a check that forgets its `writes` flag crashes (a FAIL naming it)
instead of writing to a production endpoint. The one exception is the registration POST a
token A asks for (`handshake=True`); with --token-c nothing but GETs is sent.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import aiohttp
from yarl import URL

from conformance.model import Exchange


class Auth(StrEnum):
    """How the token goes into the Authorization header."""

    BASE64 = "base64"  # OCPI 2.2.1: `Token base64(utf8(token))`
    RAW = "raw"  # OCPI 2.1.1/2.2 peers: `Token token`
    NONE = "none"  # no Authorization header at all


def authorization(token: str, auth: Auth = Auth.BASE64) -> str:
    """The Authorization header value for `token` in the given form."""
    if auth == Auth.RAW:
        return f"Token {token}"
    return "Token " + base64.b64encode(token.encode()).decode()


def new_id() -> str:
    """A fresh X-Request-ID / X-Correlation-ID (a UUID, as §1.2 advises)."""
    return str(uuid.uuid4())


class ReadOnlyRefused(Exception):
    """A read-only client was asked to send something other than a GET."""


class OcpiClient:
    """Calls the endpoint under test with the current token and records every exchange."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        token: str | None = None,
        log: list[Exchange] | None = None,
        read_only: bool = False,
    ) -> None:
        self.token = token
        self.read_only = read_only
        # The form used when a call names none; the runner falls back to RAW for an endpoint
        # that refuses Base64 (d2's trial-and-error advice), so one refusal fails one check.
        self.auth = Auth.BASE64
        self.timeout = timeout
        # Several clients (one per party the suite plays) may share one log: evidence is
        # everything a check caused, in order, whoever sent it.
        self.exchanges: list[Exchange] = log if log is not None else []
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> OcpiClient:
        # No cookie jar: OCPI is stateless and a cookie must not make a check pass.
        self._session = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str | URL,
        *,
        token: str | None = None,
        auth: Auth | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        handshake: bool = False,
    ) -> Exchange:
        """Send one request; `token` None means the client's current token, `auth` None the
        client's current form. `url` may be a
        yarl URL built with encoded=True so a server's Link is followed byte for byte.
        `handshake`: the registration POST, the one non-GET a read-only client sends."""
        assert self._session is not None, "use the client as an async context manager"
        if self.read_only and method != "GET" and not handshake:
            raise ReadOnlyRefused(f"--read-only: {method} {url} not sent (GETs only)")
        target = url if isinstance(url, URL) else URL(url)
        if params:
            target = target.update_query({k: str(v) for k, v in params.items()})
        sent: dict[str, str] = {"X-Request-ID": new_id(), "X-Correlation-ID": new_id()}
        used = token if token is not None else self.token
        form = auth or self.auth
        if form != Auth.NONE and used is not None:
            sent["Authorization"] = authorization(used, form)
        if json_body is not None:
            body = json.dumps(json_body).encode()
        if body is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        exchange = Exchange(
            method=method,
            url=str(target),
            request_headers=sent,
            request_body=body.decode(errors="replace") if body is not None else None,
        )
        started = time.perf_counter()
        try:
            async with self._session.request(
                method, target, data=body, headers=sent, allow_redirects=False
            ) as response:
                raw = await response.read()
                exchange.status = response.status
                exchange.response_headers = _flatten(response.headers)
                exchange.response_body = raw.decode(errors="replace")
        except (TimeoutError, aiohttp.ClientError) as exc:
            exchange.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        self.exchanges.append(exchange)
        return exchange

    async def get(self, url: str | URL, **kwargs: Any) -> Exchange:
        return await self.request("GET", url, **kwargs)


def _flatten(headers: Mapping[str, str]) -> dict[str, str]:
    """Response headers as a dict; a repeated header's values joined as HTTP allows."""
    flat: dict[str, str] = {}
    for name, value in headers.items():
        flat[name] = f"{flat[name]}, {value}" if name in flat else value
    return flat
