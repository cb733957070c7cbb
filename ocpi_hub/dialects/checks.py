"""The pure rules a dialect's seam applies: required fields, id comparison, the token header,
answers in the spec's form.

Sans-I/O: plain values in, plain values out; the hub's client, planner and middleware call them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ocpi_hub.core.handshake import authorization_header
from ocpi_hub.dialects.base import Dialect

__all__ = [
    "as_spec",
    "authorization_value",
    "exchanges_hubclientinfo",
    "missing_required",
    "normalise_evse_id",
    "page_limit",
    "put_instead",
    "refusal",
    "same_evse_id",
    "same_id",
    "spec_answer",
]

# Optional separators of an EVSE id (eMI3: `*`; seen too: `-` and spaces).
_EVSE_SEPARATORS = str.maketrans("", "", "*- ")


def missing_required(dialect: Dialect, module: str, obj: Mapping[str, Any]) -> list[str]:
    """The paths of `dialect.required_fields[module]` absent or empty in `obj`, in rule order.

    `module` is a module identifier ("locations"), "commands/<CommandType>" for a command's
    request body, or "tokens/authorize" for a real-time authorization's LocationReferences. A
    path is dot-separated keys; `key[]` walks every element of a list, so
    "evses[].connectors[].tariff_ids" checks each connector of each EVSE, and a missing one is
    named with its indices ("evses[1].connectors[0].tariff_ids"). Absent, null, "" and empty
    lists or objects count as missing; a list that is absent or empty has no elements to check
    (the spec decides whether it may be); one that is not a list is named once.
    """
    missing: dict[str, None] = {}  # ordered, each path once
    for path in dialect.required_fields.get(module, ()):
        missing.update(dict.fromkeys(_missing(obj, path.split("."), "")))
    return list(missing)


def _missing(value: Any, steps: list[str], at: str) -> list[str]:
    step, rest = steps[0], steps[1:]
    is_list = step.endswith("[]")
    key = step.removesuffix("[]")
    here = f"{at}.{key}" if at else key
    found = value.get(key) if isinstance(value, Mapping) else None
    if is_list:
        if not isinstance(found, list):
            return [] if found is None else [here]
        if not rest:
            return [] if found else [here]
        return [m for i, item in enumerate(found) for m in _missing(item, rest, f"{here}[{i}]")]
    if rest:
        if not isinstance(found, Mapping):
            return [".".join([here, *rest])]
        return _missing(found, rest, here)
    return [here] if found in (None, "", [], {}) else []


def normalise_evse_id(value: str) -> str:
    """An EVSE id for comparison: separators `*`, `-` and space removed, upper case."""
    return value.translate(_EVSE_SEPARATORS).upper()


def same_id(dialect: Dialect, a: str, b: str) -> bool:
    """Whether two ids name the same object: exactly if the dialect preserves case, else as
    CiString (case-insensitive, the spec)."""
    return a == b if dialect.ids_case_sensitive else a.upper() == b.upper()


def same_evse_id(dialect: Dialect, a: str, b: str) -> bool:
    """Whether two EVSE ids (`evse_id`) are one EVSE: normalised first if the dialect says so,
    then compared by the dialect's case rule."""
    if dialect.evse_ids_normalised:
        return normalise_evse_id(a) == normalise_evse_id(b)
    return same_id(dialect, a, b)


def authorization_value(dialect: Dialect, token: str) -> str:
    """The `Authorization` header we send with `token`: `Token <base64>` (2.2.1) or, where the
    dialect wants it raw, `Token <token>`."""
    return authorization_header(token) if dialect.token_base64 else f"Token {token}"


def refusal(
    dialect: Dialect,
    module: str,
    *,
    command: str | None = None,
    body: Mapping[str, Any] | None = None,
) -> str | None:
    """Why a request for `module` (a `command` of it, with `body`) cannot go to a platform
    speaking `dialect`, in words for the local party that sent it; None when it can go.
    `command` is a CommandType, or "authorize" for a Token's real-time authorization.

    A module or command the network does not implement, or a field it requires beyond the spec
    that `body` lacks: the hub answers its own party instead of sending (issue 8)."""
    if module in dialect.missing_modules:
        return f"{dialect.name} does not implement the {module} module"
    if command is not None and command in dialect.missing_commands:
        return f"{dialect.name} does not implement {command}"
    if body is None:
        return None
    missing = missing_required(dialect, f"{module}/{command}" if command else module, body)
    if missing:
        return f"{dialect.name} requires {', '.join(missing)}"
    if module == "locations" and dialect.evse_ids_of_owner:
        foreign = foreign_evse_ids(body)
        if foreign:
            owner = f"{body.get('country_code')}*{body.get('party_id')}"
            return f"{dialect.name} requires evse_ids starting with {owner}: {', '.join(foreign)}"
    return None


def foreign_evse_ids(location: Mapping[str, Any]) -> list[str]:
    """The evse_ids of a Location that do not start with its CPO's operator id (country_code
    and party_id), compared without separators, in EVSE order."""
    operator = normalise_evse_id(
        f"{location.get('country_code', '')}{location.get('party_id', '')}"
    )
    evses = location.get("evses")
    return [
        evse_id
        for evse in (evses if isinstance(evses, list) else [])
        if isinstance(evse, Mapping)
        and isinstance(evse_id := evse.get("evse_id"), str)
        and not normalise_evse_id(evse_id).startswith(operator)
    ]


def put_instead(dialect: Dialect, module: str, method: str) -> bool:
    """Whether a change sent as `method` must go as a PUT of the whole object instead."""
    return method == "PATCH" and module in dialect.put_instead_of_patch


def page_limit(dialect: Dialect, module: str) -> int | None:
    """The largest page the hub may ask of a platform speaking `dialect` for `module` (the
    `limit` of a pull); None where it states no cap (its own page size is taken)."""
    return dialect.page_limits.get(module)


def exchanges_hubclientinfo(dialect: Dialect) -> bool:
    """Whether the hub pushes ClientInfo to a platform speaking `dialect` and pulls its own:
    not where the dialect lacks the module, nor where it only PUTs ClientInfo when an
    agreement is signed (`hubclientinfo_partial`)."""
    return "hubclientinfo" not in dialect.missing_modules and not dialect.hubclientinfo_partial


# A DateTime without its zone, as some networks send them (the spec wants `Z`: UTC).
_NAIVE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")


def as_spec(dialect: Dialect, document: Any) -> Any:
    """A document a platform speaking `dialect` sent, in the spec's form: where the dialect
    sends DateTimes without `Z`, they are read as UTC and given it (tolerant in, strict out:
    what the hub stores and passes on is the spec's). Anything else is returned unchanged."""
    if not dialect.lenient_timestamps:
        return document
    return _zoned(document)


def _zoned(value: Any) -> Any:
    if isinstance(value, str):
        return value + "Z" if _NAIVE_DATETIME.match(value) else value
    if isinstance(value, list):
        return [_zoned(item) for item in value]
    if isinstance(value, dict):
        return {key: _zoned(item) for key, item in value.items()}
    return value


# How much of a bare error answer the hub quotes to its own party.
_QUOTED = 200


def spec_answer(
    dialect: Dialect,
    http_status: int,
    document: Any,
    raw: bytes,
    *,
    single: bool,
    timestamp: Callable[[], str],
) -> Any:
    """An answer from a platform speaking `dialect`, as the spec would have it (tolerant in):
    the parsed `document` itself, or a new one where the dialect answers otherwise.

    - Errors without the OCPI envelope (HTTP 4xx/5xx with any other body): an envelope by the
      HTTP status, 2000 (client error) below 500 and 3000 (server error) from 500, its message
      quoting what the platform said, so the hub's own party reads a clear OCPI error and the
      outbox judges it like any other.
    - A GET of one object (`single`) answered as a list holding just that object: the object.

    `timestamp` gives an envelope's, now, in the hub's form (asked only when one is made)."""
    envelope = isinstance(document, Mapping) and isinstance(document.get("status_code"), int)
    if dialect.errors_without_envelope and http_status >= 400 and not envelope:
        said = raw.decode("utf-8", "replace").strip()[:_QUOTED] or "nothing"
        return {
            "status_code": 2000 if http_status < 500 else 3000,
            "status_message": f"answered HTTP {http_status} without an OCPI envelope: {said}",
            "timestamp": timestamp(),
        }
    if dialect.single_object_as_list and single and envelope:
        data = document.get("data")
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], Mapping):
            return {**document, "data": data[0]}
    return document
