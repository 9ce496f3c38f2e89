"""The A/B scoring on simulated outcomes: a truly better arm is found at the stated sample
size, equal arms are rarely called, nothing is named before the minimum sample, and an arm
over a harm bound is stopped. Seeded: the figures are the same on every run."""

from __future__ import annotations

import numpy as np
import pytest

from salesagent_dagster.domain.experiment_scoring import (
    ArmCounts,
    ScoringRule,
    credible_interval,
    harm_stop,
    probability_best,
    probability_rate_above,
    score_arms,
)
from salesagent_dagster.local.experiment_simulation import harm_stop_share, winner_shares

RULE = ScoringRule()  # the defaults the shipped experiment uses: 1000 sends/arm, P >= 0.99


def test_a_truly_better_arm_is_named_at_the_stated_sample_size():
    # 6 % against 3 % positive replies, 1500 sends per arm, one look: named ~95 % of runs.
    shares = winner_shares((0.03, 0.06), RULE, 1500, repetitions=300, look_every=None, seed=1)
    assert shares["arm1"] >= 0.88
    assert shares["arm0"] == 0.0  # the worse arm is never the one named


def test_equal_arms_are_rarely_declared_a_winner():
    # Either of two equal arms named about 2 x (1 - 0.99) = 2 % of the time at one look.
    shares = winner_shares((0.03, 0.03), RULE, 1000, repetitions=400, look_every=None, seed=2)
    assert 1 - shares[None] <= 0.04


def test_looking_again_on_every_refresh_keeps_the_false_winner_rate_bounded():
    # The asset scores on every refresh: each look is another chance to be fooled.
    shares = winner_shares((0.03, 0.03), RULE, 2000, repetitions=200, look_every=250, seed=3)
    assert 1 - shares[None] <= 0.09  # measured 4.3 % over 1000 runs (a look every 100)


def test_no_winner_before_every_arm_has_the_minimum_sample():
    counts = [ArmCounts("a", 999, 10), ArmCounts("b", 5000, 500)]
    score = score_arms("x", RULE, counts)
    assert score.winner is None
    assert "a has 999" in score.verdict
    assert score.arms[1].p_best is not None and score.arms[1].p_best > 0.999


def test_a_clear_winner_is_named_with_its_figures():
    score = score_arms("x", RULE, [ArmCounts("a", 1500, 45), ArmCounts("b", 1500, 90)])
    assert score.winner == "b"
    a, b = score.arms
    assert b.p_best > 0.99 and abs(a.p_best + b.p_best - 1) < 1e-9
    assert b.posterior_mean == pytest.approx(91 / 1502)
    assert b.interval[0] < 0.06 < b.interval[1]


def test_p_best_matches_monte_carlo():
    rng = np.random.default_rng(0)
    a, b = rng.beta(31, 971, 400_000), rng.beta(46, 956, 400_000)
    exact = probability_best({"a": (31, 971), "b": (46, 956)})
    assert exact["b"] == pytest.approx(float((b > a).mean()), abs=0.003)
    three = probability_best({"a": (31, 971), "b": (31, 971), "c": (31, 971)})
    assert all(value == pytest.approx(1 / 3, abs=1e-6) for value in three.values())


def test_interval_and_tail_probability_are_the_beta_posteriors():
    low, high = credible_interval(1, 1)
    assert (low, high) == (pytest.approx(0.025, abs=1e-4), pytest.approx(0.975, abs=1e-4))
    # Beta(1, 1 + n) after n sends with no events: P(rate > x) = (1 - x) ** (n + 1).
    assert probability_rate_above(0, 100, 0.02) == pytest.approx(0.98**101)


def test_an_arm_over_the_unsubscribe_bound_is_stopped_and_not_compared():
    counts = [ArmCounts("a", 400, 20, unsubscribes=2), ArmCounts("b", 400, 30, unsubscribes=20)]
    score = score_arms("x", RULE, counts)
    (stop,) = score.new_stops
    assert stop.arm == "b" and "unsubscribe rate above 2.0%" in stop.reason
    assert stop.figures["unsubscribes"] == 20 and stop.figures["probability_above"] >= 0.95
    a, b = score.arms
    assert b.stopped and b.p_best is None and not a.stopped
    assert score.winner is None and "fewer than two arms" in score.verdict


def test_the_negative_reply_bound_stops_an_arm_too():
    stop = harm_stop(RULE, ArmCounts("b", 300, 30, negative_replies=30))
    assert stop is not None and "negative-reply rate above 5.0%" in stop.reason


def test_no_harm_stop_before_the_minimum_or_under_the_bound():
    assert harm_stop(RULE, ArmCounts("b", 99, 0, unsubscribes=10)) is None  # too few sends
    assert harm_stop(RULE, ArmCounts("b", 2000, 60, unsubscribes=20)) is None  # 1 %: fine


def test_an_arm_stopped_earlier_stays_stopped():
    counts = [ArmCounts("a", 1200, 40), ArmCounts("b", 1200, 40)]
    score = score_arms("x", RULE, counts, stopped={"b": "unsubscribe rate above 2.0%"})
    assert score.new_stops == ()
    assert score.arms[1].stopped and score.arms[1].stop_reason.startswith("unsubscribe")


def test_harm_stops_on_simulated_outcomes():
    harmful = harm_stop_share(0.04, RULE, 1000, repetitions=200, seed=4)
    harmless = harm_stop_share(0.01, RULE, 1000, repetitions=200, seed=5)
    assert harmful >= 0.9
    assert harmless <= 0.05


def test_a_bad_count_is_refused():
    with pytest.raises(ValueError, match="positive_replies"):
        ArmCounts("a", 10, 11)
