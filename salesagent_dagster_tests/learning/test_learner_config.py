"""The rules file's [learner] table: the packaged one is off and in shadow, a team's bounds
load, and every kind of mistake is refused with the file and key named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from salesagent_dagster.domain.rule_config import (
    RuleConfigError,
    load_learner_config,
    load_rule_settings,
)
from salesagent_dagster.domain.threshold_learner import LearnerConfig


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_file_has_the_learner_off_and_in_shadow():
    config = load_learner_config()
    assert (config.enabled, config.shadow, config.applies) == (False, True, False)
    assert (config.floor, config.ceiling, config.step, config.window_days) == (0.8, 0.97, 0.05, 7)
    assert (config.low_reply_rate, config.high_reply_rate) == (0.10, 0.30)


def test_a_file_without_a_learner_table_keeps_its_threshold_and_the_defaults(tmp_path):
    path = write(tmp_path, "auto_approve_threshold = 0.6\n")
    assert load_rule_settings(path).auto_approve_threshold == 0.6
    assert load_learner_config(path) == LearnerConfig()


def test_a_team_file_sets_the_learner(tmp_path):
    path = write(
        tmp_path,
        "auto_approve_threshold = 0.9\n[learner]\nenabled = true\nshadow = false\nfloor = 0.85\n"
        "ceiling = 0.95\nmin_sample = 20\nmax_unsubscribe_rate = 0.01\n",
    )
    config = load_learner_config(path)
    assert config.applies and (config.floor, config.ceiling, config.min_sample) == (0.85, 0.95, 20)
    assert config.max_unsubscribe_rate == 0.01 and config.step == 0.05


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[learner]\nfloor = 0.9\nceiling = 0.85\n", "floor 0.9 is above its ceiling 0.85"),
        (
            "auto_approve_threshold = 0.99\n[learner]\nenabled = true\n",
            "auto_approve_threshold 0.99 is outside the learner's [floor, ceiling]",
        ),
        ("[learner]\nflor = 0.8\n", "unknown key 'flor' at [learner]"),
        ("[learner]\nenabled = 'yes'\n", "'enabled' at [learner] must be a bool"),
        ("[learner]\nmin_sample = 10.5\n", "'min_sample' at [learner] must be a int"),
        ("[learner]\nmin_sample = 0\n", "min_sample must be at least 1"),
        ("[learner]\nstep = 0\n", "step must be above 0"),
        ("[learner]\nceiling = 1.2\n", "ceiling must be between 0 and 1"),
        ("[learner]\nlow_reply_rate = 0.4\n", "low_reply_rate 0.4 must be below high_reply_rate"),
        ("[learner]\nwindow_days = 0\n", "window_days must be 1 to 365"),
        ("learner = 3\n", "[learner] must be a table"),
    ],
)
def test_mistakes_are_refused_with_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RuleConfigError, match=re.escape(message)) as raised:
        load_learner_config(path)
    assert str(path) in str(raised.value)
