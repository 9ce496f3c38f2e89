"""The experiments file: validated at load with the reason named, arms assigned by a stable
hash over the arms still running, and arm text that passes every draft check."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from salesagent_dagster.domain.draft_writer import DraftFacts, SenderIdentity, compose_draft
from salesagent_dagster.domain.experiments import (
    ExperimentConfigError,
    load_experiments,
)
from salesagent_dagster.domain.safety.content import default_content_policy, find_prohibited_content
from salesagent_dagster.domain.safety.grounding import find_unsupported_facts
from salesagent_dagster.domain.safety.pii import find_pii
from salesagent_dagster.domain.voice_profile import DEFAULT_VOICE, VoiceProfile

SENDER = SenderIdentity(
    "Sam Rep", "sam@seller.example", "1 Main St, Springfield", "https://seller.example/book"
)
UNSUB = "https://seller.example/unsubscribe?lead=sub_1&sig=abc"
KEYS = [f"sub_{i:020x}" for i in range(6000)]
TWO_ARMS = """
[[experiments]]
name = "ask"
enabled = true
min_sends_per_arm = 800
[[experiments.arms]]
name = "control"
[[experiments.arms]]
name = "short"
call_to_action = "Pick any time here: $booking_url"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiments.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_experiment_is_enabled_with_two_arms():
    (experiment,) = load_experiments().experiments
    assert experiment.enabled
    assert [arm.name for arm in experiment.arms] == ["control", "pick_a_time"]
    assert experiment.scoring.min_sends_per_arm == 1000
    assert experiment.scoring.winner_probability == 0.99


def test_a_leads_arm_is_a_stable_function_of_its_key_and_spread_evenly():
    policy = load_experiments()
    first = [policy.assign(key).arms["first_email_ask"] for key in KEYS]
    assert first == [policy.assign(key).arms["first_email_ask"] for key in KEYS]
    shares = Counter(first)
    assert set(shares) == {"control", "pick_a_time"}
    assert all(abs(count / len(KEYS) - 0.5) < 0.03 for count in shares.values())


def test_the_hash_depends_on_the_experiment_not_only_the_key(tmp_path):
    (tmp_path / "renamed").mkdir()
    renamed = load_experiments(
        write(tmp_path / "renamed", TWO_ARMS.replace('"ask"', '"ask_again"'))
    )
    policy = load_experiments(write(tmp_path, TWO_ARMS))
    same = sum(
        renamed.assign(key).arms["ask_again"] == policy.assign(key).arms["ask"] for key in KEYS
    )
    assert 0.45 < same / len(KEYS) < 0.55  # independent assignments agree half the time


def test_a_stopped_arm_gets_no_new_leads_and_the_rest_stay_deterministic(tmp_path):
    policy = load_experiments()
    stopped = {"first_email_ask": {"pick_a_time"}}
    arms = {policy.assign(key, stopped).arms["first_email_ask"] for key in KEYS}
    assert arms == {"control"}
    everything = {"first_email_ask": {"pick_a_time", "control"}}
    assert policy.assign(KEYS[0], everything).arms == {}  # all stopped: the writer's own text


def test_a_redrafted_lead_keeps_its_arm_while_it_runs():
    policy = load_experiments()
    moved = next(k for k in KEYS if policy.assign(k).arms["first_email_ask"] == "control")
    kept = policy.assign(moved, previous={"first_email_ask": "pick_a_time"})
    assert kept.arms == {"first_email_ask": "pick_a_time"}
    stopped = policy.assign(
        moved, {"first_email_ask": {"pick_a_time"}}, previous={"first_email_ask": "pick_a_time"}
    )
    assert stopped.arms == {"first_email_ask": "control"}


def test_arm_text_changes_subject_and_call_to_action_and_keeps_the_footer():
    arm = load_experiments().experiments[0].arm("pick_a_time")
    facts = DraftFacts("Ana", "Acme", "CTO", "", left_message=False, replied_before=False)
    control = compose_draft(facts, DEFAULT_VOICE, SENDER, UNSUB)
    varied = compose_draft(facts, DEFAULT_VOICE, SENDER, UNSUB, arm.variant)
    assert control.subject == "Your demo request for Acme"
    assert varied.subject == "Picking a time for your demo for Acme"
    assert "choose whichever time suits you here: https://seller.example/book" in varied.body_text
    assert "30-minute" not in varied.body_text
    assert varied.body_text.endswith(control.body_text.split("\n--\n", 1)[1])  # the footer
    assert UNSUB in varied.body_text
    # The same checks as any draft: nothing flagged with only the lead's own facts known.
    known = ("Ana", "Acme", "CTO", SENDER.name, SENDER.postal_address)
    for text, part in ((varied.subject, "subject"), (varied.body_text, "body")):
        assert find_unsupported_facts(text, known, part) == []
        assert find_pii(text, part) == []
        assert find_prohibited_content(text, default_content_policy(), part) == []


def test_an_answer_in_their_thread_keeps_its_subject_whatever_the_arm():
    arm = load_experiments().experiments[0].arm("pick_a_time")
    facts = DraftFacts("Ana", "Acme", "", "", False, False, thread_subject="Routing question")
    assert compose_draft(facts, DEFAULT_VOICE, SENDER, UNSUB, arm.variant).subject == (
        "Re: Routing question"
    )


def test_arm_text_follows_the_reps_contractions(tmp_path):
    path = write(tmp_path, TWO_ARMS.replace("Pick any time", "$i_would suggest any time"))
    arm = load_experiments(path).experiments[0].arm("short")
    facts = DraftFacts("Ana", "", "", "", False, False)
    formal = VoiceProfile(uses_contractions=False)
    assert (
        "I would suggest any time"
        in compose_draft(facts, formal, SENDER, UNSUB, arm.variant).body_text
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("Pick any time here: $booking_url", "Pick a 15-minute slot here: $booking_url"),
            "a number",
        ),
        (("Pick any time here: $booking_url", "Ask Gartner here: $booking_url"), "a name"),
        (("Pick any time here: $booking_url", "Pick any time here"), r"\$booking_url"),
        (("Pick any time here: $booking_url", "See https://evil.test $booking_url"), "no link"),
        (
            ("Pick any time here: $booking_url", "Pick $first_name: $booking_url"),
            "unknown placeholder",
        ),
        (("Pick any time here: $booking_url", "Act now: $booking_url"), "spam_phrases"),
        (("min_sends_per_arm = 800", "min_sends_per_arm = 0"), "at least 1"),
        (("min_sends_per_arm = 800", "min_sample = 800"), "unknown key"),
        (("enabled = true", "enabled = 'yes'"), "enabled must be true or false"),
        (('name = "short"', 'name = "control"'), "used twice"),
    ],
)
def test_a_bad_file_stops_the_load_with_the_reason(tmp_path, change, message):
    old, new = change
    assert old in TWO_ARMS
    with pytest.raises(ExperimentConfigError, match=message):
        load_experiments(write(tmp_path, TWO_ARMS.replace(old, new)))


def test_two_enabled_experiments_may_not_vary_the_same_part(tmp_path):
    second = TWO_ARMS.replace('"ask"', '"ask_two"').replace("Pick any", "Choose any")
    with pytest.raises(ExperimentConfigError, match="both vary the call_to_action"):
        load_experiments(write(tmp_path, TWO_ARMS + second))
    disabled = second.replace("enabled = true", "enabled = false")
    assert len(load_experiments(write(tmp_path, TWO_ARMS + disabled)).experiments) == 2


def test_the_override_variable_reaches_the_resource(tmp_path, monkeypatch):
    from salesagent_dagster.settings import resources_from_env

    monkeypatch.setenv("SALESAGENT_EXPERIMENTS_FILE", str(write(tmp_path, TWO_ARMS)))
    assert resources_from_env().outreach.experiments().experiments[0].name == "ask"
    monkeypatch.setenv("SALESAGENT_EXPERIMENTS_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(ExperimentConfigError, match="cannot read experiments file"):
        resources_from_env()
