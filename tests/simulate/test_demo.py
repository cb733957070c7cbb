"""`make demo` and docker-compose.yml run the same topology with the same commands (issue 4):
the compose services run exactly what scripts/demo.sh runs, and every command is one the
`ocpi-hub` command line accepts. (No docker engine here: the files are checked by reading.)"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from ocpi_hub import cli
from ocpi_hub.simulate import cli as simulate_cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scripts" / "demo.sh"
COMPOSE = ROOT / "docker-compose.yml"


def demo_topology() -> tuple[str, list[str], dict[str, str]]:
    """(hub command, invitation commands, {simulator name: command}) of the demo's TOPOLOGY
    block, read as bash would: single-quoted strings."""
    text = DEMO.read_text()
    block = text[text.index("# --- TOPOLOGY (begin)") : text.index("# --- TOPOLOGY (end)")]
    hub = re.search(r"^HUB='([^']*)'$", block, re.M)
    assert hub is not None, "HUB='...' in the TOPOLOGY block"

    def array(name: str) -> list[str]:
        found = re.search(rf"^{name}=\(\n(.*?)\n\)$", block, re.M | re.S)
        assert found is not None, f"{name}=( ... ) in the TOPOLOGY block"
        return [shlex.split(line)[0] for line in found.group(1).splitlines() if line.strip()]

    simulators = dict(entry.split(": ", 1) for entry in array("SIMULATORS"))
    return hub.group(1), array("INVITES"), simulators


def compose_services() -> dict[str, dict[str, object]]:
    """Each service's `command` (a JSON-style flow list) and `OCPI_SIM_PUBLIC_URL`, read from
    docker-compose.yml line by line (no YAML library in the project)."""
    services: dict[str, dict[str, object]] = {}
    current = None
    in_services = False
    for line in COMPOSE.read_text().splitlines():
        if re.match(r"^\S", line):
            in_services = line.startswith("services:")
            current = None
        elif in_services and (service := re.match(r"^  ([\w-]+):\s*$", line)):
            current = services.setdefault(service.group(1), {})
        elif current is not None and (command := re.match(r"^    command: (\[.*\])$", line)):
            current["command"] = json.loads(command.group(1))
        elif current is not None and (url := re.match(r"^      OCPI_SIM_PUBLIC_URL: (\S+)$", line)):
            current["public_url"] = url.group(1)
    return services


def test_compose_runs_the_demo_commands() -> None:
    """Hub, invitations and simulators: the compose commands are the demo's, word for word."""
    hub, invites, simulators = demo_topology()
    services = compose_services()
    assert set(services) == {"postgres", "hub", "invite", *simulators}
    assert services["hub"]["command"] == shlex.split(hub)
    assert services["invite"]["command"] == ["sh", "-c", " && ".join(invites)]
    for name, command in simulators.items():
        assert services[name]["command"] == shlex.split(command), name
    assert len([c for c in simulators.values() if " simulate cpo " in c]) == 2
    assert len([c for c in simulators.values() if " simulate emsp " in c]) == 2


def test_each_simulator_advertises_its_own_service_address() -> None:
    """In compose a simulator is reached by its service name, on the port its command gives."""
    _, _, simulators = demo_topology()
    services = compose_services()
    for name, command in simulators.items():
        words = shlex.split(command)
        port = words[words.index("--port") + 1]
        assert services[name]["public_url"] == f"http://{name}:{port}"


def test_demo_commands_are_valid_command_lines() -> None:
    """Every demo command parses with `ocpi-hub`'s parser; invitations match identities."""
    hub, invites, simulators = demo_topology()
    parser = cli._parser()
    assert parser.parse_args(shlex.split(hub)[1:]).command == "serve"
    invited = {}
    for command in invites:
        invite, target = command.split(" > ")
        args = parser.parse_args(shlex.split(invite)[1:])
        assert args.json is True
        invited[target] = (args.role, args.invite_country_code, args.invite_party_id)
    ports = set()
    for command in simulators.values():
        args = parser.parse_args(shlex.split(command)[1:])
        config = simulate_cli.config_from(args)
        role = "CPO" if args.simulate_role == "cpo" else "EMSP"
        assert invited[str(args.invitation)] == (role, config.country_code, config.party_id)
        ports.add(config.port)
    assert ports == {9101, 9102, 9103, 9104}


def test_demo_script_and_make_target() -> None:
    """The script is valid bash, and `make demo` runs it."""
    subprocess.run(["bash", "-n", str(DEMO)], check=True)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: .*\n\tbash scripts/demo\.sh$", makefile, re.M)


@pytest.mark.parametrize(
    "needle",
    ["FROM python:3.11-slim", "RUN pip install .", 'CMD ["ocpi-hub", "serve"]'],
)
def test_dockerfile_installs_the_package(needle: str) -> None:
    """The image is python:3.11-slim with the package installed and the hub as default."""
    assert needle in (ROOT / "Dockerfile").read_text()
