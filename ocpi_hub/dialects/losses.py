"""What a translation between protocol versions could not carry, as data (issue 10, issue 11).

A translation (OCPI 2.2.1 ⇄ OICP 2.3, later 2.2.1 ⇄ 2.1.1) is a pure function that returns
what it made and a list of `Loss`: each field it dropped, guessed or approximated, with an
example value. The edge that runs the translation records them (storage: counts per module and
field, the latest example), so `ocpi-hub hubject losses` can show an operator what a partner
does not get. A translation never drops a field silently: every lossy spot of its table returns
a `Loss` when it is hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Direction", "Loss", "Lost"]


class Direction(StrEnum):
    """Which way the translation ran."""

    OUT = "out"  # from the hub's OCPI 2.2.1 to the other protocol
    IN = "in"  # from the other protocol to the hub's OCPI 2.2.1


class Lost(StrEnum):
    """What happened to the field."""

    DROPPED = "dropped"  # the other side has no place for it
    GUESSED = "guessed"  # the other side needs it and the hub made it up (a default, a derivation)
    APPROXIMATED = "approximated"  # carried, but with less precision (rounding, a coarser enum)


@dataclass(frozen=True)
class Loss:
    """One field a translation could not carry as it was."""

    module: str  # the OCPI module the object belongs to ("locations", "cdrs", ...)
    field: str  # a JSON path in the OCPI object ("evses[].capabilities", "total_cost")
    direction: Direction
    lost: Lost
    example: str = ""  # the value that was lost, or what was put in its place, shortened
    why: str = ""  # one line: why the other side cannot carry it

    def __post_init__(self) -> None:
        if len(self.example) > 200:
            object.__setattr__(self, "example", self.example[:197] + "...")
