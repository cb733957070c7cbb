"""Settings read from the environment: the pull schedule of networks (issue 8)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocpi_hub.core.credit import Action
from ocpi_hub.settings import Settings


def test_the_pull_schedule_is_the_dialects_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset (or empty), each pull period is None: the dialect's own schedule applies."""
    monkeypatch.delenv("OCPI_HUB_PULL_DELTA_EVERY", raising=False)
    monkeypatch.setenv("OCPI_HUB_PULL_FULL_EVERY", "")
    monkeypatch.delenv("OCPI_HUB_PULL_INTERVAL", raising=False)
    settings = Settings.from_env()
    assert (settings.pull_delta_every, settings.pull_full_every) == (None, None)
    assert settings.pull_interval == 60.0


def test_the_pull_schedule_set_overrides_every_dialects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCPI_HUB_PULL_DELTA_EVERY", "3600")
    monkeypatch.setenv("OCPI_HUB_PULL_FULL_EVERY", "86400")
    monkeypatch.setenv("OCPI_HUB_PULL_INTERVAL", "5")
    settings = Settings.from_env()
    assert (settings.pull_delta_every, settings.pull_full_every) == (3600.0, 86400.0)
    assert settings.pull_interval == 5.0


@pytest.mark.parametrize("name", ["OCPI_HUB_PULL_DELTA_EVERY", "OCPI_HUB_PULL_INTERVAL",
                                  "OCPI_HUB_ROUTE_WINDOW"])  # fmt: skip
@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf"])
def test_a_period_that_is_not_seconds_above_zero_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """Every period setting says which variable is wrong and what it takes."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name} is '{value}': it takes a number of seconds"):
        Settings.from_env()


def test_the_check_settings_default_to_the_documented_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CHECK_INTERVAL", "RECONCILE_INTERVAL", "MAX_SESSION_HOURS", "CDR_GRACE_HOURS"):
        monkeypatch.delenv(f"OCPI_HUB_{name}", raising=False)
    settings = Settings.from_env()
    assert (settings.check_interval, settings.reconcile_interval) == (10.0, 3600.0)
    assert (settings.max_session_hours, settings.cdr_grace_hours) == (48.0, 48.0)


def test_hours_are_decimal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fraction of an hour, so a test (or a strict operator) can use minutes."""
    monkeypatch.setenv("OCPI_HUB_CDR_GRACE_HOURS", "0.25")
    monkeypatch.setenv("OCPI_HUB_MAX_SESSION_HOURS", "12.5")
    settings = Settings.from_env()
    assert (settings.cdr_grace_hours, settings.max_session_hours) == (0.25, 12.5)


@pytest.mark.parametrize("name", ["OCPI_HUB_CHECK_INTERVAL", "OCPI_HUB_RECONCILE_INTERVAL"])
def test_a_check_period_that_is_not_seconds_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValueError, match=f"{name} is '0': it takes a number of seconds above 0"):
        Settings.from_env()


@pytest.mark.parametrize("name", ["OCPI_HUB_MAX_SESSION_HOURS", "OCPI_HUB_CDR_GRACE_HOURS"])
@pytest.mark.parametrize("value", ["two days", "0", "-1", "nan"])
def test_hours_that_are_not_above_zero_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(
        ValueError, match=f"{name} is '{value}': it takes a number of hours above 0"
    ):
        Settings.from_env()


def test_the_price_tolerance_is_a_decimal_amount_zero_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OCPI_HUB_PRICE_TOLERANCE: 0.01 by default, read as a Decimal (never a float); 0 asks for
    the exact price."""
    monkeypatch.delenv("OCPI_HUB_PRICE_TOLERANCE", raising=False)
    assert Settings.from_env().price_tolerance == Decimal("0.01")
    monkeypatch.setenv("OCPI_HUB_PRICE_TOLERANCE", "0.1")
    assert Settings.from_env().price_tolerance == Decimal("0.1")  # not 0.1000000000000000055
    monkeypatch.setenv("OCPI_HUB_PRICE_TOLERANCE", "0")
    assert Settings.from_env().price_tolerance == 0


@pytest.mark.parametrize("value", ["a cent", "-0.01", "nan", "inf"])
def test_a_price_tolerance_that_is_not_an_amount_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OCPI_HUB_PRICE_TOLERANCE", value)
    refused = f"OCPI_HUB_PRICE_TOLERANCE is {value!r}: it takes an amount"
    with pytest.raises(ValueError, match=refused):
        Settings.from_env()


def test_the_credit_settings_default_to_the_documented_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CREDIT_INTERVAL", "CREDIT_WARN", "CREDIT_ACTION"):
        monkeypatch.delenv(f"OCPI_HUB_{name}", raising=False)
    settings = Settings.from_env()
    assert (settings.credit_interval, settings.credit_warn) == (60.0, Decimal("0.8"))
    assert settings.credit_action == Action.ALERT


def test_the_credit_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCPI_HUB_CREDIT_INTERVAL", "0.5")
    monkeypatch.setenv("OCPI_HUB_CREDIT_WARN", "0.9")
    monkeypatch.setenv("OCPI_HUB_CREDIT_ACTION", "SUSPEND")
    settings = Settings.from_env()
    assert (settings.credit_interval, settings.credit_warn) == (0.5, Decimal("0.9"))
    assert settings.credit_action == Action.SUSPEND


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("OCPI_HUB_CREDIT_INTERVAL", "0", "a number of seconds above 0"),
        ("OCPI_HUB_CREDIT_WARN", "80", "a fraction of the limit above 0 and at most 1"),
        ("OCPI_HUB_CREDIT_ACTION", "block", "alert or suspend"),
    ],
)
def test_a_credit_setting_that_cannot_be_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name} is '{value}': it takes {says}"):
        Settings.from_env()


def test_hubject_settings_are_read_and_bad_ones_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10: the OICP listener's port, Hubject's rate limits replaced per operation; an
    unknown operation, a count that is not a whole number above 0, a port out of range: a
    ValueError naming the setting."""
    monkeypatch.setenv("OCPI_HUB_OICP_PORT", "8443")
    monkeypatch.setenv(
        "OCPI_HUB_HUBJECT_RATE_LIMITS", "eRoamingAuthorizeStart=20, eRoamingPushEvseData=1"
    )
    settings = Settings.from_env()
    assert settings.oicp_port == 8443
    assert settings.hubject_rate_limits == {"eRoamingAuthorizeStart": 20, "eRoamingPushEvseData": 1}
    for name, value in (
        ("OCPI_HUB_HUBJECT_RATE_LIMITS", "eRoamingTeleport=5"),
        ("OCPI_HUB_HUBJECT_RATE_LIMITS", "eRoamingAuthorizeStart=0"),
        ("OCPI_HUB_HUBJECT_RATE_LIMITS", "eRoamingAuthorizeStart=2.5"),
        ("OCPI_HUB_OICP_PORT", "70000"),
        ("OCPI_HUB_HUBJECT_ANSWER_BUDGET", "0"),
    ):
        with monkeypatch.context() as scoped:
            scoped.setenv(name, value)
            with pytest.raises(ValueError, match=name):
                Settings.from_env()


def test_the_metrics_cap_and_trace_retention_default_and_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OCPI_HUB_METRICS_PARTIES defaults to 200 parties, OCPI_HUB_TRACE_RETENTION to 7 days;
    each is read when set."""
    monkeypatch.delenv("OCPI_HUB_METRICS_PARTIES", raising=False)
    monkeypatch.delenv("OCPI_HUB_TRACE_RETENTION", raising=False)
    settings = Settings.from_env()
    assert (settings.metrics_parties, settings.trace_retention) == (200, 7 * 86400)
    monkeypatch.setenv("OCPI_HUB_METRICS_PARTIES", "5")
    monkeypatch.setenv("OCPI_HUB_TRACE_RETENTION", "3600")
    settings = Settings.from_env()
    assert (settings.metrics_parties, settings.trace_retention) == (5, 3600)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OCPI_HUB_METRICS_PARTIES", "0"),
        ("OCPI_HUB_METRICS_PARTIES", "2.5"),
        ("OCPI_HUB_METRICS_PARTIES", "many"),
        ("OCPI_HUB_TRACE_RETENTION", "0"),
        ("OCPI_HUB_TRACE_RETENTION", "a week"),
    ],
)
def test_a_metrics_cap_or_retention_out_of_range_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A cap that is not a whole number above 0, or a retention not seconds above 0, is a
    ValueError naming the variable."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        Settings.from_env()
