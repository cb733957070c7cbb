"""`ocpi-hub operators create|list|revoke` as real processes (issue 12): a token printed once,
kept hashed, opening the admin API until revoked; bad input refused, nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable

import aiohttp

from ocpi_hub.core.handshake import hash_token
from tests.conftest import RunningHub
from tests.e2e.test_network_cli import ocpi_hub


async def test_an_operator_is_created_listed_and_revoked(
    hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """create prints the token once (stored only as its hash); it opens the admin API; list
    shows the operator; revoke closes it; a second operator of the same name is refused."""
    run = ocpi_hub(hub, hub_env_for)
    created = await run("operators", "create", "--name", "alice", "--json")
    assert created.returncode == 0, created.stderr
    token = json.loads(created.stdout)["token"]
    stored = await hub.pool.fetchval("SELECT token_hash FROM operators WHERE name = 'alice'")
    assert bytes(stored) == hash_token(token) and token.encode() not in bytes(stored)

    async def status() -> int:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{hub.url}/admin/api/parties", headers=headers) as answer,
        ):
            return answer.status

    assert await status() == 200
    again = await run("operators", "create", "--name", "alice")
    assert again.returncode == 1 and "alice" in again.stderr
    listed = json.loads((await run("operators", "list", "--json")).stdout)
    assert [(o["name"], o["revoked_at"]) for o in listed] == [("alice", None)]

    assert (await run("operators", "revoke", "--name", "alice")).returncode == 0
    assert await status() == 401
    missing = await run("operators", "revoke", "--name", "alice")
    assert missing.returncode == 1 and "no active operator" in missing.stderr


async def test_a_bad_operator_name_is_refused(
    hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """An empty or over-long name is refused; no operator is created."""
    run = ocpi_hub(hub, hub_env_for)
    for name in ("  ", "x" * 101):
        done = await run("operators", "create", "--name", name)
        assert done.returncode == 1 and "--name" in done.stderr
    assert await hub.pool.fetchval("SELECT count(*) FROM operators") == 0
