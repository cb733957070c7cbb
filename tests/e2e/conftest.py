"""Fixtures for end-to-end tests: fake CPO and eMSP parties registered with a running hub."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

import pytest

from ocpi_hub.core.parties import Party
from ocpi_hub.storage.repositories import platforms
from tests.conftest import RunningHub
from tests.e2e.fakes import Answer, FakeParty
from tests.e2e.network_rules import DIALECTS
from tests.e2e.networks import FakeNetwork, Remote

RECEIVER_MODULES = [("locations", "RECEIVER")]
SENDER_MODULES = [("locations", "SENDER")]
FUNCTIONAL_MODULES = [
    "locations",
    "tariffs",
    "tokens",
    "sessions",
    "cdrs",
    "commands",
    "chargingprofiles",
]
# The modules whose data a CPO owns (it offers their Sender); it receives the rest.
CPO_OWNS = frozenset({"locations", "tariffs", "sessions", "cdrs"})


def modules_of(role: str) -> list[tuple[str, str]]:
    """Every functional module with the interface a party of `role` offers for it."""
    owns = CPO_OWNS if role == "CPO" else frozenset(FUNCTIONAL_MODULES) - CPO_OWNS
    return [(m, "SENDER" if m in owns else "RECEIVER") for m in FUNCTIONAL_MODULES]


def to_headers(party: tuple[str, str] | FakeParty) -> dict[str, str]:
    """The OCPI-to pair naming `party`."""
    key = party.key if isinstance(party, FakeParty) else party
    return {"OCPI-to-country-code": key[0], "OCPI-to-party-id": key[1]}


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], *, timeout: float = 10.0, message: str = ""
) -> None:
    """Poll `check` (plain or async) until it holds or the deadline passes (tests never sleep
    to wait)."""
    deadline = time.monotonic() + timeout
    while not await _holds(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {message}")
        await asyncio.sleep(0.02)


async def _holds(check: Callable[[], bool | Awaitable[bool]]) -> bool:
    result = check()
    return bool(await result) if inspect.isawaitable(result) else bool(result)


async def drained(hub: RunningHub) -> None:
    """Wait until every queued delivery is delivered (or dead): what has not arrived by then
    never will."""

    async def empty() -> bool:
        return int(await hub.pool.fetchval("SELECT count(*) FROM outbox")) == 0

    await eventually(empty, message="the outbox drains")


def ok(answer: Answer, status: int = 200) -> Any:
    """The data of an answer that must be HTTP `status` with OCPI 1000."""
    assert (answer.status, answer.status_code) == (status, 1000), answer.body
    return answer.data


async def registered(hub: RunningHub, party: FakeParty) -> FakeParty:
    token_a = await hub.invite(party.role, party.country_code, party.party_id)
    answer = await party.register_with(hub.versions_url, token_a)
    assert answer.status_code == 1000, answer.body
    return party


async def member_of(
    hub: RunningHub, network: FakeNetwork, dialect: str, added: Sequence[Remote] = ()
) -> int:
    """The hub registered with `network` as `ocpi-hub connect --dialect` does, the operator
    adding `added` as its remote parties (`parties add --via`), and the network knowing the
    hub's endpoints (to call it); returns the network's platform id."""
    platform_id = await hub.connect(network.versions_url, network.issue_token_a(), dialect)
    async with hub.pool.acquire() as conn:
        for country_code, party_id, role in added:
            party = Party.of(country_code, party_id, role)
            await platforms.add_remote(conn, platform_id, party, name=None, source="OPERATOR")
    await network.discover()
    return platform_id


@pytest.fixture
async def parties() -> AsyncIterator[list[FakeParty]]:
    """Started fake parties, stopped after the test."""
    started: list[FakeParty] = []
    yield started
    for party in started:
        await party.stop()


class MakeParty(Protocol):
    """Start a fake party: `await make_party(role, country_code, party_id, modules=None)`."""

    async def __call__(
        self,
        role: str,
        country_code: str,
        party_id: str,
        modules: list[tuple[str, str]] | None = None,
    ) -> FakeParty: ...


@pytest.fixture
def make_party(parties: list[FakeParty]) -> MakeParty:
    async def make(
        role: str, country_code: str, party_id: str, modules: list[tuple[str, str]] | None = None
    ) -> FakeParty:
        default = modules_of(role)
        party = await FakeParty(
            role, country_code, party_id, modules=modules if modules is not None else default
        ).start()
        parties.append(party)
        return party

    return make


class MakeNetwork(Protocol):
    """Start a fake network: `await make_network("gireve", remote=[(cc, pid, role), ...])`."""

    async def __call__(self, dialect: str, remote: list[Remote] | None = None) -> FakeNetwork: ...


@pytest.fixture
def make_network(parties: list[FakeParty]) -> MakeNetwork:
    async def make(dialect: str, remote: list[Remote] | None = None) -> FakeNetwork:
        network = FakeNetwork.of(DIALECTS[dialect], remote)
        await network.start()
        parties.append(network)
        return network

    return make


@pytest.fixture
async def cpo(hub: RunningHub, make_party: MakeParty) -> FakeParty:
    return await registered(hub, await make_party("CPO", "NL", "CPA"))


@pytest.fixture
async def emsp(hub: RunningHub, make_party: MakeParty) -> FakeParty:
    return await registered(hub, await make_party("EMSP", "DE", "EMA"))


@pytest.fixture
async def cpo2(hub: RunningHub, make_party: MakeParty) -> FakeParty:
    return await registered(hub, await make_party("CPO", "NL", "CPB"))


@pytest.fixture
async def emsp2(hub: RunningHub, make_party: MakeParty) -> FakeParty:
    return await registered(hub, await make_party("EMSP", "FR", "EMB"))


@pytest.fixture
def hub_env_for() -> Callable[[str], dict[str, str]]:
    """The environment of `ocpi-hub` commands against a test database."""
    from tests.e2e.processes import hub_env

    return lambda database_url: hub_env(database_url, 8080)
