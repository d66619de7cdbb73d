"""The whole pipeline for CircleCI: real httpx against the CircleCI simulator, with issues and
change requests going through the GitHub adapter (real PyGithub) on the GitHub simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ci_rescue_core.config.deployment import OutputConfig, ProviderConfig, RescueConfig, StoreConfig
from ci_rescue_core.errors import PayloadError, ProviderUnavailableError, SignatureError
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
from ci_rescue_core.poll import Watcher
from ci_rescue_core.provider import Capability, FileEdit, Provider
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.webhook import WebhookServer
from ci_rescue_providers.simulators.circleci import CircleCISimulator, SimJob, sign_body
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.providers.test_circleci_helpers import GitHubRepo
from tests.support import AlwaysRetry, wait_for

SLUG = "gh/acme/app"
REPO = "acme/app"
SHA = "1" * 40
OTHER_SHA = "2" * 40
CIRCLE_TOKEN, GITHUB_TOKEN, SECRET = "circle-token", "github-token", "webhook-secret"
ENVIRON = {
    "TEST_CIRCLECI_TOKEN": CIRCLE_TOKEN,
    "TEST_GITHUB_TOKEN": GITHUB_TOKEN,
    "CI_RESCUE_WEBHOOK_SECRET": SECRET,
}


def pytest_log(test: str, error: str) -> str:
    """A failing pytest step as CircleCI prints it."""
    return (
        "#!/bin/bash -eo pipefail\npython -m pytest\ncollected 12 items\n\n"
        "=================================== FAILURES ===================================\n"
        f"___________________________ {test.split('::')[-1]} ___________________________\n"
        f"E       {error}\n"
        "=========================== short test summary info ============================\n"
        f"FAILED {test} - {error}\n"
        "========================= 1 failed, 11 passed in 1.31s =========================\n"
    )


PASSING = "#!/bin/bash -eo pipefail\npython -m pytest\ncollected 12 items\n12 passed in 1.20s\n"
FLAKY = pytest_log("tests/test_net.py::test_webhook_roundtrip", "TimeoutError: no webhook in 2.0s")
BROKEN = pytest_log("tests/test_cart.py::test_total", "assert 3402 == 3780")
NETWORK = (
    "#!/bin/bash -eo pipefail\ngit fetch origin\n"
    "fatal: unable to access 'https://github.com/acme/app/': Could not resolve host: github.com\n"
)


@pytest.fixture
def circle() -> Iterator[CircleCISimulator]:
    with CircleCISimulator(token=CIRCLE_TOKEN) as simulator:
        simulator.add_project(SLUG)
        yield simulator
    assert simulator.errors == []
    assert simulator.credential_leaks == 0


@pytest.fixture
def github_sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token=GITHUB_TOKEN) as simulator:
        simulator.add_repo(REPO)
        yield simulator


@pytest.fixture
def make_runtime(
    circle: CircleCISimulator, github_sim: GitHubSimulator, tmp_path: Path
) -> Iterator[Any]:
    opened: list[Runtime] = []

    def factory(mode: Mode = Mode.ACT, plugins: tuple[object, ...] = ()) -> Runtime:
        config = RescueConfig(
            mode=mode,
            store=StoreConfig(path=str(tmp_path / "rescue.db")),
            providers={
                "circleci": ProviderConfig(
                    base_url=circle.api_url,
                    token_env="TEST_CIRCLECI_TOKEN",
                    vcs="github",
                    max_retries=2,
                    backoff_factor=0.0,
                    max_wait=5.0,
                ),
                "github": ProviderConfig(
                    base_url=github_sim.base_url,
                    token_env="TEST_GITHUB_TOKEN",
                    max_retries=1,
                    backoff_factor=0.0,
                    min_request_interval=0.0,
                    min_write_interval=0.0,
                ),
            },
            output=OutputConfig(rescue_log="rescue.log"),
            base_dir=str(tmp_path),
        )
        runtime = Runtime(config, environ=ENVIRON, plugins=plugins)
        opened.append(runtime)
        return runtime

    yield factory
    for runtime in opened:
        runtime.close()


@pytest.fixture
def rescuer(make_runtime: Any) -> Rescuer:
    rescuer: Rescuer = make_runtime().rescuer("circleci")
    return rescuer


def green_then_red(
    circle: CircleCISimulator, outcomes: tuple[str, ...] = ("failed", "success")
) -> str:
    """A passing workflow and then a failing one on the same commit (a flaky failure)."""
    circle.add_workflow(SLUG, [SimJob("test", log=PASSING), SimJob("lint")], revision=SHA)
    return circle.add_workflow(
        SLUG, [SimJob("test", list(outcomes), log=FLAKY), SimJob("lint")], revision=SHA
    )


def broken(circle: CircleCISimulator, sha: str = OTHER_SHA) -> str:
    return circle.add_workflow(
        SLUG, [SimJob("test", ["failed"], log=BROKEN), SimJob("lint")], revision=sha
    )


def webhook(
    rescuer: Rescuer, circle: CircleCISimulator, workflow_id: str, *, secret: str = SECRET
) -> HandleResult:
    payload = circle.workflow_completed_event(workflow_id)
    headers, body = circle.webhook_delivery("workflow-completed", payload, secret=secret)
    return rescuer.handle_webhook("workflow-completed", headers, body)


def circle_writes(circle: CircleCISimulator) -> list[tuple[str, Any]]:
    return [(r.path, r.json()) for r in circle.write_requests()]


# -- the rescue --------------------------------------------------------------------------------


def test_a_signed_webhook_reruns_only_the_failed_jobs(
    circle: CircleCISimulator, github_sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    workflow_id = green_then_red(circle)
    result = webhook(rescuer, circle, workflow_id)

    assert result.status is HandleStatus.HANDLED and result.incident is not None
    incident = result.incident
    assert incident.repo == SLUG
    assert incident.severity is Severity.FLAKY and incident.status is IncidentStatus.MITIGATING
    [verdict] = incident.verdicts
    assert verdict.subject == "test" and verdict.verdict is Verdict.FLAKY
    assert incident.fingerprints[0].failing_tests == ("tests/test_net.py::test_webhook_roundtrip",)
    assert [(o.remedy.kind, o.status) for o in incident.outcomes] == [
        ("retry_cells", OutcomeStatus.APPLIED)
    ]
    assert circle_writes(circle) == [
        (f"/api/v2/workflow/{workflow_id}/rerun", {"from_failed": True})
    ]
    chain = circle.rerun_chain(workflow_id)
    assert len(chain) == 2 and circle.get_workflow(chain[1])["status"] == "success"
    assert circle.jobs_rerun(workflow_id) == {"test"}  # lint was not re-run
    assert incident.outcomes[0].link and incident.outcomes[0].link.endswith(chain[1])
    # the failed job's log was read: step list from v1.1, output from the pre-signed URLs
    paths = [r.path for r in circle.requests]
    assert any(p.startswith("/api/v1.1/project/gh/acme/app/") for p in paths)
    assert any(p.startswith("/_s3/step-output/") for p in paths)
    assert github_sim.write_requests() == []


def test_an_infrastructure_failure_reported_by_circleci_is_retried(
    circle: CircleCISimulator, rescuer: Rescuer
) -> None:
    quiet = "Spin up environment\nthe runner went away"
    workflow_id = circle.add_workflow(
        SLUG,
        [SimJob("test", ["infrastructure_fail", "success"], log=quiet), SimJob("lint")],
        revision="9" * 40,
    )
    incident = webhook(rescuer, circle, workflow_id).incident
    assert incident is not None
    assert incident.fingerprints[0].category is Category.INFRA_NETWORK
    assert [o.remedy.kind for o in incident.outcomes] == ["retry_cells"]
    assert circle_writes(circle) == [
        (f"/api/v2/workflow/{workflow_id}/rerun", {"from_failed": True})
    ]


def test_a_real_breakage_opens_an_issue_in_the_github_repository(
    circle: CircleCISimulator, github_sim: GitHubSimulator, rescuer: Rescuer
) -> None:
    result = webhook(rescuer, circle, broken(circle))
    incident = result.incident
    assert incident is not None
    assert incident.severity is Severity.BLOCKER and incident.status is IncidentStatus.ESCALATED
    assert circle.write_requests() == []
    [issue] = github_sim.get_issues(REPO)
    assert issue["html_url"] == incident.tracking_issue
    assert [label["name"] for label in issue["labels"]] == ["ci:auto-rescue"]
    assert "assert 3402 == 3780" in issue["body"]
    assert f"ci-rescue:incident:{incident.key}" in issue["body"]
    again = webhook(rescuer, circle, broken(circle, sha="3" * 40)).incident
    assert again is not None and again.id == incident.id
    assert len(github_sim.get_issues(REPO)) == 1
    assert len(github_sim.get_issue_comments(REPO, issue["number"])) == 1


class PinRequests:
    """A remedy plugin that pins a dependency through a change request."""

    @hookimpl
    def rescue_propose_remedies(self, diagnoses: tuple[Diagnosis, ...]) -> list[Remedy]:
        return [
            Remedy(
                kind="pin",
                reason="requests 2.32.0 broke the build",
                params={"package": "requests", "version": "2.31.0"},
                reversible=False,
                needs_review=True,
                requires=(Capability.CHANGE_REQUESTS.value,),
                source="pin-requests",
            )
        ]

    @hookimpl
    def rescue_apply_remedy(
        self, remedy: Remedy, incident: Incident, run: RunRef, provider: Provider
    ) -> Outcome | None:
        if remedy.kind != "pin":
            return None
        change = provider.open_change_request(
            run.repo,
            branch="ci-rescue/pin-requests",
            title="Pin requests to 2.31.0",
            body=f"{remedy.reason} (incident {incident.id})",
            edits=[FileEdit("constraints.txt", "requests==2.31.0\n")],
            labels=["ci:dep-pin"],
        )
        return Outcome(remedy=remedy, status=OutcomeStatus.APPLIED, link=change.url)


def test_a_change_request_with_a_file_edit_goes_through_github(
    circle: CircleCISimulator, github_sim: GitHubSimulator, make_runtime: Any
) -> None:
    rescuer = make_runtime(plugins=(PinRequests(),)).rescuer("circleci")
    if Capability.CHANGE_REQUESTS not in rescuer.provider.capabilities:
        pytest.skip("the GitHub adapter does not declare change_requests yet")
    repo = GitHubRepo(github_sim, REPO, token=GITHUB_TOKEN)
    before = repo.file("constraints.txt")
    incident = webhook(rescuer, circle, broken(circle)).incident
    assert incident is not None
    pin = next(o for o in incident.outcomes if o.remedy.kind == "pin")
    assert pin.status is OutcomeStatus.APPLIED, pin.error
    [change] = repo.change_requests()
    assert change["source_branch"] == "ci-rescue/pin-requests"
    assert change["target_branch"] == "main"
    assert change["files"] == {"constraints.txt": "requests==2.31.0\n"}
    assert "ci:dep-pin" in change["labels"]
    [pull] = github_sim.get_pulls(REPO)
    assert pin.link == pull["html_url"]  # the outcome links the change request it opened
    assert repo.file("constraints.txt") == before  # the default branch was never written


def test_rerun_then_fail_again_stops_at_the_retry_budget(
    circle: CircleCISimulator, github_sim: GitHubSimulator, make_runtime: Any
) -> None:
    rescuer = make_runtime(plugins=(AlwaysRetry(),)).rescuer("circleci")
    first = circle.add_workflow(SLUG, [SimJob("test", ["failed"], log=FLAKY)], revision=SHA)
    applied = []
    for attempt in (1, 2, 3):
        current = circle.rerun_chain(first)[-1]
        result = webhook(rescuer, circle, current)
        assert result.incident is not None
        assert result.incident.runs[-1].attempt == attempt
        assert result.incident.runs[-1].run_id == first
        applied.append(
            [o.remedy.kind for o in result.incident.outcomes if o.status is OutcomeStatus.APPLIED]
        )
    assert applied[0].count("retry_cells") == 1
    assert applied[1].count("retry_cells") == 2  # one per attempt, on the same incident
    assert applied[2].count("retry_cells") == 2  # the third attempt is not re-run
    assert len(circle.rerun_chain(first)) == 3  # retry_max = 2 re-runs, never a third
    assert [path for path, _ in circle_writes(circle)] == [
        f"/api/v2/workflow/{first}/rerun",
        f"/api/v2/workflow/{circle.rerun_chain(first)[1]}/rerun",
    ]
    final = result.incident
    assert final is not None and final.status is IncidentStatus.ESCALATED
    assert any("retry budget spent" in e.message for e in final.timeline)
    assert len(github_sim.get_issues(REPO)) == 1
    # an event about the first execution arriving late (another delivery id) is stale now
    stale = rescuer.handle_payload(
        "workflow-completed", circle.workflow_completed_event(first), delivery_id="late"
    )
    assert stale.status is HandleStatus.IGNORED and "superseded by attempt 3" in stale.reason


def test_a_green_rerun_resolves_the_incident(circle: CircleCISimulator, rescuer: Rescuer) -> None:
    workflow_id = green_then_red(circle)
    opened = webhook(rescuer, circle, workflow_id).incident
    rerun = circle.rerun_chain(workflow_id)[1]
    result = webhook(rescuer, circle, rerun)
    assert result.status is HandleStatus.RESOLVED
    [resolved] = result.resolved
    assert opened is not None and resolved.id == opened.id
    assert rescuer.store.open_incidents(SLUG) == []


def test_a_redelivery_is_handled_once(circle: CircleCISimulator, rescuer: Rescuer) -> None:
    workflow_id = green_then_red(circle)
    payload = circle.workflow_completed_event(workflow_id)
    headers, body = circle.webhook_delivery("workflow-completed", payload, secret=SECRET)
    assert (
        rescuer.handle_webhook("workflow-completed", headers, body).status is HandleStatus.HANDLED
    )
    before = circle_writes(circle)
    replay = rescuer.handle_webhook("workflow-completed", headers, body)
    assert replay.status is HandleStatus.DUPLICATE and payload["id"] in replay.reason
    assert circle_writes(circle) == before


def test_a_job_completed_event_rescues_that_job(
    circle: CircleCISimulator, rescuer: Rescuer
) -> None:
    workflow_id = circle.add_workflow(
        SLUG,
        [SimJob("unit", ["failed"], log=BROKEN), SimJob("e2e", ["failed"], log=FLAKY)],
        revision=OTHER_SHA,
    )
    unit = next(j for j in circle.get_jobs(workflow_id) if j["name"] == "unit")
    headers, body = circle.webhook_delivery(
        "job-completed", circle.job_completed_event(unit["id"]), secret=SECRET
    )
    result = rescuer.handle_webhook("job-completed", headers, body)
    assert result.incident is not None
    assert [v.subject for v in result.incident.verdicts] == ["unit"]


def test_polling_finds_a_failed_run_once(circle: CircleCISimulator, rescuer: Rescuer) -> None:
    workflow_id = green_then_red(circle)
    watcher = Watcher(rescuer, [SLUG])
    first = watcher.poll_once()
    statuses = {run.run_id: result.status for run, result in first.handled}
    assert statuses[workflow_id] is HandleStatus.HANDLED
    assert len(circle.rerun_chain(workflow_id)) == 2
    second = watcher.poll_once()  # the re-run (attempt 2) passed
    assert [(r.attempt, res.status) for r, res in second.handled if r.run_id == workflow_id] == [
        (2, HandleStatus.RESOLVED)
    ]
    assert watcher.poll_once().handled == ()
    assert len(circle.rerun_chain(workflow_id)) == 2


@pytest.mark.parametrize("mode", [Mode.OBSERVE, Mode.PROPOSE])
def test_modes_limit_what_is_written(
    circle: CircleCISimulator, github_sim: GitHubSimulator, make_runtime: Any, mode: Mode
) -> None:
    rescuer = make_runtime(mode=mode).rescuer("circleci")
    flaky = webhook(rescuer, circle, green_then_red(circle)).incident
    assert flaky is not None and flaky.outcomes[0].status is OutcomeStatus.PLANNED
    webhook(rescuer, circle, broken(circle))
    assert circle.write_requests() == []
    assert len(github_sim.get_issues(REPO)) == (0 if mode is Mode.OBSERVE else 1)


# -- faults ------------------------------------------------------------------------------------


def test_a_rate_limit_is_honoured(circle: CircleCISimulator, rescuer: Rescuer) -> None:
    workflow_id = green_then_red(circle)
    fault = circle.inject_fault(
        "GET", r"/pipeline/[^/]+/workflow$", status=429, headers={"Retry-After": "1"}
    )
    result = webhook(rescuer, circle, workflow_id)
    assert fault.exhausted
    assert result.status is HandleStatus.HANDLED


def test_server_errors_are_retried_then_surfaced_and_nothing_is_stored(
    circle: CircleCISimulator, make_runtime: Any
) -> None:
    workflow_id = broken(circle)
    runtime = make_runtime()
    pipeline = circle.get_workflow(workflow_id)["pipeline_id"]
    circle.inject_fault("GET", r"/pipeline/[^/]+/workflow$", status=500, times=None)
    circle.clear_requests()
    payload = circle.workflow_completed_event(workflow_id)
    headers, body = circle.webhook_delivery("workflow-completed", payload, secret=SECRET)
    with pytest.raises(ProviderUnavailableError, match="500"):
        runtime.rescuer("circleci").handle_webhook("workflow-completed", headers, body)
    gets = [r.path for r in circle.requests]
    assert gets == [f"/api/v2/pipeline/{pipeline}/workflow"] * 3  # one try, max_retries=2
    assert runtime.store.list_incidents() == []
    assert runtime.store.claim_delivery("circleci", payload["id"])  # released for a redelivery


def test_a_bad_signature_is_rejected_and_nothing_is_stored(
    circle: CircleCISimulator, github_sim: GitHubSimulator, make_runtime: Any
) -> None:
    workflow_id = broken(circle)
    runtime = make_runtime()
    rescuer = runtime.rescuer("circleci")
    circle.clear_requests()
    payload = circle.workflow_completed_event(workflow_id)
    headers, body = circle.webhook_delivery("workflow-completed", payload, secret="not-it")
    with pytest.raises(SignatureError, match="does not match"):
        rescuer.handle_webhook("workflow-completed", headers, body)
    good_headers, good_body = circle.webhook_delivery("workflow-completed", payload, SECRET)
    with pytest.raises(SignatureError):
        rescuer.handle_webhook(
            "workflow-completed", good_headers, good_body.replace(b"}", b" }", 1)
        )
    with pytest.raises(SignatureError, match="missing"):
        rescuer.handle_webhook("workflow-completed", {}, good_body)
    assert circle.requests == [] and github_sim.write_requests() == []
    assert runtime.store.list_incidents() == []
    assert runtime.store.claim_delivery("circleci", payload["id"])  # never claimed


def test_the_real_malformed_payload_is_a_clear_error(
    circle: CircleCISimulator, make_runtime: Any
) -> None:
    raw = (
        Path(__file__).parent.parent
        / "fixtures"
        / "webhooks"
        / "circleci"
        / "docs_job_completed_gitlab.invalid.json"
    ).read_bytes()
    headers, _ = circle.webhook_delivery("job-completed", {}, secret=SECRET)
    headers["circleci-signature"] = sign_body(raw, SECRET)
    runtime = make_runtime()
    with pytest.raises(PayloadError, match="not valid JSON"):
        runtime.rescuer("circleci").handle_webhook("job-completed", headers, raw)
    assert runtime.store.list_incidents() == []
    assert circle.requests == []


def test_the_rescue_log_names_the_project(circle: CircleCISimulator, make_runtime: Any) -> None:
    runtime = make_runtime()
    webhook(runtime.rescuer("circleci"), circle, broken(circle))
    [record] = [
        json.loads(line) for line in runtime.config.resolve("rescue.log").read_text().splitlines()
    ]
    assert record["headline"].startswith(f"{SLUG}@{OTHER_SHA[:7]}")


def test_the_webhook_server_acknowledges_then_rescues(
    circle: CircleCISimulator, github_sim: GitHubSimulator, make_runtime: Any
) -> None:
    runtime = make_runtime()
    payload = circle.workflow_completed_event(broken(circle))
    headers, body = circle.webhook_delivery("workflow-completed", payload, secret=SECRET)
    with WebhookServer(runtime, port=0) as server, httpx.Client(timeout=10) as client:
        url = f"{server.url}/webhooks/circleci"
        forged = client.post(url, headers={**headers, "circleci-signature": "v1=00"}, content=body)
        assert forged.status_code == 401 and "circleci-signature" in forged.json()["error"]
        response = client.post(url, headers=headers, content=body)
        assert response.status_code == 202
        assert response.json() == {"status": "queued", "delivery": payload["id"]}
        wait_for(lambda: len(github_sim.get_issues(REPO)) == 1)
        wait_for(lambda: server.inbox.items("done") != [])
        again = client.post(url, headers=headers, content=body)  # CircleCI redelivers
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(runtime.store.list_incidents()) == 1
