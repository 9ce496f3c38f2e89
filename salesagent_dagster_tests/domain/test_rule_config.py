"""The rules file: the packaged one loads as the documented defaults, and every kind of
mistake is refused with the file and key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesagent_dagster.domain.approval_rules import RuleSettings
from salesagent_dagster.domain.rule_config import RuleConfigError, load_rule_settings
from salesagent_dagster.resources.outreach_settings import OutreachSettings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_file_holds_the_roadmap_defaults():
    assert load_rule_settings() == RuleSettings()


def test_a_team_file_changes_confidences_and_threshold(tmp_path):
    path = write(
        tmp_path,
        "auto_approve_threshold = 0.9\n[rules.known_good]\nconfidence = 0.8\n"
        "[rules.replied_before]\nwithin_days = 30\n",
    )
    settings = load_rule_settings(path)
    assert settings.auto_approve_threshold == 0.9
    assert settings.known_good_confidence == 0.8
    assert settings.replied_within_days == 30
    assert settings.replied_before_confidence == 0.95  # untouched keys keep their defaults


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("auto_approve_threshold = 1.5\n", "between 0 and 1"),
        ("auto_aprove_threshold = 0.8\n", "unknown key 'auto_aprove_threshold'"),
        ("[rules.gut_feeling]\nconfidence = 0.9\n", "unknown rule [rules.gut_feeling]"),
        ("[rules.known_good]\nconfidence = 'high'\n", "must be a float"),
        ("shadow_mode = 1\n", "must be a bool"),
        ("[rules.replied_before]\nwithin_days = 0\n", "replied_within_days must be positive"),
        ("auto_approve_threshold = \n", "cannot read rules file"),
    ],
)
def test_mistakes_are_refused_with_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RuleConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_rule_settings(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(RuleConfigError, match="cannot read rules file"):
        load_rule_settings(tmp_path / "nope.toml")


def test_env_overrides_win_over_the_file(tmp_path):
    path = write(tmp_path, "auto_approve_threshold = 0.9\nshadow_mode = false\n")
    outreach = OutreachSettings(
        rules_file=str(path),
        auto_approve_threshold=0.7,
        shadow_mode=True,
        postal_address="x",
        unsubscribe_url="https://x.example/u",
        booking_url="https://x.example/b",
        hash_salt="s",
    )
    settings = outreach.rule_settings()
    assert (settings.auto_approve_threshold, settings.shadow_mode) == (0.7, True)
