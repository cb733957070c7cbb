"""`ocpi-hub hubject connect|enable|resync|losses`: Hubject as a network (issue 10).

- `connect` registers the Hubject network: its base URL, the client certificate and key we
  present, and the CA we trust for Hubject's server and for Hubject's calls to us. The files
  are loaded before anything is stored (a certificate that does not match its key, a CA that
  is not one: refused, nothing changed). Connecting again updates them.
- `enable` makes a local CPO a Hubject operator (`--operator-id`) or a local eMSP a Hubject
  provider (`--provider-id`).
  An operator needs `--hotline` (OICP requires a hotline on every EVSE data record); enabling
  one makes a full load of its EVSE data, statuses and pricing; enabling a provider makes the
  next pull of Hubject a full one.
- `resync` makes that full load again (`--party`: one operator; else every one): Hubject then
  holds exactly the operator's stored Locations and Tariffs.
- `losses` lists what the translations could not carry, per module and field.
"""

from __future__ import annotations

import argparse
import ssl
from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import orjson

from ocpi_hub.core.agreements import BadAgreement, parse_party, party_text
from ocpi_hub.core.parties import Party, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects import HUBJECT
from ocpi_hub.dialects.oicp import ids
from ocpi_hub.push.oicp import evses
from ocpi_hub.push.oicp.bridge import OicpBridge
from ocpi_hub.push.oicp.client import OicpUnreachable, mutual_tls
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Executor
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import hubject, platforms, pulls
from ocpi_hub.terminal import fail
from ocpi_hub.translations_cli import show_losses

__all__ = ["COMMANDS", "add_parser"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `hubject` command and its actions."""
    parser = commands.add_parser("hubject", parents=[common], help="Hubject (OICP 2.3)")
    actions = parser.add_subparsers(dest="hubject_command", required=True, metavar="ACTION")
    connect = actions.add_parser("connect", parents=[common], help="register the Hubject network")
    connect.add_argument("--base-url", required=True, metavar="URL")
    connect.add_argument("--cert", required=True, metavar="FILE", help="our client certificate")
    connect.add_argument("--key", required=True, metavar="FILE", help="its private key")
    connect.add_argument("--ca", required=True, metavar="FILE", help="the CA we trust")
    connect.add_argument("--party", metavar="CC*PID", help="the network's party (DE*HBS)")
    connect.add_argument("--json", action="store_true")
    enable = actions.add_parser("enable", parents=[common], help="a local party roams on Hubject")
    enable.add_argument("--party", required=True, metavar="CC*PID")
    which = enable.add_mutually_exclusive_group(required=True)
    which.add_argument("--operator-id", metavar="ID", help="a CPO's OperatorID (DE*ABC)")
    which.add_argument("--provider-id", metavar="ID", help="an eMSP's ProviderID (DE-ABC)")
    enable.add_argument(
        "--hotline",
        metavar="PHONE",
        help="an operator's hotline for drivers, +digits (OICP requires it on every EVSE)",
    )
    enable.add_argument("--json", action="store_true")
    resync = actions.add_parser(
        "resync", parents=[common], help="a full load of operators' EVSE data and pricing"
    )
    resync.add_argument("--party", metavar="CC*PID", help="one operator (default: every one)")
    resync.add_argument("--json", action="store_true")
    losses = actions.add_parser("losses", parents=[common], help="what translations lost")
    losses.add_argument("--json", action="store_true")


def _checked_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"--base-url {text!r}: Hubject is called over https, as https://HOST/PATH")
    return text.rstrip("/")


async def cmd_connect(settings: Settings, args: argparse.Namespace) -> int:
    try:
        base_url = _checked_url(args.base_url)
        identity = parse_party(args.party) if args.party else HUBJECT.hub_party
        assert identity is not None
        mutual_tls(args.cert, args.key, args.ca)
    except (ValueError, BadAgreement) as exc:
        return fail(str(exc))
    except (OSError, ssl.SSLError) as exc:
        return fail(f"the certificate files do not load: {exc}")
    async with open_database(settings) as pool:
        async with pool.acquire() as conn:
            network = await hubject.connect(
                conn,
                base_url=base_url,
                cert_file=str(args.cert),
                key_file=str(args.key),
                ca_file=str(args.ca),
                identity=Party.of(*identity, Role.HUB),
                dialect=HUBJECT.name,
                hub=(settings.country_code, settings.party_id),
            )
        await announce(pool, network.platform_id)
    shown = {"platform": network.platform_id, "base_url": network.base_url,
             "party": party_text(identity)}  # fmt: skip
    if args.json:
        print(orjson.dumps(shown).decode())
    else:
        print(f"Hubject connected as platform {network.platform_id} ({network.base_url})")
        if not settings.oicp_port:
            print("Hubject's calls are served once OCPI_HUB_OICP_PORT is set (then restart serve)")
    return 0


async def _local_role(conn: Executor, party: PartyKey) -> set[Role]:
    found = await platforms.platforms_of_party(conn, *party)
    return {p.role for f in found if not f.network for p in f.parties if p.key == party}


async def cmd_enable(settings: Settings, args: argparse.Namespace) -> int:
    role = Role.CPO if args.operator_id else Role.EMSP
    given = args.operator_id or args.provider_id
    try:
        party = parse_party(args.party)
        (ids.operator_party if role == Role.CPO else ids.provider_party)(given)
    except (ValueError, BadAgreement) as exc:
        return fail(str(exc))
    if role == Role.CPO and not args.hotline:
        return fail("an operator needs --hotline: OICP requires it on every EVSE data record")
    if role == Role.EMSP and args.hotline:
        return fail("--hotline is an operator's: a provider has none")
    if args.hotline and not ids.PHONE_NUMBER.fullmatch(args.hotline):
        return fail(f"--hotline {args.hotline!r}: write it as + and 5 to 15 digits")
    async with open_database(settings) as pool:
        network = await hubject.network(pool)
        if network is None:
            return fail("no Hubject network: run ocpi-hub hubject connect first")
        if role not in await _local_role(pool, party):
            return fail(f"{party_text(party)} is no local {role.value} of this hub")
        added = await hubject.enable(pool, network.platform_id, party, role, given, args.hotline)
        shown: dict[str, Any] = {
            "party": party_text(party), "role": role.value, "oicp_id": given, "added": added
        }  # fmt: skip
        if role == Role.EMSP:  # Hubject may serve more now: pull everything again
            await pulls.full_next(pool, network.platform_id)
        if role == Role.CPO:  # Hubject gets the whole of what the operator has, at once
            loaded = await _full_loads(settings, pool, [party])
            if isinstance(loaded, str):
                return fail(f"{party_text(party)} roams on Hubject; {loaded}")
            shown["loaded"] = loaded[0]
    if args.json:
        print(orjson.dumps(shown).decode())
    else:
        what = "operator" if role == Role.CPO else "provider"
        print(f"{party_text(party)} roams on Hubject as {what} {given}")
        if "loaded" in shown:
            print(_loaded_text(shown["loaded"]))
    return 0


async def _full_loads(
    settings: Settings, pool: asyncpg.Pool, parties: list[PartyKey] | None
) -> list[dict[str, Any]] | str:
    """A full load of each roaming operator of `parties` (None: of every one); a message
    saying what failed instead."""
    network = await hubject.network(pool)
    if network is None:
        return "no Hubject network: run ocpi-hub hubject connect first"
    chosen = [
        r for r in network.roaming
        if r.role == Role.CPO and (parties is None or r.party in parties)
    ]  # fmt: skip
    if parties is not None and len(chosen) != len(parties):
        return f"{', '.join(party_text(p) for p in parties)} is no Hubject operator"
    loaded = []
    async with OicpBridge(pool, settings) as bridge:
        for roaming in chosen:
            try:
                done = await evses.resync(bridge, network, roaming, settings.hubject_timeout)
            except evses.Refused as refused:
                return f"the full load of {roaming.oicp_id} failed: {refused}"
            except (OicpUnreachable, OSError, ValueError) as exc:
                return f"the full load of {roaming.oicp_id} failed: {exc}"
            loaded.append({"party": party_text(roaming.party), "operator_id": roaming.oicp_id,
                           **done})  # fmt: skip
    return loaded


def _loaded_text(loaded: Mapping[str, Any]) -> str:
    pricing = "pushed" if loaded["tariffs_pushed"] else "none"
    return (
        f"{loaded['operator_id']}: full load of {loaded['evses']} EVSE data records and"
        f" {loaded['statuses']} statuses; pricing {pricing}"
    )


async def cmd_resync(settings: Settings, args: argparse.Namespace) -> int:
    try:
        parties = [parse_party(args.party)] if args.party else None
    except (ValueError, BadAgreement) as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        loaded = await _full_loads(settings, pool, parties)
    if isinstance(loaded, str):
        return fail(loaded)
    if args.json:
        print(orjson.dumps(loaded).decode())
    else:
        for done in loaded:
            print(_loaded_text(done))
    return 0


async def cmd_losses(settings: Settings, args: argparse.Namespace) -> int:
    """`translations losses --translation hubject`, under the command that made them."""
    return await show_losses(settings, HUBJECT.name, args.json)


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "hubject connect": cmd_connect,
    "hubject enable": cmd_enable,
    "hubject losses": cmd_losses,
    "hubject resync": cmd_resync,
}
