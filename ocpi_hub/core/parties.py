"""Platforms, parties and the configuration-module objects (versions, credentials).

A platform is one OCPI connection; it hosts one or more parties, each a (country_code, party_id,
role) triple (DESIGN.md decision 5). CiStrings compare case-insensitively, so identities are
normalised to upper case here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from ocpi_hub.core.model import OcpiModel
from ocpi_hub.core.types import URL, CiString2, CiString3, String100


class Role(StrEnum):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class InterfaceRole(StrEnum):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class ModuleID(StrEnum):
    CDRS = "cdrs"
    CHARGING_PROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUB_CLIENT_INFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class PlatformStatus(StrEnum):
    INVITED = "INVITED"
    CONNECTING = "CONNECTING"
    REGISTERED = "REGISTERED"
    UNREGISTERED = "UNREGISTERED"


class PlatformKind(StrEnum):
    """A PEER hosts its own parties; a NETWORK is another hub the hub is a member of, hosting
    remote parties (issue 8)."""

    PEER = "PEER"
    NETWORK = "NETWORK"

    @classmethod
    def of(cls, roles: Iterable[Role]) -> PlatformKind:
        """A platform presenting a HUB role is a network; any other is a peer."""
        return cls.NETWORK if Role.HUB in roles else cls.PEER


class Endpoint(OcpiModel):
    # Any string, not only ModuleID: custom modules exist by bilateral agreement.
    identifier: str
    role: InterfaceRole
    url: URL


class Version(OcpiModel):
    version: str
    url: URL


class VersionDetails(OcpiModel):
    version: str
    endpoints: list[Endpoint] = Field(min_length=1)


class BusinessDetailsRef(OcpiModel):
    """BusinessDetails as the credentials module needs it (name required, the rest kept as sent)."""

    name: String100


# The plain token: printable non-whitespace ASCII, at most 64 characters (credentials.asciidoc d2).
CredentialsToken = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$")
]


class CredentialsRole(OcpiModel):
    role: Role
    business_details: BusinessDetailsRef
    party_id: CiString3
    country_code: CiString2


class Credentials(OcpiModel):
    token: CredentialsToken
    url: URL
    roles: list[CredentialsRole] = Field(min_length=1)


@dataclass(frozen=True)
class Party:
    """One OCPI party: an identity and the role it plays."""

    country_code: str
    party_id: str
    role: Role

    @classmethod
    def of(cls, country_code: str, party_id: str, role: Role | str) -> Party:
        return cls(country_code.upper(), party_id.upper(), Role(role))

    @property
    def key(self) -> tuple[str, str]:
        return (self.country_code, self.party_id)

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} ({self.role})"


@dataclass(frozen=True)
class Platform:
    """One OCPI connection as stored: who it is, where to reach it, with which token."""

    id: int
    name: str
    status: PlatformStatus
    versions_url: str | None = None
    version: str | None = None
    endpoints: tuple[Endpoint, ...] = ()
    outgoing_token: str | None = None
    parties: tuple[Party, ...] = field(default_factory=tuple)
    kind: PlatformKind = PlatformKind.PEER
    dialect: str = "ocpi-2.2.1"  # a name in ocpi_hub.dialects.DIALECTS
    # While the hub connects to a 2.1.1 peer: the role it was told the peer has (its party is
    # named by its credentials only once they come back).
    connecting_role: Role | None = None

    @property
    def role(self) -> Role | None:
        """The role of its (first) party, or the one it is being connected in."""
        return self.parties[0].role if self.parties else self.connecting_role

    def endpoint(self, module: str, role: InterfaceRole) -> str | None:
        """The URL of this platform's `module` interface in `role`, if it offers one."""
        for endpoint in self.endpoints:
            if endpoint.identifier == module and endpoint.role == role:
                return endpoint.url
        return None

    def party(self, country_code: str, party_id: str, role: Role | None = None) -> Party | None:
        key = (country_code.upper(), party_id.upper())
        for party in self.parties:
            if party.key == key and (role is None or party.role == role):
                return party
        return None

    @property
    def registered(self) -> bool:
        return self.status == PlatformStatus.REGISTERED

    @property
    def network(self) -> bool:
        return self.kind == PlatformKind.NETWORK

    def is_remote(self, party: Party) -> bool:
        """Whether `party` is reached through this platform as a network: any party of a
        network but the network's own HUB identity."""
        return self.network and party.role != Role.HUB
