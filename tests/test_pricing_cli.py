"""`ocpi-hub price --tariff FILE (--cdr FILE | --session FILE) [--time-zone TZ] [--json]` (issue 9
§1), run as a real process: the cost per charging period and dimension and the totals, as a
table and as JSON; and every kind of bad input refused on stderr with exit 1, nothing on
stdout. No database is involved: none is configured for these runs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from ocpi_hub.core.model import OcpiModel
from tests.core.pricing_builders import cdr, element, flat, parking, period, session, tariff, time
from tests.e2e.processes import cli

# The complex example of mod_tariffs (test_pricing_examples.py derives its 9.00 / 10.30).
COMPLEX = tariff(
    element(flat(2.50, vat=15)),
    element(time(1.00, vat=20, step=900), max_current=32),
    element(parking(5.00, vat=10, step=300), start_time="09:00", end_time="18:00"),
)
MONDAY = cdr(
    "2024-03-04 08:30",
    "2024-03-04 11:57",
    period("2024-03-04 08:30", ENERGY=18, TIME=2.75, MAX_CURRENT=16),
    period("2024-03-04 11:15", PARKING_TIME=0.7),
)


def written(directory: Path, name: str, content: OcpiModel | bytes) -> str:
    path = directory / name
    if isinstance(content, OcpiModel):
        content = orjson.dumps(content.model_dump(mode="json", exclude_none=True))
    path.write_bytes(content)
    return str(path)


def price(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_HUB_")}
    return cli(env, "price", *args, cwd=tmp_path)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    return {
        "tariff": written(tmp_path, "tariff.json", COMPLEX),
        "cdr": written(tmp_path, "cdr.json", MONDAY),
    }


def test_price_prints_each_period_and_dimension_and_the_totals(
    tmp_path: Path, files: dict[str, str]
) -> None:
    """The table: one row per period, dimension and element (a free volume shows element -),
    volumes with their unit, the parking billed in whole steps; then the total and what the CDR
    itself says."""
    done = price(
        tmp_path,
        "--tariff",
        files["tariff"],
        "--cdr",
        files["cdr"],
        "--time-zone",
        "Europe/Amsterdam",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "CDR NL*CPA*CDR1 under tariff NL*CPA*T1, time zone Europe/Amsterdam"
    assert lines[1].split() == [
        "PERIOD", "START_DATE_TIME", "DIMENSION", "ELEMENT", "VOLUME", "BILLED", "PRICE", "VAT",
        "EXCL_VAT", "INCL_VAT",
    ]  # fmt: skip
    rows = [line.split() for line in lines[2:6]]
    assert rows == [
        ["0", "2024-03-04T08:30:00Z", "FLAT", "0", "1", "1", "2.5", "15%", "2.5000", "2.8750"],
        ["0", "2024-03-04T08:30:00Z", "ENERGY", "-", "18.0000", "kWh", "18.0000", "kWh", "0",
         "-", "0.0000", "0.0000"],
        ["0", "2024-03-04T08:30:00Z", "TIME", "1", "2.7500", "h", "2.7500", "h", "1", "20%",
         "2.7500", "3.3000"],
        ["1", "2024-03-04T11:15:00Z", "PARKING_TIME", "2", "0.7000", "h", "0.7500", "h", "5",
         "10%", "3.7500", "4.1250"],
    ]  # fmt: skip
    assert lines[6:] == [
        "total: 9.0000 excl. VAT, 10.3000 incl. VAT (EUR)",
        "the CDR says: 4.6000 excl. VAT, 5.5700 incl. VAT",
    ]


def test_price_json_has_lines_totals_and_cdr_totals_as_decimal_strings(
    tmp_path: Path, files: dict[str, str]
) -> None:
    """--json: every figure a string with 4 decimals (never a float), the lines, the total, the
    CDR's own total_cost beside it, and the totals as the CDR names its fields."""
    done = price(
        tmp_path, "--tariff", files["tariff"], "--cdr", files["cdr"],
        "--time-zone", "Europe/Amsterdam", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["total"] == {"excl_vat": "9.0000", "incl_vat": "10.3000"}
    assert report["reported_total_cost"] == {"excl_vat": "4.6000", "incl_vat": "5.5700"}
    assert report["cdr_totals"]["total_parking_cost"] == {
        "excl_vat": "3.7500",
        "incl_vat": "4.1250",
    }
    assert report["limits"] == [] and report["warnings"] == []
    assert [(x["period"], x["dimension"], x["element"]) for x in report["lines"]] == [
        (0, "FLAT", 0),
        (0, "ENERGY", None),
        (0, "TIME", 1),
        (1, "PARKING_TIME", 2),
    ]
    assert report["lines"][3]["billed_volume"] == "0.7500"


def test_price_a_session_and_the_time_zone_default(tmp_path: Path) -> None:
    """--session prices a running Session up to its last_updated; without --time-zone the
    restrictions are read in UTC (08:30Z is before 09:00 there: no parking price)."""
    running = session(
        "2024-03-04 08:00",
        period("2024-03-04 08:00", ENERGY=10, TIME=0.5, MAX_CURRENT=16),
        period("2024-03-04 08:30", PARKING_TIME=0.5),
        last_updated="2024-03-04T09:00:00Z",
    )
    args = ["--tariff", written(tmp_path, "t.json", COMPLEX)]
    args += ["--session", written(tmp_path, "s.json", running), "--json"]
    done = price(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["priced"] == "Session NL*CPA*SESS1" and report["time_zone"] == "UTC"
    # 2.50 FLAT + 0.5 h x 1.00 (parking 08:30-09:00 UTC is outside 09:00-18:00: free)
    assert report["total"] == {"excl_vat": "3.0000", "incl_vat": "3.4750"}
    assert report["reported_total_cost"] is None


@pytest.mark.parametrize(
    ("tariff_file", "cdr_file", "extra", "message"),
    [
        (None, b"{}", [], "cannot read {dir}/missing.json: No such file or directory"),
        (b"{not json", b"{}", [], "{dir}/tariff.json is not JSON: "),
        (
            b'{"country_code": "NL", "party_id": "CPA", "id": "T1", "currency": "EUR",'
            b' "elements": [], "last_updated": "2024-03-01T10:00:00Z"}',
            b"{}",
            [],
            "{dir}/tariff.json is not a valid Tariff: elements: List should have at least 1 item",
        ),
        (
            "tariff",
            b'{"id": "CDR1"}',
            [],
            "{dir}/cdr.json is not a valid CDR: country_code: Field required",
        ),
        ("tariff", "cdr", ["--time-zone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        ("tariff", "other", [], "charging period 0 is priced by tariff 'T9', not 'T1'"),
    ],
)
def test_bad_input_is_refused_on_stderr_with_exit_1(
    tmp_path: Path,
    tariff_file: bytes | str | None,
    cdr_file: bytes | str,
    extra: list[str],
    message: str,
) -> None:
    """A missing file, a file that is not JSON, an invalid Tariff or CDR (naming the field), an
    unknown time zone, a period of another tariff: exit 1, `ocpi-hub: <why>` on stderr, nothing
    on stdout."""
    contents: dict[str, Any] = {
        "tariff": COMPLEX,
        "cdr": MONDAY,
        "other": MONDAY.model_copy(
            update={
                "charging_periods": [
                    p.model_copy(update={"tariff_id": "T9"}) for p in MONDAY.charging_periods
                ]
            }
        ),
    }

    def path(name: str, content: bytes | str | None) -> str:
        if content is None:
            return str(tmp_path / "missing.json")
        return written(tmp_path, name, contents[content] if isinstance(content, str) else content)

    done = price(
        tmp_path, "--tariff", path("tariff.json", tariff_file), "--cdr", path("cdr.json", cdr_file),
        *extra,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("ocpi-hub: " + message.format(dir=tmp_path)), done.stderr


def test_cdr_and_session_together_are_a_usage_error(tmp_path: Path, files: dict[str, str]) -> None:
    """--cdr and --session exclude each other, and one of them is required (argparse: exit 2)."""
    both = price(
        tmp_path, "--tariff", files["tariff"], "--cdr", files["cdr"], "--session", files["cdr"]
    )
    neither = price(tmp_path, "--tariff", files["tariff"])
    assert both.returncode == neither.returncode == 2
    assert "not allowed with argument" in both.stderr
    assert "one of the arguments --cdr --session is required" in neither.stderr


def test_price_says_which_limit_moved_the_total_and_why_to_look(tmp_path: Path) -> None:
    """A max_price that caps the total is named with what the lines add up to; a tariff not yet
    valid when the session started is a warning (priced all the same)."""
    capped = tariff(
        element(flat(2.50, vat=15)),
        max_price={"excl_vat": 2},
        start_date_time="2024-04-01T00:00:00Z",
    )
    charging = MONDAY.model_copy(update={"charging_periods": MONDAY.charging_periods[:1]})
    tariff_file = written(tmp_path, "t.json", capped)
    done = price(tmp_path, "--tariff", tariff_file, "--cdr", written(tmp_path, "c.json", charging))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-4:] == [
        "max_price.excl_vat applied: the lines add up to 2.5000 excl. VAT, 2.8750 incl. VAT",
        "total: 2.0000 excl. VAT, 2.8750 incl. VAT (EUR)",
        "warning: the tariff is valid from 2024-04-01T00:00:00Z, after the session started",
        "the CDR says: 4.6000 excl. VAT, 5.5700 incl. VAT",
    ]
