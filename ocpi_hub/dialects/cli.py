"""`ocpi-hub dialects list|show|table`: the shipped dialect profiles and their rules.

No database and no hub settings: the profiles are data in `ocpi_hub/dialects/`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from ocpi_hub.dialects import DIALECTS, UnknownDialect, dialect
from ocpi_hub.dialects.rules import markdown_table, rule_rows

# A NAME no profile has is a bad argument, as argparse's own usage errors are.
USAGE_ERROR = 2


def add_parser(commands: Any) -> None:
    """Add `dialects list|show|table` to the `ocpi-hub` subcommands."""
    dialects = commands.add_parser(
        "dialects", help="list the dialect profiles and show their rules", description=__doc__
    )
    actions = dialects.add_subparsers(dest="dialects_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="each profile: name, version, summary")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="every rule of one profile: value and source")
    show.add_argument("name", metavar="NAME", help=f"one of {', '.join(DIALECTS)}")
    show.add_argument("--json", action="store_true")
    actions.add_parser("table", help="the rule x dialect table in Markdown (as in the README)")


def run(args: argparse.Namespace) -> int:
    """`ocpi-hub dialects ...`: 0, or USAGE_ERROR for an unknown NAME (nothing printed on
    stdout)."""
    if args.dialects_command == "table":
        sys.stdout.write(markdown_table(DIALECTS.values()))
    elif args.dialects_command == "list":
        rows = [
            {"name": d.name, "version": d.version, "summary": d.summary} for d in DIALECTS.values()
        ]
        _print(rows, args.json, ["name", "version", "summary"])
    else:
        try:
            found = dialect(args.name)
        except UnknownDialect as exc:
            print(f"ocpi-hub dialects: {exc}", file=sys.stderr)
            return USAGE_ERROR
        rules = rule_rows(found)
        if args.json:
            shown = [{k: r[k] for k in ("rule", "value", "source")} for r in rules]
            _print({"name": found.name, "summary": found.summary, "rules": shown}, True, [])
        else:
            print(f"{found.name}: {found.summary}")
            width = max(len(r["rule"]) for r in rules)
            for r in rules:
                print(
                    f"  {r['rule']:<{width}}  {r['text']}\n  {'':<{width}}  source: {r['source']}"
                )
    return 0


def _print(rows: Any, as_json: bool, columns: list[str]) -> None:
    if as_json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    cells = [[str(r[c]) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    for line in [[c.upper() for c in columns], *cells]:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
