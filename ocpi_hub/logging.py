"""structlog set-up: JSON lines in production, readable lines in a terminal.

Request id, correlation id, caller party and module are bound per request through
`structlog.contextvars` by the web middleware, so every line a request causes carries them.

Logging is on every request's path: the middleware writes one `request` line per request at
info, the hub's access log, which operators and tests rely on (it stays at info). So it is kept
cheap: loggers are built once and cached (`cache_logger_on_first_use`: configure once per
process, before the first line), a line below the configured level is a no-op call (~1 µs, was
~4 µs), and JSON is rendered by orjson straight to bytes (about half the cost of the stdlib
renderer). The console renderer is for a terminal; production logs should be `json`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from typing import Any

import orjson
import structlog


class _QuietLines:
    """Rendered lines to whatever stderr is at the time (loggers are cached; a test runner or
    a daemon may swap the stream), one write and flush each. A line that cannot be written is
    dropped: a closed or broken log pipe (the terminal went away, a pager quit) must not turn
    every request into an HTTP 500."""

    def msg(self, message: str | bytes) -> None:
        # BrokenPipeError for a closed pipe; ValueError for I/O on a closed file.
        with contextlib.suppress(OSError, ValueError):
            stream = sys.stderr
            if isinstance(message, bytes):
                binary = getattr(stream, "buffer", None)
                if binary is not None:
                    stream.flush()  # keep order with anything written as text
                    binary.write(message + b"\n")
                    binary.flush()
                    return
                message = message.decode()
            stream.write(message + "\n")
            stream.flush()

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def _logger_factory(*args: object) -> _QuietLines:
    return _QuietLines()


def _json(event: Any, **_: Any) -> bytes:
    """One event as JSON: anything JSON has no type for (a Decimal, an exception) as its repr,
    as structlog's own renderer does; a value orjson refuses (an int beyond 64 bits) falls back
    to the stdlib, so a log line never fails."""
    try:
        return orjson.dumps(event, default=repr, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(event, default=repr).encode()


def configure(log_format: str = "console", level: str = "info", *, cache: bool = True) -> None:
    """Configure structlog (and stdlib logging underneath) once per process. `cache=False`
    keeps loggers reconfigurable afterwards, for tests that capture what is logged."""
    renderer: structlog.types.Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer(serializer=_json)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_logger_factory,
        cache_logger_on_first_use=cache,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # asyncpg's pool logs a traceback each time it fails to reconnect during a database outage;
    # the hub logs the outage itself, once (storage.availability).
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
