"""OCPI 2.1.1 translations: what one object costs each way, in this process, no I/O.

    .venv/bin/python -m bench.bench_v211 [--evses 4] [--objects 20000] [--runs 3]

The pure translations the hub's 2.1.1 edges run (dialects.v211), on the test factories'
objects: a Location with `--evses` EVSEs (2.2.1 -> 2.1.1 and back), a Session and a CDR with
the Location embedded, a Token. Reports, per translation, the median of `--runs` runs of
`--objects` calls: objects/s and microseconds per object. Compare `bench.bench_page` (what a
stored object costs to serve): the translation is what a 2.1.1 party adds to it. Never run
in CI.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from ocpi_hub.dialects.v211.cdrs import cdr_in, cdr_out
from ocpi_hub.dialects.v211.locations import Level, location_in, location_out
from ocpi_hub.dialects.v211.sessions import session_in, session_out
from ocpi_hub.dialects.v211.tokens import token_in, token_out
from tests import factories

NOW = "2024-03-01T12:00:00Z"
OWNER = ("NL", "CPA")


def cases(evses: int) -> dict[str, Callable[[], Any]]:
    """Each translation, as a call with its inputs prepared once."""
    location = factories.location("NL", "CPA", "LOC1", evse_count=evses)
    location_211, _ = location_out(location, Level.LOCATION)
    assert location_211 is not None
    session = factories.session()
    session_211, _ = session_out(session, location_211)
    cdr = factories.cdr()
    cdr_211, _ = cdr_out(cdr, location_211)
    assert cdr_211 is not None
    token = factories.token("U1")
    token_211, _ = token_out(token)
    return {
        "location out": lambda: location_out(location, Level.LOCATION),
        "location in": lambda: location_in(location_211, Level.LOCATION, OWNER, received_at=NOW),
        "session out": lambda: session_out(session, location_211),
        "session in": lambda: session_in(session_211, OWNER, token, received_at=NOW),
        "cdr out": lambda: cdr_out(cdr, location_211),
        "cdr in": lambda: cdr_in(cdr_211, OWNER, token),
        "token out": lambda: token_out(token),
        "token in": lambda: token_in(token_211, ("DE", "EMA"), received_at=NOW),
    }


def measure(call: Callable[[], Any], objects: int) -> float:
    started = time.perf_counter()
    for _ in range(objects):
        call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evses", type=int, default=4)
    parser.add_argument("--objects", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'translation':<14} {'objects/s':>12} {'us/object':>10}")
    for name, call in cases(args.evses).items():
        seconds = statistics.median(measure(call, args.objects) for _ in range(args.runs))
        rate = args.objects / seconds
        print(f"{name:<14} {rate:>12,.0f} {1e6 / rate:>10.1f}")


if __name__ == "__main__":
    main()
