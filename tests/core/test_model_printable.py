"""Printable strings everywhere (types.asciidoc: "string: only printable UTF-8"): the one check
on every pushed document, known fields and unknown, values and field names (core.model)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.model import may_be_unprintable, unprintable

REFUSED = [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]]
KEPT = ["\t", "\n", "\r", " ", "é", "€", "\u00a0", "\u200b", "日本", "🙂"]

# JSON documents with text from anywhere in Unicode but surrogates, in values and field names.
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
documents = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("character", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_every_control_character_but_tab_lf_cr_is_refused(character: str) -> None:
    """Unicode Cc except TAB, LF and CR is refused, in a value and in a field name."""
    assert unprintable({"name": f"a{character}b"}) is not None
    assert unprintable({f"x{character}": 1}) is not None


@pytest.mark.parametrize("text", KEPT)
def test_printable_text_tab_lf_and_cr_pass(text: str) -> None:
    """Choice: TAB, LF and CR are left to the field types (tolerant in for unknown fields)."""
    assert unprintable({"name": text, text: [text, {"x": text}]}) is None


def test_the_message_names_the_field_path() -> None:
    """The refusal names where it is, as validation messages do (`evses.0.connectors.1.id`)."""
    document = {"evses": [{"connectors": [{"id": "1"}, {"id": "2\x00"}]}], "name": "ok"}
    assert unprintable(document) == (
        "evses.0.connectors.1.id: contains the control character U+0000; OCPI strings are printable"
    )
    assert unprintable({"evses": [{"a\x00b": 1}]}) == (
        "evses.0.a\\u0000b: the field name contains the control character U+0000; "
        "OCPI strings are printable"
    )


def test_nesting_deeper_than_the_recursion_limit_is_walked() -> None:
    """orjson parses 1,024 levels; the walk must not raise RecursionError on them."""
    deep = b"[" * 1023 + b'"\\u0000"' + b"]" * 1023
    assert unprintable(orjson.loads(deep)) is not None


@given(documents)
def test_the_cheap_scan_never_misses_a_refused_character(document: Any) -> None:
    """Whatever a JSON encoder escapes (orjson: C0 only; Python's json: everything non-ASCII),
    a document the walk refuses is always flagged by the byte scan that decides to walk."""
    if unprintable(document) is not None:
        assert may_be_unprintable(orjson.dumps(document))
        assert may_be_unprintable(json.dumps(document).encode())
        assert may_be_unprintable(json.dumps(document, ensure_ascii=False).encode())


def test_the_cheap_scan_passes_ordinary_bodies() -> None:
    """A body of plain text, escaped accents and LF escapes needs no walk."""
    assert not may_be_unprintable(b'{"name": "Caf\\u00e9", "text": "a\\nb", "t": "\\t"}')
