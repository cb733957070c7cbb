"""Translation losses in PostgreSQL (translation_losses): counted per translation, module, field
and way, with the latest example, for `ocpi-hub translations losses`."""

from __future__ import annotations

import asyncpg

from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.storage.repositories import losses


async def test_losses_are_counted_per_field_with_the_latest_example(pool: asyncpg.Pool) -> None:
    """Each loss counts once per translation that hit it; the example is the latest."""

    def lost(example: str) -> Loss:
        return Loss("locations", "evses[].capabilities", Direction.OUT, Lost.DROPPED, example, "x")

    await losses.record(pool, "hubject", [lost("CHIP_CARD_SUPPORT")])
    await losses.record(pool, "hubject", [lost("CREDIT_CARD_PAYABLE")])
    await losses.record(pool, "other", [lost("ignored")])
    found = await losses.listed(pool, "hubject")
    assert [(f["field"], f["count"], f["example"]) for f in found] == [
        ("evses[].capabilities", 2, "CREDIT_CARD_PAYABLE")
    ]


async def test_every_translation_is_listed_when_none_is_named(pool: asyncpg.Pool) -> None:
    """Without a translation named, all are listed, each row saying which it is."""
    drop = Loss("tokens", "group_id", Direction.OUT, Lost.DROPPED, "G1", "no group in 2.1.1")
    await losses.record(pool, "ocpi-2.1.1", [drop])
    await losses.record(pool, "hubject", [drop])
    found = await losses.listed(pool)
    assert [(f["translation"], f["field"], f["count"]) for f in found] == [
        ("hubject", "group_id", 1),
        ("ocpi-2.1.1", "group_id", 1),
    ]
