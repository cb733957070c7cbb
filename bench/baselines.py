"""Minimal aiohttp servers the hub is compared with: what a request costs with nothing but
aiohttp, orjson and asyncpg doing the unavoidable (reference/performance.md B1, B4).

    python -m bench.baselines relay --port P --target URL
        POST / GET anything: the same request sent on to TARGET + path with one shared aiohttp
        client session, the answer returned as received (a relay with no hub logic at all).
    python -m bench.baselines splice --port P --dsn DSN --module locations --limit 50 [--memory]
        GET: one page of stored objects, `SELECT data::text ... ORDER BY seq LIMIT n` spliced
        into an OCPI envelope without parsing (DESIGN.md decision 2); with --memory the rows
        are read once at start and only the splice runs per request.

Started by the benchmarks through `baseline_server` as their own processes, pinned to the hub's
core like the hub, so that CPU per request compares like with like.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import asyncpg
from aiohttp import web

from bench.common import ServerProcess, healthy, pin_to_hub_core
from tests.conftest import free_socket

HEAD = b'{"status_code":1000,"timestamp":"2024-01-01T00:00:00Z","data":['


def splice(rows: list[str]) -> bytes:
    return HEAD + ",".join(rows).encode() + b"]}"


def relay_app(target: str) -> web.Application:
    session: aiohttp.ClientSession | None = None

    async def forward(request: web.Request) -> web.Response:
        assert session is not None
        headers = {"Authorization": request.headers.get("Authorization", "")}
        if request.body_exists:
            headers["Content-Type"] = "application/json"
        async with session.request(
            request.method, target + request.path_qs, data=await request.read(), headers=headers
        ) as answer:
            body = await answer.read()
        return web.Response(body=body, status=answer.status, content_type="application/json")

    async def client(app: web.Application) -> AsyncIterator[None]:
        nonlocal session
        async with aiohttp.ClientSession() as opened:
            session = opened
            yield

    app = web.Application()
    app.cleanup_ctx.append(client)
    app.router.add_get("/health", lambda _: _ok())
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def _ok() -> web.Response:
    return web.Response(text="ok")


def splice_app(dsn: str, module: str, limit: int, memory: bool) -> web.Application:
    query = "SELECT data::text FROM objects WHERE module = $1 ORDER BY seq OFFSET 0 LIMIT $2"
    pool: asyncpg.Pool | None = None
    cached: list[str] = []

    async def page(request: web.Request) -> web.Response:
        if memory:
            rows = cached
        else:
            assert pool is not None
            rows = [r[0] for r in await pool.fetch(query, module, limit)]
        return web.Response(body=splice(rows), content_type="application/json")

    async def database(app: web.Application) -> AsyncIterator[None]:
        nonlocal pool, cached
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
        cached = [r[0] for r in await pool.fetch(query, module, limit)]
        yield
        await pool.close()

    app = web.Application()
    app.cleanup_ctx.append(database)
    app.router.add_get("/health", lambda _: _ok())
    app.router.add_get("/{tail:.*}", page)
    return app


@asynccontextmanager
async def baseline_server(*args: str) -> AsyncIterator[ServerProcess]:
    """Start `python -m bench.baselines ARGS --port P` pinned to the hub's core."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.baselines", *args, "--port", str(port)],
        preexec_fn=pin_to_hub_core,
    )
    server = ServerProcess(f"http://127.0.0.1:{port}", process)
    try:
        await healthy(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    relay = commands.add_parser("relay")
    relay.add_argument("--target", required=True)
    page = commands.add_parser("splice")
    page.add_argument("--dsn", required=True)
    page.add_argument("--module", default="locations")
    page.add_argument("--limit", type=int, default=50)
    page.add_argument("--memory", action="store_true")
    for command in (relay, page):
        command.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    make: Callable[[], web.Application]
    if args.command == "relay":
        make = lambda: relay_app(args.target)  # noqa: E731
    else:
        make = lambda: splice_app(args.dsn, args.module, args.limit, args.memory)  # noqa: E731
    web.run_app(make(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
