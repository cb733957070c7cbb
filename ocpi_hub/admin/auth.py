"""Who is calling the operator's side: an operator, by its token (`Authorization: Bearer
<token>`). OCPI tokens are never accepted here (they are not in the operators table), and
operator tokens never on OCPI endpoints (the OCPI middleware looks in platforms only)."""

from __future__ import annotations

from aiohttp import web

from ocpi_hub.storage.repositories import operators
from ocpi_hub.storage.repositories.operators import Operator
from ocpi_hub.web.keys import POOL

__all__ = ["OPERATOR", "Unauthenticated", "bearer", "operator_of"]

OPERATOR = web.RequestKey("operator", Operator)


class Unauthenticated(Exception):
    """No operator token, or one that is unknown or revoked."""


def bearer(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def operator_of(request: web.Request, token: str | None) -> Operator:
    """The operator whose token this is; Unauthenticated otherwise."""
    if not token:
        raise Unauthenticated("an operator token is required (Authorization: Bearer <token>)")
    async with request.app[POOL].acquire() as conn:
        found = await operators.by_token(conn, token)
    if found is None:
        raise Unauthenticated("unknown or revoked operator token")
    request[OPERATOR] = found
    return found
