"""`ocpi-hub simulate` as operators run it: a real process that registers with a hub, or waits
for the hub to register it (issue 4), runs for --duration and prints its counters at exit; and
the credentials life cycle of a simulated party as the hub drives it."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from ocpi_hub import cli
from ocpi_hub.core.parties import Role
from ocpi_hub.simulate.cli import config_from
from ocpi_hub.simulate.party import Party
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.simulate.conftest import StartSimulator, as_hub, register


async def simulate(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocpi_hub",
        "simulate",
        *args,
        "--port",
        "0",
        "--log-level",
        "warning",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finished(process: asyncio.subprocess.Process) -> tuple[int, dict[str, Any]]:
    """The exit code and the counters line printed at exit."""
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]
    stats = [line for line in lines if line.get("event") == "simulator_stats"]
    assert stats, stderr.decode()[-2000:]
    assert process.returncode is not None
    return process.returncode, stats[-1]


async def test_simulator_process_registers_with_an_invitation(
    hub: RunningHub, tmp_path: Path
) -> None:
    """`simulate emsp --invitation FILE`: registers, pushes Tokens, exits 0 with JSON counters."""
    invitation = tmp_path / "emsp.json"
    token_a = await hub.invite(Role.EMSP, "DE", "EMA")
    invitation.write_text(json.dumps({"token": token_a, "versions_url": hub.versions_url}))
    process = await simulate(
        "emsp", "--invitation", str(invitation), "--country-code", "DE", "--party-id", "EMA",
        "--tokens", "5", "--duration", "1",
    )  # fmt: skip
    code, stats = await finished(process)
    assert code == 0
    assert (stats["party"], stats["role"], stats["registered"]) == ("DE*EMA", "EMSP", True)
    assert stats["sent"]["tokens PUT"] == 5 and stats["errors"] == {}


async def test_simulator_process_accepts_registration(hub: RunningHub) -> None:
    """`simulate cpo --issue-token`: the hub connects with the printed token A; the CPO pushes."""
    process = await simulate("cpo", "--issue-token", "--locations", "2", "--duration", "1")
    assert process.stdout is not None
    offer = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
    await hub.connect(offer["versions_url"], offer["token"])
    code, stats = await finished(process)
    assert code == 0 and stats["registered"] is True and stats["hub"] == "XX*HUB"
    assert stats["sent"]["locations PUT"] == 2 and stats["sent"]["tariffs PUT"] == 2


async def test_simulator_process_reports_a_refused_registration(hub: RunningHub) -> None:
    """A token A the hub never issued: exit 1, nothing registered."""
    process = await simulate(
        "cpo", "--versions-url", hub.versions_url, "--token", "not-a-token", "--duration", "1"
    )
    code, stats = await finished(process)
    assert code == 1 and stats["registered"] is False


@pytest.mark.parametrize(
    "args",
    [
        ["cpo"],  # no way to register
        ["cpo", "--issue-token", "--token", "x", "--versions-url", "http://h/"],
        ["emsp", "--token", "x"],  # a token without the versions URL
        ["cpo", "--invitation", "/nonexistent/invitation.json"],
        ["cpo", "--issue-token", "--country-code", "NLD"],
        ["emsp", "--issue-token", "--start-rate", "-1"],
        ["cpo", "--issue-token", "--clock-scale", "-2"],
    ],
)
def test_bad_flags_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Contradictory or impossible flags: exit 2 with a message, nothing started."""
    assert cli.main(["simulate", *args]) == 2
    assert "ocpi-hub simulate:" in capsys.readouterr().err


def test_clock_flags_set_simulated_time(capsys: pytest.CaptureFixture[str]) -> None:
    """`--clock-start` takes an OCPI DateTime (else a usage error naming it), `--clock-scale`
    simulated seconds per real second; without them the wall clock."""
    parser = cli._parser()
    clock = ["--clock-start", "2026-11-01T00:00:00Z", "--clock-scale", "3600"]
    args = parser.parse_args(["simulate", "cpo", "--issue-token", *clock])
    config = config_from(args)
    assert (config.clock_start, config.clock_scale) == (datetime(2026, 11, 1, tzinfo=UTC), 3600)
    plain = config_from(parser.parse_args(["simulate", "emsp", "--issue-token"]))
    assert (plain.clock_start, plain.clock_scale) == (None, 1.0)
    with pytest.raises(SystemExit):
        cli.main(["simulate", "cpo", "--issue-token", "--clock-start", "November"])
    assert "not an OCPI DateTime" in capsys.readouterr().err


def test_bad_fault_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """`--fault` with an unknown mode is refused by the parser, naming the modes."""
    with pytest.raises(SystemExit) as exited:
        cli.main(["simulate", "cpo", "--issue-token", "--fault", "teapot"])
    assert exited.value.code == 2
    assert "unknown fault mode 'teapot'" in capsys.readouterr().err


async def test_credentials_life_cycle(
    hub: RunningHub, start_simulator: StartSimulator, http: aiohttp.ClientSession
) -> None:
    """The hub GETs then DELETEs our credentials; afterwards its token opens nothing (§3.2)."""
    party: Party = await register(hub, await start_simulator(Role.CPO, "NL", "CPA"))
    headers = as_hub(party)
    credentials = f"{party.url}/ocpi/2.2.1/credentials"
    async with http.get(credentials, headers=headers) as response:
        body = orjson.loads(await response.read())
    assert body["data"]["roles"][0]["party_id"] == "CPA"
    assert body["data"]["url"] == party.versions_url
    async with http.delete(credentials, headers=headers) as response:
        assert response.status == 200
    await eventually(lambda: not party.link.connected)
    async with http.delete(credentials, headers=headers) as response:
        assert response.status == 401  # the hub's token is gone with the registration
    async with http.post(credentials, headers=headers, json={}) as response:
        assert response.status == 401
