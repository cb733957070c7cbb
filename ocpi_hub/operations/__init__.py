"""What an operator can do, once for every way of doing it (issue 12): each action is one
function here, called by the CLI command (which prints) and by the admin API (which answers
JSON), so the two never drift apart.

An action takes plain values, returns JSON-ready data, and refuses bad input with `Refused`
naming the field (as the API's field name: `country_code`, not `--country-code`) before it
changes anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Refused", "refusing"]


class Refused(Exception):
    """Bad input for an action: which field, and why. Nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_OPTION = re.compile(r"^--([a-z][a-z-]*)")


@contextmanager
def refusing(field: str, *errors: type[Exception]) -> Iterator[None]:
    """Turn a rule's own error (`errors`, default ValueError) into `Refused`, its message kept
    as the CLI has always printed it. The field is the error's own `field` where it has one,
    else the option the message starts with (`--amount 4.61 EUR is above ...` names
    `amount`), else `field`."""
    caught = errors or (ValueError,)
    try:
        yield
    except caught as exc:
        message = str(exc)
        named = _OPTION.match(message)
        own = getattr(exc, "field", None)
        chosen = own or (named[1].replace("-", "_") if named else field)
        raise Refused(chosen, message) from exc
