"""What every CLI command prints the same way: a refusal on stderr, a table on stdout."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ocpi_hub.operations import Refused

__all__ = ["fail", "refused", "table"]


def fail(message: str) -> int:
    """Say why on stderr; the exit status of a refused command."""
    print(f"ocpi-hub: {message}", file=sys.stderr)
    return 1


def refused(exc: Refused, options: Mapping[str, str] | None = None) -> int:
    """An action's refusal, naming the command's option for its field: `options` maps a field
    to its option where they differ beyond `_` and `-` (`modules`: `--module`). A message that
    starts with the field's name (`percent 'x' is not a number`) names it as the option."""
    option = (options or {}).get(exc.field) or "--" + exc.field.replace("_", "-")
    if exc.message.startswith(exc.field + " "):
        return fail(option + exc.message.removeprefix(exc.field))
    return fail(f"{option}: {exc.message}")


def table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """`rows` as aligned columns under upper-case headings."""
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
