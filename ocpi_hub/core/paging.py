"""Pagination maths for every list GET (checklist §1.5), sans-I/O.

Outside, the hub speaks plain OCPI: `offset`, `limit`, `date_from` (inclusive), `date_to`
(exclusive), a `Link: <next>; rel="next"` header and `X-Total-Count`. Inside it pages by keyset
(DESIGN.md decision 3): the next URL also carries an opaque `cursor` naming the last sequence
number served, so the storage layer can ask `WHERE seq > $after_seq` and a page at offset 99,950
costs what the first costs, and the total counted when the walk began, so `X-Total-Count` does
not cost a `count(*)` per page (reference/performance.md B2).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import orjson

from ocpi_hub.core.types import parse_datetime
from ocpi_hub.errors import InvalidParameters

# Offsets, sequence numbers and totals end up as PostgreSQL bigint parameters; a larger offset
# would fail in the driver as a server error, so it is refused here as the client's mistake.
_BIGINT_MAX = 2**63 - 1
# Plain ASCII digits only: int() alone would also take " 5", "+5", "1_0" and non-ASCII digits.
_DIGITS = re.compile(r"[0-9]+")
_CURSOR_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
# A real cursor is under 80 characters; the cap keeps hostile input from costing JSON work.
_CURSOR_MAX_LENGTH = 200


@dataclass(frozen=True)
class PageRequest:
    """One list GET's paging parameters, validated; `limit` is already capped."""

    limit: int
    offset: int = 0
    date_from: datetime | None = None
    date_to: datetime | None = None
    # As the client sent them, so the next link repeats its filters byte for byte.
    date_from_raw: str | None = None
    date_to_raw: str | None = None
    # From a cursor whose offset matches `offset`: serve rows with seq > after_seq.
    after_seq: int | None = None
    total: int | None = None


def encode_cursor(after_seq: int, offset: int, total: int) -> str:
    """The opaque cursor for a keyset position: urlsafe base64, unpadded, of compact JSON."""
    if min(after_seq, offset, total) < 0:
        raise ValueError("cursor fields must be non-negative")
    payload = orjson.dumps({"s": after_seq, "o": offset, "t": total})  # compact, in this order
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def decode_cursor(raw: str) -> tuple[int, int, int]:
    """`(after_seq, offset, total)` from a cursor; InvalidParameters if it is anything else."""
    invalid = InvalidParameters("cursor is not valid")
    # Checked by hand because urlsafe_b64decode silently drops characters outside its alphabet.
    if len(raw) > _CURSOR_MAX_LENGTH or _CURSOR_ALPHABET.fullmatch(raw) is None:
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise invalid from None
    if not isinstance(data, dict) or set(data) != {"s", "o", "t"}:
        raise invalid
    fields = (data["s"], data["o"], data["t"])
    # bool is an int subclass; `true` is not a position.
    if not all(type(v) is int and 0 <= v <= _BIGINT_MAX for v in fields):
        raise invalid
    after_seq, offset, total = fields
    return after_seq, offset, total


def _integer(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    kind = "non-negative" if minimum == 0 else "positive"
    if _DIGITS.fullmatch(raw) is None:
        raise InvalidParameters(f"{name} must be a {kind} integer")
    digits = raw.lstrip("0") or "0"
    # Saturating past 19 digits spares int() a 4,300-digit string, which it refuses anyway.
    value = int(digits) if len(digits) <= 19 else _BIGINT_MAX + 1
    if value < minimum:
        raise InvalidParameters(f"{name} must be a {kind} integer")
    return value


def _date(query: Mapping[str, str], name: str) -> tuple[datetime | None, str | None]:
    raw = query.get(name)
    if raw is None:
        return None, None
    try:
        return parse_datetime(raw), raw
    except ValueError:
        # An unencoded "+00:00" arrives as " 00:00" and fails here too: OCPI allows UTC only.
        raise InvalidParameters(
            f"{name} must be an OCPI DateTime (YYYY-MM-DDThh:mm:ss[.f][Z], UTC)"
        ) from None


def parse_page_request(
    query: Mapping[str, str], *, max_limit: int, require_date_from: bool = False
) -> PageRequest:
    """Validate a list GET's URL-decoded query (`offset`, `limit`, `date_from`, `date_to`,
    `cursor`) into a PageRequest; InvalidParameters (2001) naming the first bad parameter.

    `limit` defaults to and is capped at `max_limit` (the server may return fewer; X-Limit
    announces the cap). `date_from >= date_to` is not an error: it selects nothing. A malformed
    cursor is an error; a well-formed cursor whose offset differs from `offset` means the client
    edited the URL, so it is ignored and the page is served by plain offset, which is always
    correct, only slower.
    """
    offset = _integer(query, "offset", 0, minimum=0)
    if offset > _BIGINT_MAX:
        raise InvalidParameters("offset must be a non-negative integer below 2**63")
    # A huge limit is a legitimate "all you have": it is capped, not refused.
    limit = min(_integer(query, "limit", max_limit, minimum=1), max_limit)
    date_from, date_from_raw = _date(query, "date_from")
    date_to, date_to_raw = _date(query, "date_to")
    if require_date_from and date_from is None:
        raise InvalidParameters("date_from is required")
    after_seq: int | None = None
    total: int | None = None
    raw_cursor = query.get("cursor")
    if raw_cursor is not None:
        cursor_seq, cursor_offset, cursor_total = decode_cursor(raw_cursor)
        if cursor_offset == offset:
            after_seq, total = cursor_seq, cursor_total
    return PageRequest(
        offset=offset,
        limit=limit,
        date_from=date_from,
        date_to=date_to,
        date_from_raw=date_from_raw,
        date_to_raw=date_to_raw,
        after_seq=after_seq,
        total=total,
    )


def next_link(
    base_url: str, page: PageRequest, *, returned: int, total: int, last_seq: int | None
) -> str | None:
    """The `Link` header value `<URL>; rel="next"`, or None on the last page.

    `base_url` is the list endpoint without a query string. `returned` is how many objects this
    page held, `total` the X-Total-Count, `last_seq` the sequence number of the page's last row
    (None: no cursor, the next page is served by plain offset). An empty page never links on,
    so a total that grew stale cannot send a client round in circles.
    """
    new_offset = page.offset + returned
    if returned <= 0 or new_offset >= total:
        return None
    params: list[tuple[str, str | int]] = []
    # The spec requires the next URL to repeat the original filters.
    if page.date_from_raw is not None:
        params.append(("date_from", page.date_from_raw))
    if page.date_to_raw is not None:
        params.append(("date_to", page.date_to_raw))
    params += [("offset", new_offset), ("limit", page.limit)]
    if last_seq is not None:
        params.append(("cursor", encode_cursor(last_seq, new_offset, total)))
    return f'<{base_url}?{urlencode(params)}>; rel="next"'
