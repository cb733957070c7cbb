"""The hub's Prometheus metrics (issue 12), served at /metrics (admin.metrics).

Each application has a registry of its own (several hubs may run in one process: the tests).
Counted as things happen, by the code that sees them:

- `ocpi_hub_requests_total{module, interface, party, status_code}`: each request in, with the
  OCPI status_code it was answered (web.middleware); `party` is the requesting party;
- `ocpi_hub_relay_duration_seconds{party}`: a histogram of each relay by its destination party
  (web.relay.ask), whatever its outcome (a timeout counts as the time waited);
- `ocpi_hub_deliveries_total{result}`: each delivery attempt judged (push.worker): delivered,
  sent_whole (a PATCH the receiver could not apply, sent as the whole object), retry, dead;
- `ocpi_hub_authorizations_total{outcome, on_behalf}`: each real-time authorization carried,
  by its AllowedType, and whether the hub answered on the eMSP's behalf (web.modules.tokens).

Read from the database at each scrape (`render`), so every process shows the same:
- `ocpi_hub_outbox_pending_deliveries{receiver}` and
  `ocpi_hub_outbox_oldest_pending_age_seconds{receiver}`;
- `ocpi_hub_findings_open{module, code}` (CDR and Session checks) and
  `ocpi_hub_fraud_alerts_open{code}`.

Party labels are bounded by OCPI_HUB_METRICS_PARTIES (core.metrics.party_label): past the cap
a party is counted under `other`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ocpi_hub.core.metrics import NONE, allowed_label, party_label, route_labels
from ocpi_hub.core.route_quality import LATENCY_BOUNDS_MS
from ocpi_hub.storage.repositories import findings, fraud, outbox

__all__ = ["CONTENT_TYPE", "Metrics"]

# The Prometheus text format, version 0.0.4 (what every Prometheus scrapes).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The same buckets route choice measures latency in (core.route_quality), in seconds.
RELAY_BUCKETS = tuple(ms / 1000 for ms in LATENCY_BOUNDS_MS)


class Metrics:
    """One application's series, and the party labels it has given out."""

    def __init__(self, party_cap: int) -> None:
        self.registry = CollectorRegistry()
        self._cap = party_cap
        self._parties: set[str] = set()
        # The labelled series already made, by what names them: prometheus_client's `labels`
        # validates and locks at every call, and every request in counts one.
        self._children: dict[tuple[object, ...], Any] = {}
        self._requests = Counter(
            "ocpi_hub_requests",
            "Requests to the hub, by module, interface, requesting party and OCPI status code",
            ["module", "interface", "party", "status_code"],
            registry=self.registry,
        )
        self._relays = Histogram(
            "ocpi_hub_relay_duration_seconds",
            "Requests relayed to a party, by destination party: how long each took",
            ["party"],
            buckets=RELAY_BUCKETS,
            registry=self.registry,
        )
        self._deliveries = Counter(
            "ocpi_hub_deliveries",
            "Outbox delivery attempts, by result (delivered, sent_whole, retry, dead)",
            ["result"],
            registry=self.registry,
        )
        self._authorizations = Counter(
            "ocpi_hub_authorizations",
            "Real-time authorizations, by outcome and whether the hub answered for the eMSP",
            ["outcome", "on_behalf"],
            registry=self.registry,
        )

    def party(self, party: str | None) -> str:
        """The label of `party` (`CC*PID`): itself, or `other` past the cap; `none`."""
        if not party:
            return NONE
        label = party_label(party, self._parties, self._cap)
        if label == party:
            self._parties.add(party)
        return label

    def request(self, route: str, party: str | None, status_code: int) -> None:
        """One request in, on the route named `route`, answered `status_code`."""
        key = ("request", route, self.party(party), status_code)
        child = self._children.get(key)
        if child is None:
            module, interface = route_labels(route)
            child = self._requests.labels(module, interface, key[2], str(status_code))
            self._children[key] = child
        child.inc()

    def relay(self, party: str, seconds: float) -> None:
        """One request relayed to `party`, which took `seconds`."""
        key = ("relay", self.party(party))
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._relays.labels(key[1])
        child.observe(seconds)

    def delivery(self, result: str) -> None:
        """One delivery attempt judged `result`."""
        self._deliveries.labels(result).inc()

    def authorization(self, allowed: str, on_behalf: bool) -> None:
        """One real-time authorization answered `allowed`, by the eMSP or on its behalf."""
        self._authorizations.labels(allowed_label(allowed), str(on_behalf).lower()).inc()

    async def render(self, pool: asyncpg.Pool) -> bytes:
        """Every series in the Prometheus text format, those of the database read now."""
        async with pool.acquire() as conn:
            backlog = await outbox.backlog(conn)
            found = await findings.open_counts(conn)
            alerts = await fraud.open_counts(conn)
        scraped = [*self._backlog(backlog), *_findings(found), _alerts(alerts)]
        return generate_latest(_Exposition(self.registry, scraped))

    def _backlog(self, backlog: Iterable[tuple[str, int, float]]) -> list[Metric]:
        # Receivers past the cap share `other`: their pending deliveries add up, their oldest
        # is the oldest of all.
        pending: dict[str, int] = {}
        oldest: dict[str, float] = {}
        for receiver, count, waited in backlog:
            label = self.party(receiver)
            pending[label] = pending.get(label, 0) + count
            oldest[label] = max(oldest.get(label, 0.0), waited)
        depth = GaugeMetricFamily(
            "ocpi_hub_outbox_pending_deliveries",
            "Deliveries waiting in the outbox, by receiving party",
            labels=["receiver"],
        )
        age = GaugeMetricFamily(
            "ocpi_hub_outbox_oldest_pending_age_seconds",
            "How long the oldest pending delivery has waited, by receiving party",
            labels=["receiver"],
        )
        for label in sorted(pending):
            depth.add_metric([label], pending[label])
            age.add_metric([label], oldest[label])
        return [depth, age]


def _findings(found: dict[tuple[str, str], int]) -> list[Metric]:
    family = GaugeMetricFamily(
        "ocpi_hub_findings_open",
        "Open findings of the CDR and Session checks, by module and code",
        labels=["module", "code"],
    )
    for (module, code), count in sorted(found.items()):
        family.add_metric([module, code], count)
    return [family]


def _alerts(alerts: dict[str, int]) -> Metric:
    family = GaugeMetricFamily(
        "ocpi_hub_fraud_alerts_open", "Open fraud alerts, by code", labels=["code"]
    )
    for code, count in sorted(alerts.items()):
        family.add_metric([code], count)
    return family


class _Exposition(Collector):
    """What one scrape shows: the registry's series and those read for it."""

    def __init__(self, registry: CollectorRegistry, scraped: list[Metric]) -> None:
        self._registry = registry
        self._scraped = scraped

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()
        yield from self._scraped
