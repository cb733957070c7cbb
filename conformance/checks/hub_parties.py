"""The suite's own parties for the HUB-role checks (checklist §5: a Hub routes between parties;
only parties the suite plays let it see both ends of a hop).

Every party given with `--party ROLE:CC:PID:TOKEN_A` becomes a platform of its own: a fake
party served on the callback host (a `HubParty`), its own client, registered with the hub
through the ordinary handshake (credentials §3.3) on the first hub check, unregistered and
stopped when the run ends. The suite's main identity is a member too. A HubParty offers more
than the main party: a CPO also takes Locations (so a broadcast echoed back to it is seen) and
Commands (it ACCEPTs them), and an answer can be scripted per object (a distinctive 2001).

`hub_hops.py` judges what travels between them; `hub.py` and `hub_delivery.py` hold the checks.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from aiohttp import web

from conformance import testobjects
from conformance.checks import check
from conformance.client import OcpiClient
from conformance.context import Context, ExtraParty
from conformance.model import (
    ONLY_221,
    CheckFunction,
    NotApplicable,
    Phase,
    Role,
    Verdict,
    failed,
)
from conformance.peer import OCPI_VERSION, SuiteParty
from conformance.register import Endpoint, register

Key = tuple[str, str]  # (country_code, party_id)
NO_PARTIES = (
    "the HUB-role checks need parties of the suite's own to route between: give "
    "--party ROLE:CC:PID:TOKEN_A (one token A per party, from the hub's operator)"
)
# What a HubParty offers, beyond the main party's Receivers (peer.RECEIVER_MODULES).
HUB_PARTY_RECEIVERS = {
    "EMSP": ("locations", "tariffs", "sessions", "cdrs", "hubclientinfo"),
    "CPO": ("tokens", "locations", "commands", "hubclientinfo"),
}


@dataclass
class HubParty(SuiteParty):
    """A suite party with the extra Receivers and scripted answers the hub checks need."""

    # Object id (anywhere in the path) → (status_code, status_message) to answer with.
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)

    async def _details(self, request: web.Request) -> web.Response:
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": self.module_url("credentials")}
        ]
        endpoints += [
            {"identifier": module, "role": "RECEIVER", "url": self.module_url(module)}
            for module in HUB_PARTY_RECEIVERS[self.role]
        ]
        return self.reply(request, {"version": OCPI_VERSION, "endpoints": endpoints})

    async def _generic(self, request: web.Request) -> web.Response:
        for object_id, (code, message) in self.answers.items():
            if object_id in request.path:
                return self.reply(request, None, code=code, message=message)
        if request.method == "POST" and "/commands/" in request.path:
            # A CPO that forwards every command to its charge point (mod_commands §4.6).
            return self.reply(request, {"result": "ACCEPTED", "timeout": 30})
        return await super()._generic(request)

    def reply(
        self,
        request: web.Request,
        data: Any,
        *,
        status: int = 200,
        code: int = 1000,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        """The envelope, routed back (§1.6: TO the requesting party, FROM this one) when the
        request came routed, as a functional module's does."""
        routed: dict[str, str] = {}
        origin = (
            request.headers.get("OCPI-from-country-code"),
            request.headers.get("OCPI-from-party-id"),
        )
        if origin[0] and origin[1]:
            routed = {
                "OCPI-to-country-code": origin[0],
                "OCPI-to-party-id": origin[1],
                "OCPI-from-country-code": self.country_code,
                "OCPI-from-party-id": self.party_id,
            }
        return super().reply(
            request,
            data,
            status=status,
            code=code,
            message=message,
            headers=routed | (headers or {}),
        )


@dataclass
class Member:
    """One party the suite plays at the hub: its server, its client (token C), what the hub's
    version details told it."""

    party: SuiteParty
    client: OcpiClient
    endpoints: list[Endpoint]
    main: bool = False
    registered: bool = True  # False once a check unregistered it (hub.not_connected)

    @property
    def key(self) -> Key:
        return self.party.key

    @property
    def role(self) -> str:
        return self.party.role

    @property
    def name(self) -> str:
        return "*".join(self.key)

    @property
    def scripted(self) -> HubParty | None:
        """Its HubParty, when it is one of the --party parties (the main party is plain)."""
        return self.party if isinstance(self.party, HubParty) else None

    @property
    def credentials_url(self) -> str:
        """The hub's credentials endpoint (listed under either role, versions §2)."""
        found = next((e for e in self.endpoints if e.identifier == "credentials"), None)
        if found is None:
            raise NotApplicable("the hub lists no credentials endpoint")
        return found.url

    def endpoint(self, module: str, interface: str) -> str:
        """The hub's URL of `module`'s `interface` as this member was told it."""
        found = next(
            (e for e in self.endpoints if e.identifier == module and e.role == interface), None
        )
        if found is None:
            raise NotApplicable(f"the hub offers no {module} {interface} interface")
        return found.url.rstrip("/")


@dataclass(frozen=True)
class Push:
    """A CONFTEST object a member pushes to a Receiver of the hub: a CPO's Location, an eMSP's
    Token (not valid: no driver can use it, wherever it ends up)."""

    url: str
    object_id: str
    body: dict[str, Any]


def new_push(member: Member) -> Push:
    """A fresh push for `member` to address (OCPI-to) to a party of the other role."""
    cc, pid = member.key
    if member.role == "CPO":
        location_id = testobjects.test_id("LOC")
        body = testobjects.location(cc, pid, location_id, testobjects.test_id("EVSE"))
        url = f"{member.endpoint('locations', 'RECEIVER')}/{cc}/{pid}/{location_id}"
        return Push(url, location_id, body)
    uid = testobjects.test_id("TOK")
    url = f"{member.endpoint('tokens', 'RECEIVER')}/{cc}/{pid}/{uid}"
    return Push(url, uid, testobjects.token(cc, pid, uid, valid=False))


def route(sender: Key, receiver: Key) -> dict[str, str]:
    """The routing headers of a request from `sender` to `receiver` (§1.6)."""
    return {
        "OCPI-from-country-code": sender[0],
        "OCPI-from-party-id": sender[1],
        "OCPI-to-country-code": receiver[0],
        "OCPI-to-party-id": receiver[1],
    }


def hub_key(ctx: Context) -> Key:
    """The hub's own party (its Credentials role HUB), OCPI-to of a broadcast (§1.6)."""
    found = ctx.endpoint_party("HUB")
    if found is None:
        raise NotApplicable("the hub announces no party to address a broadcast to")
    return found


class Unjoinable(Exception):
    """An extra party could not register: every hub check FAILs with its registration."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


def hub_check(check_id: str, *, clause: str) -> Callable[[CheckFunction], CheckFunction]:
    """`@check` for a HUB-role check: it writes (test objects, registrations), runs in the
    WRITE phase, and FAILs with the evidence when the suite's parties cannot join the hub."""

    def register_check(function: CheckFunction) -> CheckFunction:
        @wraps(function)
        async def run(ctx: Context) -> Verdict:
            try:
                return await function(ctx)
            except Unjoinable as exc:
                return exc.verdict

        return check(
            check_id,
            clause=clause,
            roles={Role.HUB},
            phase=Phase.WRITE,
            writes=True,
            versions=ONLY_221,  # 2.1.1 has no Hub role, no routing headers
        )(run)

    return register_check


async def members(ctx: Context) -> list[Member]:
    """The main identity and every --party party, registered (once per run) and serving."""
    cached = ctx.cache.get("hub.members")
    if isinstance(cached, Unjoinable):
        raise cached
    if isinstance(cached, list):
        return cached
    if not ctx.options.parties:
        raise NotApplicable(NO_PARTIES)
    if ctx.options.callback_host in ("0.0.0.0", "::", ""):
        raise NotApplicable("the suite's extra parties need a --callback-host the hub can reach")
    found = [Member(ctx.party, ctx.client, ctx.endpoints, main=True)]
    for extra in ctx.options.parties:
        try:
            found.append(await _join(ctx, extra))
        except Unjoinable as exc:
            ctx.cache["hub.members"] = exc
            raise
    ctx.cache["hub.members"] = found
    return found


async def _join(ctx: Context, extra: ExtraParty) -> Member:
    party = HubParty(extra.country_code, extra.party_id, extra.role, host=ctx.options.callback_host)
    await party.start()
    ctx.stack.push_async_callback(party.stop)
    client = await ctx.new_client()
    record = await register(client, party, ctx.options.versions_url, extra.token_a)
    if record.error:
        raise Unjoinable(
            failed(
                f"the suite's party {extra.country_code}*{extra.party_id} ({extra.role}) could "
                f"not register with the hub: {record.error}",
                expected="registration with the token A given in --party (credentials §3.3)",
                evidence=record.evidence,
            )
        )
    member = Member(party, client, record.endpoints)

    async def leave() -> None:
        # Unregister (credentials §3.2 DELETE): the suite leaves nothing registered behind.
        if member.registered:
            await client.request("DELETE", member.credentials_url)

    ctx.stack.push_async_callback(leave)
    return member


def pick(
    found: list[Member],
    role: str,
    *,
    scripted: bool = False,
    besides: tuple[Member, ...] = (),
    why: str,
) -> Member:
    """A member of `role` (a --party one when `scripted`), not one of `besides`; prefers the
    --party parties, which offer every interface."""
    candidates = [
        m
        for m in sorted(found, key=lambda m: m.main)
        if m.role == role
        and (m.scripted is not None or not scripted)
        and all(m is not b for b in besides)
    ]
    if not candidates:
        kind = f"a --party {role}" if scripted else f"one more {role}"
        raise NotApplicable(f"{why}: give {kind} (--party {role}:CC:PID:TOKEN_A)")
    return candidates[0]


def unknown_party(found: list[Member], hub: Key) -> Key:
    """A party nobody registered: the suite's country code, a fresh party id."""
    taken = {m.key for m in found} | {hub}
    while True:
        key = (found[0].key[0], "Q" + secrets.token_hex(1).upper())
        if key not in taken:
            return key
