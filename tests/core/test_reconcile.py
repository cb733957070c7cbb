"""Reconciliation rules (core.reconcile, issue 9 §4): a completed Session with no CDR after the
grace, a CDR with no Session seen or disagreeing with its Session, the same charge twice under
different ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ocpi_hub.core.cdr_checks import Held, OtherCdr
from ocpi_hub.core.findings import Code
from ocpi_hub.core.reconcile import charge_of, missing_cdr, reconcile_cdr
from tests import factories

a_cdr, a_session = factories.plausible_cdr, factories.completed_session
SEEN = datetime(2024, 3, 1, 11, 0, 5, tzinfo=UTC)
GRACE = timedelta(hours=48)


def with_session(session: dict[str, Any] | None = None, **overrides: Any) -> Held:
    """The hub holding the CDR's Session (and so Sessions of its CPO)."""
    sessions = (session if session is not None else a_session(),)
    return Held(sessions=sessions, sessions_shared=True, **overrides)


# ---- missing CDR ---------------------------------------------------------------------------


def test_a_completed_session_awaiting_its_cdr_past_the_grace_is_missing_one() -> None:
    """Counted from when the hub saw it completed; a fraction of an hour works too."""
    session = a_session()
    due = missing_cdr(session, awaiting=True, completed_seen=SEEN, now=SEEN + GRACE, grace=GRACE)
    assert [f.code for f in due] == [Code.MISSING_CDR]
    assert due[0].evidence == {
        "session_id": "SESS1",
        "end_date_time": "2024-03-01T11:00:00Z",
        "completed_seen_at": "2024-03-01T11:00:05Z",
        "grace_hours": "48",
    }
    early = SEEN + GRACE - timedelta(seconds=1)
    assert missing_cdr(session, awaiting=True, completed_seen=SEEN, now=early, grace=GRACE) == []
    short = timedelta(hours=0.01)
    late = SEEN + timedelta(seconds=36)
    assert missing_cdr(session, awaiting=True, completed_seen=SEEN, now=late, grace=short)


def test_a_session_with_its_cdr_or_not_completed_misses_nothing() -> None:
    later = SEEN + 2 * GRACE
    assert (
        missing_cdr(a_session(), awaiting=False, completed_seen=SEEN, now=later, grace=GRACE) == []
    )
    invalid = a_session(status="INVALID")
    assert missing_cdr(invalid, awaiting=True, completed_seen=SEEN, now=later, grace=GRACE) == []


# ---- a CDR and its Session -----------------------------------------------------------------


def test_a_cdr_agreeing_with_its_session_has_no_findings() -> None:
    """Within the tolerances: 0.01 kWh, 60 s."""
    session = a_session(kwh=11.495, start_date_time="2024-03-01T10:00:59Z")
    assert reconcile_cdr(a_cdr(), with_session(session)) == []


def test_a_cdr_whose_session_was_never_seen_is_found() -> None:
    findings = reconcile_cdr(a_cdr(session_id="SESS9"), with_session())
    assert [f.code for f in findings] == [Code.CDR_WITHOUT_SESSION]
    assert findings[0].evidence == {"session_id": "SESS9"}
    no_id = {k: v for k, v in a_cdr().items() if k != "session_id"}
    assert [f.code for f in reconcile_cdr(no_id, with_session())] == [Code.CDR_WITHOUT_SESSION]


def test_a_cpo_sending_no_sessions_has_no_cdr_without_session() -> None:
    """A CPO that sends the hub no Sessions at all would have every CDR found."""
    assert reconcile_cdr(a_cdr(session_id="SESS9"), Held()) == []


def test_a_cdr_disagreeing_with_its_session_names_each_difference() -> None:
    session = a_session(kwh=9.5, end_date_time="2024-03-01T10:50:00Z", status="ACTIVE")
    findings = reconcile_cdr(a_cdr(), with_session(session))
    assert [f.code for f in findings] == [Code.CDR_SESSION_MISMATCH]
    assert findings[0].evidence == {
        "session_id": "SESS1",
        "session_status": "ACTIVE",
        "differences": {
            "energy_kwh": {"cdr": "11.5", "session": "9.5"},
            "end_date_time": {
                "cdr": "2024-03-01T11:00:00Z",
                "session": "2024-03-01T10:50:00Z",
                "seconds": "600",
            },
        },
    }


def test_a_session_that_has_not_ended_disagrees_on_the_end() -> None:
    session = a_session(end_date_time=None, status="ACTIVE")
    (finding,) = reconcile_cdr(a_cdr(), with_session(session))
    assert finding.evidence["differences"] == {
        "end_date_time": {"cdr": "2024-03-01T11:00:00Z", "session": None}
    }


def test_a_credit_cdr_is_not_reconciled_with_sessions() -> None:
    credit = a_cdr(id="CDR1-C", credit=True, credit_reference_id="CDR1", session_id="SESS9")
    assert reconcile_cdr(credit, with_session()) == []


# ---- the same charge twice -----------------------------------------------------------------


def test_the_charge_is_location_evse_token_start_and_end() -> None:
    """Ids compare as CiStrings, times as instants; a credit CDR has no charge of its own."""
    base = charge_of(a_cdr())
    assert base is not None
    same = a_cdr(
        id="OTHER",
        session_id="SESS2",
        cdr_location=factories.cdr_location(id="loc1"),
        start_date_time="2024-03-01T10:00:00.000Z",
    )
    assert charge_of(same) == base
    for changed in (
        a_cdr(cdr_location=factories.cdr_location(evse_uid="EVSE2")),
        a_cdr(cdr_token=factories.cdr_token(uid="OTHER")),
        a_cdr(end_date_time="2024-03-01T11:00:01Z"),
    ):
        assert charge_of(changed) != base
    assert charge_of(a_cdr(credit=True, credit_reference_id="CDR0")) is None


def test_the_same_charge_under_another_id_is_a_duplicate() -> None:
    others = (OtherCdr("CDR0", "SESS0"), OtherCdr("CDR2", None))
    findings = reconcile_cdr(a_cdr(), with_session(same_charge=others))
    assert [f.code for f in findings] == [Code.DUPLICATE_CHARGE]
    assert findings[0].evidence == {
        "other_cdrs": ["CDR0", "CDR2"],
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "token_uid": "012345678",
        "start_date_time": "2024-03-01T10:00:00Z",
        "end_date_time": "2024-03-01T11:00:00Z",
    }


def test_a_duplicate_for_the_same_session_is_found_once_as_a_second_cdr() -> None:
    """SECOND_CDR_FOR_SESSION (core.cdr_checks) names that pair already."""
    same_session = (OtherCdr("CDR0", "sess1"),)
    assert reconcile_cdr(a_cdr(), with_session(same_charge=same_session)) == []


def test_a_credited_cdr_is_no_duplicate() -> None:
    held = with_session(same_charge=(OtherCdr("CDR0", "SESS0"),), credited=True)
    assert reconcile_cdr(a_cdr(), held) == []
