"""The checker on PostgreSQL (storage.checker, migration 0014): each CDR and completed Session
is checked once, crash-safe and by one process at a time; reconciliation finds missing CDRs
after the grace and closes findings whose cause went away. Objects are stored as the store
path stores them; the rules themselves are core's (tests/core)."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import asyncpg
import orjson
import pytest

from ocpi_hub.core.objects import token_owner
from ocpi_hub.core.parties import Party, Role
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.settings import Settings
from ocpi_hub.storage import checker as checker_module
from ocpi_hub.storage.checker import Checker
from ocpi_hub.storage.repositories import findings, objects, platforms
from ocpi_hub.storage.repositories.objects import ObjectKey
from tests import factories

CPA = ("NL", "CPA")
a_cdr, a_session = factories.plausible_cdr, factories.completed_session


async def store(pool: asyncpg.Pool, module: str, obj: dict[str, Any]) -> None:
    """Store an object as the store path does (storage.changes), without deliveries."""
    id_field, kind = ("uid", str(obj["type"])) if module == "tokens" else ("id", "")
    key = ObjectKey(module, (obj["country_code"], obj["party_id"]), str(obj[id_field]), kind)
    audience = token_owner(obj) if module in ("sessions", "cdrs") else None
    async with pool.acquire() as conn:
        await objects.upsert(conn, key, obj, parse_datetime(obj["last_updated"]), audience)


async def the_cpos_place(pool: asyncpg.Pool) -> None:
    """NL*CPA's LOC1 (22.08 kW EVSE1) and its tariff TARIFF-AC in EUR."""
    await store(pool, "locations", factories.location(party_id="CPA"))
    await store(pool, "tariffs", factories.tariff("TARIFF-AC"))


def credit_of(credited: str, id: str) -> dict[str, Any]:
    """A credit CDR of `credited`: its periods, the negative of its price (mod_cdrs)."""
    negative = {"excl_vat": -2.88, "incl_vat": -3.48}
    return a_cdr(id=id, credit=True, credit_reference_id=credited, total_cost=negative)


def checker(pool: asyncpg.Pool, **settings: Any) -> Checker:
    return Checker(pool, Settings(**settings))


async def open_codes(pool: asyncpg.Pool) -> dict[str, list[str]]:
    """Each subject with open findings: its codes, in order found."""
    found: dict[str, list[str]] = {}
    for row in await findings.listing(pool):
        found.setdefault(str(row.subject), []).append(row.code)
    return found


async def backdate(pool: asyncpg.Pool, hours: float) -> None:
    """As if every check had happened `hours` earlier (the grace counts from the check)."""
    await pool.execute(
        "UPDATE checked_objects SET checked_at = checked_at - make_interval(secs => $1)",
        hours * 3600,
    )


async def test_each_cdr_is_checked_once_and_its_findings_stored(pool: asyncpg.Pool) -> None:
    """A finding has its code, severity, subject as CC*PID*ID, the parties and the evidence; a
    second round checks nothing again and stores nothing twice."""
    await the_cpos_place(pool)
    await store(pool, "cdrs", a_cdr(total_energy=30))
    await store(
        pool, "cdrs", a_cdr(id="CDR2", session_id="SESS2", start_date_time="2024-03-01T10:01:00Z")
    )
    run = checker(pool)

    assert await run.check_pending() == 2
    assert await run.check_pending() == 0

    (row,) = await findings.listing(pool)
    assert (row.code, row.severity, str(row.subject), row.parties) == (
        "ENERGY_ABOVE_MAX_POWER",
        "high",
        "NL*CPA*CDR1",
        ["NL*CPA", "DE*EMA"],
    )
    assert row.evidence["energy_kwh"] == "30" and row.resolved_at is None
    assert await pool.fetchval("SELECT count(*) FROM findings") == 1


async def test_a_session_is_checked_once_it_is_completed(pool: asyncpg.Pool) -> None:
    """Seen while ACTIVE (nothing judged), checked when COMPLETED; an INVALID one is marked
    without checks (nothing was charged)."""
    await the_cpos_place(pool)
    await store(pool, "sessions", a_session(status="ACTIVE", kwh=30, end_date_time=None))
    await store(pool, "sessions", a_session(id="SESS2", status="INVALID", kwh=30))
    run = checker(pool)

    assert await run.check_pending() == 2
    assert await open_codes(pool) == {}
    await store(pool, "sessions", a_session(kwh=30))
    assert await run.check_pending() == 1
    assert await run.check_pending() == 0

    assert await open_codes(pool) == {"NL*CPA*SESS1": ["ENERGY_ABOVE_MAX_POWER"]}
    waiting = await pool.fetchval("SELECT count(*) FROM checked_objects WHERE checked_at IS NULL")
    assert waiting == 0


async def test_a_missing_cdr_is_found_after_the_grace_and_closed_when_it_arrives(
    pool: asyncpg.Pool,
) -> None:
    """OCPI_HUB_CDR_GRACE_HOURS after the hub saw the Session completed, reconciliation finds
    its CDR missing; once the CDR is there the next reconciliation closes the finding."""
    await the_cpos_place(pool)
    await store(pool, "sessions", a_session())
    run = checker(pool, cdr_grace_hours=0.5)
    await run.check_pending()
    await backdate(pool, 0.4)

    await run.reconcile()
    assert await open_codes(pool) == {}
    await backdate(pool, 0.2)
    await run.reconcile()
    assert await open_codes(pool) == {"NL*CPA*SESS1": ["MISSING_CDR"]}
    (row,) = await findings.listing(pool)
    assert row.evidence["grace_hours"] == "0.5"

    await store(pool, "cdrs", a_cdr())
    await run.reconcile()
    assert await open_codes(pool) == {}
    (closed,) = await findings.listing(pool, resolved=True)
    assert closed.code == "MISSING_CDR" and closed.resolved_at is not None


async def test_a_session_whose_cdr_came_first_misses_none(pool: asyncpg.Pool) -> None:
    """The CDR checked before its Session is completed: the Session awaits nothing."""
    await the_cpos_place(pool)
    await store(pool, "cdrs", a_cdr())
    await store(pool, "sessions", a_session())
    run = checker(pool, cdr_grace_hours=0.5)
    await run.check_pending()
    await backdate(pool, 1)
    await run.reconcile()
    assert await open_codes(pool) == {}


async def test_a_finding_is_closed_when_its_cause_goes_away(pool: asyncpg.Pool) -> None:
    """The Location a CDR names arrives after the CDR: reconciliation closes UNKNOWN_LOCATION,
    and finds what the Location now lets it judge (the energy)."""
    await store(pool, "cdrs", a_cdr(total_energy=30))
    run = checker(pool)
    await run.check_pending()
    assert await open_codes(pool) == {"NL*CPA*CDR1": ["UNKNOWN_LOCATION"]}

    await the_cpos_place(pool)
    assert await run.reconcile() == 1
    assert await open_codes(pool) == {"NL*CPA*CDR1": ["ENERGY_ABOVE_MAX_POWER"]}
    resolved = [r.code for r in await findings.listing(pool, resolved=True) if r.resolved_at]
    assert resolved == ["UNKNOWN_LOCATION"]


async def test_a_second_cdr_for_a_session_is_closed_by_a_credit(pool: asyncpg.Pool) -> None:
    """CDR2 for the Session of CDR1: SECOND_CDR_FOR_SESSION on CDR2, until CDR1 is credited."""
    await the_cpos_place(pool)
    await store(pool, "sessions", a_session())
    await store(pool, "cdrs", a_cdr())
    await store(pool, "cdrs", a_cdr(id="CDR2"))
    run = checker(pool)
    await run.check_pending()
    assert await open_codes(pool) == {"NL*CPA*CDR2": ["SECOND_CDR_FOR_SESSION"]}
    (row,) = await findings.listing(pool)
    assert row.evidence == {"session_id": "SESS1", "other_cdrs": ["CDR1"]}

    await store(pool, "cdrs", credit_of("CDR1", "CDR1-C"))
    await run.reconcile()
    assert await open_codes(pool) == {}


async def test_the_same_charge_under_another_session_is_a_duplicate(pool: asyncpg.Pool) -> None:
    await the_cpos_place(pool)
    await store(pool, "cdrs", a_cdr())
    await store(pool, "cdrs", a_cdr(id="CDR-AGAIN", session_id="SESS2"))
    await checker(pool).check_pending()
    assert await open_codes(pool) == {"NL*CPA*CDR-AGAIN": ["DUPLICATE_CHARGE"]}


async def test_a_pair_is_found_on_the_later_cdr_whichever_is_judged_again(
    pool: asyncpg.Pool,
) -> None:
    """Both CDRs of a pair have another open finding (their Location is unknown), so
    reconciliation judges both again: the pair stays found on the one checked second only."""
    await store(pool, "cdrs", a_cdr())
    await store(pool, "cdrs", a_cdr(id="CDR2"))
    await store(pool, "cdrs", a_cdr(id="CDR3", session_id="SESS3"))
    run = checker(pool)
    await run.check_pending()
    expected = {
        "NL*CPA*CDR1": ["UNKNOWN_LOCATION"],
        "NL*CPA*CDR2": ["UNKNOWN_LOCATION", "SECOND_CDR_FOR_SESSION"],
        "NL*CPA*CDR3": ["UNKNOWN_LOCATION", "DUPLICATE_CHARGE"],
    }
    assert await open_codes(pool) == expected
    assert await run.reconcile() == 3
    assert await open_codes(pool) == expected


async def test_a_credit_cdr_naming_no_cdr_is_found(pool: asyncpg.Pool) -> None:
    await the_cpos_place(pool)
    await store(pool, "cdrs", credit_of("CDR9", "CDR9-C"))
    await checker(pool).check_pending()
    assert await open_codes(pool) == {"NL*CPA*CDR9-C": ["UNKNOWN_CREDIT_REFERENCE"]}


async def test_ids_compare_in_the_dialect_of_the_cpos_platform(pool: asyncpg.Pool) -> None:
    """A CPO connected as e-clearing.net (EVSE ids normalised): its `NLCPAEEVSE1` is the
    NL*CPA*EEVSE1 the hub holds; the same CDR of a CPO speaking the spec is UNKNOWN_EVSE."""
    await the_cpos_place(pool)
    place = factories.cdr_location(evse_id="NLCPAEEVSE1")
    await store(pool, "cdrs", a_cdr(cdr_location=place))
    await checker(pool).check_pending()
    assert await open_codes(pool) == {"NL*CPA*CDR1": ["UNKNOWN_EVSE"]}

    async with pool.acquire() as conn:
        party = Party.of("NL", "CPA", Role.CPO)
        await platforms.invite(conn, token="a", name="CPA", party=party, dialect="eclearing")
    await checker(pool).reconcile()
    assert await open_codes(pool) == {}


async def test_two_checkers_check_each_object_once(pool: asyncpg.Pool) -> None:
    """Two processes on one database: each object is checked by one of them, once."""
    await the_cpos_place(pool)
    for n in range(250):
        token = factories.cdr_token(uid=f"U{n}")
        await store(
            pool, "cdrs", a_cdr(id=f"C{n}", session_id=f"S{n}", cdr_token=token, total_energy=30)
        )
    counts = await asyncio.gather(checker(pool).check_pending(), checker(pool).check_pending())
    assert sum(counts) == 250
    assert await pool.fetchval("SELECT count(*) FROM checked_objects") == 250
    assert await pool.fetchval("SELECT count(*) FROM findings") == 250


async def test_a_crash_mid_batch_leaves_the_batch_to_be_checked_again(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stops while storing a finding (cancelled, as at SIGTERM or a kill): nothing
    of the batch is kept, and the next round checks it whole."""
    await the_cpos_place(pool)
    await store(pool, "cdrs", a_cdr(total_energy=30))
    record = findings.record

    async def cancelled(*args: Any, **kwargs: Any) -> Any:
        raise asyncio.CancelledError

    monkeypatch.setattr(findings, "record", cancelled)
    with pytest.raises(asyncio.CancelledError):
        await checker(pool).check_pending()
    assert await pool.fetchval("SELECT count(*) FROM checked_objects") == 0

    monkeypatch.setattr(findings, "record", record)
    assert await checker(pool).check_pending() == 1
    assert await open_codes(pool) == {"NL*CPA*CDR1": ["ENERGY_ABOVE_MAX_POWER"]}


async def test_a_bug_on_one_object_is_logged_and_the_others_are_checked(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch, logs: list[MutableMapping[str, Any]]
) -> None:
    """A check that raises on one CDR: logged with the object, the CDR marked (not retried in
    every round), the rest of the batch checked."""
    await the_cpos_place(pool)
    await store(pool, "cdrs", a_cdr(id="BAD"))
    await store(pool, "cdrs", a_cdr(id="GOOD", session_id="S2", total_energy=30))
    check_cdr = checker_module.check_cdr

    def failing(cdr: Any, *args: Any) -> Any:
        if cdr["id"] == "BAD":
            raise KeyError("a bug")
        return check_cdr(cdr, *args)

    monkeypatch.setattr(checker_module, "check_cdr", failing)
    assert await checker(pool).check_pending() == 2
    assert await checker(pool).check_pending() == 0
    assert await open_codes(pool) == {"NL*CPA*GOOD": ["ENERGY_ABOVE_MAX_POWER"]}
    assert [e["module"] for e in logs if e["event"] == "check_failed"] == ["cdrs"]


async def test_an_object_a_round_passed_over_is_checked_by_reconciliation(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rounds look above a floor; a CDR below it (its store transaction outlasted the floor's
    lag) is checked by the next reconciliation, which looks at every object."""
    monkeypatch.setattr(checker_module, "FLOOR_LAG", 0.0)
    await the_cpos_place(pool)
    await store(pool, "cdrs", a_cdr(id="LATE", total_energy=30))
    late_seq = await pool.fetchval("SELECT seq FROM objects WHERE id = 'LATE'")
    await pool.execute("DELETE FROM objects WHERE id = 'LATE'")  # not committed yet, as it were
    await store(pool, "cdrs", a_cdr(id="FIRST", session_id="S1"))
    run = checker(pool, reconcile_interval=3600)
    await run.round()  # the first round reconciles: nothing passed over yet
    await run.round()  # the floor is now the highest seq seen
    late = a_cdr(
        id="LATE", session_id="S2", cdr_token=factories.cdr_token(uid="U2"), total_energy=30
    )
    await pool.execute(
        "INSERT INTO objects (seq, module, country_code, party_id, id, last_updated, data,"
        " audience) VALUES ($1, 'cdrs', 'NL', 'CPA', 'LATE', now(), $2::jsonb, 'DE*EMA')",
        late_seq,
        orjson.dumps(late).decode(),
    )

    await run.round()
    assert await open_codes(pool) == {}
    await run.reconcile()
    assert await open_codes(pool) == {"NL*CPA*LATE": ["ENERGY_ABOVE_MAX_POWER"]}


async def test_reconciliation_runs_once_per_interval_whoever_runs_it(pool: asyncpg.Pool) -> None:
    """Claimed in the database: a second claim within the interval is refused; the command
    (no interval) always runs and counts as the last run."""
    assert await findings.claim_reconciliation(pool, 3600)
    assert not await findings.claim_reconciliation(pool, 3600)
    assert await findings.claim_reconciliation(pool, None)
    assert not await findings.claim_reconciliation(pool, 3600)
    assert await findings.claim_reconciliation(pool, 0.000001)
