"""Drains the outbox: claims due queues, sends their deliveries, records the outcomes.

Every `serve` process runs one worker; they share the database safely (see storage outbox).
The worker is a pipeline, so neither the database nor the slowest receiver of a batch holds the
others up:
- it claims again as soon as a quarter of its `push_concurrency` slots are free, never waiting
  for a whole batch; each claimed queue is one slot until its answer is in;
- the receiving platforms come from the process's platform cache (`_receivers`): no statement
  per delivery, nor per claim while no platform changed;
- outcomes are recorded in batches — whatever finished meanwhile, in one transaction of a few
  statements (storage outbox `record`) — by up to `RECORDERS` transactions at once, so the
  database's commit latency is overlapped rather than paid once per batch in turn. Claiming
  pauses while RECORDERS x `push_concurrency` outcomes wait to be recorded (the database is
  behind): a record takes several round trips, and a tighter bound capped the drain at
  bound / record latency (measured: 256 / 88 ms, ~2,900/s).
For a queue holding several changes, what goes out is decided by `core.delivery.merge`; a PATCH
the receiver cannot apply (404, 2003) becomes a PUT of the stored object. New deliveries wake
the worker through LISTEN/NOTIFY; due retries are found by polling. It also prunes delivered
history older than `delivered_retention_days`, in small batches. Each attempt is counted as a
sample of its receiver as a route (storage.route_meter), for route choice, and a hop of the
trace of the change that caused it (storage.trace_log); each verdict is counted for /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterable

import asyncpg
import orjson
from structlog.stdlib import BoundLogger

from ocpi_hub import dialects
from ocpi_hub.core import delivery as rules
from ocpi_hub.core.parties import InterfaceRole, Platform
from ocpi_hub.core.route_quality import bucket_seconds, succeeded
from ocpi_hub.core.routing import CONFIGURATION_MODULES, routing_headers
from ocpi_hub.core.urls import endpoint_url
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.logging import get_logger
from ocpi_hub.metrics import Metrics
from ocpi_hub.push.client import PeerClient, PeerUnreachable, Target
from ocpi_hub.push.outbox import Outcome, Verdict, attempt_hop, judge, next_delay
from ocpi_hub.settings import Settings
from ocpi_hub.storage.availability import DatabaseWatch, is_unavailable
from ocpi_hub.storage.platform_cache import PlatformCache
from ocpi_hub.storage.repositories import objects, outbox, platforms
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.storage.repositories.outbox import Delivery, Outcomes, Queue, QueueKey
from ocpi_hub.storage.route_meter import RouteMeter
from ocpi_hub.storage.trace_log import TraceLog

log = get_logger("ocpi_hub.push.worker")

# Pending changes of one queue read per claim, for merging (core.delivery).
MERGE_WINDOW = 100
# Record transactions in flight at once (each settles other queues: they never conflict).
RECORDERS = 4
# How often delivered history is pruned, and how many rows one statement deletes.
PRUNE_INTERVAL = 300.0
PRUNE_BATCH = 5000


class OutboxWorker:
    """One process's share of the delivery work."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: PeerClient,
        settings: Settings,
        database: DatabaseWatch | None = None,
        platforms: PlatformCache | None = None,
        meter: RouteMeter | None = None,
        metrics: Metrics | None = None,
        trace: TraceLog | None = None,
    ) -> None:
        self.pool = pool
        self.client = client
        self.settings = settings
        self.database = database or DatabaseWatch(pool)
        # Without a started cache (not listening) every lookup reads the database: correct,
        # only slower.
        self.platforms = platforms or PlatformCache(
            pool, database=self.database, policy=settings.agreement_policy
        )
        # Each attempt is a sample of its receiver as a route (route choice); a worker of its
        # own (tests, tools) counts into a meter nobody writes.
        self.meter = meter or RouteMeter(bucket_seconds(settings.route_window))
        # Each judged attempt is counted for /metrics and is a hop of its change's trace.
        self.metrics = metrics or Metrics(settings.metrics_parties)
        self.trace = trace if trace is not None else TraceLog()
        self._limit = max(1, settings.push_concurrency)
        self._claim_at = max(1, self._limit // 4)
        self._lease = settings.push_timeout * 3 + 5
        self._wake = asyncio.Event()
        self._due = True  # something may be due: claim before sleeping
        self._in_flight = 0  # claimed queues waiting for their receiver's answer
        self._unrecorded = 0  # answered queues whose outcome is not recorded yet
        self._outcomes = Outcomes()  # the next batch to record
        self._finished = asyncio.Event()  # outcomes wait for a recorder
        self._sending: set[asyncio.Task[None]] = set()
        self._recording: set[asyncio.Task[None]] = set()
        # Each attempt binds its ids onto this logger (one line per delivery).
        self._log: BoundLogger = log.bind()
        self._stopping = False
        self._listener_lost = False
        self._closing = False  # stopped: the recorder writes what is left, then ends

    async def run(self) -> None:
        """Deliver until `stop()`; survives database hiccups by waiting and trying again."""
        listener: asyncpg.pool.PoolConnectionProxy | None = None
        recorder = asyncio.create_task(self._record_loop(), name="outbox-recorder")
        pruner = asyncio.create_task(self._prune_loop(), name="outbox-pruner")
        try:
            while not self._stopping:
                if listener is None or self._listener_lost:
                    listener = await self._listen(listener)
                room = self._limit - self._in_flight
                behind = self._unrecorded >= self._limit * RECORDERS
                if self._due and room >= self._claim_at and not behind:
                    self._due = False
                    try:
                        claimed = await self._claim(room)
                    except Exception as exc:
                        # Nothing may stop the worker for good: deliveries would wait for a
                        # restart.
                        self.database.round_failed(exc, "outbox_drain_failed")
                        claimed = 0
                        await asyncio.sleep(self.settings.push_poll_interval)
                        self._due = True
                    if claimed >= room:
                        self._due = True  # a full claim: more may be waiting
                    continue
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.settings.push_poll_interval)
                except TimeoutError:
                    self._due = True  # retries come due without a NOTIFY
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(outbox.CHANNEL, self._notified)
                with contextlib.suppress(Exception):
                    await self.pool.release(listener)
            pruner.cancel()
            try:
                # What is in flight may finish and be recorded; a lease covers what does not.
                if self._sending:
                    await asyncio.wait(self._sending, timeout=self.settings.push_timeout)
                self._closing = True
                self._finished.set()
                await recorder
            finally:
                for task in (recorder, *self._sending, *self._recording):
                    task.cancel()

    async def _listen(
        self, lost: asyncpg.pool.PoolConnectionProxy | None
    ) -> asyncpg.pool.PoolConnectionProxy | None:
        """A connection LISTENing for new deliveries, in place of `lost` (closed by an outage or
        a terminated backend); None while the database refuses, and the worker polls. Checked
        at every poll, so a lost one is replaced within `push_poll_interval`."""
        if lost is not None:
            with contextlib.suppress(Exception):
                await self.pool.release(lost)
        try:
            listener = await self.pool.acquire()
        except Exception:
            return None
        self._listener_lost = False

        def on_lost(_: object) -> None:
            self._listener_lost = True
            self._notified()  # claim at once: nothing announces what is queued meanwhile

        try:
            listener.add_termination_listener(on_lost)
            await listener.add_listener(outbox.CHANNEL, self._notified)
        except Exception:
            with contextlib.suppress(Exception):
                await self.pool.release(listener)
            return None
        self._due = True  # what was queued while nobody listened was announced to nobody
        return listener

    def _notified(self, *_: object) -> None:
        self._due = True
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    # ---- Claiming and sending ------------------------------------------------------------

    async def _claim(self, room: int) -> int:
        queues = await outbox.claim(
            self.pool,
            room,
            self._lease,
            take=MERGE_WINDOW,
            merge_after=self.settings.push_merge_after,
        )
        if not queues:
            return 0
        receivers = await self._receivers({receiver for receiver, _ in queues})
        for key, queue in queues.items():
            self._in_flight += 1
            if not queue.deliveries:
                self._settled(key)
                continue
            task = asyncio.create_task(self._send(key, queue, receivers.get(key[0])))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(queues)

    async def _receivers(self, platform_ids: Iterable[int]) -> dict[int, Platform]:
        """The receiving platforms of one claim, looked up once for all its deliveries."""
        found = {}
        for platform_id in platform_ids:
            platform = await self.platforms.get(platform_id)
            if platform is not None:
                found[platform_id] = platform
        return found

    async def _send(self, key: QueueKey, queue: Queue, platform: Platform | None) -> None:
        head = queue.deliveries[0]
        # Changes are merged into a head that has waited push_merge_after seconds (its receiver
        # is down, or far behind): a receiver that keeps up gets every change as it was made.
        send = (
            rules.merge(head.module, [_change(d) for d in queue.deliveries])
            if queue.merging
            else rules.Send(head.method, head.body, (head.id,))
        )
        # Every line of this attempt carries its X-Request-ID, the correlation id of the push
        # that caused it, the module and the receiving party.
        request_id = str(uuid.uuid4())
        line = self._log.bind(
            request_id=request_id,
            correlation_id=head.correlation_id,
            module=head.module,
            party="*".join(head.to_party),
            delivery=head.id,
            to="*".join(head.to_party),
            attempt=head.attempts + 1,
        )
        try:
            if not _reachable(platform, head):
                # The cache may not have heard yet of a platform that registered a moment ago:
                # the database has the last word before a delivery is given up.
                platform = await platforms.get(self.pool, head.receiver_platform_id)
            verdict = await self._attempt(head, send, platform, request_id)
            await self._judged(head, send, verdict, line)
        except Exception as exc:  # a bug must not leave the queue leased and the slot taken
            line.exception("delivery_failed", error=str(exc))
            self._outcomes.retried.append((head.id, f"hub error: {exc}", self._lease))
        finally:
            self._settled(key)

    async def _attempt(
        self, head: Delivery, send: rules.Send, platform: Platform | None, request_id: str
    ) -> Verdict:
        url = head.url
        if url is None and platform is not None:
            endpoint = platform.endpoint(head.module, InterfaceRole(head.interface))
            try:
                url = endpoint_url(endpoint, head.path) if endpoint else None
            except InvalidParameters as exc:  # queued before ids were checked (core.urls)
                return Verdict(Outcome.DEAD, exc.message)
        if platform is None or not platform.registered or not platform.outgoing_token or not url:
            return Verdict(Outcome.DEAD, "receiver no longer connected")
        # Configuration modules (hubclientinfo) carry no routing headers (checklist §1.6).
        headers = (
            {}
            if head.module in CONFIGURATION_MODULES
            else routing_headers(head.from_party, head.to_party)
        )
        started = time.monotonic()
        response = None
        try:
            response = await self.client.request(
                send.method,
                url,
                dialect=dialects.spoken_by(platform),
                token=platform.outgoing_token,
                timeout=self.settings.push_timeout,
                body=send.body.encode() if send.body is not None else None,
                correlation_id=head.correlation_id,
                request_id=request_id,
                headers=headers,
                target=Target(platform, head.module, InterfaceRole(head.interface), head.path),
            )
            verdict = judge(response, send.method)
        except PeerUnreachable as exc:
            verdict = Verdict(Outcome.RETRY, str(exc))
        seconds = time.monotonic() - started
        enveloped = response is not None and response.status_code is not None
        ok = response is not None and succeeded(response.http_status, enveloped)
        self.meter.record(platform.id, ok, seconds)
        self.trace.add(attempt_hop(head, send.method, url, request_id, seconds, response, verdict))
        return verdict

    async def _judged(
        self, head: Delivery, send: rules.Send, verdict: Verdict, line: BoundLogger
    ) -> None:
        if verdict.outcome == Outcome.DELIVERED:
            self.metrics.delivery("delivered")
            self._outcomes.delivered.extend((i, head.id) for i in send.ids)
            if len(send.ids) > 1:
                line.info("delivered", object=head.object_key, merged=len(send.ids))
            else:
                line.info("delivered", object=head.object_key)
            return
        if verdict.outcome == Outcome.SEND_OBJECT:
            resend = await self._stored_object(head)
            if resend is not None:
                path, body = resend
                reason = f"{verdict.reason}: the receiver lacks the object; sending it whole"
                self._outcomes.resent.append((head.id, path, body, reason))
                self.metrics.delivery("sent_whole")
                line.info("delivery_sends_object", reason=verdict.reason, path=path)
                return
            verdict = Verdict(Outcome.DEAD, f"{verdict.reason}; the hub holds no copy to send")
        s = self.settings
        delay = next_delay(
            verdict,
            head.attempts + 1,
            max_attempts=s.push_max_attempts,
            base=s.push_backoff_base,
            cap=s.push_backoff_max,
        )
        self.metrics.delivery("dead" if delay is None else "retry")
        if delay is None:
            self._outcomes.dead.append((head.id, verdict.reason))
            line.warning("dead_lettered", reason=verdict.reason)
        else:
            self._outcomes.retried.append((head.id, verdict.reason, delay))
            line.info("delivery_retry", reason=verdict.reason, retry_in=round(delay, 3))

    async def _stored_object(self, head: Delivery) -> tuple[str, str] | None:
        """(path, body) of a PUT of the object `head` changes, as the hub stores it now."""
        key = rules.stored_object(head.object_key)
        if key is None or head.url is not None:
            return None
        module, country_code, party_id, ident, kind = key
        stored = ObjectKey(module, (country_code, party_id), ident, kind)
        data = await objects.get(self.pool, stored)
        if data is None:
            return None
        try:
            path = rules.object_path(key, data)
        except InvalidParameters:  # an id no URL may carry (core.urls): nothing to send
            return None
        return path, orjson.dumps(data).decode()

    # ---- Recording -----------------------------------------------------------------------

    def _settled(self, key: QueueKey) -> None:
        self._outcomes.queues.append(key)
        self._in_flight -= 1
        self._unrecorded += 1
        self._finished.set()
        if self._limit - self._in_flight == self._claim_at:
            self._wake.set()  # room for the next claim

    async def _record_loop(self) -> None:
        """Start a record transaction for what has finished, while fewer than RECORDERS run."""
        while not (self._closing and not self._outcomes.queues and not self._recording):
            await self._finished.wait()
            self._finished.clear()
            if self._outcomes.queues and len(self._recording) < RECORDERS:
                outcomes, self._outcomes = self._outcomes, Outcomes()
                task = asyncio.create_task(self._record(outcomes))
                self._recording.add(task)
                task.add_done_callback(self._recorded)

    def _recorded(self, task: asyncio.Task[None]) -> None:
        self._recording.discard(task)
        self._finished.set()  # what finished meanwhile may go now

    async def _record(self, outcomes: Outcomes) -> None:
        """Write one batch of outcomes; while the database is unreachable keep it and try
        again. Any other failure drops the batch: its queues' leases run out and what they
        hold is sent again (at least once)."""
        try:
            while True:
                try:
                    async with self.pool.acquire() as conn:
                        await outbox.record(conn, outcomes)
                    return
                except Exception as exc:
                    self.database.round_failed(exc, "outbox_record_failed")
                    if self._closing or not is_unavailable(exc):
                        return  # the leases run out and the deliveries are sent again
                    await asyncio.sleep(self.settings.push_poll_interval)
        finally:
            # Whatever happened, the slots are free again: the worker never stalls on a batch.
            self._unrecorded -= len(outcomes.queues)
            self._due = True  # a settled queue's next delivery is due at once
            self._wake.set()

    # ---- History -------------------------------------------------------------------------

    async def _prune_loop(self) -> None:
        older_than = self.settings.delivered_retention_days * 86400
        while True:
            try:
                while await outbox.prune_delivered(self.pool, older_than, PRUNE_BATCH) == (
                    PRUNE_BATCH
                ):
                    await asyncio.sleep(0.1)  # let deliveries through between batches
            except Exception as exc:
                self.database.round_failed(exc, "outbox_prune_failed")
            await asyncio.sleep(PRUNE_INTERVAL)


def _reachable(platform: Platform | None, head: Delivery) -> bool:
    """Whether `platform` can be sent `head`: registered, with a token, and an endpoint for it
    (or a URL of its own)."""
    if platform is None or not platform.registered or not platform.outgoing_token:
        return False
    return head.url is not None or bool(
        platform.endpoint(head.module, InterfaceRole(head.interface))
    )


def _change(d: Delivery) -> rules.Change:
    return rules.Change(d.id, d.to_party, d.from_party, d.method, d.path, d.body, d.url)
