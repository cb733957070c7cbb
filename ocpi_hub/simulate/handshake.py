"""The credentials handshake of a simulated party, both ways (checklist §3.3), and its tokens.

- Initiator (`--versions-url URL --token TOKEN_A`): read the hub's versions and 2.2.1 details
  with token A, POST our credentials with a fresh token B (accepted on our server from then on:
  the hub reads our versions with it before it answers), call the hub with its token C.
- Server (`--issue-token`): we issue a token A; the hub (`ocpi-hub connect`) POSTs its
  credentials with it, carrying its token B; we read its versions with B, answer with a fresh
  token C, which the hub uses to call us. Token A is dead from then on.

The hub may later PUT new credentials (rotation: a new token each way, endpoints re-read) or
DELETE them (unregistered: the party stops sending).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from ocpi_hub.core.handshake import new_token
from ocpi_hub.core.model import validation_message
from ocpi_hub.core.parties import Credentials, ModuleID, VersionDetails
from ocpi_hub.errors import ClientApiUnusable
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerUnreachable
from ocpi_hub.push.connect import discover
from ocpi_hub.simulate.link import HubLink
from ocpi_hub.simulate.wire import Refused, json_object, reply

log = get_logger("ocpi_hub.simulate")


class RegistrationFailed(Exception):
    """The hub did not register us; the message says why."""


class Registration:
    """Which tokens open this party's server, and the two halves of the handshake."""

    def __init__(
        self,
        link: HubLink,
        credentials: Callable[[str], dict[str, Any]],
        on_change: Callable[[bool], None],
    ) -> None:
        self.link = link
        self.credentials = credentials  # our credentials object around a token
        self.on_change = on_change  # called with True once registered, False once unregistered
        self.registered = asyncio.Event()
        self.token_a: str | None = None  # issued by us; opens configuration modules only
        self.incoming: str | None = None  # the token the hub calls us with
        self._pending: set[str] = set()  # our token B while we wait for the hub's answer
        self.hub_initiated = False  # the hub registered with us (we were the server)

    def issue_token_a(self) -> str:
        """A token A for the hub to register with (`ocpi-hub connect --token`)."""
        self.token_a = new_token()
        return self.token_a

    def accepts(self, token: str, configuration: bool) -> bool:
        """Whether `token` opens a request; token A only opens versions and credentials."""
        if token == self.incoming or token in self._pending:
            return True
        return configuration and self.token_a is not None and token == self.token_a

    def _complete(self, incoming: str, theirs: Credentials, details: VersionDetails) -> None:
        self.incoming = incoming
        self._pending.clear()
        self.token_a = None
        self.link.adopt(theirs, details)
        self.registered.set()
        self.on_change(True)

    # ---- initiator ------------------------------------------------------------------------

    async def register(self, versions_url: str, token_a: str, *, patience: float = 30.0) -> None:
        """Register with the hub at `versions_url`, retrying for `patience` seconds while it
        cannot be reached (a hub still starting); RegistrationFailed when it refuses."""
        await self._reachable(versions_url, token_a, patience)
        try:
            details = await discover(self.link.client, versions_url, token_a, self.link.timeout)
        except ClientApiUnusable as exc:
            raise RegistrationFailed(exc.message) from exc
        credentials_url = next(
            (e.url for e in details.endpoints if e.identifier == ModuleID.CREDENTIALS.value), None
        )
        if credentials_url is None:
            raise RegistrationFailed(f"{versions_url} offers no credentials endpoint")
        token_b = new_token()
        self._pending.add(token_b)
        try:
            response = await self.link.client.request(
                "POST",
                credentials_url,
                token=token_a,
                timeout=self.link.timeout,
                body=orjson.dumps(self.credentials(token_b)),
            )
        except PeerUnreachable as exc:
            self._pending.discard(token_b)
            raise RegistrationFailed(f"POST {credentials_url}: {exc}") from exc
        if not response.ok:
            self._pending.discard(token_b)
            message = response.body.get("status_message") if isinstance(response.body, dict) else ""
            raise RegistrationFailed(
                f"the hub refused our credentials: HTTP {response.http_status},"
                f" status_code {response.status_code}: {message}"
            )
        try:
            theirs = Credentials.model_validate(response.data)
        except ValidationError as exc:
            self._pending.discard(token_b)
            raise RegistrationFailed(f"invalid credentials: {validation_message(exc)}") from exc
        self._complete(token_b, theirs, details)
        log.info("registered", hub="*".join(self.link.hub or ()), as_initiator=True)

    async def _reachable(self, versions_url: str, token_a: str, patience: float) -> None:
        """Wait while the hub cannot be reached at all (it may still be starting); any HTTP
        answer ends the wait, a refusal included (that one is for `discover` to report)."""
        deadline = time.monotonic() + patience
        while True:
            try:
                await self.link.client.request(
                    "GET", versions_url, token=token_a, timeout=self.link.timeout
                )
                return
            except PeerUnreachable as exc:
                if time.monotonic() > deadline:
                    raise RegistrationFailed(f"{versions_url} cannot be reached: {exc}") from exc
                log.info("hub_not_ready", versions_url=versions_url, reason=str(exc))
                await asyncio.sleep(1.0)

    # ---- server ---------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """The credentials endpoint: GET, POST (register), PUT (update), DELETE (unregister)."""
        registered = self.link.connected
        if request.method == "GET":
            if not registered:
                raise Refused(405, 2000, "not registered")
            return reply(request, self.credentials(str(self.incoming)))
        if request.method == "DELETE":
            if not registered:
                raise Refused(405, 2000, "not registered")
            self.incoming = None
            self.link.forget()
            self.registered.clear()
            self.on_change(False)
            log.info("unregistered")
            return reply(request)
        if request.method not in ("POST", "PUT"):
            raise Refused(405, 2000, f"{request.method} is not a credentials method")
        if (request.method == "POST") == registered:
            raise Refused(405, 2000, "POST registers, PUT updates a registration")
        try:
            theirs = Credentials.model_validate(await json_object(request))
        except ValidationError as exc:
            raise Refused(400, 2001, validation_message(exc)) from exc
        try:
            # Like any server: read the client's versions with its token before answering.
            details = await discover(self.link.client, theirs.url, theirs.token, self.link.timeout)
        except ClientApiUnusable as exc:
            return reply(request, code=exc.status_code, message=exc.message)
        ours = new_token()
        self.hub_initiated = True
        self._complete(ours, theirs, details)
        log.info("registered", hub="*".join(self.link.hub or ()), as_initiator=False)
        return reply(request, self.credentials(ours))
