"""PUT and PATCH on stored Location JSON at Location, EVSE or Connector level (§1.8, §4.1).

Pure functions over plain JSON dicts: no I/O and no validation. The caller validates the result
with the models in `core.modules.locations` before storing it, so a PATCH that leaves an object
invalid (say, `null` for a required field) is refused as a whole and nothing half-applied is kept.

Inputs are never mutated. Results are built by copying only the path that changes (Location, the
touched EVSE, the touched Connector and the lists holding them); untouched nested values are shared
with the input, so treat both as read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ocpi_hub.core.types import parse_datetime

__all__ = ["SameId", "UnknownObject", "apply_to_location", "find_object", "merge_patch"]

JsonObject = dict[str, Any]
# Whether an id a request names (first) is a stored child's id (second).
SameId = Callable[[str, str], bool]


def ci_equal(named: str, stored: str) -> bool:
    """CiString equality (the spec): case-insensitive."""
    return named.casefold() == stored.casefold()


class UnknownObject(KeyError):
    """The EVSE or Connector a request addresses is not in the stored Location."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(kind, ident)
        self.kind = kind
        self.ident = ident

    def __str__(self) -> str:
        # KeyError's own str() is the repr of its args; a peer should read a sentence.
        return f"Unknown {self.kind} {self.ident!r}"


def merge_patch(stored: Mapping[str, Any], patch: Mapping[str, Any]) -> JsonObject:
    """Return a new object: `stored` with every top-level key of `patch` set to the patch's value.

    Nested objects and lists are replaced whole, never merged key by key: a PATCH carrying
    `"connectors": [...]` or `"opening_times": {...}` sends the complete new value. OCPI does not
    spell this out; it is the common reading among implementations (IZIVIA/ocpi-toolkit#34) and
    the only one under which a list can shrink. Unlike RFC 7396, `null` does not delete the key:
    it is stored as sent, which for an optional OCPI field means the same as absent, and for a
    required field makes the caller's validation refuse the PATCH.
    """
    return {**stored, **patch}


def apply_to_location(
    location: Mapping[str, Any],
    evse_uid: str | None,
    connector_id: str | None,
    *,
    patch: Mapping[str, Any] | None = None,
    replacement: Mapping[str, Any] | None = None,
    same: SameId = ci_equal,
) -> JsonObject:
    """Return the Location after a PUT (`replacement`) or PATCH (`patch`) at the addressed level.

    The level is the URL's: no `evse_uid` is the Location itself, `evse_uid` alone an EVSE,
    both an EVSE's Connector. A PUT of a child replaces it in place or appends it when new (adding
    an EVSE is a PUT, checklist §4.1); a PATCH needs the child to exist. Ids compare by `same`:
    case-insensitively, as CiStrings do, unless the sender's dialect says otherwise.

    Parents follow their children (checklist §4.1 [M]): a Connector change sets `last_updated` on
    its EVSE and on the Location, an EVSE change on the Location. Our reading: a parent takes the
    *later* of its own `last_updated` and the child's new one, so it never moves back in time yet
    a date-filtered pull still finds the change. The child's string is copied as is, never
    reformatted, like every DateTime the hub relays.

    Raises UnknownObject for a missing EVSE, or a missing Connector on PATCH; ValueError unless
    exactly one of `patch`/`replacement` is given, or for a connector without an EVSE.
    """
    if (patch is None) == (replacement is None):
        raise ValueError("give exactly one of patch (PATCH) or replacement (PUT)")
    if connector_id is not None and evse_uid is None:
        raise ValueError("a connector is addressed through its EVSE")

    if evse_uid is None:
        return merge_patch(location, patch) if patch is not None else dict(replacement or {})

    evses = _children(location, "evses")
    evse_at = _find(evses, "uid", evse_uid, same)

    if connector_id is None:
        if evse_at is None and patch is not None:
            raise UnknownObject("EVSE", evse_uid)
        new_evse = _changed(evses[evse_at] if evse_at is not None else {}, patch, replacement)
        child_updated = new_evse.get("last_updated")
    else:
        if evse_at is None:
            raise UnknownObject("EVSE", evse_uid)
        evse = evses[evse_at]
        connectors = _children(evse, "connectors")
        connector_at = _find(connectors, "id", connector_id, same)
        if connector_at is None and patch is not None:
            raise UnknownObject("Connector", connector_id)
        old_connector = connectors[connector_at] if connector_at is not None else {}
        new_connector = _changed(old_connector, patch, replacement)
        child_updated = new_connector.get("last_updated")
        new_evse = dict(evse)
        new_evse["connectors"] = _put(connectors, connector_at, new_connector)
        new_evse["last_updated"] = _later_of(evse.get("last_updated"), child_updated)

    new_location = dict(location)
    new_location["evses"] = _put(evses, evse_at, new_evse)
    new_location["last_updated"] = _later_of(location.get("last_updated"), child_updated)
    return new_location


def find_object(
    location: Mapping[str, Any],
    evse_uid: str | None,
    connector_id: str | None,
    same: SameId = ci_equal,
) -> Mapping[str, Any]:
    """The Location, or the EVSE or Connector a URL names within it (ids compared by `same`:
    in any case, unless the requester's dialect says otherwise).

    Raises UnknownObject when the EVSE or Connector is not there.
    """
    if evse_uid is None:
        return location
    evses = _children(location, "evses")
    evse_at = _find(evses, "uid", evse_uid, same)
    if evse_at is None:
        raise UnknownObject("EVSE", evse_uid)
    if connector_id is None:
        return evses[evse_at]  # type: ignore[no-any-return]
    connectors = _children(evses[evse_at], "connectors")
    connector_at = _find(connectors, "id", connector_id, same)
    if connector_at is None:
        raise UnknownObject("Connector", connector_id)
    return connectors[connector_at]  # type: ignore[no-any-return]


def _changed(
    old: Mapping[str, Any],
    patch: Mapping[str, Any] | None,
    replacement: Mapping[str, Any] | None,
) -> JsonObject:
    return merge_patch(old, patch) if patch is not None else dict(replacement or {})


def _children(parent: Mapping[str, Any], key: str) -> list[Any]:
    # `*` lists may be absent or null on the wire; both mean "none yet".
    children = parent.get(key)
    return children if isinstance(children, list) else []


def _find(children: list[Any], key: str, ident: str, same: SameId) -> int | None:
    for index, child in enumerate(children):
        value = child.get(key) if isinstance(child, Mapping) else None
        if isinstance(value, str) and same(ident, value):
            return index
    return None


def _put(children: list[Any], index: int | None, child: JsonObject) -> list[Any]:
    updated = list(children)
    if index is None:
        updated.append(child)
    else:
        updated[index] = child
    return updated


def _later_of(own: Any, child: Any) -> Any:
    """The parent's new `last_updated`: the child's, unless the parent's own is not earlier."""
    try:
        child_at = parse_datetime(child)
    except (TypeError, ValueError):
        # No usable time on the child; validation will refuse it, so leave the parent alone.
        return own
    try:
        if parse_datetime(own) >= child_at:
            return own
    except (TypeError, ValueError):
        pass  # the parent's own is unusable; the child's is the only time we have
    return child
