"""PUT/PATCH on stored Location JSON (checklist §1.8 PUT vs PATCH, §4.1 Locations receiver)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.modules.locations import Location
from ocpi_hub.core.patch import UnknownObject, apply_to_location, merge_patch
from ocpi_hub.core.types import parse_datetime
from tests import factories, strategies

JsonObject = dict[str, Any]

EARLY = "2024-01-01T10:00:00Z"
LATER = "2024-02-01T12:30:00Z"


def stored(**overrides: Any) -> JsonObject:
    """Location LOC1 with EVSE1 and EVSE2, each with connectors "1" and "2", all at EARLY."""
    body = factories.location(evse_count=2, **{"last_updated": EARLY, **overrides})
    for evse in body["evses"]:
        evse["connectors"] = [
            factories.connector("1", last_updated=EARLY),
            factories.connector("2", last_updated=EARLY),
        ]
    return body


class TestMergePatch:
    def test_patch_keys_replace_stored_keys(self) -> None:
        """Fields in the PATCH change; fields not in it stay as stored (§1.8)."""
        result = merge_patch({"a": 1, "b": 2}, {"b": 3, "c": 4})
        assert result == {"a": 1, "b": 3, "c": 4}

    def test_nested_object_is_replaced_whole(self) -> None:
        """A nested object in a PATCH replaces the stored one, it is not deep-merged (§1.8)."""
        result = merge_patch(
            {"opening_times": {"twentyfourseven": False, "regular_hours": [{"weekday": 1}]}},
            {"opening_times": {"twentyfourseven": True}},
        )
        assert result == {"opening_times": {"twentyfourseven": True}}

    def test_list_is_replaced_whole(self) -> None:
        """A list in a PATCH is the complete new list, so lists can shrink (§1.8)."""
        result = merge_patch({"facilities": ["CAFE", "WIFI"], "id": "X"}, {"facilities": ["MALL"]})
        assert result == {"facilities": ["MALL"], "id": "X"}

    def test_null_is_stored_as_sent(self) -> None:
        """null in a PATCH is a value, unlike RFC 7396 where it deletes the key (§1.8)."""
        assert merge_patch({"name": "A", "id": "X"}, {"name": None}) == {"name": None, "id": "X"}

    def test_inputs_are_not_mutated_and_result_is_new(self) -> None:
        """merge_patch returns a new dict and leaves both inputs untouched (§1.8)."""
        before, patch = stored(), {"name": "New", "evses": []}
        before_copy, patch_copy = copy.deepcopy(before), copy.deepcopy(patch)
        result = merge_patch(before, patch)
        assert before == before_copy and patch == patch_copy
        assert result is not before and result is not patch

    def test_empty_patch_changes_nothing(self) -> None:
        """A PATCH without fields leaves the object as stored (§1.8)."""
        before = stored()
        assert merge_patch(before, {}) == before

    @given(
        base=st.dictionaries(st.text(max_size=8), st.integers() | st.text() | st.none()),
        patch=st.dictionaries(
            st.text(max_size=8), st.integers() | st.text() | st.booleans() | st.none()
        ),
    )
    def test_patched_keys_take_patch_values_and_others_stay(
        self, base: JsonObject, patch: JsonObject
    ) -> None:
        """For scalar fields, every PATCH key wins and every other stored key is kept (§1.8)."""
        result = merge_patch(base, patch)
        assert set(result) == set(base) | set(patch)
        for key, value in patch.items():
            assert result[key] == value
        for key in set(base) - set(patch):
            assert result[key] == base[key]


class TestArguments:
    @pytest.mark.parametrize(
        "kwargs", [{}, {"patch": {"name": "x"}, "replacement": factories.location()}]
    )
    def test_exactly_one_of_patch_or_replacement(self, kwargs: JsonObject) -> None:
        """A request is either a PUT or a PATCH, never both or neither (§1.8)."""
        with pytest.raises(ValueError, match="exactly one"):
            apply_to_location(stored(), None, None, **kwargs)

    def test_connector_needs_an_evse(self) -> None:
        """A Connector is addressed under its EVSE (§1.7 URL shape)."""
        with pytest.raises(ValueError, match="through its EVSE"):
            apply_to_location(stored(), None, "1", patch={"last_updated": LATER})


class TestLocationLevel:
    def test_put_replaces_the_whole_location(self) -> None:
        """PUT is a full replace: omitted optional fields are gone (§1.8)."""
        replacement = factories.location(last_updated=LATER)
        del replacement["name"]
        result = apply_to_location(stored(name="Old"), None, None, replacement=replacement)
        assert result == replacement and "name" not in result
        assert result is not replacement

    def test_patch_merges_top_level_fields(self) -> None:
        """PATCH of a Location changes only the fields it carries (§1.8)."""
        patch = {"name": "New", "last_updated": LATER}
        result = apply_to_location(stored(), None, None, patch=patch)
        assert result == {**stored(), **patch}
        Location.model_validate(result)

    def test_location_patch_does_not_touch_children(self) -> None:
        """A Location-level PATCH leaves EVSEs and their times alone (§4.1)."""
        result = apply_to_location(stored(), None, None, patch={"last_updated": LATER})
        assert result["evses"] == stored()["evses"]


class TestEvseLevel:
    def test_put_replaces_existing_evse_in_place(self) -> None:
        """PUT of a known EVSE replaces it whole and keeps its place in the list (§4.1)."""
        new = factories.evse("EVSE1", status="CHARGING", last_updated=LATER)
        result = apply_to_location(stored(), "EVSE1", None, replacement=new)
        assert result["evses"] == [new, stored()["evses"][1]]
        assert result["last_updated"] == LATER
        Location.model_validate(result)

    def test_put_appends_new_evse(self) -> None:
        """PUT of an unknown EVSE under a known Location adds it at the end (§4.1)."""
        new = factories.evse("EVSE3", last_updated=LATER)
        result = apply_to_location(stored(), "EVSE3", None, replacement=new)
        assert result["evses"] == [*stored()["evses"], new]
        assert result["last_updated"] == LATER

    @pytest.mark.parametrize("evses", [None, "absent"])
    def test_put_adds_first_evse_when_location_has_none(self, evses: Any) -> None:
        """`evses` may be absent or null (EVSE[*]); a PUT then starts the list (§4.1)."""
        location = factories.location(evse_count=0, evses=evses)
        if evses == "absent":
            del location["evses"]
        new = factories.evse("EVSE1", last_updated=LATER)
        assert apply_to_location(location, "EVSE1", None, replacement=new)["evses"] == [new]

    def test_put_matches_uid_case_insensitively(self) -> None:
        """EVSE uid is a CiString: `evse1` addresses `EVSE1`, no duplicate is added (§1.9)."""
        new = factories.evse("evse1", last_updated=LATER)
        result = apply_to_location(stored(), "evse1", None, replacement=new)
        assert [e["uid"] for e in result["evses"]] == ["evse1", "EVSE2"]

    def test_patch_merges_into_existing_evse(self) -> None:
        """PATCH of an EVSE changes its given fields and keeps the rest, connectors too (§1.8)."""
        patch = {"status": "CHARGING", "last_updated": LATER}
        result = apply_to_location(stored(), "Evse2", None, patch=patch)
        assert result["evses"][1] == {**stored()["evses"][1], **patch}
        assert result["evses"][0] == stored()["evses"][0]
        assert result["last_updated"] == LATER
        Location.model_validate(result)

    def test_patch_of_unknown_evse_raises(self) -> None:
        """PATCH needs an existing EVSE; else UnknownObject, a KeyError (§1.8, §7.12)."""
        with pytest.raises(UnknownObject) as caught:
            apply_to_location(stored(), "EVSE9", None, patch={"last_updated": LATER})
        assert isinstance(caught.value, KeyError)
        assert (caught.value.kind, caught.value.ident) == ("EVSE", "EVSE9")
        assert str(caught.value) == "Unknown EVSE 'EVSE9'"


class TestConnectorLevel:
    def test_put_replaces_existing_connector(self) -> None:
        """PUT of a known Connector replaces it whole inside its EVSE (§4.1)."""
        new = factories.connector("2", standard="IEC_62196_T2_COMBO", last_updated=LATER)
        result = apply_to_location(stored(), "EVSE1", "2", replacement=new)
        assert result["evses"][0]["connectors"] == [stored()["evses"][0]["connectors"][0], new]
        assert result["evses"][1] == stored()["evses"][1]
        Location.model_validate(result)

    def test_put_appends_new_connector(self) -> None:
        """PUT of an unknown Connector under a known EVSE adds it at the end (§4.1)."""
        new = factories.connector("3", last_updated=LATER)
        result = apply_to_location(stored(), "EVSE1", "3", replacement=new)
        assert [c["id"] for c in result["evses"][0]["connectors"]] == ["1", "2", "3"]

    def test_patch_merges_into_existing_connector(self) -> None:
        """PATCH of a Connector changes its given fields and keeps the rest (§1.8)."""
        patch = {"tariff_ids": ["TARIFF-NEW"], "last_updated": LATER}
        result = apply_to_location(stored(), "evse1", "1", patch=patch)
        old = stored()["evses"][0]["connectors"][0]
        assert result["evses"][0]["connectors"][0] == {**old, **patch}
        Location.model_validate(result)

    def test_connector_id_matches_case_insensitively(self) -> None:
        """Connector id is a CiString: `a` addresses `A` (§1.9)."""
        location = stored()
        location["evses"][0]["connectors"][0]["id"] = "A"
        result = apply_to_location(location, "EVSE1", "a", patch={"last_updated": LATER})
        assert result["evses"][0]["connectors"][0]["last_updated"] == LATER

    def test_patch_of_unknown_connector_raises(self) -> None:
        """PATCH needs an existing Connector (§1.8)."""
        with pytest.raises(UnknownObject) as caught:
            apply_to_location(stored(), "EVSE1", "9", patch={"last_updated": LATER})
        assert (caught.value.kind, caught.value.ident) == ("Connector", "9")

    @pytest.mark.parametrize("method", ["patch", "replacement"])
    def test_connector_under_unknown_evse_raises(self, method: str) -> None:
        """PUT or PATCH of a Connector whose EVSE is unknown is refused (§1.8, §7.12)."""
        body = factories.connector("1", last_updated=LATER)
        with pytest.raises(UnknownObject) as caught:
            apply_to_location(stored(), "EVSE9", "1", **{method: body})
        assert caught.value.kind == "EVSE"


class TestParentLastUpdated:
    @pytest.mark.parametrize("method", ["patch", "replacement"])
    def test_connector_change_bumps_evse_and_location(self, method: str) -> None:
        """A Connector PUT/PATCH sets its new last_updated on the EVSE and Location (§4.1 [M])."""
        body = factories.connector("1", last_updated=LATER)
        result = apply_to_location(stored(), "EVSE2", "1", **{method: body})
        assert result["last_updated"] == LATER
        assert result["evses"][1]["last_updated"] == LATER
        assert result["evses"][0]["last_updated"] == EARLY

    def test_evse_change_bumps_location_only(self) -> None:
        """An EVSE PATCH sets its new last_updated on the Location, not on siblings (§4.1 [M])."""
        result = apply_to_location(stored(), "EVSE1", None, patch={"last_updated": LATER})
        assert result["last_updated"] == LATER
        assert [c["last_updated"] for c in result["evses"][0]["connectors"]] == [EARLY, EARLY]

    def test_child_time_is_copied_verbatim(self) -> None:
        """The parent gets the child's string exactly, not a reformatted time (§1.9, §4.1)."""
        odd = "2024-03-01T08:00:00.5"
        result = apply_to_location(stored(), "EVSE1", "1", patch={"last_updated": odd})
        assert result["last_updated"] == odd and result["evses"][0]["last_updated"] == odd

    def test_parent_never_moves_back_in_time(self) -> None:
        """A child older than its parent leaves the parent's last_updated as is (our rule, §4.1)."""
        location = stored(last_updated=LATER)
        location["evses"][0]["last_updated"] = LATER
        result = apply_to_location(location, "EVSE1", "1", patch={"last_updated": EARLY})
        assert result["last_updated"] == LATER
        assert result["evses"][0]["last_updated"] == LATER

    def test_same_instant_keeps_parent_spelling(self) -> None:
        """A child at the same instant, spelled otherwise, does not rewrite the parent (§1.9)."""
        result = apply_to_location(
            stored(), "EVSE1", None, patch={"last_updated": "2024-01-01T10:00:00.000"}
        )
        assert result["last_updated"] == EARLY

    def test_location_takes_connector_time_not_evse_time(self) -> None:
        """Location and EVSE each compare against the Connector's new time (§4.1 [M])."""
        location = stored()
        location["evses"][0]["last_updated"] = "2024-06-01T00:00:00Z"
        result = apply_to_location(location, "EVSE1", "1", patch={"last_updated": LATER})
        assert result["evses"][0]["last_updated"] == "2024-06-01T00:00:00Z"
        assert result["last_updated"] == LATER

    def test_child_without_time_leaves_parents_alone(self) -> None:
        """A PUT lacking last_updated bumps nothing; validation refuses it later (§1.8)."""
        body = factories.connector("1")
        del body["last_updated"]
        result = apply_to_location(stored(), "EVSE1", "1", replacement=body)
        assert result["last_updated"] == EARLY and result["evses"][0]["last_updated"] == EARLY

    def test_unusable_parent_time_is_replaced_by_child_time(self) -> None:
        """A stored parent without a usable time takes the child's (§4.1 [M])."""
        location = stored()
        del location["last_updated"]
        result = apply_to_location(location, "EVSE1", None, patch={"last_updated": LATER})
        assert result["last_updated"] == LATER

    @given(
        location_at=strategies.datetimes(),
        evse_at=strategies.datetimes(),
        connector_at=strategies.datetimes(),
    )
    def test_parents_end_at_the_later_time(
        self, location_at: str, evse_at: str, connector_at: str
    ) -> None:
        """Each parent ends at max(own, child's new last_updated), as one of the two strings."""
        location = stored(last_updated=location_at)
        location["evses"][0]["last_updated"] = evse_at
        result = apply_to_location(location, "EVSE1", "1", patch={"last_updated": connector_at})
        for own, new in ((location_at, result["last_updated"]),
                         (evse_at, result["evses"][0]["last_updated"])):  # fmt: skip
            assert new in (own, connector_at)
            assert parse_datetime(new) == max(parse_datetime(own), parse_datetime(connector_at))


class TestPurity:
    @pytest.mark.parametrize(
        ("evse_uid", "connector_id", "method"),
        [
            (None, None, "patch"),
            (None, None, "replacement"),
            ("EVSE1", None, "patch"),
            ("EVSE3", None, "replacement"),
            ("EVSE2", "2", "patch"),
            ("EVSE2", "3", "replacement"),
        ],
    )
    def test_inputs_are_not_mutated(
        self, evse_uid: str | None, connector_id: str | None, method: str
    ) -> None:
        """apply_to_location never changes the stored Location or the request body."""
        location = stored()
        body = (
            factories.connector(last_updated=LATER)
            if connector_id
            else factories.evse(last_updated=LATER)
            if evse_uid
            else factories.location(last_updated=LATER)
        )
        location_copy, body_copy = copy.deepcopy(location), copy.deepcopy(body)
        apply_to_location(location, evse_uid, connector_id, **{method: body})
        assert location == location_copy and body == body_copy

    def test_functions_do_not_validate(self) -> None:
        """Validation is the caller's: an invalid PATCH yields an invalid result, not an error."""
        result = apply_to_location(stored(), "EVSE1", None, patch={"status": "FREE"})
        assert result["evses"][0]["status"] == "FREE"


def test_find_object_addresses_each_level_in_any_case() -> None:
    """find_object returns the Location, EVSE or Connector a URL names; CiString ids (§1.9)."""
    from ocpi_hub.core.patch import find_object

    loc = factories.location(evse_count=1)
    evse = loc["evses"][0]
    connector = evse["connectors"][0]
    assert find_object(loc, None, None) is loc
    assert find_object(loc, evse["uid"].lower(), None) is evse
    assert find_object(loc, evse["uid"], connector["id"].lower()) is connector
    with pytest.raises(UnknownObject):
        find_object(loc, "NOPE", None)
    with pytest.raises(UnknownObject):
        find_object(loc, evse["uid"], "NOPE")


def test_ids_compare_as_the_senders_dialect_says() -> None:
    """issue 8: where the sender's ids are case-sensitive (e-clearing.net, hub-dialects.md §4),
    `evse1` names no EVSE of a Location holding EVSE1: a PATCH of it is of an unknown EVSE and a
    PUT of it adds a second EVSE; in any case for a CiString dialect."""
    from ocpi_hub.core.patch import find_object
    from ocpi_hub.dialects import dialect, same_id

    exact = dialect("eclearing")
    loc = factories.location(evse_count=1)

    def same(a: str, b: str) -> bool:
        return same_id(exact, a, b)

    with pytest.raises(UnknownObject):
        find_object(loc, "evse1", None, same)
    with pytest.raises(UnknownObject):
        apply_to_location(loc, "evse1", None, patch={"status": "CHARGING"}, same=same)
    added = apply_to_location(loc, "evse1", None, replacement=factories.evse("evse1"), same=same)
    assert [e["uid"] for e in added["evses"]] == ["EVSE1", "evse1"]
    assert find_object(loc, "EVSE1", None, same) is loc["evses"][0]
