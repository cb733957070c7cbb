"""Hypothesis strategies for OICP 2.3 identifiers, as the spec's regular expressions accept them
("Simple Restricted String Data Types"), for the translation property tests."""

from __future__ import annotations

from hypothesis import strategies as st

# RFID UIDType: 8, 14 or 20 upper-case hexadecimal digits.
uids = st.from_regex(r"[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20}", fullmatch=True)
# EvcoIDType, ISO (`DE-8EO-CAet5e4XY-3`) and DIN (`DE*8EO*Aet5e4*3`).
iso_evco_ids = st.from_regex(r"[A-Z]{2}-[A-Z0-9]{3}-C[A-Za-z0-9]{8}-[0-9A-Z]", fullmatch=True)
din_evco_ids = st.from_regex(r"[A-Z]{2}\*[A-Z0-9]{3}\*[A-Za-z0-9]{6}\*[0-9X]", fullmatch=True)
evco_ids = iso_evco_ids | din_evco_ids
# SessionIDType: a GUID.
session_ids = st.uuids().map(str)
