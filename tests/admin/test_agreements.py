"""Agreements through the admin API: allow, deny, remove and fees between two parties (the
same actions as `agreements allow|deny|remove|fee|list`, ocpi_hub.operations.agreements)."""

from __future__ import annotations

from ocpi_hub.core.agreements import MODULES
from tests.admin.conftest import Admin

PAIR = {"between": "de*em1", "and": "NL*CP2"}


async def test_allow_deny_and_remove_change_the_pair_and_the_list_shows_it(admin: Admin) -> None:
    """POST /agreements allows a module, then denies another; GET /agreements lists both under
    the open policy; DELETE of one module takes it out, DELETE without modules forgets the
    pair."""
    status, done = await admin.call(
        "POST", "/agreements", {**PAIR, "action": "allow", "modules": ["locations", "Tariffs"]}
    )
    assert status == 200, done
    assert (done["between"], done["and"], done["policy"], done["queued"]) == (
        "DE*EM1", "NL*CP2", "open", 0
    )  # fmt: skip
    assert done["agreements"] == [
        {"between": "DE*EM1", "and": "NL*CP2", "effect": "allow",
         "modules": ["locations", "tariffs"]}
    ]  # fmt: skip
    status, _ = await admin.call("POST", "/agreements", {**PAIR, "action": "deny"})
    assert status == 200

    status, listed = await admin.call("GET", "/agreements")
    assert status == 200 and listed["policy"] == "open"
    assert [(a["effect"], a["modules"]) for a in listed["agreements"]] == [
        ("allow", ["locations", "tariffs"]),
        ("deny", None),
    ]

    status, done = await admin.call("DELETE", "/agreements", {**PAIR, "modules": ["tariffs"]})
    assert status == 200, done
    assert [(a["effect"], a["modules"]) for a in done["agreements"]] == [
        ("allow", ["locations"]),
        ("deny", [m for m in MODULES if m != "tariffs"]),
    ]
    status, done = await admin.call("DELETE", "/agreements", PAIR)
    assert status == 200 and done["agreements"] == []
    assert (await admin.call("GET", "/agreements"))[1]["agreements"] == []


async def test_a_fee_is_set_listed_and_taken_away_with_zero(admin: Admin) -> None:
    """POST /agreements/fee sets 2 % + 0.10 EUR between two parties, listed as an agreement of
    effect fee; a zero fee removes it (fee null)."""
    body = {**PAIR, "percent": "2", "fixed": "0.10", "currency": "eur"}
    status, done = await admin.call("POST", "/agreements/fee", body)
    assert status == 200, done
    assert done["fee"] == {"percent": "2", "fixed": "0.10", "currency": "EUR"}
    fee = {"between": "DE*EM1", "and": "NL*CP2", "effect": "fee", "modules": ["cdrs"],
           "percent": "2", "fixed": "0.10", "currency": "EUR"}  # fmt: skip
    assert done["agreements"] == [fee]
    assert (await admin.call("GET", "/agreements"))[1]["agreements"] == [fee]

    status, done = await admin.call("POST", "/agreements/fee", {**PAIR, "currency": "EUR"})
    assert status == 200 and (done["fee"], done["agreements"]) == (None, [])


async def test_bad_agreement_requests_name_the_field_and_change_nothing(admin: Admin) -> None:
    """A malformed party, the same party twice, an unknown or empty module list, an action that
    is not allow or deny, a fee out of range, too fine, a float or in no currency: 400 naming
    the field, and the agreements as they were."""
    await admin.call("POST", "/agreements", {**PAIR, "action": "allow"})
    before = await admin.call("GET", "/agreements")
    for method, path, body, field in (
        ("POST", "/agreements", {"action": "allow", "between": "NLCP1", "and": "DE*EM1"},
         "between"),
        ("POST", "/agreements", {"action": "allow", "between": "NL*CP1"}, "and"),
        ("POST", "/agreements", {"action": "deny", "between": "NL*CP1", "and": "nl*cp1"}, "and"),
        ("POST", "/agreements", {**PAIR, "action": "deny", "modules": ["versions"]}, "modules"),
        ("POST", "/agreements", {**PAIR, "action": "deny", "modules": []}, "modules"),
        ("POST", "/agreements", {**PAIR, "action": "deny", "modules": "cdrs"}, "modules"),
        ("POST", "/agreements", {**PAIR, "action": "remove"}, "action"),
        ("POST", "/agreements", PAIR, "action"),
        ("DELETE", "/agreements", {"between": "DE*EM1", "and": "NL*CP"}, "and"),
        ("POST", "/agreements/fee", {**PAIR, "percent": "101", "currency": "EUR"}, "percent"),
        ("POST", "/agreements/fee", {**PAIR, "percent": "x", "currency": "EUR"}, "percent"),
        ("POST", "/agreements/fee", {**PAIR, "percent": 1.5, "currency": "EUR"}, "percent"),
        ("POST", "/agreements/fee", {**PAIR, "fixed": "0.001", "currency": "EUR"}, "fixed"),
        ("POST", "/agreements/fee", {**PAIR, "fixed": "-1", "currency": "EUR"}, "fixed"),
        ("POST", "/agreements/fee", {**PAIR, "percent": "1", "currency": "EURO"}, "currency"),
        ("POST", "/agreements/fee", {**PAIR, "percent": "1"}, "currency"),
        ("POST", "/agreements/fee", {"between": "NL*CP1", "and": "NL*CP1", "currency": "EUR"},
         "and"),
    ):  # fmt: skip
        status, answer = await admin.call(method, path, body)
        assert status == 400 and answer["error"]["field"] == field, (method, path, body, answer)
    assert await admin.call("GET", "/agreements") == before
    assert await admin.hub.pool.fetchval("SELECT count(*) FROM fee_schedules") == 0
