"""Pagination parameters, cursor and next link (checklist §1.5; DESIGN.md decision 3)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.paging import (
    PageRequest,
    decode_cursor,
    encode_cursor,
    next_link,
    parse_page_request,
)
from ocpi_hub.errors import InvalidParameters

BASE = "https://hub.example.com/ocpi/2.2.1/locations"
BIGINT_MAX = 2**63 - 1


def _page(**overrides: Any) -> PageRequest:
    return PageRequest(**{"limit": 10, **overrides})


def _link_url(link: str) -> str:
    assert link.startswith("<") and link.endswith('>; rel="next"')
    return link[1 : -len('>; rel="next"')]


def _link_query(link: str) -> dict[str, str]:
    """The next URL's query as the web layer would hand it back: URL-decoded, one value each."""
    pairs = parse_qsl(urlsplit(_link_url(link)).query, keep_blank_values=True, strict_parsing=True)
    query = dict(pairs)
    assert len(query) == len(pairs), "a parameter is repeated"
    return query


def _cursor_of(**fields: Any) -> str:
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- parse_page_request ---------------------------------------------------------------------


def test_defaults() -> None:
    """§1.5: offset defaults to 0, limit to the server's cap, no filters, no cursor."""
    page = parse_page_request({}, max_limit=50)
    assert page == _page(limit=50)


def test_limit_within_cap_is_kept() -> None:
    """§1.5: a limit below the server's cap is honoured as asked."""
    assert parse_page_request({"limit": "7", "offset": "3"}, max_limit=50).limit == 7
    assert parse_page_request({"limit": "7", "offset": "3"}, max_limit=50).offset == 3


@pytest.mark.parametrize("limit", ["51", "1000", "9" * 40])
def test_limit_capped_at_max_limit(limit: str) -> None:
    """§1.5: the server may return fewer than asked; any limit above the cap is capped."""
    assert parse_page_request({"limit": limit}, max_limit=50).limit == 50


@pytest.mark.parametrize("raw", ["-1", "abc", "", " 1", "1 ", "+1", "1.0", "1_0", "0x10", "٣"])
def test_invalid_offset_names_offset(raw: str) -> None:
    """§1.5/§1.4: offset must be a non-negative integer, else 2001 naming offset."""
    with pytest.raises(InvalidParameters, match=r"^offset must be a non-negative integer"):
        parse_page_request({"offset": raw}, max_limit=50)


def test_offset_beyond_bigint_refused() -> None:
    """§1.5: an offset the database cannot represent is the client's error (2001), not a 3000."""
    assert parse_page_request({"offset": str(BIGINT_MAX)}, max_limit=5).offset == BIGINT_MAX
    with pytest.raises(InvalidParameters, match=r"^offset"):
        parse_page_request({"offset": str(BIGINT_MAX + 1)}, max_limit=5)
    with pytest.raises(InvalidParameters, match=r"^offset"):
        parse_page_request({"offset": "9" * 5000}, max_limit=5)


def test_offset_leading_zeros_accepted() -> None:
    """§1.5: offset is an int; "007" is the int 7."""
    assert parse_page_request({"offset": "007"}, max_limit=5).offset == 7


@pytest.mark.parametrize("raw", ["0", "000", "-1", "-50", "abc", "", "2.5", " 3"])
def test_invalid_limit_names_limit(raw: str) -> None:
    """§1.5/§1.4: limit must be a positive integer (0 asks for nothing), else 2001 naming limit."""
    with pytest.raises(InvalidParameters, match=r"^limit must be a positive integer"):
        parse_page_request({"limit": raw}, max_limit=50)


def test_invalid_parameters_is_ocpi_2001() -> None:
    """§1.4: invalid or missing parameters are OCPI status 2001 with HTTP 200."""
    with pytest.raises(InvalidParameters) as caught:
        parse_page_request({"offset": "x"}, max_limit=5)
    assert caught.value.status_code == 2001
    assert caught.value.http_status == 200


def test_date_filters_parsed_and_raw_kept() -> None:
    """§1.5: date_from/date_to are OCPI DateTimes; the raw strings are kept for the next link."""
    page = parse_page_request(
        {"date_from": "2024-01-01T10:00:00.12Z", "date_to": "2024-02-01T00:00:00"}, max_limit=5
    )
    assert page.date_from == datetime(2024, 1, 1, 10, 0, 0, 120000, tzinfo=UTC)
    assert page.date_to == datetime(2024, 2, 1, tzinfo=UTC)
    assert page.date_from_raw == "2024-01-01T10:00:00.12Z"
    assert page.date_to_raw == "2024-02-01T00:00:00"


def test_date_from_after_date_to_is_not_an_error() -> None:
    """§1.5: date_from >= date_to is a valid (empty) window, not a 2001."""
    page = parse_page_request(
        {"date_from": "2024-02-01T00:00:00Z", "date_to": "2024-01-01T00:00:00Z"}, max_limit=5
    )
    assert page.date_from is not None and page.date_to is not None
    assert page.date_from > page.date_to
    same = parse_page_request(
        {"date_from": "2024-01-01T00:00:00Z", "date_to": "2024-01-01T00:00:00Z"}, max_limit=5
    )
    assert same.date_from == same.date_to


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize(
    "raw", ["yesterday", "", "2024-01-01", "2024-13-01T00:00:00Z", "2024-01-01 00:00:00Z"]
)
def test_invalid_date_names_field(name: str, raw: str) -> None:
    """§1.5/types: a date filter that is not an OCPI DateTime is 2001 naming the parameter."""
    with pytest.raises(InvalidParameters, match=rf"^{name} must be an OCPI DateTime"):
        parse_page_request({name: raw}, max_limit=5)


@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_utc_offset_refused(name: str) -> None:
    """types/DESIGN 8: `+00:00` is RFC 3339 but not OCPI DateTime, encoded or not."""
    with pytest.raises(InvalidParameters, match=rf"^{name}"):
        parse_page_request({name: "2024-01-01T00:00:00+00:00"}, max_limit=5)
    # Sent unencoded, the "+" decodes to a space: still refused, never read as UTC.
    decoded = {k: v[0] for k, v in parse_qs(f"{name}=2024-01-01T00:00:00+00:00").items()}
    assert decoded[name] == "2024-01-01T00:00:00 00:00"
    with pytest.raises(InvalidParameters, match=rf"^{name}"):
        parse_page_request(decoded, max_limit=5)


def test_require_date_from() -> None:
    """§1.5 (Sessions Sender GET): date_from is required there; missing → 2001 naming it."""
    with pytest.raises(InvalidParameters, match=r"^date_from is required"):
        parse_page_request({"date_to": "2024-01-01T00:00:00Z"}, max_limit=5, require_date_from=True)
    page = parse_page_request(
        {"date_from": "2024-01-01T00:00:00Z"}, max_limit=5, require_date_from=True
    )
    assert page.date_from == datetime(2024, 1, 1, tzinfo=UTC)


def test_valid_cursor_with_matching_offset_sets_keyset() -> None:
    """DESIGN 3: a cursor whose offset matches gives the keyset position and the walk's total."""
    cursor = encode_cursor(after_seq=123, offset=50, total=1000)
    page = parse_page_request({"offset": "50", "limit": "50", "cursor": cursor}, max_limit=50)
    assert (page.offset, page.after_seq, page.total) == (50, 123, 1000)


@pytest.mark.parametrize("offset", [None, "0", "49", "51", "100"])
def test_cursor_with_mismatched_offset_ignored(offset: str | None) -> None:
    """DESIGN 3/§1.5: a client that edits offset gets plain offset paging, the cursor ignored."""
    query = {"cursor": encode_cursor(after_seq=123, offset=50, total=1000)}
    if offset is not None:
        query["offset"] = offset
    page = parse_page_request(query, max_limit=50)
    assert page.offset == int(offset or 0)
    assert page.after_seq is None
    assert page.total is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not a cursor!",
        "eyJz",  # valid base64 of truncated JSON
        "e",  # impossible base64 length
        "eyJzIjoxLCJvIjowLCJ0IjoxfQ==",  # padded: the hub never pads
        "eyJzIjoxLCJvIjowLCJ0IjoxfQ+",  # standard, not URL-safe, alphabet
        _cursor_of(s=1, o=0),
        _cursor_of(s=1, o=0, t=1, x=2),
        _cursor_of(s=-1, o=0, t=1),
        _cursor_of(s=1, o=-5, t=1),
        _cursor_of(s=1, o=0, t=-1),
        _cursor_of(s=1.0, o=0, t=1),
        _cursor_of(s="1", o=0, t=1),
        _cursor_of(s=True, o=0, t=1),
        _cursor_of(s=None, o=0, t=1),
        _cursor_of(s=2**63, o=0, t=1),
        base64.urlsafe_b64encode(b"[1,2,3]").rstrip(b"=").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").rstrip(b"=").decode(),
        "A" * 1000,
    ],
)
def test_invalid_cursor_names_cursor(raw: str) -> None:
    """DESIGN 3/§1.4: a malformed cursor is 2001 "cursor is not valid", from both entry points."""
    with pytest.raises(InvalidParameters, match=r"^cursor is not valid$"):
        decode_cursor(raw)
    with pytest.raises(InvalidParameters, match=r"^cursor is not valid$"):
        parse_page_request({"cursor": raw}, max_limit=5)


def test_cursor_round_trip_and_format() -> None:
    """DESIGN 3: the cursor is unpadded URL-safe base64 of compact JSON and decodes back."""
    cursor = encode_cursor(123, 50, 1000)
    assert cursor == _cursor_of(s=123, o=50, t=1000)
    assert "=" not in cursor
    assert decode_cursor(cursor) == (123, 50, 1000)


def test_encode_cursor_refuses_negatives() -> None:
    """DESIGN 3: the hub never mints a cursor it would itself refuse."""
    with pytest.raises(ValueError):
        encode_cursor(-1, 0, 0)


# --- next_link ------------------------------------------------------------------------------


def test_next_link_absent_on_last_page() -> None:
    """§1.5: no Link header on the last page (exactly full, short, or empty)."""
    assert next_link(BASE, _page(offset=90), returned=10, total=100, last_seq=5) is None
    assert next_link(BASE, _page(offset=95), returned=5, total=100, last_seq=5) is None
    assert next_link(BASE, _page(offset=0), returned=0, total=0, last_seq=None) is None


def test_next_link_absent_when_page_empty_despite_stale_total() -> None:
    """§1.5: an empty page never links on, so a stale total cannot loop a client."""
    assert next_link(BASE, _page(offset=100), returned=0, total=500, last_seq=None) is None


def test_next_link_present_with_new_offset_and_same_limit() -> None:
    """§1.5: Link `<url>; rel="next"` with offset = offset + returned and the same limit."""
    link = next_link(BASE, _page(offset=20, limit=10), returned=7, total=100, last_seq=None)
    assert link == f'<{BASE}?offset=27&limit=10>; rel="next"'


def test_next_link_carries_cursor() -> None:
    """DESIGN 3: the next URL carries the keyset position, new offset and the walk's total."""
    link = next_link(BASE, _page(offset=0, limit=50), returned=50, total=1000, last_seq=777)
    assert link is not None
    query = _link_query(link)
    assert list(query) == ["offset", "limit", "cursor"]
    assert decode_cursor(query["cursor"]) == (777, 50, 1000)


def test_next_link_repeats_date_filters_url_encoded() -> None:
    """§1.5: the next URL repeats date_from/date_to as sent, first, properly URL-encoded."""
    page = parse_page_request(
        {"date_from": "2024-01-01T10:00:00.12Z", "date_to": "2024-02-01T00:00:00", "limit": "2"},
        max_limit=5,
    )
    link = next_link(BASE, page, returned=2, total=10, last_seq=9)
    assert link is not None
    url = _link_url(link)
    assert url.startswith(
        f"{BASE}?date_from=2024-01-01T10%3A00%3A00.12Z&date_to=2024-02-01T00%3A00%3A00"
        "&offset=2&limit=2&cursor="
    )
    query = _link_query(link)
    assert query["date_from"] == "2024-01-01T10:00:00.12Z"
    assert query["date_to"] == "2024-02-01T00:00:00"
    assert parse_page_request(query, max_limit=5).after_seq == 9


def test_next_link_omits_absent_filters() -> None:
    """§1.5: only the filters the client sent are repeated."""
    page = parse_page_request({"date_to": "2024-02-01T00:00:00Z"}, max_limit=5)
    link = next_link(BASE, page, returned=5, total=10, last_seq=None)
    assert link is not None
    assert list(_link_query(link)) == ["date_to", "offset", "limit"]


# --- properties -----------------------------------------------------------------------------

non_negative = st.integers(min_value=0, max_value=BIGINT_MAX)


@given(non_negative, non_negative, non_negative)
def test_cursor_round_trips(after_seq: int, offset: int, total: int) -> None:
    """DESIGN 3: decode_cursor(encode_cursor(s, o, t)) == (s, o, t) for any bigint-sized s, o, t."""
    cursor = encode_cursor(after_seq, offset, total)
    assert cursor.isascii() and "=" not in cursor
    assert decode_cursor(cursor) == (after_seq, offset, total)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=6,
)
_arbitrary_cursor = st.one_of(
    st.text(),
    st.from_regex(r"[A-Za-z0-9_-]{0,60}", fullmatch=True),
    _json.map(lambda v: _cursor_of(v=v)),
    st.fixed_dictionaries({"s": _json, "o": _json, "t": _json}).map(lambda d: _cursor_of(**d)),
    st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()),
)


@given(_arbitrary_cursor)
def test_decode_cursor_raises_only_invalid_parameters(raw: str) -> None:
    """DESIGN 3/§1.4: any text is a valid cursor or a 2001, never a crash (a 3000)."""
    try:
        after_seq, offset, total = decode_cursor(raw)
    except InvalidParameters as error:
        assert error.message == "cursor is not valid"
    else:
        assert min(after_seq, offset, total) >= 0


@given(st.data(), st.integers(min_value=0, max_value=300), st.booleans())
def test_walk_visits_every_page_once(data: st.DataObject, total: int, filtered: bool) -> None:
    """§1.5: following Link from offset 0 visits offsets 0, L, 2L, … and stops after N objects."""
    limit = data.draw(st.integers(min_value=1, max_value=total + 5), label="limit")
    max_limit = data.draw(st.integers(min_value=limit, max_value=total + 10), label="max_limit")
    rows = [10 * i + 7 for i in range(total)]  # sequence numbers: increasing, with gaps
    query: dict[str, str] = {"limit": str(limit)}
    if filtered:
        query |= {"date_from": "2024-01-01T00:00:00Z", "date_to": "2024-12-31T00:00:00"}

    offsets: list[int] = []
    served: list[int] = []
    for _ in range(total + 2):  # more pages than this would be a loop
        page = parse_page_request(query, max_limit=max_limit)
        offsets.append(page.offset)
        assert page.limit == limit
        by_offset = rows[page.offset : page.offset + page.limit]
        if page.after_seq is not None:
            # The keyset page must be the very page plain offset would have served.
            by_keyset = [seq for seq in rows if seq > page.after_seq][: page.limit]
            assert by_keyset == by_offset
            assert page.total == total
        served += by_offset
        link = next_link(
            BASE,
            page,
            returned=len(by_offset),
            total=total,
            last_seq=by_offset[-1] if by_offset else None,
        )
        if link is None:
            break
        assert _link_url(link).startswith(BASE + "?")
        query = _link_query(link)
        if filtered:
            assert query["date_from"] == "2024-01-01T00:00:00Z"
            assert query["date_to"] == "2024-12-31T00:00:00"
    else:
        pytest.fail("next_link never stopped")

    assert offsets == (list(range(0, total, limit)) or [0])
    assert served == rows
