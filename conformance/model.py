"""The suite's vocabulary: what a check is, what it saw, and what it concluded.

- `Exchange`: one HTTP request and its response, kept as evidence exactly as they went over
  the wire (the reports redact tokens, not this record).
- `Check`: one conformance rule, tied to a clause of the OCPI 2.2.1 spec (cited through the
  project's checklist, e.g. "transport_and_format §1.2 [M]"), for the roles it applies to.
- `Verdict`: what a check function returns; the runner turns it into a `Result` with the
  check's identity and the evidence.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.context import Context


class Outcome(StrEnum):
    """What a check concluded about the endpoint."""

    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class Role(StrEnum):
    """The roles an endpoint under test can be checked as (types.asciidoc Role, the subset with
    interfaces of their own in the functional modules)."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"


ALL_ROLES = frozenset(Role)
# The OCPI versions the suite checks (spec.VERSIONS; repeated here: model imports nothing).
ALL_VERSIONS = frozenset({"2.2.1", "2.1.1"})
ONLY_221 = frozenset({"2.2.1"})


class Phase(IntEnum):
    """When a check runs. Reads first, then checks that write test objects, then the token
    rotation (it changes the token every later call uses), and unregistering last of all."""

    READ = 10
    WRITE = 20
    ROTATE = 80
    UNREGISTER = 90


@dataclass
class Exchange:
    """One request to the endpoint under test and what came back (status None: no answer)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    elapsed_ms: float = 0.0
    error: str | None = None  # transport failure: refused, timeout, reset
    _parsed: Any = field(default=None, repr=False, compare=False)
    _parse_error: str | None = field(default=None, repr=False, compare=False)
    _parsed_done: bool = field(default=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """A response header by any-case name (HTTP header names are case-insensitive)."""
        return _lookup(self.response_headers, name)

    def sent_header(self, name: str) -> str | None:
        """A request header by any-case name."""
        return _lookup(self.request_headers, name)

    def _parse(self) -> None:
        if self._parsed_done:
            return
        self._parsed_done = True
        if self.response_body is None:
            self._parse_error = self.error or "no response body"
            return
        try:
            self._parsed = json.loads(self.response_body)
        except ValueError as exc:
            self._parse_error = f"response body is not JSON: {exc}"

    @property
    def json(self) -> Any:
        """The response body as JSON, or None when it is not JSON (see `json_error`)."""
        self._parse()
        return self._parsed

    @property
    def json_error(self) -> str | None:
        self._parse()
        return self._parse_error

    @property
    def envelope(self) -> dict[str, Any] | None:
        """The response body when it is a JSON object (an OCPI envelope or an attempt at one)."""
        body = self.json
        return body if isinstance(body, dict) else None

    @property
    def status_code(self) -> Any:
        """The envelope's OCPI status_code as sent (any JSON type), None without an envelope."""
        envelope = self.envelope
        return envelope.get("status_code") if envelope is not None else None

    @property
    def data(self) -> Any:
        envelope = self.envelope
        return envelope.get("data") if envelope is not None else None

    def summary(self) -> str:
        """`GET url → 200 1000` for messages."""
        answer = self.error if self.status is None else f"{self.status}"
        code = self.status_code
        return f"{self.method} {self.url} → {answer}" + (f" {code}" if code is not None else "")


def _lookup(headers: dict[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


@dataclass
class Verdict:
    """What a check concluded. `evidence` None: the runner attaches every exchange the check
    made; a list: exactly these (e.g. the registration's exchanges, or the one bad page)."""

    outcome: Outcome
    message: str
    expected: str = ""
    evidence: list[Exchange] | None = None


def passed(message: str, *, evidence: list[Exchange] | None = None) -> Verdict:
    """The endpoint does what the clause says."""
    return Verdict(Outcome.PASS, message, evidence=evidence)


def failed(message: str, *, expected: str = "", evidence: list[Exchange] | None = None) -> Verdict:
    """The endpoint breaks a MUST (or what a MUST implies); `message` names the problem."""
    return Verdict(Outcome.FAIL, message, expected, evidence)


def warned(message: str, *, expected: str = "", evidence: list[Exchange] | None = None) -> Verdict:
    """Allowed, but a SHOULD is not met or peers will struggle with it."""
    return Verdict(Outcome.WARN, message, expected, evidence)


def not_applicable(message: str) -> Verdict:
    """The check cannot apply here (no such interface, no data, --read-only); says why."""
    return Verdict(Outcome.NOT_APPLICABLE, message, evidence=[])


class NotApplicable(Exception):
    """Raised inside a check (or a helper it calls) when the check cannot apply to this
    endpoint: the runner reports NOT_APPLICABLE with the message."""


CheckFunction = Callable[["Context"], Awaitable[Verdict]]


@dataclass(frozen=True)
class Check:
    """One conformance rule.

    `id` is `area.name` (the area is the checks module it lives in); `clause` cites the
    checklist section, level and through it the spec file; `roles` are the roles of the
    endpoint under test the rule applies to. A check with `writes` sends anything but a GET
    (even a POST that only asks, like an authorization, or a PUT that cannot be stored, like
    invalid JSON): it is skipped in --read-only, which sends GETs only;
    one with `needs_registration` is not run when the suite could not register; `versions`
    are the OCPI versions it applies to (in a run of another version it is NOT_APPLICABLE).
    """

    id: str
    clause: str
    title: str
    roles: frozenset[Role]
    function: CheckFunction = field(compare=False)
    phase: Phase = Phase.READ
    writes: bool = False
    needs_registration: bool = True
    versions: frozenset[str] = ALL_VERSIONS

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass
class Result:
    """A check's outcome with its evidence, as the reports show it."""

    check_id: str
    clause: str
    title: str
    outcome: Outcome
    message: str
    expected: str = ""
    evidence: list[Exchange] = field(default_factory=list)
    evidence_omitted: int = 0  # exchanges made but not kept (long walks)
    elapsed_ms: float = 0.0

    @property
    def area(self) -> str:
        return self.check_id.split(".", 1)[0]
