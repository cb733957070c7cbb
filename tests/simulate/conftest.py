"""Fixtures for the simulator tests: simulators started in-process, registered with the test hub."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import aiohttp
import pytest

from ocpi_hub.core.handshake import authorization_header
from ocpi_hub.core.parties import Role
from ocpi_hub.simulate import CpoSimulator, EmspSimulator, SimulatorConfig
from ocpi_hub.simulate.party import Party
from tests.conftest import RunningHub


async def eventually(
    check: Callable[[], bool], *, timeout: float = 10.0, message: str = ""
) -> None:
    """Poll `check` until it holds or the deadline passes (tests never sleep to wait)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {message}")
        await asyncio.sleep(0.02)


async def eventually_async(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, message: str = ""
) -> None:
    """`eventually` for a check that needs I/O (the hub's database, an HTTP answer)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {message}")
        await asyncio.sleep(0.05)


class StartSimulator(Protocol):
    """`await start(role, country_code, party_id, **config)`: a started, unregistered party."""

    async def __call__(
        self, role: Role, country_code: str, party_id: str, **config: Any
    ) -> Party: ...


@pytest.fixture
async def start_simulator() -> AsyncIterator[StartSimulator]:
    started: list[Party] = []

    async def start(role: Role, country_code: str, party_id: str, **config: Any) -> Party:
        settings = SimulatorConfig(
            role=role, country_code=country_code, party_id=party_id, **config
        )
        party: Party = (CpoSimulator if role == Role.CPO else EmspSimulator)(settings)
        await party.start()
        started.append(party)
        return party

    yield start
    for party in reversed(started):
        await party.stop()


async def register(hub: RunningHub, party: Party) -> Party:
    """Invite the party's identity at the hub and run the handshake with its token A."""
    token_a = await hub.invite(party.role, *party.identity)
    await party.registration.register(hub.versions_url, token_a)
    return party


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def as_hub(party: Party) -> dict[str, str]:
    """The Authorization header the hub calls `party` with."""
    assert party.registration.incoming is not None
    return {"Authorization": authorization_header(party.registration.incoming)}
