"""The five modules whose objects the hub stores, described once (core.objects.ObjectModule).

Read by the web handlers that store what a party pushes and by the puller that stores what it
reads from a network's Sender interfaces (push.puller): one description per module, so the two
ways an object arrives cannot disagree on its owner, identity or audience.
"""

from __future__ import annotations

from collections.abc import Mapping

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.locations import Location
from ocpi_hub.core.modules.sessions import Session
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.modules.tokens import Token
from ocpi_hub.core.objects import ObjectModule, token_owner
from ocpi_hub.core.parties import ModuleID, Role

__all__ = ["CDRS", "LOCATIONS", "SESSIONS", "STORED", "TARIFFS", "TOKENS"]

LOCATIONS = ObjectModule(ModuleID.LOCATIONS, Role.CPO, Location)
TARIFFS = ObjectModule(ModuleID.TARIFFS, Role.CPO, Tariff)
TOKENS = ObjectModule(ModuleID.TOKENS, Role.EMSP, Token, id_field="uid", typed=True)
SESSIONS = ObjectModule(ModuleID.SESSIONS, Role.CPO, Session, personal=True, addressee=token_owner)
CDRS = ObjectModule(
    ModuleID.CDRS,
    Role.CPO,
    CDR,
    personal=True,
    addressee=token_owner,
    immutable=True,
    booked=True,
)

# By module identifier, in the order a network's Sender interfaces are pulled: the places and
# prices first, then the tokens, then the sessions and CDRs that name them.
STORED: Mapping[str, ObjectModule] = {
    spec.module.value: spec for spec in (LOCATIONS, TARIFFS, TOKENS, SESSIONS, CDRS)
}
