"""The simulated eMSP: drivers' Tokens, real-time authorization answers, and remote starts and
stops of charging sessions, addressed by open routing (the hub finds the Location's CPO); it
receives Locations, Tariffs, Sessions and CDRs, and counts them.

Interfaces it offers: the Receiver of Locations, Tariffs, Sessions and CDRs, the Sender of
Tokens (a paged list, and `POST {uid}/authorize` for real-time authorization) and of Commands
(the response URLs its CommandResults come back to).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ocpi_hub.core.modules.tokens import AuthorizationInfo, LocationReferences, Token
from ocpi_hub.core.objects import TOKEN_TYPE_DEFAULT
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.logging import get_logger
from ocpi_hub.simulate import commands
from ocpi_hub.simulate.generate import JsonObject, random_uuid, tokens, valid
from ocpi_hub.simulate.inbox import CdrInbox, LocationInbox, session_inbox, tariff_inbox
from ocpi_hub.simulate.party import BASE, Party
from ocpi_hub.simulate.receivers import check
from ocpi_hub.simulate.wire import Refused, json_body, reply

log = get_logger("ocpi_hub.simulate")

S, R = InterfaceRole.SENDER, InterfaceRole.RECEIVER


class EmspSimulator(Party):
    """An e-mobility service provider with `config.tokens` Tokens."""

    role = Role.EMSP
    interfaces = (
        (ModuleID.LOCATIONS, R),
        (ModuleID.TARIFFS, R),
        (ModuleID.SESSIONS, R),
        (ModuleID.CDRS, R),
        (ModuleID.TOKENS, S),
        (ModuleID.COMMANDS, S),
        (ModuleID.HUB_CLIENT_INFO, R),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        issued = tokens(
            self.rng,
            self.identity,
            self.config.tokens,
            self.config.display_name,
            self.clock.stamp(),
        )
        self.tokens: dict[tuple[str, str], JsonObject] = {
            (t["uid"], t["type"]): valid(Token, t) for t in issued
        }
        self.locations = LocationInbox(self.stats)
        self.tariffs = tariff_inbox(self.stats)
        self.sessions = session_inbox(self.stats, self._session_changed)
        self.cdrs = CdrInbox(self.stats, lambda: self.module_url(ModuleID.CDRS))
        # Commands we issued, by the id in their response URL: {"type", "response", "result"}.
        self.commands: dict[str, dict[str, Any]] = {}
        self.started_by_us: set[str] = set()  # authorization_references of our START_SESSIONs
        self.stopping: set[str] = set()  # session ids we decided to stop

    # ---- interfaces -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [
            *self.locations.routes(f"{BASE}/locations"),
            *self.tariffs.routes(f"{BASE}/tariffs"),
            *self.sessions.routes(f"{BASE}/sessions"),
            *self.cdrs.routes(f"{BASE}/cdrs"),
            self.sender_list(f"{BASE}/tokens", lambda: list(self.tokens.values())),
            web.post(f"{BASE}/tokens/{{uid}}/authorize", self._authorize),
            web.post(f"{BASE}/commands/{{command_id}}", self._command_result),
        ]

    async def _authorize(self, request: web.Request) -> web.Response:
        """Real-time authorization, asked by a CPO through the hub: ALLOWED for our valid
        Tokens, BLOCKED for the others, 404 with 2004 for Tokens we never issued (§4.5)."""
        uid = request.match_info["uid"]
        kind = request.query.get("type", TOKEN_TYPE_DEFAULT)
        self.stats.count_received("tokens AUTHORIZE")
        token = self.tokens.get((uid, kind))
        if token is None:
            raise Refused(404, 2004, "unknown Token")
        references = await json_body(request)
        info: JsonObject = {
            "allowed": "ALLOWED" if token["valid"] else "BLOCKED",
            "token": token,
            "authorization_reference": random_uuid(self.rng),
        }
        if references is not None:
            check(LocationReferences, references)
            info["location"] = references
        return reply(request, valid(AuthorizationInfo, info))

    async def _command_result(self, request: web.Request) -> web.Response:
        """The CommandResult of a command we issued, delivered by the hub."""
        command_id = request.match_info["command_id"]
        result = await commands.parse_result(request)
        issued = self.commands.get(command_id)
        if issued is None:
            raise Refused(404, 2001, "no command of ours has this response URL")
        self.stats.count_received("commands RESULT", command_id)
        issued["result"] = result["result"]
        log.info("command_result", command=issued["type"], result=result["result"])
        return reply(request)

    # ---- traffic ------------------------------------------------------------------------------

    async def begin(self) -> None:
        """Our Tokens to every CPO, then the Locations and Tariffs published before we came."""
        for token in self.tokens.values():
            path = "/".join((self.identity[0], self.identity[1], quote(token["uid"], safe="")))
            await self.link.send(
                "tokens PUT",
                "PUT",
                f"{self.link.url(ModuleID.TOKENS, R)}/{path}",
                token,
                to_hub=True,
                key=f"{path}/{token['type']}@{token['last_updated']}",
                params={"type": token["type"]},
            )
        for module, inbox in ((ModuleID.LOCATIONS, None), (ModuleID.TARIFFS, self.tariffs)):
            for found in await self.link.pull(module):
                key = (
                    str(found["country_code"]).upper(),
                    str(found["party_id"]).upper(),
                    str(found["id"]),
                )
                store = self.locations.locations if inbox is None else inbox.objects
                store.setdefault(key, found)  # a push that came meanwhile is newer

    def loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        return [lambda: self.every(self.config.start_rate, self.remote_start)]

    async def remote_start(self) -> None:
        """A driver taps "start" in the app: START_SESSION at a free charger we know of."""
        drivers = [t for t in self.tokens.values() if t["valid"]]
        charging = {
            s["evse_uid"] for s in self.sessions.objects.values() if s["status"] == "ACTIVE"
        }
        free = [
            (loc, evse)
            for loc, evse in self.locations.evses()
            if evse.get("status") == "AVAILABLE"
            and evse["uid"] not in charging
            and "REMOTE_START_STOP_CAPABLE" in (evse.get("capabilities") or [])
        ]
        if not drivers or not free:
            return
        loc, evse = self.rng.choice(free)
        await self.start_session(self.rng.choice(drivers), loc["id"], evse)

    async def start_session(self, token: JsonObject, location_id: str, evse: JsonObject) -> str:
        """START_SESSION for `token` at the EVSE's first connector, through the hub; returns
        the command's id (its record in `commands`)."""
        command_id = random_uuid(self.rng)
        body = commands.start_session(
            f"{self.module_url(ModuleID.COMMANDS)}/{command_id}",
            token,
            location_id,
            evse["uid"],
            evse["connectors"][0]["id"],
            authorization_reference=command_id,
        )
        self.started_by_us.add(command_id)
        await self._issue("START_SESSION", command_id, body)
        return command_id

    async def _issue(self, kind: str, command_id: str, body: JsonObject) -> None:
        """Send a command; its record keeps the OCPI status of the answer, the CommandResponse's
        `result` and `message` (what a refusal says), and later the CommandResult."""
        issued: dict[str, Any] = {"type": kind, "response": None, "result": None}
        self.commands[command_id] = issued
        url = f"{self.link.url(ModuleID.COMMANDS, R)}/{kind}"
        response = await self.link.send(f"commands {kind}", "POST", url, body)
        if response is not None:
            issued["status_code"] = response.status_code
        if response is not None and isinstance(response.data, dict):
            issued["response"] = response.data.get("result")
            issued["message"] = response.data.get("message")
            log.info("command_response", command=kind, result=response.data.get("result"))

    def _session_changed(self, session: JsonObject) -> None:
        """A session we started remotely gets stopped by its driver after a while."""
        if (
            session["status"] == "ACTIVE"
            and session.get("authorization_reference") in self.started_by_us
            and session["id"] not in self.stopping
            and self.trafficking
        ):
            self.stopping.add(session["id"])
            delay = self.rng.expovariate(1 / self.config.stop_after)
            self.spawn(self._stop_later(session, delay))

    async def _stop_later(self, session: JsonObject, delay: float) -> None:
        await asyncio.sleep(delay)  # the driver charging, before tapping "stop"
        key = (
            str(session["country_code"]).upper(),
            str(session["party_id"]).upper(),
            session["id"],
        )
        current = self.sessions.objects.get(key, session)
        if not self.trafficking or current["status"] != "ACTIVE":
            return
        command_id = random_uuid(self.rng)
        url = f"{self.module_url(ModuleID.COMMANDS)}/{command_id}"
        await self._issue("STOP_SESSION", command_id, commands.stop_session(url, session["id"]))

    def state(self) -> dict[str, Any]:
        sessions = Counter(str(s["status"]) for s in self.sessions.objects.values())
        responses = Counter(f"{c['type']} {c['response']}" for c in self.commands.values())
        results = Counter(
            f"{c['type']} {c['result']}" for c in self.commands.values() if c["result"]
        )
        return {
            "tokens": len(self.tokens),
            "locations": len(self.locations.locations),
            "tariffs": len(self.tariffs.objects),
            "sessions": dict(sorted(sessions.items())),
            "cdrs": len(self.cdrs.cdrs),
            "command_responses": dict(sorted(responses.items())),
            "command_results": dict(sorted(results.items())),
        }
