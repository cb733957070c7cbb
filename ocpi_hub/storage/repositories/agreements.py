"""Partner agreements as stored (migrations 0010, and 0013 for fees); the rule itself is
core.agreements.

A change replaces one pair's rows in one statement and its trigger announces it to every hub
process (storage.platform_cache reloads the agreements, fees included, with the platforms).
"""

from __future__ import annotations

from collections.abc import Sequence

from ocpi_hub.core.agreements import MODULES, Agreement, Agreements, Effect, FeeAgreement, Policy
from ocpi_hub.core.ledger import Fee
from ocpi_hub.storage import Connection, Executor

PartyKey = tuple[str, str]


async def record_policy(conn: Executor, policy: Policy) -> None:
    """The policy `serve` started with."""
    await conn.execute(
        "INSERT INTO agreement_policy (policy) VALUES ($1)"
        " ON CONFLICT (only_row) DO UPDATE SET policy = excluded.policy",
        policy.value,
    )


async def recorded_policy(conn: Executor) -> Policy | None:
    """The policy the hub was last served with; None if it never was."""
    value = await conn.fetchval("SELECT policy FROM agreement_policy")
    return Policy(value) if value is not None else None


_PAIR = "between_country_code, between_party_id, and_country_code, and_party_id"


async def load(conn: Executor, policy: Policy) -> Agreements:
    """Every agreement and fee, under `policy`, in pair order."""
    rows = await conn.fetch(
        f"SELECT {_PAIR}, effect, modules FROM agreements ORDER BY {_PAIR}, effect"
    )
    fees = await conn.fetch(
        f"SELECT {_PAIR}, percent, fixed, currency FROM fee_schedules ORDER BY {_PAIR}"
    )
    return Agreements(
        policy,
        tuple(Agreement.of((r[0], r[1]), (r[2], r[3]), Effect(r[4]), r[5]) for r in rows),
        tuple(FeeAgreement.of((r[0], r[1]), (r[2], r[3]), Fee(r[4], r[5], r[6])) for r in fees),
    )


async def set_fee(conn: Executor, a: PartyKey, b: PartyKey, fee: Fee) -> None:
    """Make `fee` the hub's fee on the CDRs between `a` and `b` (a zero fee: none)."""
    first, second = sorted((a, b))
    if fee.zero:
        await conn.execute(
            "DELETE FROM fee_schedules WHERE between_country_code = $1 AND between_party_id = $2"
            " AND and_country_code = $3 AND and_party_id = $4",
            *first,
            *second,
        )
        return
    await conn.execute(
        f"INSERT INTO fee_schedules ({_PAIR}, percent, fixed, currency)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        f" ON CONFLICT ({_PAIR}) DO UPDATE SET percent = excluded.percent,"
        " fixed = excluded.fixed, currency = excluded.currency, set_at = now()",
        *first,
        *second,
        fee.percent,
        fee.fixed,
        fee.currency,
    )


async def replace_pair(
    conn: Connection, a: PartyKey, b: PartyKey, rules: Sequence[Agreement]
) -> None:
    """Make `rules` the pair's whole set of agreements (none: the pair has no agreement)."""
    first, second = sorted((a, b))
    await conn.execute(
        "DELETE FROM agreements WHERE between_country_code = $1 AND between_party_id = $2"
        " AND and_country_code = $3 AND and_party_id = $4",
        *first,
        *second,
    )
    await conn.executemany(
        "INSERT INTO agreements (between_country_code, between_party_id, and_country_code,"
        " and_party_id, effect, modules) VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (
                *rule.between,
                *rule.and_,
                rule.effect.value,
                None if rule.modules is None else [m for m in MODULES if m in rule.modules],
            )
            for rule in rules
        ],
    )
