"""Each failure judged on its own: a flaky past never hides a new failure, one observation
counts once, a first failure is never quarantined, and a verdict always says why."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ci_rescue_core.cli.main import main
from ci_rescue_core.flake.assess import UNEXPLAINED, assess_test
from ci_rescue_core.flake.batch import merge_duplicates, score_history
from ci_rescue_core.flake.hunter import FlakeHunter
from ci_rescue_core.flake.mass import MassRule
from ci_rescue_core.flake.params import ModelParams, Thresholds
from ci_rescue_core.flake.recording import log_records
from ci_rescue_core.flake.verdict import (
    EARLIER_FLAKES,
    OBSERVATIONS,
    evidence_for_test,
    flake_score,
    flakes_in,
)
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import (
    Category,
    Diagnosis,
    Evidence,
    Fingerprint,
    JobRef,
    RunRef,
    TestFailure,
    Verdict,
)
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.store import SQLiteStore
from ci_rescue_strategies.quarantine import quarantinable
from tests.flake.histories import TEST, flip, now_after, obs, regression

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


def flaky_past() -> list:  # type: ignore[type-arg]
    """20 commits of main; the test flaked (timeout, passed on re-run) at commits 5 and 13."""
    history = []
    for commit in range(20):
        sha = f"c{commit:03d}"
        history += (
            flip(sha, commit, "timeout") if commit in (5, 13) else [obs(sha, False, hour=commit)]
        )
    return history


def assess(history):  # type: ignore[no-untyped-def]
    return assess_test(
        TEST, history, params=ModelParams(), thresholds=Thresholds(), now=now_after(history)
    )


def test_a_new_fingerprint_after_a_flaky_past_is_broken_not_the_old_flake() -> None:
    history = [*flaky_past(), obs("c020", True, hour=20, fingerprint="AssertionError-new")]
    verdict = assess(history)
    assert verdict.verdict is Verdict.BROKEN
    assert 0.3 < verdict.score < 0.6  # the failure itself: neither flaky nor clearly broken
    kinds = {item.kind for item in verdict.evidence}
    assert "new_fingerprint" in kinds
    # the evidence is about the failure at c020, not the old flakes' re-runs
    assert "rerun_passed" not in kinds and "isolated_failure" not in kinds
    assert not any("c005" in item.detail for item in verdict.evidence)


def test_failing_on_every_retry_after_a_flaky_past_is_broken() -> None:
    history = [*flaky_past(), *regression("c020", 20, attempts=3, fingerprint="timeout")]
    verdict = assess(history)
    assert verdict.verdict is Verdict.BROKEN
    assert any(item.kind == "same_sha_repeats" for item in verdict.evidence)


def test_the_old_flake_still_counts_once_the_new_failure_is_fixed() -> None:
    history = [
        *flaky_past(),
        obs("c020", True, hour=20, fingerprint="AssertionError-new"),
        obs("c021", False, hour=21),
    ]
    verdict = assess(history)
    assert verdict.verdict is Verdict.FLAKY  # it flaked twice; the new failure was fixed


def test_flake_score_prints_broken_for_a_new_failure_of_a_flaky_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = []
    for o in [*flaky_past(), obs("c020", True, hour=20, fingerprint="AssertionError-new")]:
        record = {
            "test": o.test,
            "sha": o.sha,
            "outcome": o.outcome,
            "attempt": o.attempt,
            "run": o.run,
            "time": o.time.isoformat(),
            "branch": o.branch,
            "job": o.job,
        }
        if o.fingerprint:
            record["fingerprint"] = o.fingerprint
        lines.append(json.dumps(record))
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["flake-score", str(path), "--format", "json"]) == 0
    [printed] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed["verdict"] == "broken"
    assert printed["evidence"][0]["kind"] in {"new_fingerprint", "flake_rate"}
    assert any(item["kind"] == "new_fingerprint" for item in printed["evidence"])


def test_a_lone_failure_says_why_it_is_broken() -> None:
    verdict = assess([obs("c000", True)])
    assert verdict.verdict is Verdict.BROKEN
    [item] = verdict.evidence
    assert item.kind == UNEXPLAINED and "no pass on record" in item.detail
    assert item.supports is Verdict.BROKEN and item.bayes_factor == 1.0
    assert flake_score(verdict.evidence) == pytest.approx(verdict.score, abs=1e-4)


def test_repeated_lines_of_one_outcome_are_merged() -> None:
    once = [obs("c000", False), obs("c001", True), obs("c001", False, attempt=2)]
    twice = [*once, obs("c001", True)]  # the failure recorded again
    assert merge_duplicates(twice) == once
    scored = score_history(twice, params=ModelParams(), thresholds=Thresholds(), mass=MassRule())
    expected = score_history(once, params=ModelParams(), thresholds=Thresholds(), mass=MassRule())
    assert [(a.verdict, a.score, a.evidence) for a in scored] == [
        (a.verdict, a.score, a.evidence) for a in expected
    ]
    assert not any(item.kind == "same_sha_repeats" for item in scored[0].evidence)


# -- one observation counted once, in the pipeline's judgement ---------------------------------


def job_evidence(kind: str) -> Evidence:
    return Evidence(kind=kind, supports=Verdict.FLAKY, strength=0.9, detail="job-wide")


def test_job_wide_same_commit_evidence_stands_down_for_a_test_with_its_own_history() -> None:
    own = [
        Evidence(
            kind="rerun_passed",
            supports=Verdict.FLAKY,
            strength=0.98,
            detail="t",
            subject="t::a",
            bayes_factor=48.0,
        ),
        Evidence(
            kind=OBSERVATIONS,
            supports=Verdict.UNKNOWN,
            strength=0.0,
            detail="n",
            subject="t::a",
            bayes_factor=1.0,
            count=32,
        ),
    ]
    shared = [job_evidence("same_sha_passed"), job_evidence("infrastructure_category")]
    applicable = evidence_for_test("t::a", own + shared)
    assert [item.kind for item in applicable] == [
        "rerun_passed",
        OBSERVATIONS,
        "infrastructure_category",
    ]
    # a test nobody judged from history keeps the job's evidence
    assert [item.kind for item in evidence_for_test("t::b", own + shared)] == [
        "same_sha_passed",
        "infrastructure_category",
    ]


def run_ref(run_id: str, sha: str, hour: int, conclusion: str, attempt: int = 1) -> RunRef:
    return RunRef(
        provider="github",
        repo="a/b",
        run_id=run_id,
        attempt=attempt,
        workflow="CI",
        head_sha=sha,
        head_branch="main",
        conclusion=conclusion,
        created_at=T0 + timedelta(hours=hour),
    )


def record_first_ever_failure(hunter: FlakeHunter) -> Diagnosis:
    """31 clean runs of the job, then attempt 1 of a run passes and attempt 2 fails t::a."""
    for commit in range(30):
        run = run_ref(str(commit), f"{commit:040x}", commit, "success")
        hunter.history.record(
            run, [JobRef(run=run, job_id=f"j{commit}", name="test", conclusion="success")]
        )
    sha = "f" * 40
    first = run_ref("100", sha, 40, "success")
    hunter.history.record(
        first, [JobRef(run=first, job_id="x1", name="test", conclusion="success")]
    )
    second = run_ref("100", sha, 41, "failure", attempt=2)
    job = JobRef(run=second, job_id="x2", name="test", conclusion="failure")
    diagnosis = Diagnosis(
        job=job,
        fingerprint=Fingerprint(category=Category.TEST_FAILURE, failing_tests=("t::a",), hash="fp"),
        failures=(TestFailure(test_id="t::a", message="AssertionError: x"),),
    )
    hunter.history.record(second, [job], tests=log_records([diagnosis]))
    return diagnosis


def test_a_first_ever_failure_counts_its_passing_attempt_once_and_is_never_quarantined(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "rescue.db")
    try:
        hunter = FlakeHunter(store=store, provider=None, hooks=Hooks(make_plugin_manager()))  # type: ignore[arg-type]
        diagnosis = record_first_ever_failure(hunter)
        policy = Policy()
        [verdict] = hunter.judge([diagnosis], policy)
        [test] = verdict.tests
        kinds = [item.kind for item in test.evidence]
        assert kinds.count("rerun_passed") == 1 and "same_sha_passed" not in kinds
        # the score is the history model's alone: the passing attempt counted once
        history_only = [item for item in test.evidence if item.source == "history"]
        assert test.score == pytest.approx(flake_score(history_only), abs=1e-4)
        assert test.score < policy.quarantine_min_score
        assert flakes_in(test.evidence) == 0
        assert any(item.kind == EARLIER_FLAKES for item in test.evidence)
        assert test.observations >= policy.flake_min_observations
        assert not quarantinable(test, policy)
        # even a policy that would quarantine at any flaky score does not quarantine it
        assert not quarantinable(test, Policy(quarantine_min_score=0.0))
    finally:
        store.close()
