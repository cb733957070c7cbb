"""OCPI 2.1.1: the version the hub also serves and speaks, as a translation (issue 11).

Everything inside the hub speaks 2.2.1 (DESIGN.md "versions are a translation"). A platform that
registered or was connected in 2.1.1 has `Platform.version == "2.1.1"`; `speaking(dialect)`
lays the version's rules over its dialect (Gireve, ENAPI, ... or the spec's), so the one seam
that applies a dialect applies the version too: raw tokens, no routing headers, the modules and
commands 2.1.1 lacks, and PUT where 2.1.1 has no PATCH semantics the hub can rely on.

The objects are translated by one module per object beside this one (locations, tariffs,
tokens, sessions, cdrs, commands, credentials), pure functions returning what they made and
the `Loss`es (dialects.losses); the edges that call them are `web.v211` (serving /ocpi/2.1.1)
and `push.v211` (the hub's client towards 2.1.1 platforms).
"""

from __future__ import annotations

from dataclasses import replace

from ocpi_hub.dialects.base import Dialect

__all__ = ["TRANSLATION", "V211", "V221", "VERSIONS", "path_211", "speaking"]

V211 = "2.1.1"
V221 = "2.2.1"
# The name its losses are counted under (translation_losses.dialect, `translations losses`).
TRANSLATION = "ocpi-2.1.1"
# The versions the hub serves and speaks, best first: `connect` picks the first both share.
VERSIONS = (V221, V211)

# 2.1.1 has neither module (ocpi-2.1.1-differences.md §1.7), nor CANCEL_RESERVATION (§8).
_MISSING_MODULES = frozenset({"chargingprofiles", "hubclientinfo"})
_MISSING_COMMANDS = frozenset({"CANCEL_RESERVATION"})
# Choice: 2.1.1 does not say whether a Session PATCH's charging_periods replace or append
# (§1.5, §11): the hub sends the whole merged Session, which means the same under both readings.
# Tariffs have no receiver PATCH in 2.2.1, so nothing is ever sent as one.
_PUT_INSTEAD = frozenset({"sessions"})


def speaking(dialect: Dialect, version: str | None) -> Dialect:
    """`dialect` as spoken in `version`: unchanged for 2.2.1 (or unknown: not yet negotiated),
    with 2.1.1's rules laid over it for 2.1.1 (§1.1: the raw token, no OCPI-to/from)."""
    if version != V211 or dialect.bridge is not None:
        return dialect
    return replace(
        dialect,
        version=V211,
        token_base64=False,
        routing_headers=False,
        missing_modules=dialect.missing_modules | _MISSING_MODULES,
        missing_commands=dialect.missing_commands | _MISSING_COMMANDS,
        put_instead_of_patch=dialect.put_instead_of_patch | _PUT_INSTEAD,
    )


def path_211(path: str) -> str:
    """Where the hub serves in 2.1.1 what it serves at `path` (or a URL) in 2.2.1: the same
    below /ocpi/2.1.1/ (its routes, a CDR's Location, a page's Link, a command's response_url)."""
    return path.replace(f"/ocpi/{V221}/", f"/ocpi/{V211}/", 1)
