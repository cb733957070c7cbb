"""The registry of checks: every area module registers its checks with `@check`, each for the
roles of the endpoint under test it applies to.

Extending the suite (e.g. the HUB-role checks): write `conformance/checks/<area>.py` whose
coroutine functions, each with a docstring saying what it shows, are decorated with
`@check("<area>.<name>", clause=..., roles={Role.HUB}, phase=Phase.WRITE, writes=True)`, and
add `"<area>"` to `AREAS`. A check that only makes sense in OCPI 2.2.1 says
`versions=ONLY_221` (data, like its roles): in a `--version 2.1.1` run it is NOT_APPLICABLE.
The runner then selects them
for `--role HUB` in `AREAS` order (after the phase), and `--check` / `--skip` globs select by id.
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
from collections.abc import Callable, Iterable

from conformance.model import ALL_ROLES, ALL_VERSIONS, Check, CheckFunction, Phase, Role

# Area modules in run order (within a phase). Add a new area here.
AREAS: list[str] = [
    "transport",
    "versions",
    "credentials",
    "pagination",
    "pagination_filters",
    "objects",
    "modules",
    "modules_receivers",
    "hub",  # the HUB-role checks (hub_parties.py, hub_hops.py: what they share)
    "hub_delivery",
]

REGISTRY: dict[str, Check] = {}
_loaded = False


def check(
    check_id: str,
    *,
    clause: str,
    roles: Iterable[Role] = ALL_ROLES,
    phase: Phase = Phase.READ,
    writes: bool = False,
    needs_registration: bool = True,
    versions: Iterable[str] = ALL_VERSIONS,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated coroutine function as check `check_id`; the first line of its
    docstring is the check's title (what it shows, in a sentence)."""

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in REGISTRY:
            raise ValueError(f"check {check_id} is registered twice")
        title = (inspect.getdoc(function) or "").split("\n\n")[0].replace("\n", " ").strip()
        if not title:
            raise ValueError(f"check {check_id} has no docstring to title it")
        REGISTRY[check_id] = Check(
            id=check_id,
            clause=clause,
            title=title,
            roles=frozenset(roles),
            function=function,
            phase=phase,
            writes=writes,
            needs_registration=needs_registration,
            versions=frozenset(versions),
        )
        return function

    return register


def load() -> dict[str, Check]:
    """Import every area module once (importing registers its checks)."""
    global _loaded
    if not _loaded:
        for area in AREAS:
            importlib.import_module(f"conformance.checks.{area}")
        _loaded = True
    return REGISTRY


def _matches(check_id: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(check_id, p) for p in patterns)


def select(role: Role, only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[Check]:
    """The checks for `role` in run order: by phase, then area (AREAS order), then the order
    they were defined in. `only`: keep ids matching one of these globs; `skip`: drop those."""
    only, skip = list(only), list(skip)
    registry = load()
    order = {check_id: i for i, check_id in enumerate(registry)}
    # A check's area is its id's prefix ("modules" for modules_receivers' checks too).
    area_order = {area: i for i, area in enumerate(AREAS)}
    chosen = [
        c
        for c in registry.values()
        if role in c.roles and (not only or _matches(c.id, only)) and not _matches(c.id, skip)
    ]
    return sorted(chosen, key=lambda c: (c.phase, area_order.get(c.area, 99), order[c.id]))
