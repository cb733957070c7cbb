"""What a simulated party counts: messages sent and received per module and method, errors, and
faults applied.

Labels are `"<module> <METHOD>"` (`"sessions PATCH"`), with two OCPI verbs of their own: a
command an eMSP issues is `"commands START_SESSION"` (the CommandType), a CommandResult is
`"commands RESULT"`, a real-time authorization is `"tokens AUTHORIZE"`.

A message may carry a key (the object's path below the module URL and its `last_updated`, a
CDR's id). The hub delivers at least once, so a receiver can see one push twice; the keys let a
test compare what one party sent with what another received, duplicates aside.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


class Stats:
    """Counters of one simulated party, exposed at `GET /admin/stats` and logged at exit."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.pulled: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self._sent_keys: defaultdict[str, set[str]] = defaultdict(set)
        self._received_keys: defaultdict[str, set[str]] = defaultdict(set)

    def count_sent(self, label: str, key: str | None = None) -> None:
        """A message the other side accepted (HTTP 2xx with an OCPI 1xxx status)."""
        self.sent[label] += 1
        if key is not None:
            self._sent_keys[label].add(key)

    def count_received(self, label: str, key: str | None = None) -> bool:
        """A message this party accepted; True when its key was not seen before."""
        self.received[label] += 1
        if key is None:
            return True
        seen = key in self._received_keys[label]
        self._received_keys[label].add(key)
        return not seen

    def count_pulled(self, label: str, count: int = 1) -> None:
        """Objects read from the hub's Sender interface (a GET walk), not pushed to us."""
        self.pulled[label] += count

    def count_error(self, label: str) -> None:
        """A message that failed: refused by the other side, unreachable, or invalid."""
        self.errors[label] += 1

    def count_fault(self, mode: str) -> None:
        """A request this party answered with a fault instead of normally."""
        self.faults[mode] += 1

    def sent_keys(self, label: str) -> frozenset[str]:
        return frozenset(self._sent_keys.get(label, ()))

    def received_keys(self, label: str) -> frozenset[str]:
        return frozenset(self._received_keys.get(label, ()))

    def received_unique(self) -> dict[str, int]:
        """Per label, distinct keys received (the raw count where messages carry no key)."""
        unique = {label: len(keys) for label, keys in self._received_keys.items()}
        return {label: unique.get(label, count) for label, count in sorted(self.received.items())}

    def snapshot(self) -> dict[str, Any]:
        """Every counter as plain JSON-ready dicts, labels sorted."""
        return {
            "sent": dict(sorted(self.sent.items())),
            "received": dict(sorted(self.received.items())),
            "received_unique": self.received_unique(),
            "pulled": dict(sorted(self.pulled.items())),
            "errors": dict(sorted(self.errors.items())),
            "faults": dict(sorted(self.faults.items())),
        }
