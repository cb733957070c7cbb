"""Every object the suite can read from the endpoint's Sender lists, validated against the
spec tables in `conformance/spec.py` (required fields, types, lengths, enums, DateTime forms,
and the rules the spec states beside its tables). One check per list, so a report says which
module's objects are wrong; the message names the object, the field and the problem."""

from __future__ import annotations

from conformance.checks import check
from conformance.context import Context
from conformance.envelope import unique
from conformance.lists import LIST_MODULES, OBJECT_KIND, full_read, object_key
from conformance.model import (
    ALL_VERSIONS,
    ONLY_221,
    CheckFunction,
    Role,
    Verdict,
    failed,
    not_applicable,
    passed,
    warned,
)
from conformance.spec import TABLES
from conformance.validate import Problem, validate

# How many problems a message lists before "and N more".
SHOWN = 8


async def _validate_list(ctx: Context, module: str) -> Verdict:
    if ctx.endpoint(module, "SENDER") is None:
        return not_applicable(f"the endpoint offers no {module} Sender list")
    full = await full_read(ctx, module)
    if full.first.items is None:
        return not_applicable(f"the {module} list is not readable (see pagination.headers)")
    kind = OBJECT_KIND[module]
    items = full.items
    if not items:
        return not_applicable(f"the {module} list is empty: no {kind} to validate")
    found: list[tuple[Problem, int]] = []
    version = ctx.options.version
    for index, item in enumerate(items):
        label = f"{kind}[{index}] {object_key(module, item)}"
        found += [(p, index) for p in validate(kind, item, label, version)]
    hard = [(p, i) for p, i in found if not p.warning]
    soft = [(p, i) for p, i in found if p.warning]
    expected = f"{kind} as in {TABLES[version].objects[kind].clause}"
    if hard:
        return failed(
            _listed(hard),
            expected=expected,
            evidence=unique(full.page_of(i).exchange for _, i in hard),
        )
    if soft:
        return warned(
            _listed(soft),
            expected=expected,
            evidence=unique(full.page_of(i).exchange for _, i in soft),
        )
    return passed(f"{len(items)} {kind} object(s) valid", evidence=full.exchanges)


def _listed(problems: list[tuple[Problem, int]]) -> str:
    shown = "; ".join(str(p) for p, _ in problems[:SHOWN])
    more = len(problems) - SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def _roles(module: str) -> frozenset[Role]:
    return frozenset(role for role, modules in LIST_MODULES.items() if module in modules)


# (check id, the list it reads, the spec's tables, the object named in the title). One check per
# list; the definition order is the run order.
_LISTS = [
    (
        "objects.locations",
        "locations",
        "mod_locations §4.1 (Location, EVSE, Connector tables)",
        "Location (with its EVSEs and Connectors)",
    ),
    ("objects.tariffs", "tariffs", "mod_tariffs §4.4 (Tariff tables)", "Tariff"),
    ("objects.tokens", "tokens", "mod_tokens §4.5 (Token table)", "Token"),
    ("objects.sessions", "sessions", "mod_sessions §4.2 (Session tables)", "Session"),
    ("objects.cdrs", "cdrs", "mod_cdrs §4.3 (CDR tables; no session-only dimensions)", "CDR"),
    (
        "objects.clientinfo",
        "hubclientinfo",
        "mod_hub_client_info §4.8 (ClientInfo table)",
        "ClientInfo",
    ),
]


# HubClientInfo has no 2.1.1 counterpart.
_VERSIONS = {"hubclientinfo": ONLY_221}


def _list_check(module: str, title: str) -> CheckFunction:
    async def validate_list(ctx: Context) -> Verdict:
        return await _validate_list(ctx, module)

    validate_list.__doc__ = f"Every {title} in the list is valid"
    return validate_list


for _id, _module, _clause, _title in _LISTS:
    check(
        _id, clause=_clause, roles=_roles(_module), versions=_VERSIONS.get(_module, ALL_VERSIONS)
    )(_list_check(_module, _title))
