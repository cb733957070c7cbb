"""Receiver interfaces shared by the simulators: Tokens (a CPO's) and HubClientInfo (every
party's), and the rules every receiver applies (checklist §1.7, §1.8).

A receiver checks that the body agrees with its URL, validates the object with the hub's model
(after merging a PATCH), and keeps it unless it already holds a newer version: the hub delivers
at least once, so an old push may arrive again after a newer one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules.hubclientinfo import ClientInfo
from ocpi_hub.core.modules.tokens import Token
from ocpi_hub.core.objects import TOKEN_TYPE_DEFAULT
from ocpi_hub.core.patch import merge_patch
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.simulate.generate import JsonObject
from ocpi_hub.simulate.stats import Stats
from ocpi_hub.simulate.wire import Refused, json_object, reply


def tail(request: web.Request, prefix: str) -> str:
    """The path below a module's URL, as the sender encoded it (`NL/CPA/LOC1/EVSE1`)."""
    return request.rel_url.raw_path[len(prefix) + 1 :].rstrip("/")


def check(model: type[OcpiModel], data: Any) -> None:
    """2001 naming the field when `data` is not a valid `model`."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise Refused(200, 2001, validation_message(exc)) from exc


def agrees(body: Mapping[str, Any], **fixed: str) -> None:
    """2001 when the body contradicts what the URL fixes (ids compare case-insensitively)."""
    for name, value in fixed.items():
        if name in body and str(body[name]).upper() != value.upper():
            raise Refused(200, 2001, f"{name}: {body[name]!r} differs from the URL")


def stamped(body: Mapping[str, Any], method: str) -> str:
    """The body's last_updated, which a PATCH must carry."""
    value = body.get("last_updated")
    if not isinstance(value, str):
        if method == "PATCH":
            raise Refused(200, 2001, "last_updated: a PATCH must carry it")
        return ""
    return value


def newer(stored: Mapping[str, Any] | None, incoming: Mapping[str, Any]) -> bool:
    """Whether `incoming` is at least as recent as `stored` (by last_updated)."""
    if stored is None:
        return True
    try:
        return parse_datetime(str(incoming["last_updated"])) >= parse_datetime(
            str(stored["last_updated"])
        )
    except (KeyError, ValueError):
        return True


TokenKey = tuple[str, str, str, str]  # (country_code, party_id, uid, type)


class TokenStore:
    """The Tokens a CPO holds, as the eMSPs pushed them (Receiver) or the hub listed them."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.tokens: dict[TokenKey, JsonObject] = {}
        self._prefix = ""

    def all(self) -> list[JsonObject]:
        return list(self.tokens.values())

    def keep(self, token: JsonObject) -> None:
        """Keep a Token read from the hub's list, unless ours is newer."""
        key = (
            str(token["country_code"]).upper(),
            str(token["party_id"]).upper(),
            str(token["uid"]),
            str(token["type"]),
        )
        if newer(self.tokens.get(key), token):
            self.tokens[key] = token

    def routes(self, prefix: str) -> list[web.RouteDef]:
        self._prefix = prefix
        path = prefix + "/{country_code}/{party_id}/{uid}"
        return [web.route(m, path, self._handle) for m in ("GET", "PUT", "PATCH")]

    async def _handle(self, request: web.Request) -> web.Response:
        info = request.match_info
        cc, pid, uid = info["country_code"], info["party_id"], info["uid"]
        kind = request.query.get("type", TOKEN_TYPE_DEFAULT)
        key = (cc.upper(), pid.upper(), uid, kind)
        stored = self.tokens.get(key)
        if request.method == "GET":
            if stored is None:
                raise Refused(404, 2004, "unknown Token")
            return reply(request, stored)
        body = await json_object(request)
        agrees(body, country_code=cc, party_id=pid, uid=uid, type=kind)
        last_updated = stamped(body, request.method)
        if request.method == "PATCH":
            if stored is None:
                raise Refused(404, 2004, "unknown Token")
            body = merge_patch(stored, body)
        check(Token, body)
        if newer(stored, body):
            self.tokens[key] = body
        label = f"tokens {request.method}"
        self.stats.count_received(label, f"{cc}/{pid}/{uid}/{kind}@{last_updated}")
        return reply(request)


class ClientInfoStore:
    """What the hub says about the other parties (HubClientInfo Receiver, checklist §4.8)."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.parties: dict[tuple[str, str], JsonObject] = {}

    def routes(self, prefix: str) -> list[web.RouteDef]:
        path = prefix + "/{country_code}/{party_id}"
        return [web.get(path, self._handle), web.put(path, self._handle)]

    async def _handle(self, request: web.Request) -> web.Response:
        key = (request.match_info["country_code"].upper(), request.match_info["party_id"].upper())
        if request.method == "GET":
            if key not in self.parties:
                raise Refused(404, 2000, "no ClientInfo for this party")
            return reply(request, self.parties[key])
        body = await json_object(request)
        agrees(body, country_code=key[0], party_id=key[1])
        check(ClientInfo, body)
        self.parties[key] = body
        self.stats.count_received("hubclientinfo PUT", f"{'/'.join(key)}@{body['last_updated']}")
        return reply(request)

    def statuses(self) -> dict[str, str]:
        """`CC*PID` → ConnectionStatus, as last heard."""
        return {"*".join(k): str(v["status"]) for k, v in sorted(self.parties.items())}
