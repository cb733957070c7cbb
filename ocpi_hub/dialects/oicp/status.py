"""OCPI EVSE status ⇄ OICP EvseStatus (hub-dialects.md §5.4 "EVSE status"; OICP 2.3
EvseStatusType), as two tables.

OCPI → OICP (`TO_OICP`, what the hub pushes for a local CPO's EVSE):

| OCPI        | OICP         | lost                                                      |
|-------------|--------------|-----------------------------------------------------------|
| AVAILABLE   | Available    |                                                           |
| CHARGING    | Occupied     |                                                           |
| BLOCKED     | Occupied     | approximated: OICP has no "blocked"                       |
| RESERVED    | Reserved     |                                                           |
| INOPERATIVE | OutOfService | approximated: OICP does not tell it from OUTOFORDER       |
| OUTOFORDER  | OutOfService |                                                           |
| UNKNOWN     | Unknown      |                                                           |
| PLANNED     | (none)       | dropped: not published until it is built                  |
| REMOVED     | (none)       | the EVSE's data record is deleted instead, nothing lost   |

Choice for BLOCKED: Occupied, not OutOfService (the WWCP mapper's choice). OCPI's BLOCKED is a
working EVSE that a car (or anything else) stands in front of: to a driver it is busy for a
while, as an Occupied one is, and OutOfService would tell every EMP that it is broken.

OICP → OCPI (`TO_OCPI`, what the hub makes of Hubject's statuses for its eMSPs):

| OICP         | OCPI        | lost                                                     |
|--------------|-------------|----------------------------------------------------------|
| Available    | AVAILABLE   |                                                          |
| Reserved     | RESERVED    |                                                          |
| Occupied     | CHARGING    | guessed: it may be BLOCKED                               |
| OutOfService | OUTOFORDER  | guessed: it may be INOPERATIVE                           |
| Unknown      | UNKNOWN     |                                                          |
| EvseNotFound | (none)      | Hubject does not know the EVSE: no status to set         |

So AVAILABLE, CHARGING, RESERVED, OUTOFORDER and UNKNOWN go there and back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from ocpi_hub.core.modules.locations import Status
from ocpi_hub.dialects.losses import Direction, Loss, Lost

__all__ = [
    "STATUS_FIELDS",
    "TO_OCPI",
    "TO_OICP",
    "EvseStatus",
    "Row",
    "ocpi_status",
    "oicp_status",
    "status_only",
]


class EvseStatus(StrEnum):
    """OICP 2.3 EvseStatusType."""

    AVAILABLE = "Available"
    RESERVED = "Reserved"
    OCCUPIED = "Occupied"
    OUT_OF_SERVICE = "OutOfService"
    EVSE_NOT_FOUND = "EvseNotFound"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Row:
    """One row of a status table: the value it becomes (None: none) and what that loses."""

    to: str | None
    lost: Lost | None = None
    why: str = ""


TO_OICP: Mapping[str, Row] = MappingProxyType(
    {
        Status.AVAILABLE: Row(EvseStatus.AVAILABLE),
        Status.CHARGING: Row(EvseStatus.OCCUPIED),
        Status.BLOCKED: Row(
            EvseStatus.OCCUPIED,
            Lost.APPROXIMATED,
            "OICP has no blocked status: a spot something stands in front of is busy, not broken",
        ),
        Status.RESERVED: Row(EvseStatus.RESERVED),
        Status.INOPERATIVE: Row(
            EvseStatus.OUT_OF_SERVICE,
            Lost.APPROXIMATED,
            "OICP tells no temporary stop from a fault: both are OutOfService",
        ),
        Status.OUTOFORDER: Row(EvseStatus.OUT_OF_SERVICE),
        Status.UNKNOWN: Row(EvseStatus.UNKNOWN),
        Status.PLANNED: Row(
            None, Lost.DROPPED, "OICP has no planned EVSEs: it is published once it is built"
        ),
        # The EVSE leaves Hubject as a deleted data record (evse_data.removed_evse_ids).
        Status.REMOVED: Row(None),
    }
)

TO_OCPI: Mapping[str, Row] = MappingProxyType(
    {
        EvseStatus.AVAILABLE: Row(Status.AVAILABLE),
        EvseStatus.RESERVED: Row(Status.RESERVED),
        EvseStatus.OCCUPIED: Row(
            Status.CHARGING, Lost.GUESSED, "OICP's Occupied does not tell CHARGING from BLOCKED"
        ),
        EvseStatus.OUT_OF_SERVICE: Row(
            Status.OUTOFORDER,
            Lost.GUESSED,
            "OICP's OutOfService does not tell OUTOFORDER from INOPERATIVE",
        ),
        EvseStatus.UNKNOWN: Row(Status.UNKNOWN),
        # Hubject does not know the EVSE; what that means for a stored one is the caller's call.
        EvseStatus.EVSE_NOT_FOUND: Row(None),
    }
)


def _translate(
    table: Mapping[str, Row], value: str, direction: Direction, what: str
) -> tuple[str | None, list[Loss]]:
    row = table.get(value)
    if row is None:
        raise ValueError(f"not an {what}: {value!r} (one of {', '.join(table)})")
    if row.lost is None:
        return row.to, []
    example = f"{value} → {row.to or '(none)'}"
    return row.to, [Loss("locations", "evses[].status", direction, row.lost, example, row.why)]


def oicp_status(status: str) -> tuple[str | None, list[Loss]]:
    """The OICP EvseStatus of an OCPI EVSE status; None for PLANNED and REMOVED (no record)."""
    return _translate(TO_OICP, status, Direction.OUT, "OCPI EVSE status")


def ocpi_status(evse_status: str) -> tuple[str | None, list[Loss]]:
    """The OCPI status of an OICP EvseStatus; None for EvseNotFound (Hubject lacks the EVSE)."""
    return _translate(TO_OCPI, evse_status, Direction.IN, "OICP EvseStatus")


# The fields of an EVSE PATCH that eRoamingPushEvseStatus carries alone: a change of nothing
# else leaves the EVSE data record as Hubject holds it (statuses may be pushed 2000 times a
# minute, EVSE data 375).
STATUS_FIELDS = frozenset({"status", "last_updated"})


def status_only(change: object) -> bool:
    """Whether an EVSE PATCH body changes its status to one OICP has, and nothing Hubject's
    EVSE data holds (REMOVED and PLANNED change the data: the record goes)."""
    if not isinstance(change, dict) or not set(change) <= STATUS_FIELDS:
        return False
    row = TO_OICP.get(str(change.get("status")))
    return row is not None and row.to is not None
