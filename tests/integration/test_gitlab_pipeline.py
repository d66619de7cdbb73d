"""The whole pipeline for GitLab: ``Runtime(config).rescuer("gitlab")`` with the real
python-gitlab client against the stateful GitLab simulator, from a token-checked webhook to a
retry of only the failed jobs, an issue and a merge request with a file edit — and the faults."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ci_rescue_core.config.deployment import OutputConfig, ProviderConfig, RescueConfig, StoreConfig
from ci_rescue_core.errors import AuthenticationError, ProviderUnavailableError, SignatureError
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import (
    Category,
    Diagnosis,
    Incident,
    IncidentStatus,
    Mode,
    Outcome,
    OutcomeStatus,
    Remedy,
    RunRef,
    Severity,
    Verdict,
)
from ci_rescue_core.orchestrator import HandleResult, HandleStatus, Rescuer
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.poll import Watcher
from ci_rescue_core.provider import FileEdit, Provider
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob, format_gitlab_log
from tests.support import AlwaysRetry

REPO = "acme/app"
TOKEN = "glpat-integration"
TOKEN_ENV = "TEST_CI_RESCUE_GITLAB_TOKEN"
HOOK_SECRET = "gitlab-hook-secret"
SHA = "1" * 40
OTHER_SHA = "2" * 40
PROJECT = "acme%2Fapp"


def pytest_log(test: str, error: str) -> str:
    """A failing pytest run as a GitLab runner trace."""
    return format_gitlab_log(
        [
            "$ pytest",
            "collected 12 items",
            "=================================== FAILURES ===================================",
            f"E       {error}",
            "=========================== short test summary info ============================",
            f"FAILED {test} - {error}",
            "========================= 1 failed, 11 passed in 1.31s =========================",
        ]
    )


PASSING = format_gitlab_log(["$ pytest", "12 passed in 1.20s"], exit_code=0)
FLAKY = pytest_log("tests/test_net.py::test_webhook_roundtrip", "TimeoutError: no webhook in 2s")
BROKEN = pytest_log("tests/test_cart.py::test_total", "assert 3402 == 3780")
QUIET = format_gitlab_log(["Preparing environment", "Waiting for the pod to start"])
DEPENDENCY = format_gitlab_log(
    [
        "$ pip install -r requirements.txt -c constraints.txt",
        "ERROR: Could not find a version that satisfies the requirement requests==2.99.0",
        "ERROR: No matching distribution found for requests==2.99.0",
    ]
)


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token=TOKEN) as simulator:
        simulator.add_project(REPO, files={"constraints.txt": "requests==2.99.0\n"})
        yield simulator
        assert simulator.errors == []


class Deployment:
    """Runtimes built the way ``rescue.yaml`` builds them, closed at the end."""

    def __init__(self, sim: GitLabSimulator, tmp_path: Path) -> None:
        self.sim = sim
        self.tmp_path = tmp_path
        self.opened: list[Runtime] = []

    def runtime(
        self, *, mode: Mode = Mode.ACT, token: str = TOKEN, plugins: tuple[object, ...] = ()
    ) -> Runtime:
        config = RescueConfig(
            mode=mode,
            store=StoreConfig(path=str(self.tmp_path / "rescue.db")),
            providers={
                "gitlab": ProviderConfig(
                    base_url=self.sim.base_url, token_env=TOKEN_ENV, max_retries=2, max_wait=5.0
                )
            },
            output=OutputConfig(rescue_log="rescue.log"),
            base_dir=str(self.tmp_path),
        )
        environ = {TOKEN_ENV: token, "CI_RESCUE_WEBHOOK_SECRET": HOOK_SECRET}
        runtime = Runtime(config, environ=environ, plugins=plugins)
        self.opened.append(runtime)
        return runtime


@pytest.fixture
def deployment(sim: GitLabSimulator, tmp_path: Path) -> Iterator[Deployment]:
    made = Deployment(sim, tmp_path)
    yield made
    for runtime in made.opened:
        runtime.close()


@pytest.fixture
def rescuer(deployment: Deployment) -> Rescuer:
    return deployment.runtime().rescuer("gitlab")


def deliver(
    rescuer: Rescuer, sim: GitLabSimulator, pipeline_id: int, *, key: str | None = None
) -> HandleResult:
    """The pipeline's current Pipeline Hook, delivered with GitLab's token header."""
    headers, body = sim.webhook_delivery(
        "pipeline", sim.pipeline_event(pipeline_id), token=HOOK_SECRET, idempotency_key=key
    )
    return rescuer.handle_webhook(headers["X-Gitlab-Event"], headers, body)


def incident_of(result: HandleResult) -> Incident:
    assert result.incident is not None, result.reason
    return result.incident


def writes(sim: GitLabSimulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.write_requests()]


def green_then_red(sim: GitLabSimulator, red: list[str] | None = None) -> int:
    """A passing pipeline and then a failing one on the same commit: a flaky failure."""
    sim.add_pipeline(REPO, sha=SHA, jobs=[SimJob("test", ["success"], log=PASSING)])
    return sim.add_pipeline(
        REPO,
        sha=SHA,
        jobs=[SimJob("test", red or ["failed", "success"], log=FLAKY), SimJob("lint", log=PASSING)],
    )


def broken(sim: GitLabSimulator, sha: str = OTHER_SHA, log: str = BROKEN) -> int:
    return sim.add_pipeline(
        REPO,
        sha=sha,
        jobs=[
            SimJob("test: [3.11]", ["failed"], log=log),
            SimJob("test: [3.12]", ["failed"], log=log),
            SimJob("lint", log=PASSING),
        ],
    )


# -- the rescue ------------------------------------------------------------------------------


def test_a_flaky_failure_retries_only_the_failed_jobs(
    sim: GitLabSimulator, rescuer: Rescuer
) -> None:
    pipeline_id = green_then_red(sim)
    result = deliver(rescuer, sim, pipeline_id)

    assert result.status is HandleStatus.HANDLED
    incident = incident_of(result)
    assert incident.severity is Severity.FLAKY and incident.status is IncidentStatus.MITIGATING
    [verdict] = incident.verdicts
    assert verdict.verdict is Verdict.FLAKY and verdict.evidence[0].kind == "same_sha_passed"
    assert [(o.remedy.kind, o.status) for o in incident.outcomes] == [
        ("retry_cells", OutcomeStatus.APPLIED)
    ]
    assert incident.outcomes[0].link == f"{sim.base_url}/{REPO}/-/pipelines/{pipeline_id}"
    assert writes(sim) == [f"POST /api/v4/projects/{PROJECT}/pipelines/{pipeline_id}/retry"]
    traces = [r.path for r in sim.requests if r.path.endswith("/trace")]
    failed_job = next(
        j for j in sim.get_jobs(pipeline_id, include_retried=True) if j["name"] == "test"
    )
    failed_trace = f"/api/v4/projects/{PROJECT}/jobs/{failed_job['id']}/trace"
    assert traces[0] == failed_trace  # the failed job's log, then its last passing log as baseline
    [baseline] = traces[1:]
    assert baseline != failed_trace
    assert any("compared with the passing log" in e.message for e in incident.timeline)
    jobs = sim.get_jobs(pipeline_id, include_retried=True)
    assert sorted(j["name"] for j in jobs) == ["lint", "test", "test"]  # lint never re-ran
    assert sim.get_pipeline(pipeline_id)["status"] == "success"
    assert rescuer.provider.get_run(REPO, str(pipeline_id)).attempt == 2


def test_one_flaky_cell_is_retried_alone_and_the_broken_cell_gets_an_issue(
    sim: GitLabSimulator, rescuer: Rescuer
) -> None:
    sim.add_pipeline(
        REPO,
        sha=SHA,
        jobs=[SimJob("test: [3.11]", log=PASSING), SimJob("test: [3.12]", ["failed"], log=BROKEN)],
    )
    pipeline_id = sim.add_pipeline(
        REPO,
        sha=SHA,
        jobs=[
            SimJob("test: [3.11]", ["failed", "success"], log=FLAKY),
            SimJob("test: [3.12]", ["failed"], log=BROKEN),
        ],
    )
    flaky_job = next(j for j in sim.get_jobs(pipeline_id) if j["name"] == "test: [3.11]")
    incident = incident_of(deliver(rescuer, sim, pipeline_id))
    verdicts = {v.subject: v.verdict for v in incident.verdicts}
    assert verdicts == {"test: [3.11]": Verdict.FLAKY, "test: [3.12]": Verdict.BROKEN}
    assert writes(sim) == [
        f"POST /api/v4/projects/{PROJECT}/jobs/{flaky_job['id']}/retry",
        f"POST /api/v4/projects/{PROJECT}/labels",
        f"POST /api/v4/projects/{PROJECT}/issues",
    ]
    latest = {j["name"]: j["status"] for j in sim.get_jobs(pipeline_id)}
    assert latest == {"test: [3.11]": "success", "test: [3.12]": "failed"}


def test_a_real_breakage_opens_one_issue_then_notes_on_it(
    sim: GitLabSimulator, rescuer: Rescuer
) -> None:
    first = incident_of(deliver(rescuer, sim, broken(sim)))
    assert first.severity is Severity.BLOCKER and first.status is IncidentStatus.ESCALATED
    assert len(first.fingerprints) == 1 and first.fingerprints[0].category is Category.TEST_FAILURE
    assert "tests/test_cart.py::test_total" in first.fingerprints[0].failing_tests
    [issue] = sim.get_issues(REPO)
    assert issue["web_url"] == first.tracking_issue
    assert issue["labels"] == ["ci:auto-rescue"]
    assert "assert 3402 == 3780" in issue["description"]
    assert f"ci-rescue:incident:{first.key}" in issue["description"]
    [label] = sim.get_labels(REPO)
    assert re.fullmatch(r"#[0-9A-F]{6}", label["color"])

    second = incident_of(deliver(rescuer, sim, broken(sim, sha="3" * 40)))
    assert second.id == first.id and len(second.runs) == 2
    assert len(sim.get_issues(REPO)) == 1
    [note] = sim.get_issue_notes(REPO, 1)
    assert "ci-rescue:incident:" in note["body"]
    assert not any("retry" in call for call in writes(sim))


class PinStrategy:
    """A third-party strategy: pin a dependency through a merge request with a file edit."""

    @hookimpl
    def rescue_propose_remedies(self, diagnoses: tuple[Diagnosis, ...]) -> list[Remedy]:
        if not any(d.fingerprint.category is Category.DEPENDENCY_RESOLUTION for d in diagnoses):
            return []
        return [
            Remedy(
                kind="pin",
                reason="requests==2.99.0 does not exist; pin the last good version",
                params={"path": "constraints.txt", "content": "requests==2.31.0\n"},
                reversible=False,
                needs_review=True,
                requires=("change_requests",),
                source="pin-test",
            )
        ]

    @hookimpl
    def rescue_apply_remedy(
        self, remedy: Remedy, incident: Incident, run: RunRef, provider: Provider, policy: Policy
    ) -> Outcome | None:
        if remedy.kind != "pin":
            return None
        change = provider.open_change_request(
            run.repo,
            branch=f"ci-rescue/pin-{incident.id[:8]}",
            title="Pin requests to 2.31.0",
            body=remedy.reason,
            edits=[FileEdit(remedy.params["path"], remedy.params["content"])],
            labels=[policy.labels.dep_pin],
        )
        return Outcome(remedy=remedy, status=OutcomeStatus.APPLIED, link=change.url)


def test_a_dependency_failure_becomes_a_merge_request_with_a_file_edit(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    rescuer = deployment.runtime(plugins=(PinStrategy(),)).rescuer("gitlab")
    pipeline_id = sim.add_pipeline(
        REPO, sha=SHA, jobs=[SimJob("install", ["failed"], log=DEPENDENCY)]
    )
    incident = incident_of(deliver(rescuer, sim, pipeline_id))
    assert incident.fingerprints[0].category is Category.DEPENDENCY_RESOLUTION
    outcomes = {o.remedy.kind: o for o in incident.outcomes}
    assert outcomes["pin"].status is OutcomeStatus.APPLIED
    [mr] = sim.get_merge_requests(REPO)
    assert outcomes["pin"].link == mr["web_url"]
    assert mr["source_branch"] == f"ci-rescue/pin-{incident.id[:8]}"
    assert mr["target_branch"] == "main" and mr["labels"] == ["ci:dep-pin"]
    assert sim.get_file(REPO, "constraints.txt", ref=mr["source_branch"]) == "requests==2.31.0\n"
    assert sim.get_file(REPO, "constraints.txt") == "requests==2.99.0\n"  # main untouched
    assert not any("retry" in call for call in writes(sim))


def test_gitlabs_failure_reason_categorises_and_is_evidence_without_any_log_pattern(
    sim: GitLabSimulator, rescuer: Rescuer
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO,
        sha=SHA,
        jobs=[SimJob("build", ["failed:runner_system_failure", "success"], log=QUIET)],
    )
    incident = incident_of(deliver(rescuer, sim, pipeline_id))
    # the log says nothing; GitLab says the runner failed
    assert incident.fingerprints[0].category is Category.INFRA_NETWORK
    assert any("runner_system_failure" in e.message for e in incident.timeline)
    [verdict] = incident.verdicts
    assert verdict.verdict is Verdict.FLAKY
    assert any(
        "runner_system_failure, as the provider reports" in e.detail for e in verdict.evidence
    )
    assert [o.remedy.kind for o in incident.outcomes] == ["retry_cells"]
    assert sim.get_pipeline(pipeline_id)["status"] == "success"


def test_a_missing_secret_reported_by_gitlab_is_never_retried(
    sim: GitLabSimulator, rescuer: Rescuer
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO,
        sha=SHA,
        jobs=[SimJob("deploy", ["failed:secrets_provider_not_found", "success"], log=QUIET)],
    )
    incident = incident_of(deliver(rescuer, sim, pipeline_id))
    assert incident.fingerprints[0].category is Category.MISSING_SECRET
    assert [o.remedy.kind for o in incident.outcomes] == ["issue"]
    assert not any("retry" in call for call in writes(sim))


def test_a_signed_job_hook_is_handled_for_its_job(sim: GitLabSimulator, rescuer: Rescuer) -> None:
    pipeline_id = broken(sim)
    job = next(j for j in sim.get_jobs(pipeline_id) if j["name"] == "test: [3.12]")
    headers, body = sim.webhook_delivery(
        "job", sim.job_event(job["id"]), token=HOOK_SECRET, signing_secret=HOOK_SECRET
    )
    assert headers["X-Gitlab-Event"] == "Job Hook"
    incident = incident_of(rescuer.handle_webhook("Job Hook", headers, body))
    assert [v.subject for v in incident.verdicts] == ["test: [3.12]"]


# -- idempotency, attempts, budget -----------------------------------------------------------


def test_a_redelivery_does_nothing_twice(sim: GitLabSimulator, rescuer: Rescuer) -> None:
    pipeline_id = green_then_red(sim)
    headers, body = sim.webhook_delivery(
        "pipeline", sim.pipeline_event(pipeline_id), token=HOOK_SECRET
    )
    assert rescuer.handle_webhook("Pipeline Hook", headers, body).status is HandleStatus.HANDLED
    before = writes(sim)
    again = rescuer.handle_webhook("Pipeline Hook", dict(headers), body)
    assert again.status is HandleStatus.DUPLICATE and writes(sim) == before


def test_an_event_older_than_the_retry_is_ignored(sim: GitLabSimulator, rescuer: Rescuer) -> None:
    pipeline_id = green_then_red(sim)
    stale = sim.pipeline_event(pipeline_id)
    deliver(rescuer, sim, pipeline_id)
    result = rescuer.handle_payload("pipeline", stale, delivery_id="another-delivery")
    assert result.status is HandleStatus.IGNORED
    assert "superseded by attempt 2" in result.reason
    assert len(writes(sim)) == 1


def test_a_green_retry_resolves_the_incident(sim: GitLabSimulator, rescuer: Rescuer) -> None:
    pipeline_id = green_then_red(sim)
    opened = incident_of(deliver(rescuer, sim, pipeline_id))
    result = deliver(rescuer, sim, pipeline_id)  # attempt 2 passed
    assert result.status is HandleStatus.RESOLVED
    [resolved] = result.resolved
    assert resolved.id == opened.id and resolved.status is IncidentStatus.RESOLVED
    assert rescuer.store.open_incidents(REPO) == []


def test_the_retry_budget_counts_gitlab_retries(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    rescuer = deployment.runtime(plugins=(AlwaysRetry(),)).rescuer("gitlab")
    # the runner fails on every attempt: retried by its failure reason, never past the budget
    # (a test failing on every retry is judged a new failure and not retried at all)
    pipeline_id = green_then_red(sim, red=["failed:runner_system_failure"])
    attempts = []
    for _ in range(4):
        attempts.append(incident_of(deliver(rescuer, sim, pipeline_id)).runs[-1].attempt)
    assert attempts == [1, 2, 3, 3]  # every GitLab retry is a new attempt
    retries = [call for call in writes(sim) if call.endswith("/retry")]
    assert len(retries) == 2  # retry_max = 2, whatever the strategy proposes
    final = incident_of(deliver(rescuer, sim, pipeline_id))
    assert final.status is IncidentStatus.ESCALATED
    assert any("retry budget spent" in e.message for e in final.timeline)
    assert len(sim.get_issues(REPO)) == 1
    assert rescuer.provider.get_run(REPO, str(pipeline_id)).attempt == 3


def test_an_allowed_failure_is_not_a_failure(sim: GitLabSimulator, rescuer: Rescuer) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("docs", ["failed"], allow_failure=True), SimJob("test", log=PASSING)]
    )
    result = deliver(rescuer, sim, pipeline_id)
    assert result.status is HandleStatus.RECORDED and result.incident is None
    assert sim.write_requests() == []


@pytest.mark.parametrize("mode", [Mode.OBSERVE, Mode.PROPOSE])
def test_modes_limit_what_is_written(
    sim: GitLabSimulator, deployment: Deployment, mode: Mode
) -> None:
    rescuer = deployment.runtime(mode=mode).rescuer("gitlab")
    flaky = incident_of(deliver(rescuer, sim, green_then_red(sim)))
    red = incident_of(deliver(rescuer, sim, broken(sim)))
    assert flaky.outcomes[0].status is OutcomeStatus.PLANNED
    if mode is Mode.OBSERVE:
        assert sim.write_requests() == []
    else:
        assert writes(sim)[-1] == f"POST /api/v4/projects/{PROJECT}/issues"
        assert red.outcomes[0].status is OutcomeStatus.APPLIED


# -- faults ----------------------------------------------------------------------------------


def test_a_rate_limit_is_honoured(sim: GitLabSimulator, rescuer: Rescuer) -> None:
    pipeline_id = green_then_red(sim)
    fault = sim.inject_fault(
        "GET", rf"/pipelines/{pipeline_id}$", status=429, headers={"Retry-After": "0"}
    )
    result = deliver(rescuer, sim, pipeline_id)
    assert fault.exhausted and result.status is HandleStatus.HANDLED
    assert len(writes(sim)) == 1


def test_server_errors_are_retried_then_surface_with_nothing_stored(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    pipeline_id = broken(sim)
    sim.inject_fault("GET", rf"/pipelines/{pipeline_id}/jobs$", status=502, times=100)
    runtime = deployment.runtime()
    with pytest.raises(ProviderUnavailableError, match="502"):
        deliver(runtime.rescuer("gitlab"), sim, pipeline_id, key="d-502")
    job_lists = [r for r in sim.requests if r.path.endswith(f"/pipelines/{pipeline_id}/jobs")]
    assert len(job_lists) == 3  # one try + max_retries 2
    assert runtime.store.list_incidents() == []
    assert runtime.store.claim_delivery("gitlab", "d-502")  # released: a redelivery is handled


def test_a_bad_webhook_token_is_rejected_before_anything_happens(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    pipeline_id = broken(sim)
    runtime = deployment.runtime()
    rescuer = runtime.rescuer("gitlab")
    payload = sim.pipeline_event(pipeline_id)
    for token in ("wrong-secret", None):
        headers, body = sim.webhook_delivery("pipeline", payload, token=token, idempotency_key="k")
        with pytest.raises(SignatureError):
            rescuer.handle_webhook("Pipeline Hook", headers, body)
    assert sim.requests == []
    assert runtime.store.list_incidents() == []
    assert runtime.store.claim_delivery("gitlab", "k")  # never claimed


def test_a_bad_api_token_is_a_clear_error_and_stores_nothing(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    pipeline_id = broken(sim)
    runtime = deployment.runtime(token="glpat-wrong")
    with pytest.raises(AuthenticationError, match=TOKEN_ENV):
        deliver(runtime.rescuer("gitlab"), sim, pipeline_id, key="d-401")
    assert runtime.store.list_incidents() == []
    assert runtime.store.claim_delivery("gitlab", "d-401")


def test_a_missing_trace_is_recorded_not_fatal(sim: GitLabSimulator, rescuer: Rescuer) -> None:
    pipeline_id = broken(sim)
    sim.inject_fault("GET", r"/jobs/\d+/trace$", status=404, times=10)
    incident = incident_of(deliver(rescuer, sim, pipeline_id))
    assert incident.fingerprints[0].category is Category.OTHER
    assert "log unavailable" in incident.fingerprints[0].message


def test_the_rescue_log_records_the_gitlab_incident(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    runtime = deployment.runtime()
    deliver(runtime.rescuer("gitlab"), sim, broken(sim))
    [record] = [
        json.loads(line) for line in runtime.config.resolve("rescue.log").read_text().splitlines()
    ]
    incident: dict[str, Any] = record["incident"]
    assert incident["repo"] == REPO and incident["runs"][0]["provider"] == "gitlab"
    assert incident["tracking_issue"].endswith("/-/issues/1")


# -- polling ---------------------------------------------------------------------------------


def test_polling_finds_each_failed_attempt_once(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    pipeline_id = green_then_red(sim)
    watcher = Watcher(deployment.runtime().rescuer("gitlab"), [REPO])

    first = watcher.poll_once()
    statuses = {(run.run_id, run.attempt): result.status for run, result in first.handled}
    assert statuses[(str(pipeline_id), 1)] is HandleStatus.HANDLED
    assert writes(sim) == [f"POST /api/v4/projects/{PROJECT}/pipelines/{pipeline_id}/retry"]

    second = watcher.poll_once()  # attempt 2 passed: the incident is resolved
    [(run, result)] = second.handled
    assert (run.run_id, run.attempt) == (str(pipeline_id), 2)
    assert result.status is HandleStatus.RESOLVED
    assert watcher.poll_once().handled == ()
    assert len(writes(sim)) == 1


def test_an_idle_poll_lists_pipelines_without_reading_their_jobs_again(
    sim: GitLabSimulator, deployment: Deployment
) -> None:
    for i in range(5):
        sim.add_pipeline(REPO, sha=f"{i:040x}", jobs=[SimJob("test", ["success"], log=PASSING)])
    pipeline_id = green_then_red(sim)
    watcher = Watcher(deployment.runtime().rescuer("gitlab"), [REPO])
    watcher.poll_once()  # handles the failure: its pipeline is retried and passes
    watcher.poll_once()  # sees attempt 2
    sim.clear_requests()

    idle = watcher.poll_once()

    assert idle.handled == () and idle.errors == ()
    assert {r.path for r in sim.requests} == {f"/api/v4/projects/{PROJECT}/pipelines"}

    sim.clear_requests()
    pipelines = f"/api/v4/projects/{PROJECT}/pipelines"
    api = f"{sim.base_url}/api/v4"
    with httpx.Client(base_url=api, headers={"PRIVATE-TOKEN": TOKEN}) as http:  # a person
        [job, *_] = http.get(f"/projects/{PROJECT}/pipelines/{pipeline_id}/jobs").json()
        http.post(f"/projects/{PROJECT}/jobs/{job['id']}/retry").raise_for_status()
    sim.clear_requests()
    [(run, _result)] = watcher.poll_once().handled  # touched by the retry: read again
    assert (run.run_id, run.attempt) == (str(pipeline_id), 3)
    jobs_reads = [r.path for r in sim.requests if r.path.endswith("/jobs")]
    assert f"{pipelines}/{pipeline_id}/jobs" in jobs_reads
