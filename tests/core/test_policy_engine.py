"""The policy engine enforces the safety rules whatever strategies propose."""

from __future__ import annotations

import pytest

from ci_rescue_core.models import Category, Diagnosis, Fingerprint, JobRef, Mode, Remedy, RunRef
from ci_rescue_core.policy.engine import Action, decide
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability

ALL = frozenset(Capability)


def run_ref(attempt: int = 1, status: str = "completed") -> RunRef:
    return RunRef(
        provider="github",
        repo="a/b",
        run_id="7",
        attempt=attempt,
        status=status,
        conclusion="failure",
    )


def diagnosis(
    job_id: str, category: Category = Category.TEST_FAILURE, run: RunRef | None = None
) -> Diagnosis:
    job = JobRef(run=run or run_ref(), job_id=job_id, name=f"job {job_id}", conclusion="failure")
    return Diagnosis(job=job, fingerprint=Fingerprint(category=category, hash=f"h{job_id}"))


def retry(*job_ids: str) -> Remedy:
    return Remedy(kind="retry_cells", reason="flaky", job_ids=job_ids)


ISSUE = Remedy(kind="issue", reason="broken")


def one(proposals: list[Remedy], **kwargs: object) -> list[tuple[str, Action, str]]:
    options: dict[str, object] = {
        "run": run_ref(),
        "diagnoses": [diagnosis("1"), diagnosis("2")],
        "policy": Policy(),
        "mode": Mode.ACT,
        "capabilities": ALL,
    }
    options.update(kwargs)
    return [(d.remedy.kind, d.action, d.reason) for d in decide(proposals, **options)]  # type: ignore[arg-type]


def test_a_retry_of_failed_cells_is_applied_first() -> None:
    decisions = one([ISSUE, retry("1")])
    assert [(kind, action) for kind, action, _ in decisions] == [
        ("retry_cells", Action.APPLY),
        ("issue", Action.APPLY),
    ]


def test_never_the_whole_matrix() -> None:
    [(_, action, reason)] = one([Remedy(kind="retry", reason="x")])
    assert action is Action.REJECT and "never the whole matrix" in reason
    [(_, action, reason)] = one([retry("1", "99")])
    assert action is Action.REJECT and "99 were not judged failed" in reason


def test_missing_secrets_are_never_retried() -> None:
    diagnoses = [diagnosis("1", Category.MISSING_SECRET)]
    [(_, action, reason)] = one([retry("1")], diagnoses=diagnoses)
    assert action is Action.REJECT and "missing_secret failures are never retried" in reason


@pytest.mark.parametrize(("attempt", "allowed"), [(1, True), (2, True), (3, False), (9, False)])
def test_retry_budget(attempt: int, allowed: bool) -> None:
    run = run_ref(attempt)
    [(_, action, reason)] = one([retry("1")], run=run, diagnoses=[diagnosis("1", run=run)])
    assert (action is Action.APPLY) is allowed
    if not allowed:
        assert "retry budget spent" in reason


def test_retry_budget_follows_policy() -> None:
    [(_, action, _)] = one([retry("1")], policy=Policy(retry_max=0))
    assert action is Action.REJECT


def test_unfinished_runs_are_not_retried() -> None:
    [(_, action, reason)] = one([retry("1")], run=run_ref(status="in_progress"))
    assert action is Action.REJECT and "has not finished" in reason


def test_capabilities_are_respected() -> None:
    without_issues = ALL - {Capability.ISSUES}
    [(_, action, reason)] = one([ISSUE], capabilities=without_issues)
    assert action is Action.REJECT and "cannot issues" in reason
    only_all_failed = ALL - {Capability.RERUN_JOBS, Capability.RERUN_ONE_JOB}
    assert one([retry("1", "2")], capabilities=only_all_failed)[0][1] is Action.APPLY
    assert one([retry("1")], capabilities=only_all_failed)[0][1] is Action.REJECT


def test_observe_plans_everything_and_propose_plans_retries() -> None:
    assert {a for _, a, _ in one([retry("1"), ISSUE], mode=Mode.OBSERVE)} == {Action.PLAN}
    decisions = one([retry("1"), ISSUE], mode=Mode.PROPOSE)
    assert [(k, a) for k, a, _ in decisions] == [
        ("retry_cells", Action.PLAN),
        ("issue", Action.APPLY),
    ]


def test_duplicate_proposals_count_once() -> None:
    assert len(one([retry("1", "2"), retry("2", "1"), ISSUE, ISSUE])) == 2


def test_a_remedy_declares_the_capabilities_it_needs() -> None:
    page = Remedy(kind="label_pr", reason="x", requires=("pull_request_labels",))
    [(_, action, reason)] = one([page])
    assert action is Action.REJECT and "cannot pull request labels" in reason
    ok = Remedy(kind="custom_issue", reason="x", requires=("issues",))
    assert one([ok])[0][1] is Action.APPLY


def test_a_provider_that_reruns_one_chosen_job_at_a_time() -> None:
    one_at_a_time = ALL - {Capability.RERUN_JOBS}
    three = [diagnosis("1"), diagnosis("2"), diagnosis("3")]
    assert one([retry("1")], diagnoses=three, capabilities=one_at_a_time)[0][1] is Action.APPLY
    [(_, action, reason)] = one([retry("1", "2")], diagnoses=three, capabilities=one_at_a_time)
    assert action is Action.REJECT and "cannot rerun jobs" in reason
    neither = one_at_a_time - {Capability.RERUN_ONE_JOB}
    assert one([retry("1")], diagnoses=three, capabilities=neither)[0][1] is Action.REJECT


def test_a_retry_of_the_judged_job_is_partial_when_other_jobs_failed_too() -> None:
    """A job event judges one job; the run may have other failed jobs nobody judged."""
    only_all_failed = ALL - {Capability.RERUN_JOBS, Capability.RERUN_ONE_JOB}
    one_job = [diagnosis("1")]
    assert one([retry("1")], diagnoses=one_job, capabilities=only_all_failed)[0][1] is Action.APPLY
    [(_, action, _)] = one(
        [retry("1")],
        diagnoses=one_job,
        capabilities=only_all_failed,
        failed_job_ids=frozenset({"1", "2"}),
    )
    assert action is Action.REJECT  # re-running all failed jobs would re-run job 2 unjudged
