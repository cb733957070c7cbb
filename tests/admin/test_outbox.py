"""The outbox through the admin API: deliveries by state and receiver with totals, and the
replay of a dead letter (the same actions as `outbox list|replay`,
ocpi_hub.operations.outbox)."""

from __future__ import annotations

from typing import Any

from tests.admin.conftest import Admin
from tests.e2e.conftest import eventually
from tests.e2e.fakes import FakeParty
from tests.e2e.test_delivery import put_location


async def dead_letter(admin: Admin, cpo: FakeParty, emsp: FakeParty) -> dict[str, Any]:
    """A Location push the eMSP refused (OCPI 2001: dead at once), as GET /outbox lists it."""
    emsp.fail_next(1, status=200, status_code=2001)
    await put_location(admin.hub, cpo, "LOC1")

    async def dead() -> list[dict[str, Any]]:
        deliveries: list[dict[str, Any]] = (await admin.call("GET", "/outbox?status=dead"))[1][
            "deliveries"
        ]
        return deliveries

    await eventually(dead, message="the push is dead-lettered")
    [found] = await dead()
    return found


async def platform_of(admin: Admin, party_id: str) -> int:
    listed = (await admin.call("GET", "/parties"))[1]
    return int(next(p["platform_id"] for p in listed if p["party_id"] == party_id))


async def test_a_dead_letter_is_listed_with_totals_and_replayed_to_its_receiver(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """GET /outbox lists the push the eMSP refused with the totals per state, for its receiver
    and not another's; POST /outbox/replay with its id queues it again and the eMSP gets it."""
    dead = await dead_letter(admin, cpo, emsp)
    assert (dead["to"], dead["method"], dead["status"]) == ("DE*EMA", "PUT", "DEAD")
    assert "status_code 2001" in dead["last_error"]
    status, found = await admin.call("GET", f"/outbox?receiver={await platform_of(admin, 'EMA')}")
    assert status == 200 and ([d["id"] for d in found["deliveries"]], found["totals"]) == (
        [dead["id"]], {"DEAD": 1}
    )  # fmt: skip
    status, found = await admin.call("GET", f"/outbox?receiver={await platform_of(admin, 'CPA')}")
    assert status == 200 and found == {"deliveries": [], "totals": {}}

    status, replayed = await admin.call("POST", "/outbox/replay", {"ids": [dead["id"]]})

    assert (status, replayed) == (200, {"replayed": 1})
    await eventually(lambda: len(emsp.pushes()) == 1, message="the replayed push arrives")

    async def delivered() -> bool:
        found = (await admin.call("GET", "/outbox?limit=1"))[1]
        return bool(found["totals"] == {"DELIVERED": 1} and found["deliveries"][0]["delivered_at"])

    await eventually(delivered, message="the delivery is recorded")


async def test_replay_without_ids_replays_every_dead_letter(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """POST /outbox/replay with no ids queues every dead delivery."""
    await dead_letter(admin, cpo, emsp)
    assert await admin.call("POST", "/outbox/replay", {}) == (200, {"replayed": 1})
    await eventually(lambda: len(emsp.pushes()) == 1, message="the replayed push arrives")


async def test_bad_outbox_requests_name_the_field_and_change_nothing(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """An unknown state, a limit out of range or no number, a receiver that is no id, ids that
    are not a non-empty list of delivery ids: 400 naming the field; the dead letter stays."""
    await dead_letter(admin, cpo, emsp)
    for query, field in (
        ("status=LOST", "status"),
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("receiver=EMA", "receiver"),
    ):
        status, answer = await admin.call("GET", f"/outbox?{query}")
        assert status == 400 and answer["error"]["field"] == field, (query, answer)
    for body, field in (
        ({"ids": []}, "ids"),
        ({"ids": ["1"]}, "ids"),
        ({"ids": [0]}, "ids"),
        ({"ids": [True]}, "ids"),
        ({"ids": 1}, "ids"),
        ([1], None),
    ):
        status, answer = await admin.call("POST", "/outbox/replay", body)
        assert status == 400 and answer["error"]["field"] == field, (body, answer)
    assert (await admin.call("GET", "/outbox"))[1]["totals"] == {"DEAD": 1}
