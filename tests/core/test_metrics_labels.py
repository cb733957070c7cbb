"""The labels of the hub's Prometheus series (core.metrics): party labels bounded by the cap,
route names as module and interface, authorization outcomes from the enum only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.metrics import OTHER, allowed_label, party_label, route_labels

parties = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ*", min_size=1, max_size=6)


def label_all(seen: list[str], cap: int) -> tuple[list[str], set[str]]:
    """Label `seen` in order, as ocpi_hub.metrics does: a party's own label is remembered."""
    labelled: set[str] = set()
    labels = []
    for party in seen:
        label = party_label(party, labelled, cap)
        if label == party:
            labelled.add(party)
        labels.append(label)
    return labels, labelled


def test_the_first_parties_up_to_the_cap_keep_their_own_label() -> None:
    """With a cap of 2, the first two parties are labelled as themselves, later ones `other`;
    a party labelled once keeps its label after the cap is reached."""
    labels, _ = label_all(["NL*CPA", "DE*EMA", "FR*EMB", "NL*CPA", "BE*CPB", "DE*EMA"], 2)
    assert labels == ["NL*CPA", "DE*EMA", OTHER, "NL*CPA", OTHER, "DE*EMA"]


@given(st.lists(parties, max_size=40), st.integers(min_value=1, max_value=10))
def test_never_more_distinct_labels_than_the_cap_plus_other(seen: list[str], cap: int) -> None:
    """However many parties are seen, at most `cap` party labels exist besides `other`, and
    a party is labelled `other` only once the cap is full."""
    labels, labelled = label_all(seen, cap)
    assert len(set(labels) - {OTHER}) <= cap and len(labelled) <= cap
    for party, label in zip(seen, labels, strict=True):
        assert label in (party, OTHER)
        if label == OTHER:
            assert party not in labelled and len(labelled) == cap


def test_route_names_become_module_and_interface() -> None:
    """Functional routes name their module and interface (2.1.1 routes too; authorize is the
    Tokens Sender's); configuration routes their module; no route is `none`."""
    assert route_labels("locations:receiver_put") == ("locations", "RECEIVER")
    assert route_labels("locations:sender_list") == ("locations", "SENDER")
    assert route_labels("tariffs:v211:receiver_patch") == ("tariffs", "RECEIVER")
    assert route_labels("tokens:authorize") == ("tokens", "SENDER")
    assert route_labels("commands:receiver") == ("commands", "RECEIVER")
    assert route_labels("config:credentials_post") == ("credentials", "")
    assert route_labels("config:version_details_211") == ("versions", "")
    assert route_labels("health:ready") == ("health", "")
    assert route_labels("") == ("none", "")


def test_authorization_outcomes_are_allowed_types_or_other() -> None:
    """Every AllowedType is its own label; anything a peer made up is `other`."""
    for allowed in ("ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"):
        assert allowed_label(allowed) == allowed
    assert allowed_label("MAYBE") == OTHER and allowed_label("allowed") == OTHER
