"""Fixtures for the simulator tests: simulators started in-process, registered with the test hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import aiohttp
import pytest

from ocpi_hub.core.handshake import authorization_header
from ocpi_hub.core.parties import Role
from ocpi_hub.simulate import CpoSimulator, EmspSimulator, SimulatorConfig
from ocpi_hub.simulate.generate import Clock
from ocpi_hub.simulate.party import Party
from tests.conftest import RunningHub


class StartSimulator(Protocol):
    """`await start(role, country_code, party_id, clock=None, **config)`: a started,
    unregistered party (with `clock`, one it shares with others)."""

    async def __call__(
        self,
        role: Role,
        country_code: str,
        party_id: str,
        clock: Clock | None = None,
        **config: Any,
    ) -> Party: ...


@pytest.fixture
async def start_simulator() -> AsyncIterator[StartSimulator]:
    started: list[Party] = []

    async def start(
        role: Role, country_code: str, party_id: str, clock: Clock | None = None, **config: Any
    ) -> Party:
        settings = SimulatorConfig(
            role=role, country_code=country_code, party_id=party_id, **config
        )
        party: Party = (CpoSimulator if role == Role.CPO else EmspSimulator)(settings, clock)
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
