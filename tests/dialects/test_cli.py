"""`ocpi-hub dialects list|show|table` (issue 8 "Dialect profiles"): the profiles and their rules
as text and plain JSON, without a database; an unknown NAME changes nothing and exits 2; and the
README's rule x dialect table is the data's, verbatim."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocpi_hub import cli
from ocpi_hub.dialects import DIALECTS
from ocpi_hub.dialects.rules import RULES, markdown_table

README = Path(__file__).parents[2] / "README.md"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["dialects", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_names_every_profile(capsys: pytest.CaptureFixture[str]) -> None:
    """`dialects list --json`: name, version and summary of each shipped profile, spec first."""
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"name": d.name, "version": d.version, "summary": d.summary} for d in DIALECTS.values()
    ]


def test_list_table_has_a_row_per_profile(capsys: pytest.CaptureFixture[str]) -> None:
    """`dialects list`: a header and one row per profile, name first."""
    code, out, _ = run(capsys, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["NAME", "VERSION", "SUMMARY"]
    assert [line.split()[0] for line in lines[1:]] == list(DIALECTS)


def test_show_json_is_every_rule_with_plain_values(capsys: pytest.CaptureFixture[str]) -> None:
    """`dialects show gireve --json`: every rule with its value as plain JSON (sets sorted,
    enums as values, a party as CC*PID) and its source (hub-dialects.md §2)."""
    code, out, _ = run(capsys, "show", "gireve", "--json")
    shown = json.loads(out)
    rules = {r["rule"]: r for r in shown["rules"]}
    assert code == 0 and shown["name"] == "gireve"
    assert list(rules) == list(RULES)
    assert rules["missing_modules"]["value"] == ["chargingprofiles", "hubclientinfo"]
    assert rules["put_instead_of_patch"]["value"] == ["sessions", "tokens"]
    assert rules["hub_party"]["value"] == "FR*007"
    assert rules["delivery"]["value"] == "fifo" and rules["presents"]["value"] == "hub"
    assert rules["page_limits"]["value"] == {
        "cdrs": 20,
        "locations": 100,
        "tariffs": 100,
        "tokens": 1000,
    }
    assert rules["required_fields"]["value"]["commands/START_SESSION"] == ["evse_uid"]
    assert rules["routing_headers"]["source"].startswith("§2.2 [S]")


def test_show_json_pull_schedule_in_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    """`dialects show enapi --json`: the pull schedule as its two periods (§3)."""
    _, out, _ = run(capsys, "show", "enapi", "--json")
    rules = {r["rule"]: r["value"] for r in json.loads(out)["rules"]}
    assert rules["pull"] == {"delta_every": 86400.0, "full_every": 604800.0}
    assert rules["hubclientinfo_partial"] is True


def test_show_text_prints_each_rule_value_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    """`dialects show eclearing`: a line per rule with its value, then its source."""
    code, out, _ = run(capsys, "show", "eclearing")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("eclearing: ")
    assert lines[1].split() == ["version", "2.2.1"]
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["ids_case_sensitive"])
    assert lines[at].split()[1] == "case-sensitive"
    assert lines[at + 1].strip().startswith("source: §4 [S]")
    assert len(lines) == 1 + 2 * len(RULES)


def test_show_unknown_name_exits_2_naming_the_known(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown NAME: exit 2, one line on stderr naming every dialect, nothing on stdout."""
    code, out, err = run(capsys, "show", "gireve-2.1.1")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "'gireve-2.1.1'" in err and all(name in err for name in DIALECTS)


def test_dialects_need_no_database(tmp_path: Path) -> None:
    """The commands run as a process with an unreachable database URL and create no data dir."""
    env = {
        **os.environ,
        "OCPI_HUB_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "OCPI_HUB_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ocpi_hub", "dialects", "show", "lenient", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "lenient"
    assert not (tmp_path / "data").exists()


def test_table_prints_the_markdown_of_the_data(capsys: pytest.CaptureFixture[str]) -> None:
    """`dialects table`: one row per rule, one column per dialect, from the profiles."""
    code, out, _ = run(capsys, "table")
    assert code == 0 and out == markdown_table(DIALECTS.values())
    assert out.splitlines()[0].count("|") == len(DIALECTS) + 2
    assert len(out.splitlines()) == 2 + len(RULES)


def test_readme_table_is_the_data() -> None:
    """README "Dialects" holds `ocpi-hub dialects table` verbatim: data and docs agree."""
    assert markdown_table(DIALECTS.values()) in README.read_text()
