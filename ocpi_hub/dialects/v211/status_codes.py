"""OCPI 2.2.1 status codes as a 2.1.1 party may be sent them (ocpi-2.1.1-differences.md §1.2).

| 2.2.1                          | 2.1.1 | why                                            |
|--------------------------------|-------|------------------------------------------------|
| 1000, 2000-2003, 3000-3003     | same  | defined in both                                |
| 1900-1999 (custom success)     | 1000  | 2.1.1 defines no custom range                  |
| 2004 (unknown Token)           | 2000  | 2.1.1 has no 2004; the edge keeps the message  |
| 2900-2999 (custom client)      | 2000  |                                                |
| 3900-3999 (custom server)      | 3000  |                                                |
| 4000-4999 (hub errors)         | 3000  | 2.1.1 has no hub; the edge keeps the message   |

2.1.1's codes are all 2.2.1 codes, so a 2.1.1 party's status code is read as it is. The mapping
is a function of the code alone; the envelope's `status_message` is the edge's to keep.
"""

from __future__ import annotations

__all__ = ["status_code_out"]

# (first, last, the 2.1.1 code) for the ranges 2.1.1 does not define; the rest go unchanged.
RANGES_OUT: tuple[tuple[int, int, int], ...] = (
    (1900, 1999, 1000),
    (2004, 2004, 2000),
    (2900, 2999, 2000),
    (3900, 3999, 3000),
    (4000, 4999, 3000),
)


def status_code_out(code: int) -> int:
    """The 2.1.1 status code for a 2.2.1 one (the table above)."""
    for first, last, mapped in RANGES_OUT:
        if first <= code <= last:
            return mapped
    return code
