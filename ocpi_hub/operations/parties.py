"""Parties: invite one, add a remote one, list them, by status and role if asked
(`ocpi-hub parties ...`, `/admin/api/parties`, `/admin/api/invitations`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import asyncpg

from ocpi_hub import dialects
from ocpi_hub.core.agreements import BadAgreement, parse_party, party_text
from ocpi_hub.core.handshake import new_token
from ocpi_hub.core.parties import Party, Platform, PlatformStatus, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime
from ocpi_hub.core.urls import id_segment
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.operations import Refused
from ocpi_hub.settings import Settings
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import platforms, suspensions

__all__ = [
    "add_remote",
    "invite",
    "last_seen",
    "lift",
    "listed",
    "one_of",
    "party",
    "row",
    "suspend",
    "suspended",
]


def party(role: str, country_code: str, party_id: str, roles: tuple[Role, ...]) -> Party:
    """The party these name; Refused naming the field that cannot be one."""
    try:
        chosen = Role(role.upper())
    except ValueError:
        chosen = None
    if chosen not in roles:
        raise Refused("role", f"one of {', '.join(r.value for r in roles)}")
    found = Party.of(country_code, party_id, chosen)
    for field, value, length in (
        ("country_code", found.country_code, 2),
        ("party_id", found.party_id, 3),
    ):
        if not 1 <= len(value) <= length or (field == "country_code" and len(value) != 2):
            raise Refused(field, f"takes {'2' if length == 2 else 'up to 3'} characters")
        try:  # the hub puts them in URLs (HubClientInfo pushes)
            id_segment(field, value)
        except InvalidParameters as exc:
            raise Refused(field, exc.message) from exc
    return found


def row(party: Party, platform: Platform) -> dict[str, Any]:
    """One party as listed: its identity, its connection and how it is reached."""
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "role": party.role.value,
        "status": platform.status.value,
        "platform_id": platform.id,
        "via": platform.id if platform.is_remote(party) else None,
        "dialect": platform.dialect,
        "version": platform.version,
        "name": platform.name,
        "versions_url": platform.versions_url,
    }


async def last_seen(pool: asyncpg.Pool) -> dict[int, str]:
    """When each platform (by id) last called the hub, as an RFC 3339 UTC time to the second
    (a platform that never called: when it was added)."""
    return {i: format_datetime(at) for i, at in (await platforms.last_seen(pool)).items()}


async def listed(
    pool: asyncpg.Pool, *, status: str | None = None, role: str | None = None
) -> list[dict[str, Any]]:
    """Every party, local and remote, with its platform's status and dialect; only those of
    `status` (its platform's: INVITED, CONNECTING, REGISTERED, UNREGISTERED) and `role`, when
    given."""
    wanted_status = one_of("status", status, PlatformStatus)
    wanted_role = one_of("role", role, Role)
    found = await platforms.all_platforms(pool)
    return [
        row(p, platform)
        for platform in found
        if wanted_status in (None, platform.status.value)
        for p in platform.parties
        if wanted_role in (None, p.role.value)
    ]


def one_of(field: str, value: str | None, kind: type[StrEnum]) -> str | None:
    """`value` (any case) as the member of `kind` it names; None stays None (no filter);
    Refused naming `field` otherwise."""
    if value is None:
        return None
    try:
        return kind(value.strip().upper()).value
    except ValueError:
        raise Refused(field, f"one of {', '.join(kind)}") from None


async def invite(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    role: str,
    country_code: str,
    party_id: str,
    name: str | None = None,
    dialect: str = dialects.DEFAULT,
) -> dict[str, Any]:
    """A token A for a partner to register with (a new one, killing the last, when the
    identity is only invited); `{"token", "versions_url", "platform_id"}`."""
    invited = party(role, country_code, party_id, (Role.CPO, Role.EMSP, Role.HUB))
    try:
        dialects.dialect(dialect)
    except dialects.UnknownDialect as exc:
        raise Refused("dialect", str(exc)) from exc
    token = new_token()
    async with pool.acquire() as conn:
        try:
            platform = await platforms.invite(
                conn,
                token=token,
                name=name or str(invited),
                party=invited,
                hub=(settings.country_code, settings.party_id),
                dialect=dialect,
            )
        except platforms.IdentityTaken as exc:
            raise Refused("party_id", str(exc)) from exc
    # A re-issued invitation kills the old token A: in every serving process before we say so.
    await announce(pool, platform.id)
    return {"token": token, "versions_url": settings.versions_url, "platform_id": platform.id}


async def add_remote(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    via: int,
    role: str,
    country_code: str,
    party_id: str,
    name: str | None = None,
) -> dict[str, Any]:
    """A remote party reached through the network `via`; its row with `added` (False: it was
    reached that way already)."""
    remote = party(role, country_code, party_id, (Role.CPO, Role.EMSP))
    network = await platforms.get(pool, via)
    if network is None or not network.network:
        raise Refused("via", f"{via}: no network has that platform id (see parties list)")
    async with pool.acquire() as conn:
        added = await platforms.add_remote(
            conn,
            network.id,
            remote,
            name=name,
            source="OPERATOR",
            hub=(settings.country_code, settings.party_id),
        )
    await announce(pool, network.id)
    return {**row(remote, network), "added": added}


async def suspend(pool: asyncpg.Pool, *, party: str, why: str, by: str) -> dict[str, Any]:
    """Suspend an eMSP's new charging (`parties suspend`): the hub refuses its tokens'
    authorizations itself and rejects its START_SESSION and RESERVE_NOW, as for a credit
    suspension, until `lift`; `{"party", "why", "by"}`."""
    key = await _emsp(pool, party)
    why = why.strip()
    if not why or len(why) > 200 or not why.isprintable():
        raise Refused("why", "say why, in 1 to 200 printable characters")
    await suspensions.suspend(pool, key, why, by)
    await announce(pool, None)  # every serving process refuses from now on
    return {"party": party_text(key), "why": why, "by": by}


async def lift(pool: asyncpg.Pool, *, party: str) -> dict[str, Any]:
    """Lift an operator's suspension of an eMSP (`parties lift`); `{"party", "lifted"}`
    (False: it was not suspended by an operator; a credit suspension lifts with payment)."""
    key = await _emsp(pool, party)
    lifted = await suspensions.lift(pool, key)
    await announce(pool, None)
    return {"party": party_text(key), "lifted": lifted}


async def suspended(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every operator's suspension: party, why, by whom, since when."""
    return await suspensions.listing(pool)


async def _emsp(pool: asyncpg.Pool, party: str) -> PartyKey:
    """The eMSP `CC*PID` names, as the hub knows it; Refused naming `party` otherwise."""
    try:
        key = parse_party(party)
    except BadAgreement as exc:
        raise Refused("party", str(exc)) from exc
    found = await platforms.platforms_of_party(pool, *key)
    if not any(p.party(*key, Role.EMSP) for p in found):
        raise Refused("party", f"{party_text(key)} is no eMSP the hub knows: only an eMSP's"
                      " charging can be suspended (deny a CPO's agreements instead)")  # fmt: skip
    return key
