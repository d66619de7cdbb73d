"""The flake model: each failure judged from its history, with factors a reviewer can check."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_rescue_core.flake.assess import assess_test, judge_failure
from ci_rescue_core.flake.factors import BASE_ODDS, score_of
from ci_rescue_core.flake.params import PRIOR_FLAKY, ModelParams, Thresholds
from ci_rescue_core.flake.verdict import flake_score
from ci_rescue_core.models import Verdict
from tests.flake.histories import (
    TEST,
    clean_history,
    flip,
    now_after,
    obs,
    regression,
)

PARAMS = ModelParams()
THRESHOLDS = Thresholds()


def judge(observations, job="test (3.11)", sha=None):  # type: ignore[no-untyped-def]
    sha = sha or observations[-1].sha
    judgement, _runs = judge_failure(
        TEST, observations, job=job, sha=sha, params=PARAMS, now=now_after(observations)
    )
    return judgement, {f.kind: f.bayes_factor for f in judgement.factors}


def test_the_prior_makes_an_unexplained_failure_broken() -> None:
    judgement, factors = judge([obs("c000", True)])
    assert math.isclose(judgement.score, PRIOR_FLAKY)
    assert factors == {}
    assert judgement.score <= THRESHOLDS.broken


def test_a_pass_on_the_rerun_makes_a_first_failure_flaky() -> None:
    judgement, factors = judge(flip("c000", 0.0))
    assert set(factors) == {"rerun_passed"}
    # P(pass | flake) = E[1 - theta | one failure] = beta0 / (kappa + 1); P(pass | broken) = eps
    expected = (PARAMS.prior_beta / (PARAMS.prior_strength + 1)) / PARAMS.broken_pass_rate
    assert math.isclose(factors["rerun_passed"], expected)
    assert math.isclose(judgement.score, BASE_ODDS * expected / (1 + BASE_ODDS * expected))
    assert judgement.score >= THRESHOLDS.flaky


def test_the_score_is_the_product_of_the_listed_factors() -> None:
    history = clean_history(30) + flip("c030", 30) + clean_history(5, start=31) + flip("c040", 40)
    judgement, factors = judge(history)
    odds = BASE_ODDS * math.prod(factors.values())
    assert math.isclose(judgement.score, odds / (1 + odds))
    assert math.isclose(score_of(judgement.factors), judgement.score)


def test_a_regression_after_a_clean_history_is_broken() -> None:
    history = clean_history(30) + regression("r1", 30) + regression("r2", 31)
    judgement, factors = judge(history)
    assert judgement.score < 0.01
    assert factors["same_sha_repeats"] < 0.01
    assert factors["breakage_in_progress"] < 0.01
    assert factors["flake_rate"] < 1.0  # it never flaked before


def test_scattered_one_off_failures_between_passes_are_flaky_without_retries() -> None:
    history = []
    for i in range(60):
        failed = i % 8 == 3
        history.append(obs(f"c{i:03d}", failed, hour=i, fingerprint="fp-timeout"))
    verdict = assess_test(
        TEST, history, params=PARAMS, thresholds=THRESHOLDS, now=now_after(history)
    )
    assert verdict.verdict is Verdict.FLAKY
    kinds = {e.kind for e in verdict.evidence}
    assert {"flake_rate", "isolated_failure"} <= kinds


def test_failing_at_every_commit_without_retries_is_broken() -> None:
    history = [obs(f"c{i:03d}", True, hour=i, fingerprint="fp-x") for i in range(20)]
    verdict = assess_test(
        TEST, history, params=PARAMS, thresholds=THRESHOLDS, now=now_after(history)
    )
    assert verdict.verdict is Verdict.BROKEN
    assert verdict.score < 0.01


def flaky_past() -> list:  # type: ignore[type-arg]
    history = clean_history(10)
    for k in range(6):
        history += flip(f"f{k}", 10 + 3 * k)
        history += clean_history(2, start=11 + 3 * k)
    return history


def test_a_flaky_test_failing_the_way_it_flakes_is_flaky() -> None:
    history = flaky_past() + flip("now", 40)
    judgement, factors = judge(history)
    assert judgement.score > 0.99
    assert factors["recurring_fingerprint"] > 1
    assert factors["flake_rate"] > 1


def test_a_flaky_test_failing_in_a_new_way_is_a_new_failure() -> None:
    history = [*flaky_past(), obs("now", True, hour=40, fingerprint="fp-assertion")]
    judgement, factors = judge(history)
    # c / (n + c) over 1 - delta: six earlier flakes, all with one message
    assert math.isclose(factors["new_fingerprint"], (0.25 / 6.25) / 0.7, rel_tol=0.05)
    assert judgement.score < THRESHOLDS.flaky
    same_way = [*flaky_past(), obs("now", True, hour=40, fingerprint="fp-timeout")]
    assert judge(same_way)[0].score > judgement.score


def test_a_flaky_test_failing_on_every_retry_is_a_new_failure() -> None:
    rare = clean_history(30) + flip("f0", 30) + clean_history(10, start=31)
    judgement, factors = judge(rare + regression("now", 45, attempts=3, fingerprint="fp-timeout"))
    assert judgement.score <= THRESHOLDS.broken
    assert factors["same_sha_repeats"] < 0.01
    # even a test that flakes one run in six, failing three attempts out of three the way it
    # flakes, is no longer called flaky (neither retried nor quarantined)
    often = flaky_past() + regression("now", 40, attempts=3, fingerprint="fp-timeout")
    assert judge(often)[0].score < THRESHOLDS.flaky


def test_failing_in_every_matrix_cell_is_broken_and_in_one_cell_is_no_flake() -> None:
    both = [
        obs("c1", True, job="test (3.11)", fingerprint="fp"),
        obs("c1", True, job="test (3.12)", fingerprint="fp"),
    ]
    judgement, factors = judge(both)
    assert factors["failed_in_other_jobs"] < 0.01
    assert judgement.score < 0.01
    # broken on 3.12 only: passing on 3.11 at the same commits is not a flake
    history = [obs(f"c{i}", False, job="test (3.11)", hour=i) for i in range(10)]
    history += [
        obs(f"c{i}", True, job="test (3.12)", attempt=a, hour=i, fingerprint="fp")
        for i in range(10)
        for a in (1, 2)
    ]
    verdict = assess_test(
        TEST, history, params=PARAMS, thresholds=THRESHOLDS, now=now_after(history)
    )
    assert verdict.verdict is Verdict.BROKEN


def test_old_flakes_count_less_than_recent_ones() -> None:
    def rate_factor(days_later: float) -> float:
        history = clean_history(10)
        for k in range(4):
            history += flip(f"f{k}", 10 + k)
        history += clean_history(10, start=15)
        failure = obs("now", True, hour=26 + 24 * days_later, fingerprint="fp-timeout")
        judgement, _ = judge_failure(
            TEST,
            [*history, failure],
            job="test (3.11)",
            sha="now",
            params=PARAMS,
            now=failure.time,
        )
        return {f.kind: f.bayes_factor for f in judgement.factors}["flake_rate"]

    assert rate_factor(0) > rate_factor(30) > rate_factor(60) > 1.0


def test_history_outside_the_window_is_ignored() -> None:
    history = flaky_past()
    late = [obs("now", True, hour=24 * (PARAMS.window_days + 30), fingerprint="fp-timeout")]
    judgement, factors = judge(history + late)
    assert judgement.score == pytest.approx(PRIOR_FLAKY)
    assert factors == {}


def test_a_failure_that_is_not_in_the_history_is_an_error() -> None:
    with pytest.raises(ValueError, match="no failure of"):
        judge_failure(
            TEST,
            clean_history(3),
            job="test (3.11)",
            sha="c001",
            params=PARAMS,
            now=now_after(clean_history(3)),
        )


outcome_lists = st.lists(st.booleans(), min_size=0, max_size=6)


@settings(max_examples=60, deadline=None)
@given(extra=outcome_lists, history_flips=st.integers(0, 4))
def test_the_score_is_a_probability_and_monotone_in_same_commit_outcomes(
    extra: list[bool], history_flips: int
) -> None:
    history = clean_history(8)
    for k in range(history_flips):
        history += flip(f"f{k}", 8 + k)
    cell = [obs("now", True, hour=20, fingerprint="fp-timeout")]
    cell += [
        obs("now", failed, attempt=2 + i, hour=20, fingerprint="fp-timeout")
        for i, failed in enumerate(extra)
    ]
    base, _ = judge(history + cell, sha="now")
    assert 0.0 <= base.score <= 1.0
    more_pass, _ = judge(history + cell + [obs("now", False, attempt=20, hour=20)], sha="now")
    more_fail, _ = judge(
        history + cell + [obs("now", True, attempt=20, hour=20, fingerprint="fp-timeout")],
        sha="now",
    )
    assert more_pass.score >= base.score - 1e-9
    assert more_fail.score <= base.score + 1e-9


def test_core_judge_gives_the_models_score_from_its_evidence() -> None:
    history = flaky_past() + flip("now", 40)
    verdict = assess_test(
        TEST, history, params=PARAMS, thresholds=THRESHOLDS, now=now_after(history)
    )
    assert math.isclose(flake_score(verdict.evidence), verdict.score, abs_tol=1e-4)
