"""What every check gets: the options, the recording client, the suite's own party, what the
registration and the version details told us, and a cache checks share (a list walked once
serves the pagination and the object checks)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from conformance.client import OcpiClient
from conformance.model import NotApplicable, Role
from conformance.peer import SuiteParty
from conformance.register import Endpoint, Registration

# The party the suite presents by default, by the role under test: the counterpart that
# reads the most of what that role offers.
COUNTERPART = {Role.CPO: "EMSP", Role.EMSP: "CPO", Role.HUB: "EMSP"}
# Prefix of every object the suite creates, so they are recognisable wherever they end up.
TEST_PREFIX = "CONFTEST-"


@dataclass(frozen=True)
class ExtraParty:
    """One more party the suite plays against a Hub (`--party ROLE:CC:PID:TOKEN_A`): its own
    platform, registered with its own token A, served by a fake party of its own. The HUB-role
    checks send traffic between these parties and the suite's main identity."""

    role: str  # CPO or EMSP
    country_code: str
    party_id: str
    token_a: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.country_code, self.party_id)


@dataclass
class Options:
    """The run's settings, as the command line gave them."""

    versions_url: str
    role: Role
    token_a: str | None = None
    token_c: str | None = None
    country_code: str = "ZZ"  # ISO 3166 user-assigned: never a real country
    party_id: str = "CNF"
    as_role: str | None = None  # the role the suite presents; default COUNTERPART[role]
    callback_host: str = "127.0.0.1"
    callback_port: int = 0
    callback_url: str | None = None
    read_only: bool = False
    timeout: float = 30.0
    max_pages: int = 200
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    parties: tuple[ExtraParty, ...] = ()  # --party: the HUB-role checks' other parties
    version: str = "2.2.1"  # --version: the OCPI version checked, "2.2.1" or "2.1.1"

    @property
    def presented_role(self) -> str:
        return self.as_role or COUNTERPART[self.role]


@dataclass
class Context:
    """What a check gets (see the module docstring)."""

    options: Options
    client: OcpiClient
    party: SuiteParty
    registration: Registration | None = None
    details_url: str | None = None
    endpoints: list[Endpoint] = field(default_factory=list)
    # (role, country_code, party_id) of the endpoint, from its Credentials roles.
    endpoint_roles: list[tuple[str, str, str]] = field(default_factory=list)
    setup_error: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    # What checks start for the rest of the run (more parties, more clients); closed by the
    # runner after the last check.
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def role(self) -> Role:
        return self.options.role

    @property
    def identity(self) -> tuple[str, str]:
        return (self.options.country_code, self.options.party_id)

    def endpoint(self, module: str, interface: str) -> str | None:
        """The URL of `module`'s `interface` (SENDER/RECEIVER) in the version details."""
        found = next(
            (e for e in self.endpoints if e.identifier == module and e.role == interface), None
        )
        return found.url.rstrip("/") if found else None

    @property
    def credentials_url(self) -> str | None:
        """Credentials is listed once, under either role (d2 advises SENDER, §2)."""
        found = next((e for e in self.endpoints if e.identifier == "credentials"), None)
        return found.url if found else None

    def require_endpoint(self, module: str, interface: str) -> str:
        url = self.endpoint(module, interface)
        if url is None:
            raise NotApplicable(f"the endpoint offers no {module} {interface} interface")
        return url

    def endpoint_party(self, role: str | None = None) -> tuple[str, str] | None:
        """The endpoint's party of `role` (default: the role under test); a Hub's own party
        when it announces only HUB (credentials §3.1: a Hub never lists its parties)."""
        wanted = role or self.role.value
        for looked_for in (wanted, "HUB"):
            for role_of, cc, pid in self.endpoint_roles:
                if role_of == looked_for:
                    return (cc, pid)
        return (
            (self.endpoint_roles[0][1], self.endpoint_roles[0][2]) if self.endpoint_roles else None
        )

    @property
    def endpoint_is_hub(self) -> bool:
        return any(r == "HUB" for r, _, _ in self.endpoint_roles)

    def routing_headers(self, to: tuple[str, str] | None = None) -> dict[str, str]:
        """OCPI-from (the suite's party) and OCPI-to (`to`, default the endpoint's party for the
        role under test) for a functional-module request (transport_and_format §1.6 [M]).
        None in 2.1.1, which has no routing headers (differences §1.1)."""
        if self.options.version != "2.2.1":
            return {}
        headers = {
            "OCPI-from-country-code": self.options.country_code,
            "OCPI-from-party-id": self.options.party_id,
        }
        receiver = to or self.endpoint_party()
        if receiver is not None:
            headers["OCPI-to-country-code"] = receiver[0]
            headers["OCPI-to-party-id"] = receiver[1]
        return headers

    def new_token(self, token: str) -> None:
        """Use `token` (a new token C after a rotation) for every later call."""
        self.client.token = token

    async def new_client(self, token: str | None = None) -> OcpiClient:
        """Another client (another party's token) whose exchanges go into the same evidence
        log; closed when the run ends."""
        client = OcpiClient(
            timeout=self.options.timeout,
            token=token,
            log=self.client.exchanges,
            read_only=self.options.read_only,
        )
        return await self.stack.enter_async_context(client)

    async def start_party(self, country_code: str, party_id: str, role: str) -> SuiteParty:
        """One more OCPI party of the suite (a HUB-role check's second CPO, say), served on
        the callback host at a port of its own until the run ends."""
        party = SuiteParty(
            country_code,
            party_id,
            role,
            host=self.options.callback_host,
            version=self.options.version,
        )
        await party.start()
        self.stack.push_async_callback(party.stop)
        return party
