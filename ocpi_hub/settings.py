"""The one source of configuration: environment variables, overridable by CLI flags.

The names are a public interface (README "Configuration"); keep them stable.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ocpi_hub.core.agreements import Policy
from ocpi_hub.core.credit import Action, parse_action, parse_warn
from ocpi_hub.core.networks import DEFAULT_PEER_NETWORKS, PeerNetworks
from ocpi_hub.dialects.oicp.operations import parse_rate_limits


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _policy(value: str) -> Policy:
    try:
        return Policy(value.strip().lower())
    except ValueError:
        raise ValueError(
            f"OCPI_HUB_AGREEMENT_POLICY is {value!r}: it takes open or closed"
        ) from None


def _optional_seconds(name: str) -> float | None:
    """A number of seconds above zero read from `name`, or None when it is unset or empty."""
    return _seconds(name, "") if os.environ.get(name, "").strip() else None


def _seconds(name: str, default: str, unit: str = "seconds") -> float:
    """A number of seconds (or another `unit`) above zero, read from `name`; ValueError saying
    which and why."""
    value = _env(name, default)
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < math.inf:
        raise ValueError(f"{name} is {value!r}: it takes a number of {unit} above 0")
    return number


def _count(name: str, default: str, unit: str) -> int:
    """A whole number above zero read from `name`; ValueError saying which and why."""
    value = _env(name, default).strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} is {value!r}: it takes a whole number of {unit} above 0")
    return int(value)


def _port(name: str, default: str) -> int:
    """A TCP port (0 to 65535) read from `name`; ValueError saying which and why."""
    value = _env(name, default).strip()
    if not value.isdigit() or int(value) > 65535:
        raise ValueError(f"{name} is {value!r}: it takes a port number from 0 to 65535")
    return int(value)


def _tolerance(name: str, default: str) -> Decimal:
    """An amount of money not below zero, read from `name` as a decimal (never a float)."""
    value = _env(name, default)
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} is {value!r}: it takes an amount of 0 or more, as 0.01")
    return amount


@dataclass(frozen=True)
class Settings:
    """Everything the hub reads from its environment, with the documented defaults."""

    database_url: str | None = None
    data_dir: Path = Path(".ocpi-hub")
    host: str = "127.0.0.1"
    port: int = 8080
    public_url_setting: str | None = None
    country_code: str = "XX"
    party_id: str = "HUB"
    name: str = "ocpi-hub"
    log_format: str = "console"
    log_level: str = "info"
    # Largest page the hub serves; announced in X-Limit.
    page_limit: int = 100
    # Seconds the hub waits for a party it forwards a request to before answering 4002.
    forward_timeout: float = 10.0
    # Durable delivery (outbox): attempts before a delivery is dead-lettered, and backoff.
    push_max_attempts: int = 12
    push_backoff_base: float = 1.0
    push_backoff_max: float = 300.0
    push_timeout: float = 10.0
    push_concurrency: int = 256
    # A delivery that has waited this long (its receiver is down, or far behind) carries the
    # later changes that supersede it (core.delivery).
    push_merge_after: float = 60.0
    # Delivered deliveries are kept as history this many days, then pruned.
    delivered_retention_days: float = 7.0
    # How often idle workers look for due retries (new pushes wake them through NOTIFY at once).
    push_poll_interval: float = 1.0
    # Real-time authorization: how long the hub waits for the token's eMSP before it answers
    # from its stored tokens (where the whitelist allows) or with 4002.
    authorization_timeout: float = 2.5
    # How often the hub looks for asynchronous results that never came (Commands,
    # ChargingProfiles) and reports them as TIMEOUT.
    result_sweep_interval: float = 1.0
    # HubClientInfo liveness: a party silent this long is probed (GET versions) ...
    liveness_silence: float = 300.0
    # ... by a check that runs this often.
    liveness_interval: float = 60.0
    # Connections (web/server.py): a connection waiting for its next request head, idle or
    # trickling one in, is closed after keepalive_timeout seconds; a request body must arrive
    # within read_timeout seconds of its head (else 408 and the connection is closed); at most
    # max_connections client connections are open (lowered to fit the open-file limit).
    keepalive_timeout: float = 30.0
    read_timeout: float = 30.0
    max_connections: int = 4096
    # The addresses the hub may call: every URL a party gives it (versions URL, endpoints,
    # response_url) must resolve into these, at registration and at each call.
    peer_networks: PeerNetworks = field(default_factory=PeerNetworks.default)
    # Networks the hub pulls (core.pulls): how often the puller looks for due pulls, and the
    # pull schedule overriding each dialect's (None: the dialect's own).
    pull_interval: float = 60.0
    pull_delta_every: float | None = None
    pull_full_every: float | None = None
    # Partner agreements (core.agreements): open, everyone trades unless denied; closed, only
    # pairs with an agreement. Read by `serve` at start.
    agreement_policy: Policy = Policy.OPEN
    # Route choice (core.routes): the sliding window (seconds) over which each route's requests
    # are judged, how often each process writes what it counted, and how often each party's
    # route is chosen again (and idle routes probed).
    route_window: float = 900.0
    route_flush_interval: float = 5.0
    route_choice_interval: float = 30.0
    # Fraud signals (core.fraud): how often the watch counts refusals; the fastest a token may
    # travel between two sessions (km/h); refused authorizations that make a burst, and within
    # how many seconds.
    fraud_interval: float = 60.0
    fraud_max_kmh: float = 250.0
    fraud_refused_burst: int = 5
    fraud_refused_window: float = 600.0
    # CDR checks and reconciliation (core.cdr_checks, core.reconcile; storage.checker): how
    # often new CDRs and completed Sessions are checked, how often reconciliation runs, the
    # longest plausible charge, how long a completed Session may wait for its CDR (hours,
    # decimal), and how far a CDR's total_cost may be from its tariff's price (its currency).
    check_interval: float = 10.0
    reconcile_interval: float = 3600.0
    max_session_hours: float = 48.0
    cdr_grace_hours: float = 48.0
    price_tolerance: Decimal = Decimal("0.01")
    # Credit exposure (core.credit, storage.credit_watch): how often each eMSP's exposure is
    # assessed, the fraction of its limit that alerts, and what being over it does.
    credit_interval: float = 60.0
    credit_warn: Decimal = Decimal("0.8")
    credit_action: Action = Action.ALERT
    # Hubject (issue 10; push.oicp): where the hub listens for Hubject's calls (mutual TLS; port
    # 0: not at all), how long one call to Hubject may take, how long the hub takes at most to
    # answer one of Hubject's (Hubject allows 60 s and advises under 10), and per-operation
    # rate limits replacing Hubject's published ones (requests per minute).
    oicp_host: str = "127.0.0.1"
    oicp_port: int = 0
    hubject_timeout: float = 10.0
    hubject_answer_budget: float = 10.0
    hubject_rate_limits: dict[str, int] = field(default_factory=dict)
    # The operator's console (ocpi_hub.console): how long a sign-in lasts, in hours.
    console_session_hours: float = 8.0
    # The operator's console (issue 12): how many distinct parties get a label of their own in
    # /metrics (the rest share "other"), and how long the trace keeps each hop (seconds).
    metrics_parties: int = 200
    trace_retention: float = 7 * 86400.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        """Base URL the hub advertises: OCPI_HUB_PUBLIC_URL, else `http://HOST:PORT`."""
        url = self.public_url_setting or f"http://{self.host}:{self.port}"
        return url.rstrip("/")

    @property
    def versions_url(self) -> str:
        return f"{self.public_url}/ocpi/versions"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read OCPI_HUB_* variables; keyword overrides (from CLI flags) win when not None."""
        settings = cls(
            database_url=os.environ.get("OCPI_HUB_DATABASE_URL") or None,
            data_dir=Path(_env("OCPI_HUB_DATA_DIR", ".ocpi-hub")),
            host=_env("OCPI_HUB_HOST", "127.0.0.1"),
            port=int(_env("OCPI_HUB_PORT", "8080")),
            public_url_setting=os.environ.get("OCPI_HUB_PUBLIC_URL") or None,
            country_code=_env("OCPI_HUB_COUNTRY_CODE", "XX").upper(),
            party_id=_env("OCPI_HUB_PARTY_ID", "HUB").upper(),
            name=_env("OCPI_HUB_NAME", "ocpi-hub"),
            log_format=_env("OCPI_HUB_LOG_FORMAT", "console"),
            log_level=_env("OCPI_HUB_LOG_LEVEL", "info"),
            page_limit=int(_env("OCPI_HUB_PAGE_LIMIT", "100")),
            forward_timeout=float(_env("OCPI_HUB_FORWARD_TIMEOUT", "10")),
            push_max_attempts=int(_env("OCPI_HUB_PUSH_MAX_ATTEMPTS", "12")),
            push_backoff_base=float(_env("OCPI_HUB_PUSH_BACKOFF_BASE", "1")),
            push_backoff_max=float(_env("OCPI_HUB_PUSH_BACKOFF_MAX", "300")),
            push_timeout=float(_env("OCPI_HUB_PUSH_TIMEOUT", "10")),
            push_concurrency=int(_env("OCPI_HUB_PUSH_CONCURRENCY", "256")),
            push_merge_after=float(_env("OCPI_HUB_PUSH_MERGE_AFTER", "60")),
            delivered_retention_days=float(_env("OCPI_HUB_DELIVERED_RETENTION_DAYS", "7")),
            push_poll_interval=float(_env("OCPI_HUB_PUSH_POLL_INTERVAL", "1")),
            authorization_timeout=float(_env("OCPI_HUB_AUTHORIZATION_TIMEOUT", "2.5")),
            result_sweep_interval=float(_env("OCPI_HUB_RESULT_SWEEP_INTERVAL", "1")),
            liveness_silence=float(_env("OCPI_HUB_LIVENESS_SILENCE", "300")),
            liveness_interval=float(_env("OCPI_HUB_LIVENESS_INTERVAL", "60")),
            keepalive_timeout=float(_env("OCPI_HUB_KEEPALIVE_TIMEOUT", "30")),
            read_timeout=float(_env("OCPI_HUB_READ_TIMEOUT", "30")),
            max_connections=int(_env("OCPI_HUB_MAX_CONNECTIONS", "4096")),
            peer_networks=PeerNetworks.parse(_env("OCPI_HUB_PEER_NETWORKS", DEFAULT_PEER_NETWORKS)),
            pull_interval=_seconds("OCPI_HUB_PULL_INTERVAL", "60"),
            pull_delta_every=_optional_seconds("OCPI_HUB_PULL_DELTA_EVERY"),
            pull_full_every=_optional_seconds("OCPI_HUB_PULL_FULL_EVERY"),
            agreement_policy=_policy(_env("OCPI_HUB_AGREEMENT_POLICY", "open")),
            route_window=_seconds("OCPI_HUB_ROUTE_WINDOW", "900"),
            route_flush_interval=_seconds("OCPI_HUB_ROUTE_FLUSH_INTERVAL", "5"),
            route_choice_interval=_seconds("OCPI_HUB_ROUTE_CHOICE_INTERVAL", "30"),
            fraud_interval=_seconds("OCPI_HUB_FRAUD_INTERVAL", "60"),
            fraud_max_kmh=_seconds("OCPI_HUB_FRAUD_MAX_KMH", "250", "km/h"),
            fraud_refused_burst=int(_seconds("OCPI_HUB_FRAUD_REFUSED_BURST", "5", "refusals")),
            fraud_refused_window=_seconds("OCPI_HUB_FRAUD_REFUSED_WINDOW", "600"),
            check_interval=_seconds("OCPI_HUB_CHECK_INTERVAL", "10"),
            reconcile_interval=_seconds("OCPI_HUB_RECONCILE_INTERVAL", "3600"),
            max_session_hours=_seconds("OCPI_HUB_MAX_SESSION_HOURS", "48", "hours"),
            cdr_grace_hours=_seconds("OCPI_HUB_CDR_GRACE_HOURS", "48", "hours"),
            price_tolerance=_tolerance("OCPI_HUB_PRICE_TOLERANCE", "0.01"),
            credit_interval=_seconds("OCPI_HUB_CREDIT_INTERVAL", "60"),
            credit_warn=parse_warn(_env("OCPI_HUB_CREDIT_WARN", "0.8")),
            credit_action=parse_action(_env("OCPI_HUB_CREDIT_ACTION", "alert")),
            oicp_host=_env("OCPI_HUB_OICP_HOST", "127.0.0.1"),
            oicp_port=_port("OCPI_HUB_OICP_PORT", "0"),
            hubject_timeout=_seconds("OCPI_HUB_HUBJECT_TIMEOUT", "10"),
            hubject_answer_budget=_seconds("OCPI_HUB_HUBJECT_ANSWER_BUDGET", "10"),
            hubject_rate_limits=parse_rate_limits(_env("OCPI_HUB_HUBJECT_RATE_LIMITS", "")),
            console_session_hours=_seconds("OCPI_HUB_CONSOLE_SESSION_HOURS", "8", "hours"),
            metrics_parties=_count("OCPI_HUB_METRICS_PARTIES", "200", "parties"),
            trace_retention=_seconds("OCPI_HUB_TRACE_RETENTION", "604800"),
        )
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})
