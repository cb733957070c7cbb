"""OICP 2.3 over mutual TLS to Hubject (hub-dialects.md §5.1).

`OicpClient.call` sends one operation (dialects.oicp.operations) with our client certificate,
trusting only the CA given at `hubject connect`. It keeps to Hubject's rules on our side:
- at most the operation's requests per minute (Hubject's published limits, or the operator's
  OCPI_HUB_HUBJECT_RATE_LIMITS): a call over the limit waits for room if the room comes within
  its timeout, else it is answered as Hubject would (HTTP 429 with Retry-After) without being
  sent;
- a push operation one at a time per operator in this process (the outbox already delivers one
  module's pushes one at a time per network, across processes: dialects.hubject).
Hubject's 429 and 5xx come back as they are; the caller (the outbox) retries with backoff.
"""

from __future__ import annotations

import asyncio
import collections
import math
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ocpi_hub.dialects.oicp.operations import OPERATIONS, Operation
from ocpi_hub.logging import get_logger
from ocpi_hub.push.http import HttpClient

__all__ = ["OicpAnswer", "OicpClient", "OicpUnreachable", "mutual_tls"]

log = get_logger("ocpi_hub.push.oicp")

WINDOW = 60.0  # Hubject counts requests per minute


class OicpUnreachable(Exception):
    """Hubject could not be reached, or did not answer in time."""


@dataclass(frozen=True)
class OicpAnswer:
    """Hubject's answer to one operation."""

    http_status: int
    body: Any  # parsed JSON, or None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300 and isinstance(self.body, dict)


def mutual_tls(cert_file: str, key_file: str, ca_file: str) -> ssl.SSLContext:
    """A client context presenting our certificate and trusting only `ca_file`; OSError or
    ssl.SSLError naming what is wrong with the files."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    context.load_cert_chain(cert_file, key_file)
    return context


class OicpClient:
    """Calls Hubject's operations at `base_url`; use `async with`."""

    def __init__(
        self,
        base_url: str,
        context: ssl.SSLContext,
        *,
        rate_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = HttpClient(limit=32, ssl_context=context)
        self._limits = {name: op.per_minute for name, op in OPERATIONS.items()}
        self._limits.update(rate_limits or {})
        self._sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._pushing: dict[tuple[str, str], asyncio.Lock] = collections.defaultdict(asyncio.Lock)

    async def __aenter__(self) -> OicpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.close()

    async def call(
        self,
        name: str,
        body: Mapping[str, Any],
        *,
        timeout: float,
        ids: Mapping[str, str],
        query: Mapping[str, str] | None = None,
    ) -> OicpAnswer:
        """POST `body` to operation `name` (`ids` fill its path: operatorID, providerID)
        within `timeout` seconds; OicpUnreachable when Hubject does not answer."""
        op = OPERATIONS[name]
        deadline = time.monotonic() + timeout
        while (wait := self._room(op, deadline)) != 0.0:
            if wait is None:
                retry = self._next_room(op)
                log.info("oicp_throttled", operation=name, retry_after=round(retry, 1))
                return OicpAnswer(429, None, retry_after=retry)
            await asyncio.sleep(wait)  # others may take the room first: look again
        url = op.url(self.base_url, **ids)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        lock_key = (name, next(iter(ids.values()), ""))
        if op.push:
            async with self._pushing[lock_key]:
                return await self._send(op, url, body, deadline)
        return await self._send(op, url, body, deadline)

    async def _send(
        self, op: Operation, url: str, body: Mapping[str, Any], deadline: float
    ) -> OicpAnswer:
        self._sent[op.name].append(time.monotonic())
        left = max(deadline - time.monotonic(), 0.001)
        try:
            response = await self._http.request(
                "POST",
                url,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                body=orjson.dumps(body),
                timeout=left,
            )
        except TimeoutError as exc:
            raise OicpUnreachable(f"{op.name}: no answer within {left:.3g} s") from exc
        except (OSError, ValueError) as exc:
            raise OicpUnreachable(f"{op.name}: {exc.__class__.__name__}: {exc}") from exc
        try:
            parsed = orjson.loads(response.body) if response.body else None
        except orjson.JSONDecodeError:
            parsed = None
        retry = response.headers.get("Retry-After")
        log.debug("oicp_call", operation=op.name, http_status=response.status)
        return OicpAnswer(
            response.status, parsed, float(retry) if retry and retry.isdigit() else None
        )

    def _room(self, op: Operation, deadline: float) -> float | None:
        """Seconds to wait before `op` may be sent, or None when not before `deadline`."""
        sent = self._sent[op.name]
        now = time.monotonic()
        while sent and sent[0] <= now - WINDOW:
            sent.popleft()
        if len(sent) < self._limits[op.name]:
            return 0.0
        wait = self._next_room(op)
        return wait if now + wait < deadline else None

    def _next_room(self, op: Operation) -> float:
        sent = self._sent[op.name]
        if not sent:
            return 0.0
        return max(0.0, math.ceil((sent[0] + WINDOW - time.monotonic()) * 10) / 10)
