"""Drains the outbox: claims due deliveries, sends them, records the outcome.

Every `serve` process runs one worker; they share the database safely (see storage outbox).
New deliveries wake the worker through LISTEN/NOTIFY; due retries are found by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg
import structlog

from ocpi_hub.core.parties import InterfaceRole
from ocpi_hub.core.routing import CONFIGURATION_MODULES, routing_headers
from ocpi_hub.core.urls import endpoint_url
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerClient, PeerUnreachable
from ocpi_hub.push.outbox import Outcome, Verdict, judge, next_delay
from ocpi_hub.settings import Settings
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.repositories import outbox, platforms
from ocpi_hub.storage.repositories.outbox import Delivery

log = get_logger("ocpi_hub.push.worker")


class OutboxWorker:
    """One process's share of the delivery work."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: PeerClient,
        settings: Settings,
        database: DatabaseWatch | None = None,
    ) -> None:
        self.pool = pool
        self.client = client
        self.settings = settings
        self.database = database or DatabaseWatch(pool)
        self._wake = asyncio.Event()
        self._stopping = False

    async def run(self) -> None:
        """Deliver until `stop()`; survives database hiccups by waiting and trying again."""
        listener = await self.pool.acquire()
        try:
            await listener.add_listener(outbox.CHANNEL, self._notified)
            while not self._stopping:
                try:
                    sent = await self.drain_once()
                except Exception as exc:
                    # Nothing may stop the worker for good: deliveries would wait for a restart.
                    self.database.round_failed(exc, "outbox_drain_failed")
                    sent = 0
                if sent == 0 and not self._stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.settings.push_poll_interval)
                    self._wake.clear()
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(outbox.CHANNEL, self._notified)
            await self.pool.release(listener)

    def _notified(self, *_: object) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def drain_once(self) -> int:
        """Claim one batch and deliver it concurrently; return how many were attempted."""
        lease = self.settings.push_timeout * 3 + 5
        batch = await outbox.claim(self.pool, self.settings.push_concurrency, lease)
        if batch:
            await asyncio.gather(*(self.deliver(d) for d in batch))
        return len(batch)

    async def deliver(self, delivery: Delivery) -> None:
        # Each delivery runs in its own task, so these bindings stay with its log lines: the
        # X-Request-ID of this attempt, the correlation id of the push that caused it.
        request_id = str(uuid.uuid4())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id,
            correlation_id=delivery.correlation_id,
            module=delivery.module,
            party="*".join(delivery.to_party),
        )
        platform = await platforms.get(self.pool, delivery.receiver_platform_id)
        url = delivery.url
        if url is None and platform is not None:
            endpoint = platform.endpoint(delivery.module, InterfaceRole(delivery.interface))
            try:
                url = endpoint_url(endpoint, delivery.path) if endpoint else None
            except InvalidParameters as exc:  # queued before ids were checked (core.urls)
                await self._record(delivery, Verdict(Outcome.DEAD, exc.message))
                return
        if platform is None or not platform.registered or not platform.outgoing_token or not url:
            await self._record(delivery, Verdict(Outcome.DEAD, "receiver no longer connected"))
            return
        # Configuration modules (hubclientinfo) carry no routing headers (checklist §1.6).
        headers = (
            {}
            if delivery.module in CONFIGURATION_MODULES
            else routing_headers(delivery.from_party, delivery.to_party)
        )
        try:
            response = await self.client.request(
                delivery.method,
                url,
                token=platform.outgoing_token,
                timeout=self.settings.push_timeout,
                body=delivery.body.encode() if delivery.body is not None else None,
                correlation_id=delivery.correlation_id,
                request_id=request_id,
                headers=headers,
            )
            verdict = judge(response)
        except PeerUnreachable as exc:
            verdict = Verdict(Outcome.RETRY, str(exc))
        await self._record(delivery, verdict)

    async def _record(self, delivery: Delivery, verdict: Verdict) -> None:
        attempt = delivery.attempts + 1
        fields = {"delivery": delivery.id, "to": "*".join(delivery.to_party), "attempt": attempt}
        if verdict.outcome == Outcome.DELIVERED:
            await outbox.delivered(self.pool, delivery.id)
            log.info("delivered", **fields, object=delivery.object_key)
            return
        s = self.settings
        delay = next_delay(
            verdict,
            attempt,
            max_attempts=s.push_max_attempts,
            base=s.push_backoff_base,
            cap=s.push_backoff_max,
        )
        await outbox.failed(self.pool, delivery.id, verdict.reason, delay)
        if delay is None:
            log.warning("dead_lettered", **fields, reason=verdict.reason)
        else:
            log.info("delivery_retry", **fields, reason=verdict.reason, retry_in=round(delay, 3))
