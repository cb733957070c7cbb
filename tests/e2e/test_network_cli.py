"""The operator's commands for networks (issue 8): `parties invite --role HUB --dialect`,
`connect --dialect --json`, `parties add --via`, `parties list` with `via` and `dialect`. Each
runs as a real `ocpi-hub` process against the test hub's database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty
from tests.e2e.fakes import FakeParty
from tests.e2e.processes import cli


def ocpi_hub(hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]) -> Callable[..., Any]:
    """Run `ocpi-hub ARGS` against the hub's database, advertising the hub's own URL."""
    assert hub.settings.database_url is not None
    env = {**hub_env_for(hub.settings.database_url), "OCPI_HUB_PUBLIC_URL": hub.url}
    return lambda *args: asyncio.to_thread(cli, env, *args)


async def listed(run: Callable[..., Any]) -> list[dict[str, Any]]:
    done = await run("parties", "list", "--json")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


async def test_a_network_invited_from_the_cli_registers_and_gets_remote_parties(
    hub: RunningHub, make_party: MakeParty, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`invite --role HUB --dialect` then the network registers; `parties add --via` adds a
    remote party once (a second add changes nothing); `parties list --json` shows each party's
    `via` (null for the network's own identity) and `dialect`."""
    run = ocpi_hub(hub, hub_env_for)
    network = await make_party("HUB", "FR", "007", modules=[("locations", "RECEIVER")])
    invited = await run(
        "parties", "invite", "--role", "HUB", "--country-code", "FR", "--party-id", "007",
        "--dialect", "ocpi-2.2.1", "--json",
    )  # fmt: skip
    assert invited.returncode == 0, invited.stderr
    answer = await network.register_with(hub.versions_url, json.loads(invited.stdout)["token"])
    assert answer.status_code == 1000, answer.body
    [row] = await listed(run)
    network_id = row["platform_id"]

    add = (
        "parties", "add", "--via", str(network_id), "--role", "EMSP",
        "--country-code", "fr", "--party-id", "emx", "--name", "Remote eMSP", "--json",
    )  # fmt: skip
    first, again = await run(*add), await run(*add)

    assert first.returncode == 0 and json.loads(first.stdout)["added"] is True, first.stderr
    assert again.returncode == 0 and json.loads(again.stdout)["added"] is False
    rows = {(r["country_code"], r["party_id"], r["role"]): r for r in await listed(run)}
    assert rows[("FR", "007", "HUB")]["via"] is None
    assert rows[("FR", "EMX", "EMSP")]["via"] == network_id
    assert {r["dialect"] for r in rows.values()} == {"ocpi-2.2.1"}
    header = (await run("parties", "list")).stdout.splitlines()[0].split()
    assert "VIA" in header and "DIALECT" in header


async def test_bad_network_commands_change_nothing(
    hub: RunningHub,
    cpo: FakeParty,
    make_party: MakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """An unknown dialect (invite or connect) and `--via` naming a peer rather than a network
    are refused with a message saying why; the parties stay as they were and nothing is sent."""
    run = ocpi_hub(hub, hub_env_for)
    peer = await make_party("HUB", "BE", "HUB")
    before = await listed(run)
    peer_id = before[0]["platform_id"]

    invite = await run(
        "parties", "invite", "--role", "HUB", "--country-code", "BE", "--party-id", "NET",
        "--dialect", "klingon",
    )  # fmt: skip
    connect = await run(
        "connect", "--versions-url", peer.versions_url, "--token", peer.issue_token_a(),
        "--dialect", "klingon",
    )  # fmt: skip
    add = await run(
        "parties", "add", "--via", str(peer_id), "--role", "EMSP", "--country-code", "FR",
        "--party-id", "EMX",
    )  # fmt: skip

    for done in (invite, connect):
        assert done.returncode != 0 and "unknown dialect 'klingon'" in done.stderr
        assert "ocpi-2.2.1" in done.stderr
    assert add.returncode != 0 and "no network has that platform id" in add.stderr
    assert await listed(run) == before
    assert peer.received == []


async def test_connect_json_names_the_platform_its_dialect_and_parties(
    hub: RunningHub, make_party: MakeParty, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`connect --json` prints {"platform_id", "dialect", "parties"}; a peer presenting a HUB
    role is a network."""
    run = ocpi_hub(hub, hub_env_for)
    network = await make_party("HUB", "FR", "007", modules=[("locations", "RECEIVER")])

    done = await run(
        "connect", "--versions-url", network.versions_url, "--token", network.issue_token_a(),
        "--json",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["dialect"] == "ocpi-2.2.1"
    assert [
        (p["country_code"], p["party_id"], p["role"], p["via"]) for p in printed["parties"]
    ] == [("FR", "007", "HUB", None)]
    rows = await listed(run)
    assert [r["platform_id"] for r in rows] == [printed["platform_id"]]
