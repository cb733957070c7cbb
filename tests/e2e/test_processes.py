"""The hub as operators run it: `ocpi-hub` processes, killed, restarted, side by side."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import asyncpg

from ocpi_hub.storage.repositories import outbox
from tests import factories
from tests.e2e.conftest import MakeParty, eventually
from tests.e2e.fakes import FakeParty
from tests.e2e.processes import HubProcess, cli


async def invite(env: dict[str, str], role: str, cc: str, pid: str) -> dict[str, str]:
    done = await asyncio.to_thread(
        cli,
        env,
        "parties",
        "invite",
        "--role",
        role,
        "--country-code",
        cc,
        "--party-id",
        pid,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    invitation: dict[str, str] = json.loads(done.stdout)
    assert set(invitation) == {"token", "versions_url"}
    return invitation


async def join(hub: HubProcess, party: FakeParty) -> FakeParty:
    invitation = await invite(hub.env, party.role, party.country_code, party.party_id)
    assert invitation["versions_url"] == hub.url + "/ocpi/versions"
    answer = await party.register_with(invitation["versions_url"], invitation["token"])
    assert answer.status_code == 1000, answer.body
    return party


async def push(hub: HubProcess, cpo: FakeParty, location_id: str) -> None:
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/{location_id}"
    body = factories.location(country_code="NL", party_id="CPA", id=location_id)
    answer = await cpo.call_url("PUT", url, json=body)
    assert answer.status == 201, answer.body


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    return await outbox.counts(pool)


async def wait_counts(pool: asyncpg.Pool, expected: dict[str, int], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (seen := await counts(pool)) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"outbox {seen}, expected {expected}"
        await asyncio.sleep(0.05)


async def test_deliveries_survive_kill_9(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path, make_party: MakeParty
) -> None:
    """Pushes pending when the hub is killed with -9 are delivered after a restart (issue §6)."""
    hub = await HubProcess.on_free_port(database_url, tmp_path / "hub.log").start()
    try:
        cpo = await join(hub, await make_party("CPO", "NL", "CPA"))
        emsp = await join(hub, await make_party("EMSP", "DE", "EMA"))
        await emsp.go_offline()
        for n in range(3):
            await push(hub, cpo, f"LOC{n}")
        await wait_counts(pool, {"PENDING": 3})
        hub.kill()
    finally:
        if hub.process and hub.process.poll() is None:
            hub.kill()
    await emsp.come_back()
    restarted = await HubProcess(hub.env, tmp_path / "hub2.log").start()
    try:
        await eventually(lambda: len(emsp.pushes()) == 3, timeout=30)
        await wait_counts(pool, {"DELIVERED": 3})
    finally:
        assert restarted.terminate() == 0


async def test_two_hub_processes_deliver_each_push_once(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path, make_party: MakeParty
) -> None:
    """Two `serve` processes on one database share the outbox without sending anything twice."""
    first = await HubProcess.on_free_port(database_url, tmp_path / "a.log").start()
    second = await HubProcess.on_free_port(database_url, tmp_path / "b.log").start()
    try:
        cpo = await join(first, await make_party("CPO", "NL", "CPA"))
        emsp = await join(second, await make_party("EMSP", "DE", "EMA"))
        total = 40
        for n in range(total):
            await push(first if n % 2 else second, cpo, f"LOC{n}")
        await wait_counts(pool, {"DELIVERED": total})
        paths = [r.path for r in emsp.pushes()]
        assert len(paths) == total and len(set(paths)) == total
    finally:
        assert first.terminate() == 0
        assert second.terminate() == 0
    delivered = [
        e for hub in (first, second) for e in hub.log_events() if e["event"] == "delivered"
    ]
    assert len(delivered) == total
    # Delivery lines carry the attempt's request id, the push's correlation id, party, module.
    sent_ids = {r.header("X-Request-ID") for r in emsp.pushes()}
    assert {e["request_id"] for e in delivered} == sent_ids
    assert {(e["module"], e["party"]) for e in delivered} == {("locations", "DE*EMA")}
    assert {e["correlation_id"] for e in delivered} == {
        r.header("X-Correlation-ID") for r in emsp.pushes()
    }


async def test_logs_are_structured_events(
    database_url: str, tmp_path: Path, make_party: MakeParty
) -> None:
    """Every request log line carries request id, correlation id, party and module (DESIGN 10)."""
    hub = await HubProcess.on_free_port(database_url, tmp_path / "hub.log").start()
    try:
        cpo = await join(hub, await make_party("CPO", "NL", "CPA"))
        url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
        ids = {"X-Request-ID": "req-log-1", "X-Correlation-ID": "corr-log-1"}
        body = factories.location(country_code="NL", party_id="CPA", id="LOC1")
        answer = await cpo.call_url("PUT", url, json=body, headers=ids)
        assert answer.status == 201
    finally:
        assert hub.terminate() == 0
    lines = [e for e in hub.log_events() if e.get("request_id") == "req-log-1"]
    assert lines, "no log line for the request"
    request_line = next(e for e in lines if e.get("event") == "request")
    assert request_line["correlation_id"] == "corr-log-1"
    assert request_line["module"] == "locations"
    assert request_line["party"] == "NL*CPA"
    assert request_line["http_status"] == 201
    assert request_line["level"] == "info" and "timestamp" in request_line


async def test_serve_on_embedded_postgres(tmp_path: Path) -> None:
    """With no database URL the hub runs on an embedded PostgreSQL under the data dir; CLI
    commands work beside it; SIGTERM exits 0 and stops the PostgreSQL it started (issue §2)."""
    data_dir = tmp_path / "data"
    hub = await HubProcess.on_free_port(
        None, tmp_path / "hub.log", cwd=tmp_path, OCPI_HUB_DATA_DIR=str(data_dir)
    ).start()
    try:
        invitation = await invite(hub.env, "CPO", "NL", "ABC")
        assert invitation["versions_url"] == hub.url + "/ocpi/versions"
        listed = await asyncio.to_thread(cli, hub.env, "parties", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert [(r["country_code"], r["party_id"], r["role"], r["status"]) for r in rows] == [
            ("NL", "ABC", "CPO", "INVITED")
        ]
        assert (data_dir / "pgdata" / "postmaster.pid").exists()
    finally:
        code = hub.terminate()
    assert code == 0
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


async def test_cli_outbox_list_and_replay(
    database_url: str, pool: asyncpg.Pool, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`outbox list --json` shows dead deliveries; `outbox replay` queues them again (issue §6);
    `outbox list --status DELIVERED` reads the delivered history."""
    platform_id = await pool.fetchval(
        "INSERT INTO platforms (status) VALUES ('REGISTERED') RETURNING id"
    )
    await pool.execute(
        "INSERT INTO outbox (receiver_platform_id, to_country_code, to_party_id,"
        " from_country_code, from_party_id, module, interface, method, path, body,"
        " correlation_id, object_key, status, attempts, last_error)"
        " VALUES ($1, 'DE', 'EMA', 'XX', 'HUB', 'locations', 'RECEIVER', 'PUT', '/NL/CPA/L1',"
        " '{}', 'c1', 'locations/NL/CPA/L1', 'DEAD', 12, 'HTTP 503')",
        platform_id,
    )
    env = hub_env_for(database_url)
    listed = await asyncio.to_thread(cli, env, "outbox", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["status"], r["attempts"], r["last_error"], r["to"]) for r in rows] == [
        ("DEAD", 12, "HTTP 503", "DE*EMA")
    ]
    replayed = await asyncio.to_thread(cli, env, "outbox", "replay")
    assert replayed.returncode == 0 and "1 dead deliveries queued again" in replayed.stdout
    assert await counts(pool) == {"PENDING": 1}
    # Delivered ones are listed from the history they move to (issue 7 §1).
    await pool.execute(
        "INSERT INTO deliveries_delivered (id, receiver_platform_id, to_country_code,"
        " to_party_id, from_country_code, from_party_id, module, interface, method, path, body,"
        " correlation_id, object_key, attempts, created_at, delivered_at)"
        " VALUES (1000, $1, 'DE', 'EMA', 'XX', 'HUB', 'locations', 'RECEIVER', 'PUT',"
        " '/NL/CPA/L0', '{}', 'c0', 'locations/NL/CPA/L0', 2, now(), now())",
        platform_id,
    )
    listed = await asyncio.to_thread(cli, env, "outbox", "list", "--status", "DELIVERED", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["status"], r["attempts"], r["path"]) for r in rows] == [
        (1000, "DELIVERED", 2, "/NL/CPA/L0")
    ]


async def test_cli_connect(database_url: str, tmp_path: Path, make_party: MakeParty) -> None:
    """`ocpi-hub connect` registers with a peer while serve runs: exit 0; and exits 1 with a
    clear message when the peer cannot be used (issue §2)."""
    hub = await HubProcess.on_free_port(database_url, tmp_path / "hub.log").start()
    try:
        peer = await make_party("EMSP", "BE", "EMC")
        token_a = peer.issue_token_a()
        done = await asyncio.to_thread(
            cli, hub.env, "connect", "--versions-url", peer.versions_url, f"--token={token_a}"
        )
        assert done.returncode == 0, done.stderr
        assert "BE*EMC" in done.stdout
        listed = json.loads(
            (await asyncio.to_thread(cli, hub.env, "parties", "list", "--json")).stdout
        )
        assert [(r["party_id"], r["status"]) for r in listed] == [("EMC", "REGISTERED")]
        refused = await asyncio.to_thread(
            cli, hub.env, "connect", "--versions-url", peer.versions_url, "--token=wrong"
        )
        assert refused.returncode == 1
        assert "connect failed" in refused.stderr
    finally:
        assert hub.terminate() == 0


def test_help_documents_every_setting() -> None:
    """`ocpi-hub --help` names every environment variable the hub reads (issue §2)."""
    import re

    import ocpi_hub.settings

    source = Path(ocpi_hub.settings.__file__).read_text()
    variables = set(re.findall(r"OCPI_HUB_[A-Z_]+", source))
    assert len(variables) >= 17
    done = cli({}, "--help")
    assert done.returncode == 0
    assert sorted(v for v in variables if v not in done.stdout) == []
    for command in ("serve", "migrate", "parties", "connect", "outbox"):
        assert command in done.stdout


async def test_cli_migrate_is_idempotent(
    pg_server: str, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`ocpi-hub migrate` on an empty database applies every migration; a second run changes
    nothing and still exits 0 (issue §2)."""
    from ocpi_hub.storage.migrate import available
    from tests.conftest import with_database

    conn = await asyncpg.connect(pg_server)
    try:
        await conn.execute('DROP DATABASE IF EXISTS "migrate_cli" WITH (FORCE)')
        await conn.execute('CREATE DATABASE "migrate_cli"')
    finally:
        await conn.close()
    env = hub_env_for(with_database(pg_server, "migrate_cli"))
    for _ in range(2):
        done = await asyncio.to_thread(cli, env, "migrate")
        assert done.returncode == 0, done.stderr
    conn = await asyncpg.connect(with_database(pg_server, "migrate_cli"))
    try:
        applied = [
            r["name"]
            for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY version")
        ]
    finally:
        await conn.close()
    assert applied == [name for _, name, _ in available()]


async def test_a_closed_log_pipe_does_not_break_requests(database_url: str, tmp_path: Path) -> None:
    """When whatever reads the hub's output and log goes away, the hub keeps answering (found by
    the simulators: every request was HTTP 500 once stderr was a broken pipe; and the banner
    racing the reader's close killed the hub)."""
    import subprocess
    import sys

    import aiohttp

    from tests.conftest import free_socket
    from tests.e2e.processes import hub_env

    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = hub_env(database_url, port)
    process = subprocess.Popen(
        [sys.executable, "-m", "ocpi_hub", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()  # "ocpi-hub is serving ...": it is up
        if b"serving" not in first:
            process.wait(timeout=30)
            raise AssertionError(f"the hub did not start: {process.stderr.read()[-3000:]!r}")
        process.stdout.close()
        process.stderr.close()  # the reader goes away: writes now fail with EPIPE
        async with aiohttp.ClientSession() as session:
            for _ in range(3):  # the first lines after the close hit the broken pipe
                assert process.poll() is None, f"the hub exited with {process.returncode}"
                async with session.get(f"http://127.0.0.1:{port}/health") as response:
                    assert response.status == 200
                async with session.get(f"http://127.0.0.1:{port}/ocpi/versions") as response:
                    assert response.status == 401
                    assert (await response.json())["status_code"] == 2000
    finally:
        process.terminate()
        process.wait(timeout=30)
