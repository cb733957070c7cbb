"""Partner agreements end to end (issue 8): with the `closed` policy, for every pair of parties —
two local CPOs, two local eMSPs, a remote CPO and a remote eMSP behind a network — and every
functional module, data flows exactly where an agreement allows, and nowhere else.

The agreements are made with the real `ocpi-hub agreements` command against the serving hub.
What flowed is read at both ends: what each fake party received, and what the hub answered.
Where a pair may not trade, the answer must be the one an unknown party gets.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ocpi_hub.core.agreements import Policy
from ocpi_hub.core.routing import routing_headers as from_to
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, drained, eventually, registered, to_headers
from tests.e2e.fakes import Answer, FakeParty, Received
from tests.e2e.processes import cli
from tests.e2e.test_network_cli import ocpi_hub
from tests.e2e.test_network_routing import NETWORK_MODULES, joined

Key = tuple[str, str]
CP1, CP2, CPX = ("NL", "CP1"), ("NL", "CP2"), ("FR", "CPX")
EM1, EM2, EMX = ("DE", "EM1"), ("DE", "EM2"), ("FR", "EMX")
NETWORK = ("FR", "007")
HUB = ("XX", "HUB")
CPOS, EMSPS = (CP1, CP2, CPX), (EM1, EM2, EMX)
REMOTE = {CPX, EMX}
UNKNOWN_EMSP, UNKNOWN_CPO = ("ZZ", "ZZE"), ("ZZ", "ZZC")
PROFILE = {"charging_rate_unit": "A", "charging_profile_period": [{"start_period": 0, "limit": 16}]}

# What the operator agrees (closed policy): pair -> modules (None: all).
AGREED: dict[frozenset[Key], list[str] | None] = {
    frozenset({CP1, EM1}): None,
    frozenset({CP1, EMX}): ["locations", "tariffs"],
    frozenset({CPX, EM2}): None,
    frozenset({CP2, EM2}): ["tokens", "cdrs"],
    frozenset({CP2, EM1}): ["sessions"],
}


def allowed(a: Key, b: Key, module: str) -> bool:
    """The matrix: what the agreements above allow."""
    pair = frozenset({a, b})
    return pair in AGREED and (AGREED[pair] is None or module in (AGREED[pair] or []))


def pairs(owners: tuple[Key, ...], receivers: tuple[Key, ...]) -> list[tuple[Key, Key]]:
    """Every (owner, receiver) the hub stands between: not two parties behind the network,
    whose data never crosses the hub (nothing goes back to the network it came from)."""
    return [(o, r) for o, r in itertools.product(owners, receivers) if not {o, r} <= REMOTE]


@dataclass
class Market:
    hub: RunningHub
    parties: dict[Key, FakeParty]  # the local parties
    network: FakeParty  # hosts CPX and EMX

    def url(self, path: str) -> str:
        return f"{self.hub.url}/ocpi/2.2.1/{path}"

    async def send(self, owner: Key, method: str, path: str, body: Any = None,
                   headers: dict[str, str] | None = None) -> Answer:  # fmt: skip
        """`owner` sends a request to the hub: a local party itself, a remote one through
        the network (OCPI-from the remote party)."""
        if owner in REMOTE:
            headers = {**from_to(owner, HUB), **(headers or {})}
            return await self.network.call_url(method, self.url(path), json=body, headers=headers)
        return await self.parties[owner].call_url(method, self.url(path), json=body,
                                                  headers=headers)  # fmt: skip

    def received(self, receiver: Key, module: str, method: str | None = None) -> list[Received]:
        """What reached `receiver` of `module`: at a local party, what it was sent; behind the
        network, what the network was sent addressed to it, or to the network as a whole."""
        if receiver in REMOTE:
            return [
                r
                for r in self.network.requests(module, method)
                if r.routing("to") in (receiver, NETWORK)
            ]
        return self.parties[receiver].requests(module, method)

    async def settled(self) -> None:
        """Every queued delivery delivered: what has not arrived by now never will."""
        await drained(self.hub)


@pytest.fixture
async def market(
    database_url: str,
    make_party: MakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> AsyncIterator[Market]:
    hub = await start_hub(database_url, agreement_policy=Policy.CLOSED)
    try:
        local = {}
        for key, role in ((CP1, "CPO"), (CP2, "CPO"), (EM1, "EMSP"), (EM2, "EMSP")):
            local[key] = await registered(hub, await make_party(role, *key))
        network = await make_party("HUB", *NETWORK, modules=NETWORK_MODULES)
        await joined(hub, network, (*CPX, "CPO"), (*EMX, "EMSP"))
        run = ocpi_hub(hub, hub_env_for)
        for pair, modules in AGREED.items():
            a, b = sorted(pair)
            args = ["--module", *modules] if modules else []
            done = await run("agreements", "allow", "--between", "*".join(a), "--and",
                             "*".join(b), *args)  # fmt: skip
            assert done.returncode == 0, done.stderr
        yield Market(hub, local, network)
    finally:
        await hub.stop()
        await hub.pool.close()


def _location(owner: Key) -> dict[str, Any]:
    return factories.location(country_code=owner[0], party_id=owner[1], id=f"L{owner[1]}")


def _tariff(owner: Key) -> dict[str, Any]:
    return factories.tariff(f"T{owner[1]}", country_code=owner[0], party_id=owner[1])


def _token(owner: Key) -> dict[str, Any]:
    return factories.token(f"U{owner[1]}", country_code=owner[0], party_id=owner[1])


async def _push_broadcasts(market: Market) -> None:
    for cpo in CPOS:
        for module, body in (("locations", _location(cpo)), ("tariffs", _tariff(cpo))):
            path = f"receiver/{module}/{cpo[0]}/{cpo[1]}/{body['id']}"
            answer = await market.send(cpo, "PUT", path, body)
            assert answer.status_code == 1000, answer.body
    for emsp in EMSPS:
        body = _token(emsp)
        answer = await market.send(emsp, "PUT", f"receiver/tokens/{emsp[0]}/{emsp[1]}/"
                                   f"{body['uid']}", body)  # fmt: skip
        assert answer.status_code == 1000, answer.body


def _owners(received: list[Received]) -> set[Key]:
    return {(r.body["country_code"], r.body["party_id"]) for r in received if r.body}


async def test_broadcasts_and_lists_follow_the_agreements(market: Market) -> None:
    """Locations and Tariffs of every CPO, Tokens of every eMSP: each receiver is sent, and its
    GET-all list holds (X-Total-Count included), exactly the objects of the owners it has an
    agreement with for that module; a single read of another owner's object is answered as
    for an object that does not exist."""
    await _push_broadcasts(market)
    await market.settled()

    for module, owners, receivers in (
        ("locations", CPOS, EMSPS), ("tariffs", CPOS, EMSPS), ("tokens", EMSPS, CPOS),
    ):  # fmt: skip
        for owner, receiver in pairs(owners, receivers):
            got = owner in _owners(market.received(receiver, module, "PUT"))
            assert got == allowed(owner, receiver, module), (module, owner, receiver)
        for reader in (r for r in receivers if r not in REMOTE):
            listed = await market.send(reader, "GET", f"sender/{module}")
            expected = {o for o in owners if allowed(o, reader, module)}
            assert _owners_of(listed.data) == expected, (module, reader)
            assert listed.header("X-Total-Count") == str(len(expected))

    hidden = await market.send(EM1, "GET", "sender/locations/LCP2")
    absent = await market.send(EM1, "GET", "sender/locations/NOSUCH")
    assert (hidden.status, hidden.status_code) == (absent.status, absent.status_code) != (200, 1000)
    seen = await market.send(EM1, "GET", "sender/locations/LCP1")
    assert seen.status_code == 1000 and seen.data["id"] == "LCP1"


def _owners_of(data: Any) -> set[Key]:
    return {(o["country_code"], o["party_id"]) for o in data}


async def test_sessions_and_cdrs_follow_the_agreements(market: Market, logs: list[Any]) -> None:
    """Every CPO sends a Session and a CDR for a token of every eMSP: accepted and delivered
    where the pair has an agreement for the module; otherwise answered exactly as for an eMSP
    the hub does not know, nothing delivered, and the refusal logged with both identities."""
    for module in ("sessions", "cdrs"):
        for cpo, emsp in pairs(CPOS, EMSPS):
            answer = await _personal(market, module, cpo, emsp)
            if allowed(cpo, emsp, module):
                assert answer.status_code == 1000, (module, cpo, emsp, answer.body)
            else:
                unknown = await _personal(market, module, cpo, UNKNOWN_EMSP, again=True)
                assert (answer.status, answer.status_code) == (unknown.status, unknown.status_code)
                assert answer.body["status_message"].endswith("is not known to this hub")
    await market.settled()

    for module in ("sessions", "cdrs"):
        for cpo, emsp in pairs(CPOS, EMSPS):
            got = [r for r in market.received(emsp, module) if r.body and
                   (r.body["country_code"], r.body["party_id"]) == cpo]  # fmt: skip
            assert bool(got) == allowed(cpo, emsp, module), (module, cpo, emsp)
    refusals = [
        (e["module"], e["sender"], e["party"]) for e in logs if e["event"] == "agreement_refused"
    ]
    assert ("sessions", "NL*CP2", "DE*EM2") in refusals


async def _personal(
    market: Market, module: str, cpo: Key, emsp: Key, *, again: bool = False
) -> Answer:
    ident = f"{module[0].upper()}{cpo[1]}{emsp[1]}{'X' if again else ''}"
    if module == "sessions":
        body = factories.session(ident, owner=cpo, emsp=emsp)
        return await market.send(cpo, "PUT", f"receiver/sessions/{cpo[0]}/{cpo[1]}/{ident}", body)
    return await market.send(cpo, "POST", "receiver/cdrs",
                             factories.cdr(ident, owner=cpo, emsp=emsp))  # fmt: skip


async def test_commands_authorizations_and_ocpi_to_follow_the_agreements(market: Market) -> None:
    """START_SESSION by every eMSP at every CPO's Location (open routing), a real-time
    authorization by every CPO of every eMSP's Token (open routing), a charging profile by
    every eMSP for a Session meant for it (open routing), and a list narrowed by OCPI-to:
    relayed where the pair has an agreement for the module, answered as for an unknown
    Location, Token, Session or party otherwise."""
    await _push_broadcasts(market)
    await market.settled()

    for cpo, emsp in pairs(CPOS, EMSPS):
        caller = market.network if emsp in REMOTE else market.parties[emsp]
        body = {"response_url": f"{caller.url}/cb", "token": _token(emsp),
                "location_id": f"L{cpo[1]}", "evse_uid": "EVSE1"}  # fmt: skip
        before = len(market.received(cpo, "commands", "POST"))
        answer = await market.send(emsp, "POST", "receiver/commands/START_SESSION", body)
        relayed = len(market.received(cpo, "commands", "POST")) > before
        assert relayed == allowed(cpo, emsp, "commands"), (cpo, emsp, answer.body)
        if not relayed:
            unknown = await market.send(emsp, "POST", "receiver/commands/START_SESSION",
                                        {**body, "location_id": "NOSUCH"})  # fmt: skip
            assert (answer.status, answer.status_code) == (unknown.status, unknown.status_code)

    for cpo, emsp in pairs(CPOS, EMSPS):
        path = f"sender/tokens/U{emsp[1]}/authorize?type=RFID"
        before = len(market.received(emsp, "tokens", "POST"))
        answer = await market.send(cpo, "POST", path, {"location_id": f"L{cpo[1]}"})
        relayed = len(market.received(emsp, "tokens", "POST")) > before
        assert relayed == allowed(cpo, emsp, "tokens"), (cpo, emsp, answer.body)
        if not relayed:
            unknown = await market.send(cpo, "POST", "sender/tokens/NOSUCH/authorize?type=RFID",
                                        {"location_id": f"L{cpo[1]}"})  # fmt: skip
            assert (answer.status, answer.status_code) == (unknown.status, unknown.status_code)

    # A Session of every CPO for every eMSP it trades sessions with; each eMSP then sets a
    # charging profile for it (open routing to the Session's CPO).
    for cpo, emsp in pairs(CPOS, EMSPS):
        if not allowed(cpo, emsp, "sessions"):
            continue
        ident = f"P{cpo[1]}{emsp[1]}"
        session = factories.session(ident, owner=cpo, emsp=emsp)
        put = await market.send(cpo, "PUT", f"receiver/sessions/{cpo[0]}/{cpo[1]}/{ident}", session)
        assert put.status_code == 1000, put.body
        caller = market.network if emsp in REMOTE else market.parties[emsp]
        body = {"charging_profile": PROFILE, "response_url": f"{caller.url}/cb"}
        before = len(market.received(cpo, "chargingprofiles", "PUT"))
        answer = await market.send(emsp, "PUT", f"receiver/chargingprofiles/{ident}", body)
        relayed = len(market.received(cpo, "chargingprofiles", "PUT")) > before
        assert relayed == allowed(cpo, emsp, "chargingprofiles"), (cpo, emsp, answer.body)
        if not relayed:
            unknown = await market.send(emsp, "PUT", "receiver/chargingprofiles/NOSUCH", body)
            assert (answer.status, answer.status_code, answer.data) == (
                unknown.status, unknown.status_code, unknown.data,
            )  # fmt: skip

    for reader, named in pairs(EMSPS, CPOS):
        if reader in REMOTE:
            continue
        answer = await market.send(reader, "GET", "sender/locations", headers=to_headers(named))
        nobody = await market.send(reader, "GET", "sender/locations",
                                   headers=to_headers(UNKNOWN_CPO))  # fmt: skip
        if allowed(named, reader, "locations"):
            assert answer.status_code == 1000 and _owners_of(answer.data) == {named}
        else:
            assert (answer.status_code, nobody.status_code) == (4001, 4001)
            assert answer.body["status_message"] == f"{'*'.join(named)} is not known to this hub"


async def test_a_newly_allowed_party_is_sent_what_it_may_now_see(
    market: Market, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`agreements allow` CP2 and EM1 (who trade sessions) for locations too: EM1 is sent CP2's
    stored Location (a PUT of the whole object, FROM the hub), and its list shows it from the
    next request on; tariffs, not allowed, still do not flow. `agreements list --json` prints
    every agreement, the pair's modules joined in one."""
    await _push_broadcasts(market)
    await market.settled()
    em1 = market.parties[EM1]
    assert CP2 not in _owners(em1.pushes(module="locations"))
    run = ocpi_hub(market.hub, hub_env_for)

    done = await run("agreements", "allow", "--between", "DE*EM1", "--and", "NL*CP2",
                     "--module", "locations", "--json")  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"between": "DE*EM1", "and": "NL*CP2", "effect": "allow",
         "modules": ["locations", "sessions"]}
    ]  # fmt: skip
    listed = await market.send(EM1, "GET", "sender/locations")
    assert _owners_of(listed.data) == {CP1, CP2}
    await eventually(lambda: CP2 in _owners(em1.pushes(module="locations")))
    [sent] = [p for p in em1.pushes(module="locations") if p.body["party_id"] == "CP2"]
    assert sent.method == "PUT" and sent.body == _location(CP2)
    assert sent.routing("from") == HUB
    assert CP2 not in _owners(em1.pushes(module="tariffs"))
    every = await run("agreements", "list", "--json")
    assert len(json.loads(every.stdout)) == len(AGREED)


async def test_bad_agreement_commands_change_nothing(
    market: Market, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """A malformed party, the same party twice, an unknown module, a policy that is neither
    open nor closed: a clear error, exit 1, and the agreements as they were."""
    run = ocpi_hub(market.hub, hub_env_for)
    before = (await run("agreements", "list", "--json")).stdout

    for args, message in (
        (("--between", "NLCP1", "--and", "DE*EM1"), "'NLCP1' is not a party"),
        (("--between", "NL*CP1", "--and", "nl*cp1"), "always trades with itself"),
        (("--between", "NL*CP1", "--and", "DE*EM2", "--module", "versions"),
         "unknown module versions"),
    ):  # fmt: skip
        done = await run("agreements", "allow", *args)
        assert done.returncode == 1 and message in done.stderr, done.stderr
    assert market.hub.settings.database_url is not None
    env = {**hub_env_for(market.hub.settings.database_url), "OCPI_HUB_AGREEMENT_POLICY": "maybe"}
    done = await asyncio.to_thread(cli, env, "agreements", "allow", "--between", "NL*CP1",
                                   "--and", "DE*EM2")  # fmt: skip
    assert done.returncode == 1
    assert "OCPI_HUB_AGREEMENT_POLICY is 'maybe': it takes open or closed" in done.stderr

    assert (await run("agreements", "list", "--json")).stdout == before
