"""OCPI 2.1.1 at the hub's edges: the translations with what they need from the store.

The translations themselves are pure (`dialects.v211.*`, one module per object). What they
need to know is looked up here, once for both edges: the stored Location a Session or CDR
embeds in 2.1.1, the stored Token a 2.1.1 `auth_id` (the contract id) belongs to (the hub holds
every eMSP's Tokens), the Token an AuthorizationInfo is about. Every loss is counted
(translation_losses, `ocpi-hub translations losses`).

`Translator` is the hub's client towards 2.1.1 platforms (push.client.Translator): it turns the
2.2.1 request the outbox, the relay or the puller makes into the 2.1.1 one, and the answer back.
What 2.1.1 cannot receive (a Location with publish=false, a Tariff of another type than REGULAR,
a credit CDR) is answered 1000 without being sent: the hub does not retry what must not go.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg
import orjson

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.parties import InterfaceRole, Platform, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime
from ocpi_hub.dialects.losses import Loss
from ocpi_hub.dialects.v211 import TRANSLATION, path_211
from ocpi_hub.dialects.v211.cdrs import cdr_in, cdr_out
from ocpi_hub.dialects.v211.commands import (
    command_out,
    command_response_in,
    command_result_out,
)
from ocpi_hub.dialects.v211.locations import Level, level_of, location_in, location_out
from ocpi_hub.dialects.v211.sessions import session_in, session_out
from ocpi_hub.dialects.v211.tariffs import tariff_in, tariff_out
from ocpi_hub.dialects.v211.tokens import (
    authorization_info_in,
    location_references_out,
    token_in,
    token_out,
)
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.push.client import PeerResponse, Send, Target
from ocpi_hub.storage.repositories import losses, objects
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["Translations", "Translator", "now", "owner_of"]

# The CommandResponse `timeout` 2.1.1 has no field for (seconds): the hub's own wait for a result.
COMMAND_TIMEOUT = 60


def now() -> str:
    return format_datetime(datetime.now(UTC))


def owner_of(platform: Platform, role: Role) -> PartyKey:
    """The one party a 2.1.1 connection carries (2.1.1 credentials hold one), in `role` if it
    has several (a network over 2.1.1); 2001 when it has none in that role."""
    for party in platform.parties:
        if party.role == role:
            return party.key
    raise InvalidParameters(f"the 2.1.1 connection {platform.name} has no {role.value} party")


class Translations:
    """The 2.1.1 translations the edges run, each with its lookups; losses are recorded."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record(self, found: list[Loss]) -> None:
        await losses.record(self.pool, TRANSLATION, found)

    # ---- what the hub holds ---------------------------------------------------------------

    async def location_211(self, owner: PartyKey, location_id: str) -> dict[str, Any] | None:
        """The stored Location, in 2.1.1 (a Session or CDR embeds it)."""
        async with self.pool.acquire() as conn:
            stored = await objects.get(conn, ObjectKey("locations", owner, location_id))
        if stored is None:
            return None
        translated, _ = location_out(stored, Level.LOCATION)
        return translated

    async def token_of_contract(self, auth_id: Any) -> dict[str, Any] | None:
        if not isinstance(auth_id, str) or not auth_id:
            return None
        async with self.pool.acquire() as conn:
            return await objects.token_by_contract(conn, auth_id)

    async def token(self, owner: PartyKey, uid: str, kind: str) -> dict[str, Any] | None:
        async with self.pool.acquire() as conn:
            return await objects.get(conn, ObjectKey("tokens", owner, uid, kind))

    # ---- 2.2.1 -> 2.1.1 ------------------------------------------------------------------

    async def out(
        self, module: str, obj: Any, *, level: Level | None = None, patch: bool = False
    ) -> dict[str, Any] | None:
        """A stored or relayed 2.2.1 object of `module` in 2.1.1; None where 2.1.1 must not
        get it. `level` for Locations (else read from the object)."""
        if not isinstance(obj, dict):
            return obj  # type: ignore[no-any-return]
        found: list[Loss]
        made: dict[str, Any] | None
        if module == "locations":
            made, found = location_out(obj, level or level_of(obj), patch=patch)
        elif module == "tariffs":
            made, found = tariff_out(obj)
        elif module == "tokens":
            made, found = token_out(obj, patch=patch)
        elif module == "sessions":
            location = None if patch else await self._embedded(obj, "location_id")
            made, found = session_out(obj, location, patch=patch)
        elif module == "cdrs":
            made, found = cdr_out(obj, await self._embedded(obj, "cdr_location"))
        else:
            return obj
        await self.record(found)
        return made

    async def _embedded(self, obj: Mapping[str, Any], field: str) -> dict[str, Any] | None:
        ref = obj.get(field)
        location_id = ref.get("id") if isinstance(ref, dict) else ref
        cc, pid = obj.get("country_code"), obj.get("party_id")
        if not isinstance(location_id, str) or not isinstance(cc, str) or not isinstance(pid, str):
            return None
        return await self.location_211((cc.upper(), pid.upper()), location_id)

    async def out_list(self, module: str, items: Any) -> Any:
        if not isinstance(items, list):
            return items
        made = [await self.out(module, item) for item in items]
        return [item for item in made if item is not None]

    # ---- 2.1.1 -> 2.2.1 ------------------------------------------------------------------

    async def into(
        self,
        module: str,
        obj: Any,
        owner: PartyKey,
        *,
        level: Level | None = None,
        patch: bool = False,
    ) -> Any:
        """A 2.1.1 object of `module` owned by `owner`, in 2.2.1; 2001 when a field 2.2.1
        requires cannot be filled."""
        if not isinstance(obj, dict):
            return obj
        received_at = now()
        found: list[Loss]
        made: dict[str, Any]
        if module == "locations":
            made, found = location_in(
                obj, level or level_of(obj), owner, patch=patch, received_at=received_at
            )
        elif module == "tariffs":
            made, found = tariff_in(obj, owner)
        elif module == "tokens":
            made, found = token_in(obj, owner, patch=patch, received_at=received_at)
        elif module == "sessions":
            token = await self.token_of_contract(obj.get("auth_id"))
            made, found = session_in(obj, owner, token, patch=patch, received_at=received_at)
        elif module == "cdrs":
            made, found = cdr_in(obj, owner, await self.token_of_contract(obj.get("auth_id")))
        else:
            return obj
        await self.record(found)
        return made

    async def into_list(self, module: str, items: Any, owner: PartyKey) -> Any:
        if not isinstance(items, list):
            return items
        return [await self.into(module, item, owner) for item in items]


# The party of a 2.1.1 platform whose objects each module's Sender serves.
_SENDER_ROLE = {
    "locations": Role.CPO,
    "tariffs": Role.CPO,
    "sessions": Role.CPO,
    "cdrs": Role.CPO,
    "tokens": Role.EMSP,
}


class Translator(Translations):
    """The hub's client towards 2.1.1 platforms (push.client.Translator)."""

    async def request(
        self,
        send: Send,
        target: Target,
        method: str,
        url: str,
        *,
        body: bytes | None,
        **sending: Any,
    ) -> PeerResponse:
        module, interface = target.module, target.interface
        doc = orjson.loads(body) if body else None
        segments = [unquote(s) for s in target.path.split("?")[0].split("/") if s]
        sending["headers"] = _without_routing(sending.get("headers"))
        if module == "commands":
            return await self._command(send, target, url, doc, segments, **sending)
        if module == "tokens" and segments[-1:] == ["authorize"]:
            return await self._authorize(send, target, url, doc, segments, **sending)
        if module == "tokens":
            url = _without_query(url, "type")
            sending["params"] = {k: v for k, v in (sending.get("params") or {}).items()
                                 if k != "type"}  # fmt: skip
        if doc is not None and method in ("PUT", "PATCH", "POST"):
            level = _level(segments[2:]) if module == "locations" else None
            doc = await self.out(module, doc, level=level, patch=method == "PATCH")
            if doc is None:
                return _answer(None, message="not sent: OCPI 2.1.1 has no place for it")
        answer = await send(method, url, body=_dumps(doc), **sending)
        if method != "GET" or not answer.ok or interface != InterfaceRole.SENDER:
            return answer
        owner = owner_of(target.platform, _SENDER_ROLE.get(module, Role.CPO))
        if isinstance(answer.data, list):
            return _with_data(answer, await self.into_list(module, answer.data, owner))
        level = _level(segments) if module == "locations" else None
        return _with_data(answer, await self.into(module, answer.data, owner, level=level))

    async def _command(
        self,
        send: Send,
        target: Target,
        url: str,
        doc: Any,
        segments: list[str],
        **sending: Any,
    ) -> PeerResponse:
        if target.interface == InterfaceRole.SENDER:  # a CommandResult to the eMSP's response_url
            result, found = command_result_out(doc if isinstance(doc, dict) else {})
            await self.record(found)
            return await send("POST", url, body=_dumps(result), **sending)
        kind = segments[-1] if segments else ""
        request, found = command_out(kind, doc if isinstance(doc, dict) else {})
        await self.record(found)
        if request is None:
            return _answer({"result": "NOT_SUPPORTED", "timeout": 0})
        if isinstance(request.get("response_url"), str):
            # The hub's result URL in the version the CPO posts to (web.v211 translates it).
            request["response_url"] = path_211(request["response_url"])
        answer = await send("POST", url, body=_dumps(request), **sending)
        if answer.status_code is None or answer.data is None:
            return answer
        response, found = command_response_in(answer.data, timeout=COMMAND_TIMEOUT)
        await self.record(found)
        return _with_data(answer, response)

    async def _authorize(
        self,
        send: Send,
        target: Target,
        url: str,
        doc: Any,
        segments: list[str],
        **sending: Any,
    ) -> PeerResponse:
        if isinstance(doc, dict):
            doc, found = location_references_out(doc)
            await self.record(found)
        answer = await send("POST", url, body=_dumps(doc), **sending)
        if not answer.ok or not isinstance(answer.data, dict):
            return answer
        owner = owner_of(target.platform, Role.EMSP)
        kind = dict(parse_qsl(urlsplit(url).query)).get("type", "RFID")
        token = await self.token(owner, segments[0], kind) if segments else None
        info, found = authorization_info_in(answer.data, token)
        await self.record(found)
        return _with_data(answer, info)


def _level(ids: list[str]) -> Level:
    """Which part of a Location the ids below the module name (location, EVSE, connector)."""
    return (Level.LOCATION, Level.EVSE, Level.CONNECTOR)[max(0, min(len(ids), 3) - 1)]


def _without_routing(headers: Mapping[str, str] | None) -> dict[str, str]:
    """2.1.1 has no routing headers (§1.1)."""
    return {k: v for k, v in (headers or {}).items() if not k.lower().startswith("ocpi-")}


def _without_query(url: str, name: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != name]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _dumps(doc: Any) -> bytes | None:
    return None if doc is None else orjson.dumps(doc)


def _answer(data: Any, message: str | None = None) -> PeerResponse:
    raw = envelope(data, status_message=message)
    return PeerResponse(200, raw, {}, orjson.loads(raw))


def _with_data(answer: PeerResponse, data: Any) -> PeerResponse:
    body = {**answer.body, "data": data}
    return PeerResponse(answer.http_status, orjson.dumps(body), answer.headers, body)
