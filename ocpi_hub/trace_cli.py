"""`ocpi-hub trace CORRELATION_ID [--json]`: every hop the hub kept of one message — the
request in, each relay and its answer, each delivery attempt — in time order
(ocpi_hub.operations.trace, shared with the admin API and the console)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.operations import Refused, trace
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]

COLUMNS = [
    "offset_ms", "kind", "method", "url", "from", "to", "http_status", "ocpi_status",
    "duration_ms", "note",
]  # fmt: skip


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `trace` command."""
    parser = commands.add_parser(
        "trace", parents=[common], help="every hop of a message, by its correlation id"
    )
    parser.add_argument("correlation_id", metavar="CORRELATION_ID", help="its X-Correlation-ID")
    parser.add_argument(
        "--json", action="store_true", help='print {"correlation_id", "hops": [...]}'
    )


async def cmd_trace(settings: Settings, args: argparse.Namespace) -> int:
    try:
        wanted = trace.checked_id(args.correlation_id)
    except Refused as exc:
        return fail(f"CORRELATION_ID: {exc.message}")
    async with open_database(settings) as pool:
        found = await trace.timeline(pool, wanted)
    if found is None:
        return fail(
            f"no hop of correlation id {wanted!r} is kept (unknown, or older than"
            f" OCPI_HUB_TRACE_RETENTION, {settings.trace_retention:g} s)"
        )
    if args.json:
        print(orjson.dumps(found).decode())
        return 0
    hops = found["hops"]
    print(f"correlation id {wanted}: {len(hops)} hops from {hops[0]['at']}")
    table(hops, COLUMNS)
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "trace": cmd_trace,
}
