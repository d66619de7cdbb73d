"""The whole pipeline, with the real PyGithub client, against the stateful GitHub simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    ProviderUnavailableError,
)
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import (
    Category,
    Diagnosis,
    IncidentStatus,
    Mode,
    OutcomeStatus,
    Remedy,
    Severity,
    Verdict,
)
from ci_rescue_core.orchestrator import HandleStatus, Rescuer
from ci_rescue_core.policy.engine import Action
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.integration import logs
from tests.support import RuntimeFactory

REPO = "acme/app"
SHA = "1" * 40
OTHER_SHA = "2" * 40
FLAKY = logs.pytest_failure(
    "tests/test_net.py::test_webhook_roundtrip", "TimeoutError: no webhook within 2.0s"
)
BROKEN = logs.pytest_failure("tests/test_cart.py::test_total", "assert 3402 == 3780")


def add_green_then_red(sim: GitHubSimulator, red_outcomes: list[str] | None = None) -> int:
    """A passing run and then a failing run of the same commit (a flaky failure)."""
    sim.add_run(REPO, head_sha=SHA, jobs=[SimJob("test (3.11)", ["success"], log=logs.PASSING)])
    return sim.add_run(
        REPO,
        head_sha=SHA,
        jobs=[
            SimJob("test (3.11)", red_outcomes or ["failure", "success"], log=FLAKY),
            SimJob("lint", ["success"], log=logs.PASSING),
        ],
    )


def add_broken(sim: GitHubSimulator, sha: str = OTHER_SHA, log: str = BROKEN) -> int:
    return sim.add_run(
        REPO,
        head_sha=sha,
        jobs=[
            SimJob("test (3.11)", ["failure"], log=log),
            SimJob("test (3.12)", ["failure"], log=log),
            SimJob("lint", ["success"], log=logs.PASSING),
        ],
    )


def handle(rescuer: Rescuer, sim: GitHubSimulator, run_id: int, delivery: str | None = None):  # type: ignore[no-untyped-def]
    return rescuer.handle_payload(
        "workflow_run", sim.workflow_run_event(run_id), delivery_id=delivery
    )


def writes(sim: GitHubSimulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.write_requests()]


def test_flaky_failure_reruns_only_the_failed_job(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_green_then_red(sim)
    result = handle(rescuer, sim, run_id)

    assert result.status is HandleStatus.HANDLED and result.incident is not None
    incident = result.incident
    assert incident.severity is Severity.FLAKY
    assert incident.status is IncidentStatus.MITIGATING
    [verdict] = incident.verdicts
    assert verdict.verdict is Verdict.FLAKY
    assert verdict.evidence[0].kind == "same_sha_passed"
    assert [o.remedy.kind for o in incident.outcomes] == ["retry_cells"]
    assert incident.outcomes[0].status is OutcomeStatus.APPLIED
    assert writes(sim) == [f"POST /repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs"]
    second = {job["name"]: job for job in sim.get_jobs(run_id, attempt=2)}
    assert sim.get_run(run_id)["run_attempt"] == 2
    assert second["test (3.11)"]["conclusion"] == "success"
    assert [e.step for e in incident.timeline][:1] == ["sentinel"]
    assert {"sentinel", "flake", "policy", "apply"} <= {e.step for e in incident.timeline}


def test_real_breakage_opens_one_tracking_issue_and_never_retries(
    sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    run_id = add_broken(sim)
    result = handle(rescuer, sim, run_id)

    incident = result.incident
    assert incident is not None
    assert incident.severity is Severity.BLOCKER
    assert incident.status is IncidentStatus.ESCALATED
    assert {v.verdict for v in incident.verdicts} == {Verdict.BROKEN}
    assert len(incident.fingerprints) == 1  # two matrix cells, one failure
    assert incident.fingerprints[0].category is Category.TEST_FAILURE
    assert "tests/test_cart.py::test_total" in incident.fingerprints[0].failing_tests
    assert writes(sim) == [f"POST /repos/{REPO}/issues"]
    [issue] = sim.get_issues(REPO)
    assert issue["html_url"] == incident.tracking_issue
    assert [label["name"] for label in issue["labels"]] == ["ci:auto-rescue"]
    assert f"ci-rescue:incident:{incident.key}" in issue["body"]
    assert "assert 3402 == 3780" in issue["body"]
    assert sim.get_run(run_id)["run_attempt"] == 1


def test_the_same_failure_again_joins_the_incident_and_comments(
    sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    first = handle(rescuer, sim, add_broken(sim, sha=OTHER_SHA)).incident
    second = handle(rescuer, sim, add_broken(sim, sha="3" * 40)).incident
    assert first is not None and second is not None
    assert second.id == first.id
    assert len(second.runs) == 2
    assert len(sim.get_issues(REPO)) == 1
    [comment] = sim.get_issue_comments(REPO, 1)
    assert "ci-rescue:incident:" in comment["body"]


def test_a_different_failure_opens_a_different_incident(
    sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    other_log = logs.pytest_failure("tests/test_cart.py::test_tax", "assert 19 == 20")
    first = handle(rescuer, sim, add_broken(sim)).incident
    second = handle(rescuer, sim, add_broken(sim, sha="3" * 40, log=other_log)).incident
    assert first is not None and second is not None and first.id != second.id
    assert len(sim.get_issues(REPO)) == 2


def test_replayed_delivery_does_nothing_twice(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_green_then_red(sim)
    assert handle(rescuer, sim, run_id, delivery="d-1").status is HandleStatus.HANDLED
    before = writes(sim)
    replay = handle(rescuer, sim, run_id, delivery="d-1")
    assert replay.status is HandleStatus.DUPLICATE
    assert writes(sim) == before


def test_a_stale_event_after_the_retry_is_ignored(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_green_then_red(sim)
    event = sim.workflow_run_event(run_id)
    handle(rescuer, sim, run_id)
    again = rescuer.handle_payload("workflow_run", event, delivery_id="another-delivery")
    assert again.status is HandleStatus.IGNORED
    assert "superseded by attempt 2" in again.reason
    assert len(writes(sim)) == 1


def test_the_same_attempt_twice_applies_its_remedy_once(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    run_id = add_broken(sim)
    rescuer = make_runtime().rescuer("github")
    handle(rescuer, sim, run_id, delivery="a")
    result = handle(rescuer, sim, run_id, delivery="b")
    assert result.incident is not None
    assert result.incident.outcomes[-1].status is OutcomeStatus.SKIPPED
    assert len(sim.get_issues(REPO)) == 1
    assert not sim.get_issue_comments(REPO, 1)


def test_infrastructure_failure_is_retried_without_history(
    sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    run_id = sim.add_run(
        REPO, head_sha=SHA, jobs=[SimJob("build", ["failure", "success"], log=logs.NETWORK)]
    )
    incident = handle(rescuer, sim, run_id).incident
    assert incident is not None
    assert incident.fingerprints[0].category is Category.INFRA_NETWORK
    assert incident.severity is Severity.TRANSIENT
    assert [o.remedy.kind for o in incident.outcomes] == ["retry_cells"]
    assert sim.get_run(run_id)["run_attempt"] == 2


def test_missing_secret_is_never_retried_and_goes_to_an_owner(
    sim: GitHubSimulator, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    run_id = sim.add_run(
        REPO, head_sha=SHA, jobs=[SimJob("deploy", ["failure", "success"], log=logs.MISSING_SECRET)]
    )
    sim.add_run(REPO, head_sha=SHA, jobs=[SimJob("deploy", ["success"], log=logs.PASSING)])
    rescuer = make_runtime().rescuer("github")
    incident = handle(rescuer, sim, run_id).incident
    assert incident is not None
    assert incident.fingerprints[0].category is Category.MISSING_SECRET
    assert incident.severity is Severity.BLOCKER
    assert [o.remedy.kind for o in incident.outcomes] == ["issue"]
    assert not any("rerun" in call for call in writes(sim))
    rejected = [e.message for e in incident.timeline if "never retried" in e.message]
    assert rejected, "the refusal to retry is recorded on the timeline"


class RetryEverything:
    """A reckless third-party strategy: core must still refuse what policy forbids."""

    @hookimpl
    def rescue_propose_remedies(self, diagnoses: tuple[Diagnosis, ...]) -> list[Remedy]:
        every_job = tuple(d.job.job_id for d in diagnoses)
        return [
            Remedy(kind="retry", reason="yolo"),
            Remedy(kind="retry_cells", reason="yolo", job_ids=every_job),
        ]


def test_core_refuses_unsafe_proposals_from_any_plugin(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    run_id = sim.add_run(
        REPO, head_sha=SHA, jobs=[SimJob("deploy", ["failure"], log=logs.MISSING_SECRET)]
    )
    rescuer = make_runtime(plugins=(RetryEverything(),)).rescuer("github")
    result = handle(rescuer, sim, run_id)
    rejected = {d.remedy.kind: d.reason for d in result.decisions if d.action is Action.REJECT}
    assert "never the whole matrix" in rejected["retry"]
    assert "missing_secret failures are never retried" in rejected["retry_cells"]
    assert not any("rerun" in call for call in writes(sim))


def test_retry_budget_is_never_exceeded(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    # a reckless strategy asks for a re-run every time (FlakeHunter alone would stop after
    # one: a test failing on every retry is a new failure); only core's budget stops it
    rescuer = make_runtime(plugins=(RetryEverything(),)).rescuer("github")
    run_id = add_green_then_red(sim, red_outcomes=["failure"])  # fails on every attempt
    statuses = []
    for _ in range(4):
        result = handle(rescuer, sim, run_id)
        assert result.incident is not None
        statuses.append([(o.remedy.kind, o.status) for o in result.incident.outcomes][-1])
    reruns = [call for call in writes(sim) if "rerun" in call]
    assert len(reruns) == 2  # retry_max = 2
    assert sim.get_run(run_id)["run_attempt"] == 3
    final = handle(rescuer, sim, run_id).incident
    assert final is not None
    assert final.status is IncidentStatus.ESCALATED
    assert any("retry budget spent" in e.message for e in final.timeline)
    assert len(sim.get_issues(REPO)) == 1


def test_matrix_cells_are_judged_one_by_one(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    sim.add_run(
        REPO,
        head_sha=SHA,
        jobs=[
            SimJob("test (3.11)", ["success"], log=logs.PASSING),
            SimJob("test (3.12)", ["failure"], log=BROKEN),
        ],
    )
    run_id = sim.add_run(
        REPO,
        head_sha=SHA,
        jobs=[
            SimJob("test (3.11)", ["failure", "success"], log=FLAKY),
            SimJob("test (3.12)", ["failure"], log=BROKEN),
        ],
    )
    incident = handle(rescuer, sim, run_id).incident
    assert incident is not None
    verdicts = {v.subject: v.verdict for v in incident.verdicts}
    assert verdicts == {"test (3.11)": Verdict.FLAKY, "test (3.12)": Verdict.BROKEN}
    flaky_job = next(j for j in sim.get_jobs(run_id, attempt=1) if j["name"] == "test (3.11)")
    assert writes(sim) == [
        f"POST /repos/{REPO}/actions/jobs/{flaky_job['id']}/rerun",
        f"POST /repos/{REPO}/issues",
    ]
    attempt_two = {j["name"]: j["conclusion"] for j in sim.get_jobs(run_id, attempt=2)}
    assert attempt_two == {"test (3.11)": "success", "test (3.12)": "failure"}


@pytest.mark.parametrize("mode", [Mode.OBSERVE, Mode.PROPOSE])
def test_modes_limit_what_is_written(
    sim: GitHubSimulator, make_runtime: RuntimeFactory, mode: Mode
) -> None:
    flaky_run = add_green_then_red(sim)
    broken_run = add_broken(sim)
    rescuer = make_runtime(mode=mode).rescuer("github")
    flaky = handle(rescuer, sim, flaky_run).incident
    broken = handle(rescuer, sim, broken_run).incident
    assert flaky is not None and broken is not None
    assert flaky.outcomes[0].status is OutcomeStatus.PLANNED
    if mode is Mode.OBSERVE:
        assert sim.write_requests() == []
        assert broken.outcomes[0].status is OutcomeStatus.PLANNED
    else:
        assert writes(sim) == [f"POST /repos/{REPO}/issues"]
        assert broken.outcomes[0].status is OutcomeStatus.APPLIED


def test_a_green_rerun_resolves_the_incident(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_green_then_red(sim)
    opened = handle(rescuer, sim, run_id).incident
    result = handle(rescuer, sim, run_id)  # attempt 2, which passed
    assert result.status is HandleStatus.RESOLVED
    [resolved] = result.resolved
    assert opened is not None and resolved.id == opened.id
    assert resolved.status is IncidentStatus.RESOLVED and resolved.resolved_at is not None
    assert rescuer.store.open_incidents(REPO) == []


def test_a_failed_workflow_job_event_is_handled(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_broken(sim)
    job = next(j for j in sim.get_jobs(run_id) if j["name"] == "test (3.12)")
    result = rescuer.handle_payload("workflow_job", sim.workflow_job_event(job["id"]))
    assert result.incident is not None
    assert [v.subject for v in result.incident.verdicts] == ["test (3.12)"]


def test_events_not_acted_on(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_broken(sim)
    requested = sim.workflow_run_event(run_id, action="requested")
    assert rescuer.handle_payload("workflow_run", requested).status is HandleStatus.IGNORED
    assert rescuer.handle_payload("push", {"ref": "x"}).status is HandleStatus.IGNORED
    assert sim.write_requests() == []


def test_a_missing_log_is_recorded_not_fatal(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_broken(sim)
    sim.inject_fault("GET", r"/actions/jobs/\d+/logs$", status=404, times=10)
    incident = handle(rescuer, sim, run_id).incident
    assert incident is not None
    assert incident.fingerprints[0].category is Category.OTHER
    assert "log unavailable" in incident.fingerprints[0].message


def test_rate_limit_is_honoured(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    run_id = add_green_then_red(sim)
    fault = sim.inject_fault("GET", r"/actions/runs/\d+$", status=429, headers={"Retry-After": "0"})
    result = handle(rescuer, sim, run_id)
    assert fault.exhausted
    assert result.status is HandleStatus.HANDLED


def test_bad_token_is_a_clear_error_and_stores_nothing(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    run_id = add_broken(sim)
    runtime = make_runtime(token="wrong")
    with pytest.raises(AuthenticationError, match="TEST_CI_RESCUE_GITHUB_TOKEN"):
        handle(runtime.rescuer("github"), sim, run_id, delivery="d-401")
    assert runtime.store.list_incidents() == []
    assert runtime.store.claim_delivery("github", "d-401")  # released: a redelivery is handled


def test_unknown_repository_is_not_found(sim: GitHubSimulator, rescuer: Rescuer) -> None:
    payload = sim.workflow_run_event(add_broken(sim))
    payload["repository"]["full_name"] = "acme/gone"
    with pytest.raises(NotFoundError, match="acme/gone"):
        rescuer.handle_payload("workflow_run", payload)


def test_persistent_server_errors_surface_after_retries(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    run_id = add_broken(sim)
    sim.inject_fault("GET", r"/actions/runs/\d+$", status=500, times=100)
    runtime = make_runtime()
    with pytest.raises(ProviderUnavailableError):
        handle(runtime.rescuer("github"), sim, run_id)
    gets = [r for r in sim.requests if r.method == "GET" and r.path.endswith(f"/runs/{run_id}")]
    assert len(gets) == 3  # one try + max_retries 2
    assert runtime.store.list_incidents() == []


def test_a_failing_write_is_recorded_and_can_be_retried(
    sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    run_id = add_broken(sim)
    sim.inject_fault(
        "POST",
        r"/issues$",
        status=403,
        body=b'{"message": "Resource not accessible by integration"}',
        times=1,
    )
    incident = handle(rescuer, sim, run_id, delivery="first").incident
    assert incident is not None
    [outcome] = incident.outcomes
    assert outcome.status is OutcomeStatus.FAILED and "403" in (outcome.error or "")
    again = handle(rescuer, sim, run_id, delivery="second").incident
    assert again is not None and again.outcomes[-1].status is OutcomeStatus.APPLIED
    assert len(sim.get_issues(REPO)) == 1


def test_rescue_log_records_every_handled_event(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime: Runtime = make_runtime()
    rescuer = runtime.rescuer("github")
    handle(rescuer, sim, add_broken(sim))
    lines = runtime.config.resolve("rescue.log").read_text().splitlines()
    [record] = [json.loads(line) for line in lines]
    assert record["headline"].startswith(f"{REPO}@{OTHER_SHA[:7]}")
    assert record["incident"]["tracking_issue"].endswith("/issues/1")


def test_two_flaky_cells_beside_a_broken_one_are_rerun_one_at_a_time(
    sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    """GitHub re-runs one chosen job per attempt: never every failed job (the broken one too)."""
    sim.add_run(
        REPO,
        head_sha=SHA,
        jobs=[
            SimJob("test (3.11)", ["success"], log=logs.PASSING),
            SimJob("test (3.12)", ["success"], log=logs.PASSING),
            SimJob("test (3.13)", ["failure"], log=BROKEN),
        ],
    )
    run_id = sim.add_run(
        REPO,
        head_sha=SHA,
        jobs=[
            SimJob("test (3.11)", ["failure", "success"], log=FLAKY),
            SimJob("test (3.12)", ["failure", "failure", "success"], log=FLAKY),
            SimJob("test (3.13)", ["failure"], log=BROKEN),
        ],
    )
    first = handle(rescuer, sim, run_id).incident
    assert first is not None
    reruns = [call for call in writes(sim) if "rerun" in call]
    first_job = next(j for j in sim.get_jobs(run_id, attempt=1) if j["name"] == "test (3.11)")
    assert reruns == [f"POST /repos/{REPO}/actions/jobs/{first_job['id']}/rerun"]
    assert any("follow on the next attempts" in o.remedy.reason for o in first.outcomes)
    attempt_two = {j["name"]: j["conclusion"] for j in sim.get_jobs(run_id, attempt=2)}
    assert attempt_two["test (3.13)"] == "failure"  # the broken cell was not re-run
    assert attempt_two["test (3.11)"] == "success"
