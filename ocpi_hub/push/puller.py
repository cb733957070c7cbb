"""The puller (issue 8): the hub reads the Sender interfaces of networks that do not push to it.

Every `pull_interval` seconds `serve` looks at each registered network whose dialect has a pull
schedule (ENAPI), and pulls what core.pulls says is due: per module, a full list or a delta
since the start of the last complete pull, page by page along Link, never asking more than the
dialect's page cap. Each object is stored as its owner's — a remote party of that network in
the module's owner role — exactly as if the network had pushed it (storage.changes: the same
store, the same delivery planner), so it reaches the local parties entitled to it and never
goes back to that network nor to another. What is unchanged since the last pull stores and
sends nothing; an object that is not valid, or whose owner is not a remote party of the
network, or personal data for a party the hub does not know, is skipped and logged. A
HubClientInfo Sender (where the dialect exchanges ClientInfo) teaches the hub the network's
remote parties, as the network's ClientInfo PUTs do.

A pull that does not reach the last page (the network unreachable, an answer that is not a page
of objects, a Link out of the endpoint's origin) keeps what it stored and is not recorded as
complete: the next delta starts where the last complete one did. Pulls are claimed in the
database (storage.repositories.pulls), so hub processes sharing it never pull one network's
module twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from pydantic import ValidationError

from ocpi_hub import dialects
from ocpi_hub.core import pulls as rules
from ocpi_hub.core.agreements import Agreements
from ocpi_hub.core.delivery import object_path
from ocpi_hub.core.model import validate, validation_message
from ocpi_hub.core.modules.hubclientinfo import ClientInfo, remote_party
from ocpi_hub.core.objects import ObjectModule, credited
from ocpi_hub.core.parties import InterfaceRole, Platform
from ocpi_hub.core.routes import network_party
from ocpi_hub.core.routing import PartyKey, routing_headers
from ocpi_hub.core.stored import STORED
from ocpi_hub.dialects import Dialect
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerClient, PeerUnreachable, Target
from ocpi_hub.settings import Settings
from ocpi_hub.storage import changes
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.changes import Pushed
from ocpi_hub.storage.platform_cache import PlatformCache, announce
from ocpi_hub.storage.repositories import platforms, pulls
from ocpi_hub.storage.repositories.objects import ObjectKey

log = get_logger("ocpi_hub.push.puller")

# Seconds one claim on a pull lasts; renewed after each page.
LEASE = 300.0


class PullFailed(Exception):
    """The pull could not go on to the last page."""


@dataclass
class Tally:
    """What one pull did with what it read."""

    read: int = 0
    stored: int = 0
    skipped: int = 0


class Puller:
    """One process's share of the pulling."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: PeerClient,
        settings: Settings,
        cache: PlatformCache,
        database: DatabaseWatch | None = None,
    ) -> None:
        self.pool = pool
        self.client = client
        self.settings = settings
        self.cache = cache
        self.database = database or DatabaseWatch(pool)
        self.hub: PartyKey = (settings.country_code, settings.party_id)

    async def run(self) -> None:
        """Pull what is due every interval until cancelled; survives database hiccups."""
        await self.database.every(self.settings.pull_interval, self.pull_once, "pull_round_failed")

    async def pull_once(self) -> int:
        """Make every pull due now, each network's modules in order, networks side by side;
        return how many were made."""
        networks = [p for p in await platforms.all_platforms(self.pool) if p.network]
        now, states = await pulls.states(self.pool, [p.id for p in networks])
        s = self.settings
        due: list[tuple[Platform, Dialect, list[tuple[rules.Pull, datetime | None]]]] = []
        for platform in networks:
            dialect = dialects.spoken_by(platform)
            jobs = []
            for module in rules.pulled_modules(platform, dialect):
                every = rules.schedule(dialect, s.pull_delta_every, s.pull_full_every, module)
                if every is None:
                    continue
                state = states.get((platform.id, module), rules.PullState())
                pull = rules.next_pull(module, state, every, now, dialect)
                if pull is not None:
                    jobs.append((pull, state.last_attempt))
            if jobs:
                due.append((platform, dialect, jobs))
        made = await asyncio.gather(*(self._pull_network(*network) for network in due))
        return sum(made)

    async def _pull_network(
        self,
        platform: Platform,
        dialect: Dialect,
        jobs: list[tuple[rules.Pull, datetime | None]],
    ) -> int:
        made = 0
        for pull, seen in jobs:
            started = await pulls.claim(self.pool, platform.id, pull.module, seen, LEASE)
            if started is None:
                continue  # another process pulls it, or just did
            made += 1
            await self._pull(platform, dialect, pull, started)
        return made

    async def _pull(
        self, platform: Platform, dialect: Dialect, pull: rules.Pull, started: datetime
    ) -> None:
        line = log.bind(platform=platform.id, module=pull.module, full=pull.full)
        try:
            tally = await self._walk(platform, dialect, pull)
        except asyncio.CancelledError:
            # The hub is stopping: release the claim, or no process would pull this module
            # before the lease ran out.
            release = pulls.failed(self.pool, platform.id, pull.module, "the hub stopped")
            with contextlib.suppress(Exception):
                await asyncio.shield(release)
            raise
        except (PullFailed, PeerUnreachable, rules.UnfollowedLink) as exc:
            await pulls.failed(self.pool, platform.id, pull.module, str(exc))
            line.warning("pull_failed", error=str(exc))
            return
        except Exception as exc:  # a bug must not leave the pull claimed until the lease ends
            await pulls.failed(self.pool, platform.id, pull.module, f"hub error: {exc}")
            line.exception("pull_failed", error=str(exc))
            return
        await pulls.succeeded(self.pool, platform.id, pull.module, started, full=pull.full)
        line.info("pulled", read=tally.read, stored=tally.stored, skipped=tally.skipped)

    async def _walk(self, platform: Platform, dialect: Dialect, pull: rules.Pull) -> Tally:
        """GET every page of the pull, storing what each holds; PullFailed if one is not a page."""
        endpoint = platform.endpoint(pull.module, InterfaceRole.SENDER)
        if endpoint is None or platform.outgoing_token is None:
            raise PullFailed(f"{pull.module}: the network offers no Sender interface")
        network = network_party(platform)
        headers = routing_headers(self.hub, network.key) if network else {}
        cap = dialects.page_limit(dialect, pull.module)
        correlation_id = str(uuid.uuid4())  # one per pull: its deliveries share it in the logs
        tally = Tally()
        url: str | None = endpoint
        params: Mapping[str, str] | None = rules.first_query(dialect, pull)
        seen: set[str] = set()
        while url is not None:
            seen.add(url)
            answer = await self.client.request(
                "GET",
                url,
                token=platform.outgoing_token,
                timeout=self.settings.forward_timeout,
                headers=headers,
                params=params,
                dialect=dialect,
                target=Target(platform, pull.module, InterfaceRole.SENDER),
            )
            if not answer.ok or not isinstance(answer.data, list):
                message = answer.body.get("status_message") if answer.status_code else None
                raise PullFailed(
                    f"GET {url}: HTTP {answer.http_status}, status_code {answer.status_code}"
                    + (f": {message}" if message else "")
                )
            # A bridged network learns the parties a page names while answering it (Hubject's
            # operators): the platform as it is now holds them.
            platform = await self.cache.get(platform.id) or platform
            await self._keep(platform, dialect, pull.module, answer.data, correlation_id, tally)
            await pulls.extend(self.pool, platform.id, pull.module, LEASE)
            url, params = rules.next_url(answer.headers.get("Link"), endpoint, cap), None
            if url in seen:
                raise PullFailed(f"GET {url}: its Link leads back to a page already read")
        return tally

    async def _keep(
        self,
        platform: Platform,
        dialect: Dialect,
        module: str,
        page: list[Any],
        correlation_id: str,
        tally: Tally,
    ) -> None:
        tally.read += len(page)
        if module not in STORED:
            tally.stored += await self._learn(platform, page, tally)
            return
        agreements = await self.cache.agreements()
        for item in page:
            document = dialects.as_spec(dialect, item)
            try:
                kept = await self._store(
                    platform, STORED[module], document, correlation_id, agreements
                )
            except InvalidParameters as exc:
                tally.skipped += 1
                log.warning(
                    "pulled_object_skipped", platform=platform.id, module=module, reason=exc.message
                )
                continue
            tally.stored += kept

    async def _store(
        self,
        platform: Platform,
        spec: ObjectModule,
        document: Any,
        correlation_id: str,
        agreements: Agreements,
    ) -> int:
        """Store one pulled object as its owner's, as if the network had pushed it: 1 when
        something changed, 0 when it was as stored; InvalidParameters (why) to skip it."""
        if not isinstance(document, dict):
            raise InvalidParameters("not a JSON object")
        validate(spec.model, document)
        owner_at = platform.party(document["country_code"], document["party_id"], spec.owner_role)
        if owner_at is None or not platform.is_remote(owner_at):
            raise InvalidParameters(
                f"{document['country_code']}*{document['party_id']} is not a"
                f" {spec.owner_role.value} behind this network"
            )
        owner = owner_at.key
        addressee = spec.addressee(document) if spec.addressee else None
        if spec.personal and (
            addressee is None or not await self.cache.platforms_of_party(*addressee)
        ):
            meant = "*".join(addressee) if addressee else "nobody"
            raise InvalidParameters(f"meant for {meant}, not known to this hub")
        kind = spec.kind({"type": str(document.get("type", ""))})
        key = ObjectKey(spec.module.value, owner, str(document[spec.id_field]), kind)
        corrected = credited(document) if spec.immutable else None
        pushed = Pushed(
            spec=spec,
            key=key,
            # As the network would have pushed it: a CDR POSTed, anything else PUT whole.
            method="POST" if spec.immutable else "PUT",
            path="" if spec.immutable else object_path(key.args(), document),
            body=orjson.dumps(document).decode(),
            source=platform,
            sender=owner,
            hub=self.hub,
            correlation_id=correlation_id,
            agreements=agreements,
            behind=ObjectKey(spec.module.value, owner, corrected) if corrected else None,
        )
        if spec.immutable:
            planned = await changes.store_new(self.pool, self.cache, pushed, document)
            return 0 if planned is None else 1
        stored = await changes.store(
            self.pool,
            self.cache,
            pushed,
            lambda old: (document, old is None),
            only_changed=True,
        )
        return 0 if stored is None else 1

    async def _learn(self, platform: Platform, page: list[Any], tally: Tally) -> int:
        """The remote parties a network's ClientInfo list names, each as its ClientInfo PUT
        would make it (with the status it reports); how many are new."""
        learned = 0
        async with self.pool.acquire() as conn:
            for item in page:
                try:
                    info = ClientInfo.model_validate(item)
                    party = remote_party(info)
                except (ValidationError, ValueError) as exc:
                    tally.skipped += 1
                    reason = validation_message(exc) if isinstance(exc, ValidationError) else exc
                    log.warning("pulled_clientinfo_skipped", platform=platform.id, reason=reason)
                    continue
                learned += await platforms.add_remote(
                    conn,
                    platform.id,
                    party,
                    name=None,
                    source="HUBCLIENTINFO",
                    status=info.status.value,
                    hub=self.hub,  # a new party or status is pushed to the peers, as for a PUT
                )
        if learned:
            self.cache.invalidate(platform.id)
            await announce(self.pool, platform.id)
        return learned
