"""What the hub pulls from a network that does not push to it, and when (issue 8), sans I/O.

A network whose dialect has a pull schedule (ENAPI: it pulls its members and expects to be
pulled) has its Sender interfaces read by the hub (push.puller), and what they serve is stored
as its remote parties' objects, as if the network had pushed them.

- **What** (`pulled_modules`): each of the five stored modules (core.stored) whose Sender the
  network offers and its dialect does not lack, and HubClientInfo where it offers a Sender and
  its dialect exchanges it (not one that only PUTs ClientInfo for agreements, nor one lacking
  it). A network without a schedule pushes its objects to the hub; of it only the HubClientInfo
  Sender is read, on `CLIENT_INFO_SCHEDULE` (`schedule`): the parties behind a network that
  announces them only in its list are learned too, and a ClientInfo push that never came is
  caught up.
- **When** (`next_pull`, per network and module): a full list first; then a delta, `date_from`
  the start of the last complete pull, every `delta_every`; a full list every `full_every` (what
  a delta cannot see: objects whose last_updated the network restamped, or that came late);
  a full list at once when the network sent a ClientInfo and its dialect says that cues one.
  After a failed attempt the next waits `retry_after` (the schedule's delta period, at most
  FAILED_RETRY), whatever is due.
- **How** (`first_query`, `next_url`): `limit` never above the dialect's page cap for the
  module (absent when it has none: the network's own page size); Link followed only within the
  origin of the endpoint (a page may not send the hub elsewhere), its limit lowered to the cap.

The schedule is the dialect's unless the operator's settings override it (`schedule`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from ocpi_hub import dialects
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Platform
from ocpi_hub.core.stored import STORED
from ocpi_hub.core.types import format_datetime
from ocpi_hub.core.urls import origin
from ocpi_hub.dialects import Dialect, PullSchedule

__all__ = [
    "CLIENT_INFO_SCHEDULE",
    "FAILED_RETRY",
    "Pull",
    "PullState",
    "UnfollowedLink",
    "first_query",
    "next_pull",
    "next_url",
    "pulled_modules",
    "schedule",
]

# Seconds a failed pull waits at most before it is tried again.
FAILED_RETRY = 300.0
HUB_CLIENT_INFO = ModuleID.HUB_CLIENT_INFO.value

_LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)
_LIMIT = re.compile(r"(?<=[?&])limit=(\d+)")


# How a network that pushes to the hub has its HubClientInfo Sender read: in full once it is
# registered, then every hour (its pushes keep the statuses current in between; the list is
# the reconciliation: a remote party it announces nowhere else, a push lost on the way).
CLIENT_INFO_SCHEDULE = PullSchedule(delta_every=3600.0, full_every=3600.0)


def schedule(
    dialect: Dialect,
    delta_every: float | None = None,
    full_every: float | None = None,
    module: str | None = None,
) -> PullSchedule | None:
    """The schedule `module` (any, when None) of a network speaking `dialect` is pulled on:
    the dialect's, each period overridden by the operator's setting when given; for a network
    that pushes to the hub, CLIENT_INFO_SCHEDULE for its HubClientInfo and None otherwise."""
    if dialect.pull is None:
        return CLIENT_INFO_SCHEDULE if module == HUB_CLIENT_INFO else None
    return PullSchedule(
        delta_every=dialect.pull.delta_every if delta_every is None else delta_every,
        full_every=dialect.pull.full_every if full_every is None else full_every,
    )


def pulled_modules(platform: Platform, dialect: Dialect) -> list[str]:
    """The modules the hub pulls from `platform`, a network speaking `dialect`, in pull order:
    nothing unless it is a registered network; only HubClientInfo from one whose dialect has
    no pull schedule (it pushes its objects)."""
    if not (platform.network and platform.registered):
        return []
    wanted = [m for m in STORED if m not in dialect.missing_modules and dialect.pull is not None]
    if dialects.exchanges_hubclientinfo(dialect):
        wanted.append(HUB_CLIENT_INFO)
    return [m for m in wanted if platform.endpoint(m, InterfaceRole.SENDER)]


@dataclass(frozen=True)
class PullState:
    """What the hub recorded of its pulls of one module of one network."""

    last_success: datetime | None = None  # start of the last complete pull, delta or full
    last_full: datetime | None = None  # start of the last complete full pull
    last_attempt: datetime | None = None  # start of the last pull, complete or not
    cued_at: datetime | None = None  # the network sent a ClientInfo then


@dataclass(frozen=True)
class Pull:
    """One pull to make: the whole list, or the changes since `date_from`."""

    module: str
    full: bool
    date_from: datetime | None = None


def next_pull(
    module: str, state: PullState, every: PullSchedule, now: datetime, dialect: Dialect
) -> Pull | None:
    """The pull of `module` due at `now`, or None."""
    failed = state.last_attempt is not None and (
        state.last_success is None or state.last_attempt > state.last_success
    )
    retry_after = timedelta(seconds=min(every.delta_every, FAILED_RETRY))
    if failed and state.last_attempt is not None and now - state.last_attempt < retry_after:
        return None
    cued = (
        dialect.hubclientinfo_partial
        and state.cued_at is not None
        and (state.last_full is None or state.cued_at > state.last_full)
    )
    if (
        state.last_full is None
        or cued
        or now - state.last_full >= timedelta(seconds=every.full_every)
    ):
        return Pull(module, full=True)
    assert state.last_success is not None  # a full pull completed, so a pull did
    if now - state.last_success >= timedelta(seconds=every.delta_every):
        return Pull(module, full=False, date_from=state.last_success)
    return None


def first_query(dialect: Dialect, pull: Pull) -> dict[str, str]:
    """The query of a pull's first page: `date_from` for a delta, `limit` the dialect's cap."""
    query: dict[str, str] = {}
    if pull.date_from is not None:
        query["date_from"] = format_datetime(pull.date_from)
    cap = dialects.page_limit(dialect, pull.module)
    if cap is not None:
        query["limit"] = str(cap)
    return query


class UnfollowedLink(ValueError):
    """A Link the hub does not follow: it would leave the network's endpoint."""


def next_url(link: str | None, endpoint: str, cap: int | None) -> str | None:
    """The next page's URL from a `Link` header, None on the last page. Its `limit` is lowered
    to `cap` where it asks for more (and set to it where it names none); UnfollowedLink when it
    leaves the endpoint's origin."""
    found = _LINK_NEXT.search(link or "")
    if found is None:
        return None
    url = found.group(1).strip()
    if origin(url) is None or origin(url) != origin(endpoint):
        raise UnfollowedLink(f"Link {url!r} leaves the origin of {endpoint!r}")
    if cap is not None:
        if _LIMIT.search(url) is None:
            url += f"{'&' if '?' in url else '?'}limit={cap}"
        url = _LIMIT.sub(lambda m: f"limit={min(int(m.group(1)), cap)}", url)
    return url
