"""structlog set-up: JSON lines in production, readable lines in a terminal.

Request id, correlation id, caller party and module are bound per request through
`structlog.contextvars` by the web middleware, so every line a request causes carries them.
"""

from __future__ import annotations

import contextlib
import logging
import sys

import structlog


class _QuietOnClosedStream(structlog.PrintLogger):
    """A logger that drops a line it cannot write: a closed or broken log pipe (the terminal
    went away, a pager quit) must not turn every request into an HTTP 500."""

    def msg(self, message: str) -> None:
        # BrokenPipeError for a closed pipe; ValueError for I/O on a closed file.
        with contextlib.suppress(OSError, ValueError):
            super().msg(message)

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def _logger_factory(*args: object) -> _QuietOnClosedStream:
    return _QuietOnClosedStream(sys.stderr)


def configure(log_format: str = "console", level: str = "info") -> None:
    """Configure structlog (and stdlib logging underneath) once per process."""
    renderer: structlog.types.Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
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
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # asyncpg's pool logs a traceback each time it fails to reconnect during a database outage;
    # the hub logs the outage itself, once (storage.availability).
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
