"""A dialect's rules as the operator reads them: one row per rule (name, value, source), as
plain JSON or text, and the README's rule x dialect table (`ocpi-hub dialects table`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from enum import Enum
from typing import Any

from ocpi_hub.dialects.base import Dialect, PullSchedule

__all__ = ["RULES", "markdown_table", "rule_names", "rule_rows", "to_json", "to_text"]

# Every rule of a `Dialect`, in the order it is printed, with its label in the table.
RULES: Mapping[str, str] = {
    "version": "OCPI version",
    "token_base64": "Token we send",
    "routing_headers": "Routing headers on every request",
    "hub_party": "Hub party",
    "missing_modules": "Modules it lacks",
    "missing_commands": "Commands it lacks",
    "put_instead_of_patch": "PUT instead of PATCH",
    "page_limits": "Page size caps",
    "ids_case_sensitive": "Id case",
    "evse_ids_normalised": "EVSE ids compared",
    "evse_ids_of_owner": "EVSE ids start with the CPO's id",
    "required_fields": "Fields it requires",
    "added_fields": "Fields it adds (kept)",
    "lenient_timestamps": "Timestamps without Z",
    "delivery": "Delivery",
    "presents": "We present",
    "pull": "Push or pull",
    "hubclientinfo_partial": "HubClientInfo partial",
    "forbidden_as_unauthorized": "403 for 401",
    "errors_without_envelope": "Errors without envelope",
    "single_object_as_list": "Single GET as a list",
    "lower_case_ids": "Ids lower-cased",
    "foreign_tokens": "Asked for tokens nobody here holds",
    "bridge": "Bridged to another protocol",
}

_WORDS: Mapping[str, tuple[str, str]] = {  # yes-word, no-word per yes/no rule
    "token_base64": ("base64", "raw"),
    "routing_headers": ("required", "optional"),
    "ids_case_sensitive": ("case-sensitive", "case-insensitive"),
    "evse_ids_normalised": ("normalised", "as sent"),
    "evse_ids_of_owner": ("required", "not checked"),
    "lenient_timestamps": ("accepted", "no"),
    "foreign_tokens": ("asked", "no"),
}


def to_json(value: Any) -> Any:
    """A rule's value as plain JSON: sets as sorted lists, enums as their values, a party as
    `CC*PID`, a pull schedule as its two periods in seconds."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, PullSchedule):
        return {"delta_every": value.delta_every, "full_every": value.full_every}
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in sorted(value.items())}
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return f"{value[0]}*{value[1]}"
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


def to_text(rule: str, value: Any) -> str:
    """A rule's value in one short line, as the table and `dialects show` print it."""
    if isinstance(value, bool):
        yes, no = _WORDS.get(rule, ("yes", "no"))
        return yes if value else no
    if isinstance(value, PullSchedule):
        return f"we pull: delta every {_period(value.delta_every)}, full every " + _period(
            value.full_every
        )
    if value is None:
        return "it pushes" if rule == "pull" else "-"
    plain = to_json(value)
    if isinstance(plain, list):
        return ", ".join(plain) or "-"
    if isinstance(plain, dict):
        return "; ".join(f"{k}: {_joined(v)}" for k, v in plain.items()) or "-"
    return str(plain)


def _joined(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _period(seconds: float) -> str:
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("h", 3600), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return unit if count == 1 and unit in ("week", "day") else f"{count} {unit}"
    return f"{seconds} s"


def rule_rows(dialect: Dialect) -> list[dict[str, Any]]:
    """Every rule of `dialect`: its name, label, plain-JSON value, text and source."""
    return [
        {
            "rule": rule,
            "label": label,
            "value": to_json(getattr(dialect, rule)),
            "text": to_text(rule, getattr(dialect, rule)),
            "source": dialect.sources.get(rule, ""),
        }
        for rule, label in RULES.items()
    ]


def markdown_table(dialects: Iterable[Dialect]) -> str:
    """The rule x dialect table in Markdown: one row per rule, one column per dialect."""
    shown = list(dialects)
    lines = [
        "| Rule | " + " | ".join(f"`{d.name}`" for d in shown) + " |",
        "|---" * (len(shown) + 1) + "|",
    ]
    for rule, label in RULES.items():
        cells = [to_text(rule, getattr(d, rule)).replace("|", "\\|") for d in shown]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def rule_names() -> list[str]:
    """Every rule field of `Dialect` (all but name, summary and sources)."""
    return [f.name for f in fields(Dialect) if f.name not in ("name", "summary", "sources")]
