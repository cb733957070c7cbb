"""What the hub sends for the changes it owes one receiver for one object, sans I/O (issue 7 §1).

The outbox keeps, per (receiver platform, object), a queue of pending changes in the order they
were made; only its oldest change (the head) may be sent. Once the head has waited
OCPI_HUB_PUSH_MERGE_AFTER seconds (default 60: the receiver is down, or far behind), the outbox
sends what `merge` says: the head carrying the later changes that supersede it, so a long
outage is replayed as the final state rather than change by change. A receiver that keeps up,
or misses a moment, gets every change as it was made. The rule, for a later change to the same
party at the same path (URL below the module's endpoint, query included):

| head        | later change | sent as one request                                           |
|-------------|--------------|---------------------------------------------------------------|
| PUT x       | PATCH p      | PUT of x with p applied (`merge_patch`; a Session's            |
|             |              | `charging_periods` appended, as `patch_session` does)         |
| PATCH a     | PATCH b      | PATCH of a with b applied, the same way: the fields of both,  |
|             |              | b's winning; a Session's periods a's then b's                 |
| PUT / PATCH | PUT y        | PUT y: a later PUT replaces whatever came before it           |
| POST, DELETE, a result to a `url`, a body that is not a JSON object | — | never merged  |

Walking the queue after the head, a change
- for another party of the same platform is left alone and the walk goes on (another stream);
- at a *disjoint* path of the same object — neither path contains the other, such as another
  EVSE of the same Location — is left in the queue and the walk goes on: it changes another
  part of the object, so the final state is the same whichever of the two arrives first;
- anything else stops the walk: a change at an enclosing or enclosed path (the Location itself,
  a Connector of this EVSE), the same path spelt differently, another sender, or a change the
  table says is never merged. Merging past it would reorder changes that overlap.

A change that is merged is delivered when the request carrying it is; if that request fails, the
head alone is retried or dead-lettered, and the next claim merges again.

A receiver that answers a PATCH with HTTP 404 or OCPI 2003 has not got the object (it missed the
PUT): the hub then sends it the object as stored, a PUT at `object_path`, instead of giving up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson

from ocpi_hub.core import urls
from ocpi_hub.core.modules.sessions import patch_session
from ocpi_hub.core.patch import merge_patch

PartyKey = tuple[str, str]
_MERGEABLE = frozenset({"PUT", "PATCH"})


@dataclass(frozen=True)
class Change:
    """One pending delivery of a queue, as `merge` sees it."""

    id: int
    to_party: PartyKey
    from_party: PartyKey
    method: str
    path: str
    body: str | None
    url: str | None = None


@dataclass(frozen=True)
class Send:
    """One request for the head of a queue: `ids` are the changes it carries, the head first."""

    method: str
    body: str | None
    ids: tuple[int, ...]


def merge(module: str, queue: Sequence[Change]) -> Send:
    """The request to send for `queue` (pending changes of one object for one receiver platform,
    oldest first): the head, with the later changes it supersedes merged in (table above).
    A head that carries nothing else is sent with its body untouched, byte for byte."""
    head = queue[0]
    method, ids = head.method, [head.id]
    merged: dict[str, Any] | None = None
    if not _mergeable(head):
        return Send(method, head.body, (head.id,))
    for change in queue[1:]:
        if change.to_party != head.to_party:
            continue
        if change.from_party != head.from_party:
            break
        if change.path == head.path and _mergeable(change):
            current = merged if merged is not None else _object(head.body)
            later = _object(change.body)
            if current is None or later is None:
                break
            if change.method == "PUT":
                method, merged = "PUT", later
            else:
                merged = _apply_patch(module, current, later)
            ids.append(change.id)
        elif change.url is None and disjoint(change.path, head.path):
            continue
        else:
            break
    body = head.body if merged is None else orjson.dumps(merged).decode()
    return Send(method, body, tuple(ids))


def disjoint(path: str, other: str) -> bool:
    """Neither path contains the other: `/NL/CPO/L1/E1` and `/NL/CPO/L1/E2` are disjoint,
    `/NL/CPO/L1` and `/NL/CPO/L1/E1` are not. Segments compare decoded and case-insensitively
    (ids are CiStrings), so two spellings of one path are never taken for two parts."""
    mine, theirs = _segments(path), _segments(other)
    shorter = min(len(mine), len(theirs))
    return mine[:shorter] != theirs[:shorter]


# The route name of each stored module's object id (core.urls checks an id by its field).
_ID_FIELDS = {
    "locations": "location_id",
    "sessions": "session_id",
    "tariffs": "tariff_id",
    "tokens": "uid",
}


def stored_object(object_key: str) -> tuple[str, str, str, str, str] | None:
    """(module, country_code, party_id, id, kind) of a delivery keyed by an object the hub
    stores and a receiver can be PUT (see web.objects.deliveries), or None for other keys
    (results, ClientInfo, profiles, CDRs)."""
    parts = [unquote(part) for part in object_key.split("/")]
    if len(parts) != 5 or parts[0] not in _ID_FIELDS:
        return None
    module, country_code, party_id, ident, kind = parts
    return module, country_code, party_id, ident, kind


def object_path(key: tuple[str, str, str, str, str], data: Mapping[str, Any]) -> str:
    """Where a PUT of the whole stored object goes, below the receiver's module endpoint:
    `/{country_code}/{party_id}/{id}` (a Token: its `uid`, and `?type=` its type), spelt as the
    object spells them, built like every URL the hub calls (core.urls.object_path: each id
    checked and encoded once; InvalidParameters for one that is not a valid OCPI id)."""
    module, country_code, party_id, ident, kind = key
    own_id = data.get("uid") if module == "tokens" else data.get("id")

    def spelt(value: Any, fallback: str) -> str:
        return value if isinstance(value, str) and value.upper() == fallback.upper() else fallback

    ids = [
        ("country_code", spelt(data.get("country_code"), country_code)),
        ("party_id", spelt(data.get("party_id"), party_id)),
        (_ID_FIELDS[module], spelt(own_id, ident)),
    ]
    return urls.object_path(ids, query=[("type", kind)] if kind else ())


def _mergeable(change: Change) -> bool:
    return change.method in _MERGEABLE and change.url is None and change.body is not None


def _object(body: str | None) -> dict[str, Any] | None:
    try:
        value = orjson.loads(body) if body is not None else None
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _apply_patch(module: str, target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    # A Session PATCH appends its charging periods (checklist §4.2); every other field, in every
    # module, replaces the stored one.
    return patch_session(target, patch) if module == "sessions" else merge_patch(target, patch)


def _segments(path: str) -> list[str]:
    bare = path.split("?", 1)[0].strip("/")
    return [unquote(part).casefold() for part in bare.split("/")] if bare else []
