"""What an operator can do, once for every way of doing it (issue 12): each action is one
function here, called by the CLI command (which prints) and by the admin API (which answers
JSON), so the two never drift apart.

An action takes plain values, returns JSON-ready data, and refuses bad input with `Refused`
naming the field (as the API's field name: `country_code`, not `--country-code`) before it
changes anything.
"""

from __future__ import annotations

__all__ = ["Refused"]


class Refused(Exception):
    """Bad input for an action: which field, and why. Nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
