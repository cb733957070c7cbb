"""The one delivery planner (core.planner): who gets a stored change, how, in which queue."""

from __future__ import annotations

from typing import Any

import orjson

from ocpi_hub.core.parties import (
    InterfaceRole,
    Party,
    Platform,
    Role,
)
from ocpi_hub.core.planner import FIFO_QUEUE, Change, plan
from ocpi_hub.core.routes import audience
from tests import factories

HUB = ("XX", "HUB")
EMSP = ("DE", "EMA")


def platform(id: int, *parties: Party, dialect: str = "ocpi-2.2.1") -> Platform:
    return factories.platform(id, *parties, module="tokens", dialect=dialect)  # type: ignore[no-any-return]


SOURCE = platform(1, Party.of(*EMSP, Role.EMSP))
CPO = platform(2, Party.of("NL", "CPA", Role.CPO))
GIREVE = platform(
    3, Party.of("FR", "007", Role.HUB), Party.of("FR", "CPX", Role.CPO), dialect="gireve"
)
ECLEARING = platform(4, Party.of("DE", "ECH", Role.HUB), dialect="eclearing")
TOKEN: dict[str, Any] = {"country_code": "DE", "party_id": "EMA", "uid": "U1", "type": "RFID"}


def change(method: str = "PATCH", source: Platform = SOURCE) -> Change:
    return Change(
        module="tokens",
        method=method,
        path="/DE/EMA/U1?type=RFID",
        body='{"valid":false}',
        whole={**TOKEN, "valid": False},
        key=("tokens", "DE", "EMA", "U1", "RFID"),
        queue="tokens/DE/EMA/U1/RFID",
        source=source,
        sender=EMSP,
        hub=HUB,
        personal=False,
    )


def receivers() -> list[tuple[Party, Platform]]:
    return audience([SOURCE, CPO, GIREVE, ECLEARING], frozenset({Role.CPO}), "tokens",
                    InterfaceRole.RECEIVER)  # fmt: skip


def test_a_peer_gets_the_change_as_sent_from_the_hub() -> None:
    """A broadcast to a spec peer: the request as sent, FROM the hub, queued per object."""
    [to_cpo] = [d for d in plan(change(), receivers()).deliveries if d.receiver is CPO]

    assert (to_cpo.method, to_cpo.body, to_cpo.from_party) == ("PATCH", '{"valid":false}', HUB)
    assert to_cpo.queue == "tokens/DE/EMA/U1/RFID"


def test_a_network_without_patch_gets_the_whole_object_from_the_sender() -> None:
    """Gireve takes no PATCH on Tokens: a PUT of the whole object at its own path, FROM the eMSP
    the hub presents there, addressed to the network's own party."""
    [to_gireve] = [d for d in plan(change(), receivers()).deliveries if d.receiver is GIREVE]

    assert to_gireve.method == "PUT" and to_gireve.path == "/DE/EMA/U1?type=RFID"
    assert orjson.loads(str(to_gireve.body)) == {**TOKEN, "valid": False}
    assert (to_gireve.from_party, to_gireve.to_party) == (EMSP, ("FR", "007"))


def test_a_fifo_network_has_one_queue() -> None:
    """e-clearing.net's deliveries wait in one queue, whatever object they change."""
    [to_echx] = [d for d in plan(change(), receivers()).deliveries if d.receiver is ECLEARING]

    assert to_echx.queue == FIFO_QUEUE and to_echx.method == "PATCH"


def test_nothing_goes_back_to_the_source_nor_between_networks() -> None:
    """The sender's own platform is never a receiver; a change that came from a network reaches
    peers only."""
    planned = plan(change(source=GIREVE), receivers())

    assert [d.receiver for d in plan(change(), receivers()).deliveries].count(SOURCE) == 0
    assert [d.receiver for d in planned.deliveries] == [CPO]


def test_a_refused_receiver_is_named_and_skipped() -> None:
    """A receiver whose dialect requires a field the object lacks is not sent it; the plan says
    who and why, for the sender's answer."""
    location = Change(
        **{**change().__dict__, "module": "locations", "whole": {"id": "LOC1"}, "method": "PUT"}
    )
    gireve = factories.platform(3, *GIREVE.parties, dialect="gireve")

    planned = plan(location, [(Party.of("FR", "007", Role.HUB), gireve)])

    assert planned.deliveries == []
    assert planned.refused == ["not sent to FR*007: gireve requires owner.name, operator.name"]
