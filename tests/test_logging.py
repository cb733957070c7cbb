"""Log lines (ocpi_hub/logging.py, DESIGN.md decision 10): one JSON object per line in
production, carrying what the request bound, whatever the values."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import orjson
import pytest
import structlog

from ocpi_hub import logging as hub_logging


@pytest.fixture
def json_logs() -> Iterator[None]:
    hub_logging.configure("json", "info")
    yield
    structlog.contextvars.clear_contextvars()
    hub_logging.configure(
        "console", os.environ.get("OCPI_HUB_TEST_LOG_LEVEL", "warning"), cache=False
    )


def test_json_lines_carry_the_context_and_any_value(
    json_logs: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each event is one JSON object on its own line with level, timestamp and the bound
    request context; values JSON has no type for (Decimal, exceptions, integers beyond 64 bits,
    non-string keys) are rendered, never an error; lines below the level are not written."""
    structlog.contextvars.bind_contextvars(request_id="req-1", module="cdrs")
    log = hub_logging.get_logger("test")
    log.info("request", amount=Decimal("1.10"), error=ValueError("bad"), keys={1: "a"})
    log.info("big", n=2**70)
    log.debug("hidden")
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["request", "big"]
    first = lines[0]
    assert first["request_id"] == "req-1" and first["module"] == "cdrs"
    assert first["level"] == "info" and first["timestamp"].endswith("Z")
    assert first["amount"] == "Decimal('1.10')" and first["error"] == "ValueError('bad')"
    assert first["keys"] == {"1": "a"}
    assert lines[1]["n"] == 2**70
