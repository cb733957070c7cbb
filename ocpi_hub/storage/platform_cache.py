"""Every platform and its parties in memory, current in every hub process sharing the database.

Authenticating a request, finding where to relay it and planning a push's deliveries all ask
"which platform is this?" Asking PostgreSQL each time cost two to four statements per request
and, per push, loading every registered platform. A `PlatformCache` answers from memory:

- `by_token`, `get`, `platforms_of_party`, `offline`, `receivers` (the precomputed audience of a
  broadcast push) and `agreements` (core.agreements, which are loaded with the platforms and
  announced on the same channel) cost no statement while nothing changed. So do the eMSPs whose
  credit is suspended (`suspension`), and the route chosen for each party (route choice,
  storage.repositories.routes), loaded and announced the same way: `platforms_of_party` puts it
  first.
- Invalidation: a trigger (migration 0007) announces every change of a platform or its parties
  on `platforms.CHANNEL` with the platform's id, at commit, from whichever process or tool made
  it (another `serve`, `ocpi-hub parties invite`, the liveness probe, plain SQL). Each process
  LISTENs on a connection of its own and reloads the announced platforms at its next lookup.
- At once: PostgreSQL sends the announcement at commit, but each process reads it when it gets
  to it. Where a change must hold everywhere before it is answered (a rotated or deleted token,
  a re-issued invitation), the code that made it calls `announce`: every listening process marks
  the platform for reload and acknowledges; `announce` returns once all have. A request reaching
  any process after that is judged on the new state.
- Safety: everything is reloaded after `ttl` seconds anyway; while the listening connection is
  down (database restart, network), the cache trusts nothing and reloads at every lookup, and
  once it listens again it reloads everything (it may have missed announcements meanwhile).
- A token or party the cache does not know is looked up in the database before the answer is
  "unknown": a platform registered a moment ago works at once.
- Its reads (loads and those lookups) run on a small pool of their own (`db.companion_pool`):
  the store path asks the cache while it holds a connection of the hub's pool, and with every
  connection held so, a load waiting for one more would never get it.

Tokens are found by their SHA-256 hash, as in the database's index: an attacker controls the
token, not its hash, so the time a lookup takes says nothing about any stored token.

The snapshot is immutable and swapped whole; lookups take no lock and, when nothing changed,
never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import asyncpg

from ocpi_hub.core import routes
from ocpi_hub.core.agreements import Agreements, Policy
from ocpi_hub.core.handshake import hash_token
from ocpi_hub.core.parties import InterfaceRole, Party, Platform, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.logging import get_logger
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.db import companion_pool
from ocpi_hub.storage.repositories import agreements, credit, platforms
from ocpi_hub.storage.repositories import routes as route_choices
from ocpi_hub.storage.repositories.platforms import StoredPlatform

log = get_logger("ocpi_hub.storage.platform_cache")

# Connections of the cache's own pool: loads take one at a time (under a lock), the lookups of
# what the snapshot does not know one each.
READERS = 3
# Seconds after which everything is reloaded even without an announcement.
DEFAULT_TTL = 30.0
# Seconds between two attempts to listen again after the connection was lost.
_RELISTEN_DELAY = 1.0
# Seconds `announce` waits for every process to acknowledge before giving up on the laggards.
ANNOUNCEMENT_WAIT = 2.0

# The application_name of each process's listening connection: how `announce` finds them.
LISTENER_NAME = "ocpi-hub platform cache"

Audience = tuple[tuple[Party, Platform], ...]


@dataclass(frozen=True)
class _Snapshot:
    """The platforms as of one load, with the indexes the lookups use."""

    stored: dict[int, StoredPlatform]
    by_token: dict[bytes, int]
    by_party: dict[PartyKey, tuple[Platform, ...]]
    agreements: Agreements
    chosen: dict[PartyKey, int]  # the route chosen per party (route choice)
    suspended: dict[PartyKey, str]  # eMSPs whose credit is suspended, and why (credit watch)
    # Audiences computed from this snapshot, by (roles, module, interface); filled on use.
    audiences: dict[tuple[frozenset[Role], str, InterfaceRole], Audience] = field(
        default_factory=dict
    )

    @classmethod
    def of(
        cls,
        stored: Iterable[StoredPlatform],
        agreed: Agreements,
        chosen: dict[PartyKey, int],
        suspended: dict[PartyKey, str],
    ) -> _Snapshot:
        by_id = {s.platform.id: s for s in sorted(stored, key=lambda s: s.platform.id)}
        by_party: dict[PartyKey, list[Platform]] = {}
        for s in by_id.values():
            for key in dict.fromkeys(party.key for party in s.platform.parties):
                by_party.setdefault(key, []).append(s.platform)
        return cls(
            by_id,
            {s.incoming_token_hash: i for i, s in by_id.items() if s.incoming_token_hash},
            {key: tuple(found) for key, found in by_party.items()},
            agreed,
            chosen,
            suspended,
        )

    def replaced(self, ids: Iterable[int], reloaded: Iterable[StoredPlatform]) -> _Snapshot:
        """This snapshot with the platforms `ids` as reloaded (absent ones were deleted)."""
        stored = dict(self.stored)
        for platform_id in ids:
            stored.pop(platform_id, None)
        stored.update((s.platform.id, s) for s in reloaded)
        return _Snapshot.of(stored.values(), self.agreements, self.chosen, self.suspended)

    def audience(self, roles: frozenset[Role], module: str, interface: InterfaceRole) -> Audience:
        key = (roles, module, interface)
        found = self.audiences.get(key)
        if found is None:
            platforms = (s.platform for s in self.stored.values())
            found = tuple(routes.audience(platforms, roles, module, interface))
            self.audiences[key] = found
        return found


class PlatformCache:
    """One process's copy of every platform (see the module docstring). `start()` it once the
    pool is open and `close()` it before the pool closes."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        ttl: float = DEFAULT_TTL,
        database: DatabaseWatch | None = None,
        policy: Policy = Policy.OPEN,
    ) -> None:
        self._pool = pool
        self._reads = pool  # its own pool once started (module docstring)
        self._own_reads: asyncpg.Pool | None = None
        self._policy = policy  # OCPI_HUB_AGREEMENT_POLICY, read at start
        self._ttl = ttl
        # Where a database outage is reported (logged once per outage, not by each loop).
        self._database = database
        self._snapshot: _Snapshot | None = None
        self._expires = 0.0
        self._dirty: set[int] = set()  # platforms announced since the last load
        # Tokens this process saw rotated or deleted: never trusted from a snapshot again, however
        # a reload raced with the change (a rotation is rare; the set stays small).
        self._retired: set[bytes] = set()
        self._all_dirty = True  # everything must be reloaded
        self._listening = False
        self._listening_once = asyncio.Event()
        self._listens = 0  # how many times LISTEN succeeded
        self._lock = asyncio.Lock()
        self._unacknowledged: list[str] = []  # markers of `announce` to acknowledge
        self._wake = asyncio.Event()  # the listening task has something to do
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 5.0) -> None:
        """Listen for announcements; wait up to `timeout` s for the first LISTEN (until it
        succeeds every lookup reads the database)."""
        self._own_reads = self._reads = await companion_pool(self._pool, READERS)
        self._task = asyncio.create_task(self._listen(), name="platform-cache")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening_once.wait(), timeout)

    @property
    def listening(self) -> bool:
        """Whether announcements reach this process now (otherwise every lookup reloads)."""
        return self._listening

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._own_reads is not None:
            self._reads = self._pool
            await self._own_reads.close()
            self._own_reads = None

    # ---- lookups ----------------------------------------------------------------------------

    async def get(self, platform_id: int) -> Platform | None:
        """The platform with this id."""
        stored = (await self._fresh()).stored.get(platform_id)
        if stored is not None:
            return stored.platform
        found = await platforms.get(self._reads, platform_id)
        if found is not None:
            self._dirty.add(found.id)
        return found

    async def by_token(self, candidates: Sequence[str]) -> tuple[Platform, str] | None:
        """The platform whose incoming token is one of `candidates` (compared by hash), and
        which candidate it was; as `platforms.by_token`."""
        if not candidates:
            return None
        snapshot = await self._fresh()
        for token in candidates:
            digest = hash_token(token)
            platform_id = None if digest in self._retired else snapshot.by_token.get(digest)
            # Changed again while a stream of changes kept the snapshot behind: a token is
            # never trusted from a copy known to be stale, so the database answers.
            if platform_id is not None and not (self._all_dirty or platform_id in self._dirty):
                return snapshot.stored[platform_id].platform, token
        found = await platforms.by_token(self._reads, candidates)
        if found is not None:
            self._dirty.add(found[0].id)
        return found

    async def platforms_of_party(self, country_code: str, party_id: str) -> list[Platform]:
        """Platforms hosting the party (country_code, party_id) in any role, best route first:
        the route chosen for it, then the static order (`core.routes.routes`)."""
        key = (country_code.upper(), party_id.upper())
        snapshot = await self._fresh()
        hosts = snapshot.by_party.get(key)
        if hosts is not None:
            return routes.routes(hosts, key, snapshot.chosen.get(key))
        found = await platforms.platforms_of_party(self._reads, *key)
        self._dirty.update(p.id for p in found)
        return routes.routes(found, key, snapshot.chosen.get(key))

    async def all(self) -> list[Platform]:
        """Every platform, in id order."""
        snapshot = await self._fresh()
        return [snapshot.stored[i].platform for i in sorted(snapshot.stored)]

    async def offline(self, platform_id: int) -> bool:
        """Whether the liveness probe found the platform unreachable (its parties OFFLINE)."""
        stored = (await self._fresh()).stored.get(platform_id)
        return stored is not None and stored.offline

    async def suspension(self, party: PartyKey) -> str | None:
        """Why the eMSP's credit is suspended (issue 9 §7); None when it is not. Whoever
        suspends or lifts announces it (`announce(pool, None)`) once committed."""
        return (await self._fresh()).suspended.get(party)

    async def agreements(self) -> Agreements:
        """Who trades with whom (core.agreements), under the policy the hub started with."""
        return (await self._fresh()).agreements

    async def receivers(
        self, roles: Iterable[Role], module: str, interface: InterfaceRole
    ) -> Audience:
        """The audience of a broadcast: each party with one of `roles` on a registered platform
        offering `module`/`interface`, once per (platform, identity), in platform then party
        order. Computed once per change of the platforms, not per push."""
        return (await self._fresh()).audience(frozenset(roles), str(module), interface)

    # ---- invalidation -----------------------------------------------------------------------

    def retire(self, token: str) -> None:
        """A token this process rotated or deleted: from now on only the database answers for
        it here."""
        self._retired.add(hash_token(token))

    def invalidate(self, platform_id: int | None = None) -> None:
        """Forget one platform (everything when None): it is reloaded at the next lookup."""
        if platform_id is None:
            self._all_dirty = True
        else:
            self._dirty.add(platform_id)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        """An announcement: `<platform id>`, or `<platform id>:<marker>` from `announce`, which
        waits for the marker to be acknowledged (once the platform is marked for reload)."""
        platform_id, _, marker = str(payload).partition(":")
        try:
            self._dirty.add(int(platform_id))
        except ValueError:
            self._all_dirty = True
        if marker:
            self._unacknowledged.append(marker)
            self._wake.set()

    # ---- loading ----------------------------------------------------------------------------

    async def _fresh(self) -> _Snapshot:
        """The current snapshot, after reloading what was announced (everything when the TTL
        passed or nobody listens)."""
        snapshot = self._snapshot
        # A load in progress has cleared the marks it is loading: until it is done, the snapshot
        # is not known to be fresh (a change announced just before that load began would be
        # answered from the old one), so wait for it under the lock.
        if (
            snapshot is not None
            and self._listening
            and not self._dirty
            and not self._all_dirty
            and not self._lock.locked()
            and time.monotonic() < self._expires
        ):
            return snapshot
        async with self._lock:
            # Announcements arriving during a load are loaded by the next round; a few rounds
            # at most, so a stream of changes cannot hold a lookup forever.
            for _ in range(3):
                snapshot = self._snapshot
                everything = (
                    snapshot is None
                    or self._all_dirty
                    or not self._listening
                    or time.monotonic() >= self._expires
                )
                if not everything and not self._dirty:
                    break
                ids, self._dirty = self._dirty, set()
                self._all_dirty = False
                try:
                    if everything or snapshot is None:
                        started = time.monotonic()
                        snapshot = _Snapshot.of(
                            await platforms.load(self._reads),
                            await agreements.load(self._reads, self._policy),
                            await route_choices.chosen_routes(self._reads),
                            await credit.suspended(self._reads),
                        )
                        self._expires = started + self._ttl
                    else:
                        reloaded = await platforms.load(self._reads, sorted(ids))
                        snapshot = snapshot.replaced(ids, reloaded)
                except BaseException:
                    self._dirty |= ids
                    self._all_dirty = self._all_dirty or everything
                    raise
                self._snapshot = snapshot
                if not self._listening:
                    break  # nothing to wait for: this load is as fresh as it gets
        assert self._snapshot is not None
        return self._snapshot

    async def _listen(self) -> None:
        """Keep a connection LISTENing on the channel; while there is none, trust nothing."""
        warned_at = -1  # one warning per lost connection, not one per attempt
        while True:
            try:
                await self._listen_once()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                if await self._outage(exc):
                    pass  # the database watch logs an outage, once
                elif warned_at != self._listens:
                    log.warning("platform_cache_not_listening", error=str(exc) or repr(exc))
                    warned_at = self._listens
            except Exception:
                log.exception("platform_cache_failed")  # a bug: the cache trusts nothing
            await asyncio.sleep(_RELISTEN_DELAY)

    async def _outage(self, exc: Exception) -> bool:
        """Whether the database is unavailable (then reported to the watch, if any)."""
        if self._database is None:
            return False
        try:
            return self._database.report(exc) or not await self._database.check()
        except Exception:
            return False

    async def _listen_once(self) -> None:
        """Listen on one pooled connection until it is lost (ConnectionError then); on it,
        acknowledge `announce` markers and check the link every `ttl` seconds."""
        lost = asyncio.Event()

        def on_lost(_: object) -> None:
            lost.set()
            self._wake.set()

        async with self._pool.acquire() as conn:
            conn.add_termination_listener(on_lost)
            await conn.add_listener(platforms.CHANNEL, self._notified)
            try:
                await platforms.name_listener(conn, LISTENER_NAME)
                # Changes made before LISTEN were announced to nobody here.
                self._all_dirty = True
                self._listening = True
                self._listens += 1
                self._listening_once.set()
                while True:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._ttl)
                    self._wake.clear()
                    if lost.is_set():
                        raise ConnectionError("the listening connection was closed")
                    if self._unacknowledged:
                        markers, self._unacknowledged = self._unacknowledged, []
                        await platforms.acknowledge(conn, markers)
                    else:
                        await platforms.name_listener(conn, LISTENER_NAME)  # the link lives
            finally:
                self._listening = False
                self._all_dirty = True
                with contextlib.suppress(Exception):  # a lost connection was released already
                    conn.remove_termination_listener(on_lost)
                    await platforms.name_listener(conn, None)
                    await conn.remove_listener(platforms.CHANNEL, self._notified)


async def announce(
    pool: asyncpg.Pool, platform_id: int | None, *, timeout: float = ANNOUNCEMENT_WAIT
) -> bool:
    """After a change of platform `platform_id` (None: of everything the cache holds, such as
    the agreements or the chosen routes) committed: make every hub process listening on the
    database mark it for reload, and wait until each has acknowledged (at most `timeout`
    seconds: a process that died or hangs is not waited for). True when all did.

    Processes that start listening meanwhile reload everything anyway; a process that is not
    listening at the moment reloads at every lookup.
    """
    marker = uuid.uuid4().hex
    acknowledged: set[int] = set()
    expected: set[int] | None = None
    done = asyncio.Event()

    def on_acknowledged(_conn: object, pid: int, _channel: str, payload: object) -> None:
        if marker in str(payload).split(","):
            acknowledged.add(pid)
            if expected is not None and expected <= acknowledged:
                done.set()

    async with pool.acquire() as conn:
        await conn.add_listener(platforms.ACKNOWLEDGED, on_acknowledged)
        try:
            subject = "all" if platform_id is None else str(platform_id)
            expected = set(await platforms.announce(conn, subject, marker, LISTENER_NAME))
            if expected <= acknowledged:
                done.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout)
        finally:
            await conn.remove_listener(platforms.ACKNOWLEDGED, on_acknowledged)
    if not done.is_set():
        log.warning(
            "platform_change_not_acknowledged",
            platform=platform_id,
            missing=sorted(expected - acknowledged) if expected is not None else None,
        )
    return done.is_set()
