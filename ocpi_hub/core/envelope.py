"""The OCPI response envelope (checklist §1.3), built as bytes.

Pages are spliced from stored JSON text rather than re-serialised (DESIGN.md decision 2), so the
envelope is assembled around an already-encoded `data` member.
"""

from __future__ import annotations

from typing import Any

import orjson

from ocpi_hub.core.types import now


def envelope(
    data: Any = None, *, status_code: int = 1000, status_message: str | None = None
) -> bytes:
    """An envelope around a Python value (encoded with orjson); `data` omitted when None."""
    raw = None if data is None else orjson.dumps(data)
    return envelope_raw(raw, status_code=status_code, status_message=status_message)


def envelope_raw(
    data: bytes | None, *, status_code: int = 1000, status_message: str | None = None
) -> bytes:
    """An envelope around `data` that is already JSON bytes."""
    parts = [b"{"]
    if data is not None:
        parts += [b'"data":', data, b","]
    parts += [b'"status_code":', str(status_code).encode()]
    if status_message is not None:
        parts += [b',"status_message":', orjson.dumps(status_message)]
    parts += [b',"timestamp":"', now().encode(), b'"}']
    return b"".join(parts)
