"""Fixtures for the operator's side: an operator and a client calling the hub's admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest

from ocpi_hub.core.handshake import new_token
from ocpi_hub.storage.repositories import operators
from tests.conftest import RunningHub
from tests.e2e.conftest import cpo, emsp, hub_env_for, make_party, parties

__all__ = ["Admin", "admin", "cpo", "emsp", "hub_env_for", "make_party", "parties"]

# The registered fake parties the e2e tests use: the same ones, not a second copy.


@dataclass
class Admin:
    """An operator calling the admin API of a running hub, with its token (or another)."""

    hub: RunningHub
    session: aiohttp.ClientSession
    token: str

    async def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """(HTTP status, the JSON answer) of `method path` under /admin/api."""
        token = self.token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None if body is None else orjson.dumps(body)
        url = f"{self.hub.url}/admin/api{path}"
        async with self.session.request(method, url, data=data, headers=headers) as answer:
            raw = await answer.read()
            return answer.status, orjson.loads(raw) if raw else None


@pytest.fixture
async def admin(hub: RunningHub) -> AsyncIterator[Admin]:
    token = new_token()
    await operators.create(hub.pool, "alice", token)
    async with aiohttp.ClientSession() as session:
        yield Admin(hub, session, token)
