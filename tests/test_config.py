"""Configuration errors say file:line: key.path: what is wrong (expected …)."""

from __future__ import annotations

import pytest

from sccli.config import default_config_text, default_sla_text, parse_config, parse_sla
from sccli.schema import ConfigError


def test_defaults_are_valid_and_match_the_contract():
    sla = parse_sla(default_sla_text(), "sla.yaml")
    assert sla.timezone == "Europe/Moscow"
    assert sla.reaction_targets == {"critical": 1800, "high": 7200, "medium": 14400, "low": 14400}
    assert sla.feedback_business_days == 2 and sla.acceptance_days == 7
    # the decrees' working Saturdays (2024-04-27, …, 2027-02-20) come from `holidays`
    assert sla.extra_workdays == frozenset() and sla.extra_holidays == frozenset()
    assert sla.weekly[0][0][0].strftime("%H:%M") == "08:30"
    assert sla.weekly[5] == () and sla.weekly[6] == ()
    settings = parse_config(default_config_text(), "sccli.yaml")
    assert settings.executor.email == "crm.support@samarasoft.com"
    assert "vendor" in settings.parties


def test_top_level_sla_yaml_is_the_packaged_default():
    from pathlib import Path

    top = Path(__file__).resolve().parent.parent / "sla.yaml"
    assert top.read_text(encoding="utf-8") == default_sla_text()


def _error(text: str, parser=parse_sla) -> str:
    with pytest.raises(ConfigError) as err:
        parser(text, "sla.yaml")
    return str(err.value)


def test_unknown_key_is_an_error_with_line_and_path():
    text = default_sla_text().replace("  warn_at: 0.8", "  warn_at: 0.8\n  warn_att: 0.9")
    line = text.splitlines().index("  warn_att: 0.9") + 1
    assert _error(text) == (
        f"sla.yaml:{line}: reaction.warn_att: unknown key"
        " (expected one of: targets, default_priority, warn_at, priority_change)"
    )


@pytest.mark.parametrize(
    "old,new,fragment",
    [
        ("critical: 30m", "critical: soon", "reaction.targets.critical: 'soon' is not a duration"),
        ("warn_at: 0.8", "warn_at: 1.5", "reaction.warn_at: 1.5 is out of range"),
        ('mon: ["08:30-17:30"]', 'mon: ["17:30-08:30"]', "calendar.hours.mon[0]: '17:30-08:30' ends before"),
        ("timezone: Europe/Moscow", "timezone: Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("country: RU", "country: XX", "unknown country 'XX'"),
        ("extra_workdays: []", "extra_workdays: [2024-13-45]", "calendar.extra_workdays[0]: '2024-13-45' is not a date"),
        ("calendar_days: 7", "calendar_days: 0", "acceptance.calendar_days: 0 is too small"),
        ("default_priority: medium", "default_priority: urgent", "expected one of: critical"),
    ],
)
def test_bad_values_are_reported_precisely(old, new, fragment):
    text = default_sla_text().replace(old, new, 1)
    assert new in text
    message = _error(text)
    assert message.startswith("sla.yaml:") and fragment in message
    line = int(message.split(":")[1])
    assert new.split(":")[0].strip("- ") in text.splitlines()[line - 1] or new in text.splitlines()[line - 1]


def test_invalid_yaml_and_missing_sections():
    assert _error("calendar: [unclosed").startswith("sla.yaml:")
    assert "reaction: required key is missing" in _error("calendar:\n  hours:\n    mon: ['09:00-18:00']\n")


def test_secrets_are_refused_in_config_files():
    text = default_config_text() + """
trackers:
  gh:
    adapter: github
    repo: acme/crm
    token: ghp_abcdefabcdefabcdefabcdefabcdefabcdef
"""
    text = text.replace("trackers: {}\n", "")
    message = _error(text, parse_config)
    assert "trackers.gh.token: secrets are not accepted in config files" in message
    assert "ghp_" not in message


def test_unknown_adapter_and_dangling_references():
    text = default_config_text().replace("trackers: {}", "trackers:\n  x:\n    adapter: fax")
    assert "trackers.x.adapter: unknown adapter 'fax'" in _error(text, parse_config)
    text = default_config_text().replace("    language: ru\n#   tracker", "    tracker: nowhere\n#")
    assert "parties.vendor.tracker: unknown tracker 'nowhere'" in _error(text, parse_config)


def test_executor_email_is_validated():
    text = default_config_text().replace("crm.support@samarasoft.com", "not-an-address")
    assert "executor.email: 'not-an-address' is malformed (expected an e-mail address)" in _error(
        text, parse_config
    )


def test_a_day_may_end_at_midnight():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    text = default_sla_text().replace('sun: []', 'sun: ["20:00-24:00"]')
    sla = parse_sla(text, "sla.yaml")
    tz = ZoneInfo("Europe/Moscow")
    start = datetime(2026, 11, 22, 20, 0, tzinfo=tz)  # a Sunday
    assert sla.calendar.elapsed(start, datetime(2026, 11, 23, 0, 0, tzinfo=tz)) == 4 * 3600
    assert "ends before" in _error(default_sla_text().replace('sun: []', 'sun: ["20:00-08:00"]'))
