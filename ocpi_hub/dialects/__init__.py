"""Dialect profiles: one module per network or peer kind, each a `Dialect` value (data).

`DIALECTS` names every shipped profile; `dialect(name)` finds one or says which exist.
"""

from __future__ import annotations

from collections.abc import Mapping

from ocpi_hub.dialects.base import Delivery, Dialect, Presents, PullSchedule

__all__ = [
    "DEFAULT",
    "DIALECTS",
    "Delivery",
    "Dialect",
    "Presents",
    "PullSchedule",
    "UnknownDialect",
    "dialect",
]

OCPI_221 = Dialect(name="ocpi-2.2.1", summary="OCPI 2.2.1 as the spec says it, strictly")

DEFAULT = OCPI_221.name

# Every shipped profile by name (the others are added beside this one, one module each).
DIALECTS: Mapping[str, Dialect] = {d.name: d for d in (OCPI_221,)}


class UnknownDialect(ValueError):
    """A dialect name no profile has; the message lists those that exist."""


def dialect(name: str) -> Dialect:
    """The profile called `name`; UnknownDialect (naming the known ones) otherwise."""
    found = DIALECTS.get(name)
    if found is None:
        raise UnknownDialect(f"unknown dialect {name!r}: one of {', '.join(sorted(DIALECTS))}")
    return found
