"""Evidence from each failing test's own history (the flake model, docs/flakes.md).

For every test the log names, the test's recorded outcomes are read from the store and the
failure in this job at this commit is judged by :func:`ci_rescue_core.flake.assess.judge_failure`:
passes at the same commit (other runs, re-run attempts), repeats on every attempt, the
time-decayed flake rate on the default branch and on other branches, whether neighbouring
commits fail too (a breakage in progress) or pass (an isolated failure), and whether the test
fails the way its flakes do or in a new way.  Each piece carries its exact Bayes factor; two
neutral items count the runs the judgement rests on (``observations``) and the test's flaky
failures at other commits (``earlier_flakes``: none means a first failure, never quarantined).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ci_rescue_core.flake.assess import SOURCE, evidence_of, judge_failure
from ci_rescue_core.flake.fingerprint import failure_fingerprint
from ci_rescue_core.flake.history import History, PerTestHistory, outcome_time, outside
from ci_rescue_core.flake.observations import Observation
from ci_rescue_core.flake.params import ModelParams
from ci_rescue_core.flake.verdict import EARLIER_FLAKES, OBSERVATIONS
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Diagnosis, Evidence, JobRef, TestFailure, Verdict
from ci_rescue_core.policy.rules import Policy

MAX_TESTS = 50
"""Most failing tests of one job judged one by one (more is a mass failure in practice)."""


def _now(job: JobRef) -> datetime:
    fallback = datetime.now(timezone.utc).isoformat()
    return datetime.fromisoformat(outcome_time(job.run, job, fallback))


def _judge(
    job: JobRef,
    failure: TestFailure,
    history: PerTestHistory,
    policy: Policy,
    params: ModelParams,
    now: datetime,
    job_passes: dict[str, list[Observation]],
) -> list[Evidence]:
    run = job.run
    since = now - timedelta(days=params.window_days)
    observations = history.test_observations(
        run.repo, failure.test_id, since=since, limit=policy.flake_history_limit, implied=False
    )
    windows = history.quarantine_windows(run.repo, failure.test_id)
    for name in sorted({o.job for o in observations} | {job.name}):
        if name not in job_passes:  # the same for every test of the job: read once
            job_passes[name] = history.job_passes(
                run.repo, name, since=since, limit=policy.flake_history_limit
            )
        # while quarantined, a passing job says nothing about the test: only its own lines do
        observations.extend(outside(job_passes[name], windows))
    if not any(o.failed and o.job == job.name and o.sha == run.head_sha for o in observations):
        # not recorded (yet): judge this failure as it stands
        observations.append(
            Observation(
                test=failure.test_id,
                sha=run.head_sha,
                failed=True,
                run=run.run_id,
                attempt=run.attempt,
                time=now,
                job=job.name,
                branch=run.head_branch,
                fingerprint=failure_fingerprint(failure),
            )
        )
    judgement, runs = judge_failure(
        failure.test_id, observations, job=job.name, sha=run.head_sha, params=params, now=now
    )
    counted = Evidence(
        kind=OBSERVATIONS,
        supports=Verdict.UNKNOWN,
        strength=0.0,
        detail=f"{runs} run(s) of {failure.test_id} in {job.name} and its history over the "
        f"last {params.window_days:g} days",
        source=SOURCE,
        subject=failure.test_id,
        bayes_factor=1.0,
        count=runs,
    )
    flakes = judgement.other_flakes
    earlier = Evidence(
        kind=EARLIER_FLAKES,
        supports=Verdict.UNKNOWN,
        strength=0.0,
        detail=f"{failure.test_id} failed {flakes} time(s) as a flake at other commits"
        if flakes
        else f"a first failure: {failure.test_id} never failed as a flake at another commit in "
        f"the window (it may be retried, never quarantined)",
        source=SOURCE,
        subject=failure.test_id,
        bayes_factor=1.0,
        count=flakes,
    )
    return [*evidence_of(judgement, failure.test_id), counted, earlier]


@hookimpl
def rescue_flake_evidence(
    job: JobRef, diagnosis: Diagnosis, history: History, policy: Policy
) -> list[Evidence]:
    """Judge each failing test of the job against its own history."""
    if not diagnosis.failures or not isinstance(history, PerTestHistory) or not job.run.head_sha:
        return []
    now = _now(job)
    params = ModelParams.from_policy(policy)
    evidence: list[Evidence] = []
    job_passes: dict[str, list[Observation]] = {}
    for failure in diagnosis.failures[:MAX_TESTS]:
        evidence.extend(_judge(job, failure, history, policy, params, now, job_passes))
    return evidence
