"""Dialect profiles: one module per network or peer kind, each a `Dialect` value (data).

`DIALECTS` names every shipped profile; `dialect(name)` finds one or says which exist. The pure
helpers the hub's seam applies them with are in `checks`; `rules` prints them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ocpi_hub.core.parties import Platform
from ocpi_hub.dialects.base import Delivery, Dialect, Presents, PullSchedule
from ocpi_hub.dialects.checks import (
    as_spec,
    authorization_value,
    exchanges_hubclientinfo,
    missing_required,
    normalise_evse_id,
    page_limit,
    put_instead,
    refusal,
    same_evse_id,
    same_id,
    spec_answer,
)
from ocpi_hub.dialects.eclearing import ECLEARING
from ocpi_hub.dialects.enapi import ENAPI
from ocpi_hub.dialects.gireve import GIREVE
from ocpi_hub.dialects.hubject import HUBJECT
from ocpi_hub.dialects.lenient import LENIENT
from ocpi_hub.dialects.ocpi221 import OCPI_221
from ocpi_hub.dialects.v211 import speaking

__all__ = [
    "DEFAULT",
    "DIALECTS",
    "ECLEARING",
    "ENAPI",
    "GIREVE",
    "HUBJECT",
    "LENIENT",
    "OCPI_221",
    "Delivery",
    "Dialect",
    "Presents",
    "PullSchedule",
    "UnknownDialect",
    "as_spec",
    "authorization_value",
    "dialect",
    "exchanges_hubclientinfo",
    "missing_required",
    "normalise_evse_id",
    "page_limit",
    "put_instead",
    "refusal",
    "same_evse_id",
    "same_id",
    "speaking",
    "spec_answer",
    "spoken",
    "spoken_by",
]

DEFAULT = OCPI_221.name

# Every shipped profile by name, the spec first.
DIALECTS: Mapping[str, Dialect] = {
    d.name: d for d in (OCPI_221, GIREVE, ENAPI, ECLEARING, LENIENT, HUBJECT)
}


class UnknownDialect(ValueError):
    """A dialect name no profile has; the message lists those that exist."""


def dialect(name: str) -> Dialect:
    """The profile called `name`; UnknownDialect (naming the known ones) otherwise."""
    found = DIALECTS.get(name)
    if found is None:
        raise UnknownDialect(f"unknown dialect {name!r}: one of {', '.join(sorted(DIALECTS))}")
    return found


def spoken_by(platform: Platform) -> Dialect:
    """The profile a platform speaks, in the OCPI version it speaks (`v211.speaking`); the
    spec's for a name no profile has any more (a profile removed from a newer release while a
    platform still names it)."""
    return _spoken_in(platform.dialect, platform.version)


@functools.cache
def _spoken_in(name: str, version: str | None) -> Dialect:
    # Made once per (profile, version): spoken_by runs for every request sent to a platform.
    return speaking(spoken(name), version)


def spoken(name: str) -> Dialect:
    """The profile called `name` as a stored platform names it: the spec's for a name no
    profile has any more."""
    return DIALECTS.get(name, OCPI_221)
