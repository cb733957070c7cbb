"""Parties and invitations in the admin API: `parties list` (with filters) and `parties
invite`, and the invitations still open (ocpi_hub.operations.parties)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub import dialects
from ocpi_hub.admin.auth import OPERATOR
from ocpi_hub.admin.endpoint import PARTY_KEY, Endpoint, json_body, respond, text
from ocpi_hub.core.parties import PlatformStatus, Role
from ocpi_hub.operations import parties
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = ["ENDPOINTS", "PARTY"]


async def get_parties(request: web.Request) -> web.Response:
    """Every party, local and remote (of `status` and `role`, when given): status, platform,
    dialect, version."""
    query = request.query
    found = await parties.listed(
        request.app[POOL], status=query.get("status") or None, role=query.get("role") or None
    )
    return respond(found)


async def get_invitations(request: web.Request) -> web.Response:
    """The parties invited that have not registered yet."""
    return respond(await parties.listed(request.app[POOL], status=PlatformStatus.INVITED))


async def post_invitations(request: web.Request) -> web.Response:
    """Invite a partner: `{"role", "country_code", "party_id", "name"?, "dialect"?}` → its
    token A and the versions URL to hand it."""
    body = await json_body(request)
    invited = await parties.invite(
        request.app[POOL],
        request.app[SETTINGS],
        role=text(body, "role") or "",
        country_code=text(body, "country_code") or "",
        party_id=text(body, "party_id") or "",
        name=text(body, "name", required=False),
        dialect=text(body, "dialect", required=False) or dialects.DEFAULT,
    )
    return respond(invited, 201)


async def get_suspensions(request: web.Request) -> web.Response:
    """The eMSPs an operator suspended: party, why, by whom, since when."""
    return respond(await parties.suspended(request.app[POOL]))


async def post_suspensions(request: web.Request) -> web.Response:
    """Suspend an eMSP's new charging: `{"party": "CC*PID", "why"}`, in the calling operator's
    name; the hub refuses its tokens' authorizations and START_SESSIONs until it is lifted."""
    body = await json_body(request)
    done = await parties.suspend(
        request.app[POOL],
        party=text(body, "party") or "",
        why=text(body, "why") or "",
        by=request[OPERATOR].name,
    )
    return respond(done, 201)


async def delete_suspensions(request: web.Request) -> web.Response:
    """Lift an operator's suspension: `{"party": "CC*PID"}` → `{"party", "lifted"}`."""
    body = await json_body(request)
    return respond(await parties.lift(request.app[POOL], party=text(body, "party") or ""))


_SUSPENSION = {
    "type": "object",
    "properties": {
        "party": PARTY_KEY,
        "why": {"type": "string"},
        "by": {"type": "string"},
        "since": {"type": "string", "format": "date-time"},
    },
}

PARTY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "country_code": {"type": "string"},
        "party_id": {"type": "string"},
        "role": {"type": "string"},
        "status": {"enum": [s.value for s in PlatformStatus]},
        "platform_id": {"type": "integer"},
        "via": {"type": ["integer", "null"], "description": "the network reaching it, if remote"},
        "dialect": {"type": "string"},
        "version": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"]},
        "versions_url": {"type": ["string", "null"]},
    },
}
_INVITATION = {
    "type": "object",
    "required": ["role", "country_code", "party_id"],
    "properties": {
        "role": {"enum": ["CPO", "EMSP", "HUB"]},
        "country_code": {"type": "string", "minLength": 2, "maxLength": 2},
        "party_id": {"type": "string", "minLength": 1, "maxLength": 3},
        "name": {"type": "string"},
        "dialect": {"type": "string", "default": dialects.DEFAULT},
    },
}
_INVITED = {
    "type": "object",
    "properties": {
        "token": {"type": "string", "description": "token A: shown this once"},
        "versions_url": {"type": "string"},
        "platform_id": {"type": "integer"},
    },
}

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/parties",
        get_parties,
        "admin:parties",
        "Every party, local and remote",
        answer={"type": "array", "items": PARTY},
        query={
            "status": {
                "enum": [s.value for s in PlatformStatus],
                "description": "its platform's status",
            },
            "role": {"enum": [r.value for r in Role]},
        },
    ),
    Endpoint(
        "GET",
        "/parties/suspensions",
        get_suspensions,
        "admin:suspensions:list",
        "The eMSPs an operator suspended",
        answer={"type": "array", "items": _SUSPENSION},
    ),
    Endpoint(
        "POST",
        "/parties/suspensions",
        post_suspensions,
        "admin:suspensions",
        "Suspend an eMSP's new charging until lifted",
        body={
            "type": "object",
            "required": ["party", "why"],
            "properties": {"party": PARTY_KEY, "why": {"type": "string", "maxLength": 200}},
        },
        answer=_SUSPENSION,
        status=201,
    ),
    Endpoint(
        "DELETE",
        "/parties/suspensions",
        delete_suspensions,
        "admin:suspensions:lift",
        "Lift an operator's suspension of an eMSP",
        body={"type": "object", "required": ["party"], "properties": {"party": PARTY_KEY}},
        answer={
            "type": "object",
            "properties": {"party": PARTY_KEY, "lifted": {"type": "boolean"}},
        },
    ),
    Endpoint(
        "GET",
        "/invitations",
        get_invitations,
        "admin:invitations:list",
        "The parties invited that have not registered yet",
        answer={"type": "array", "items": PARTY},
    ),
    Endpoint(
        "POST",
        "/invitations",
        post_invitations,
        "admin:invitations",
        "Invite a partner: its token A",
        body=_INVITATION,
        answer=_INVITED,
        status=201,
    ),
]
