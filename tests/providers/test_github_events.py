"""``check_run`` and ``check_suite`` events through the GitHub adapter: Actions checks are mapped
to their workflow run (job id == check run id; suites by ``check_suite_id``), other apps'
checks are ignored — with simulator deliveries and real captured ones."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ci_rescue_core.errors import NotFoundError, PayloadError
from ci_rescue_providers.github import GitHubProvider, verify_signature
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.providers.github_support import REPO, running_simulator, unthrottled_provider

SECRET = "events-secret"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks" / "github"
CAPTURED_SECRET = "402786017574bd28f9d8f7a18648939751c47fe09077d56e10f0444f14fbb73b"


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with running_simulator() as simulator:
        yield simulator


@pytest.fixture
def provider(sim: GitHubSimulator) -> Iterator[GitHubProvider]:
    adapter = unthrottled_provider(sim, webhook_secret=SECRET)
    yield adapter
    adapter.close()


def flaky_run(sim: GitHubSimulator) -> int:
    return sim.add_run(
        REPO,
        jobs=[SimJob("test (3.12)", ["failure", "success"]), SimJob("lint", ["success"])],
    )


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def captured(name: str) -> tuple[dict[str, str], bytes]:
    delivery = fixture(name)
    return delivery["headers"], base64.b64decode(delivery["body_raw_base64"])


def test_a_failed_actions_check_run_becomes_its_job(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    run_id = flaky_run(sim)
    job = next(j for j in sim.get_jobs(run_id) if j["name"] == "test (3.12)")
    payload = sim.check_run_event(job["id"])
    assert payload["check_run"]["id"] == job["id"]
    assert payload["check_run"]["app"]["slug"] == "github-actions"
    headers, body = sim.webhook_delivery("check_run", payload, secret=SECRET)
    provider.verify_webhook(headers, body)
    event = provider.parse_event("check_run", json.loads(body), delivery_id="d-1")
    assert event is not None and event.is_failure and event.kind == "check_run"
    assert event.run.run_id == str(run_id) and event.run.attempt == 1
    assert event.job is not None and event.job.job_id == str(job["id"])
    assert event.job.name == "test (3.12)" and event.job.matrix == ("3.12",)
    assert event.delivery_id == "d-1"


def test_a_check_run_of_a_rerun_keeps_its_attempt(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    run_id = flaky_run(sim)
    provider.rerun_failed_jobs(provider.get_run(REPO, str(run_id)))
    rerun = next(j for j in sim.get_jobs(run_id) if j["name"] == "test (3.12)")
    event = provider.parse_event("check_run", sim.check_run_event(rerun["id"]))
    assert event is not None and event.run.attempt == 2 and not event.is_failure


def test_a_check_suite_maps_to_the_attempt_it_belongs_to(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    run_id = flaky_run(sim)
    first = sim.check_suite_event(run_id)
    provider.rerun_failed_jobs(provider.get_run(REPO, str(run_id)))
    latest = sim.check_suite_event(run_id)
    assert first["check_suite"]["id"] != latest["check_suite"]["id"]
    old = provider.parse_event("check_suite", first)
    new = provider.parse_event("check_suite", latest)
    assert old is not None and new is not None
    assert (old.run.run_id, old.run.attempt, old.is_failure) == (str(run_id), 1, True)
    assert (new.run.run_id, new.run.attempt, new.is_failure) == (str(run_id), 2, False)
    lookups = [r for r in sim.requests if r.path.endswith("/actions/runs")]
    assert {r.query["check_suite_id"] for r in lookups} == {
        str(first["check_suite"]["id"]),
        str(latest["check_suite"]["id"]),
    }


def test_unfinished_and_other_apps_checks_are_not_acted_on_and_cost_no_call(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    run_id = flaky_run(sim)
    job = sim.get_jobs(run_id)[0]
    sim.clear_requests()
    created = sim.check_run_event(job["id"], action="created")
    assert provider.parse_event("check_run", created) is None
    requested = sim.check_suite_event(run_id, action="requested")
    assert provider.parse_event("check_suite", requested) is None
    other = fixture("check_run.completed.other_app.json")
    assert other["check_run"]["app"]["slug"] == "dae-bot-staging"
    assert provider.parse_event("check_run", other) is None
    assert sim.requests == []


def test_a_real_actions_check_run_delivery_is_looked_up_by_its_job_id(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    headers, body = captured("signed.check_run.completed.json")
    verify_signature(headers, body, CAPTURED_SECRET)
    payload = json.loads(body)
    check = payload["check_run"]
    assert check["details_url"].endswith(f"/job/{check['id']}")  # check run id == job id
    sim.add_repo(payload["repository"]["full_name"])
    with pytest.raises(NotFoundError, match="check_run"):
        provider.parse_event("check_run", payload)
    [lookup] = [r for r in sim.requests if "/actions/jobs/" in r.path]
    assert lookup.path.endswith(f"/actions/jobs/{check['id']}")


def test_a_real_actions_check_suite_delivery_is_looked_up_by_suite_id(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    headers, body = captured("signed.check_suite.completed.json")
    verify_signature(headers, body, CAPTURED_SECRET)
    payload = json.loads(body)
    sim.add_repo(payload["repository"]["full_name"])
    with pytest.raises(NotFoundError, match=f"check suite {payload['check_suite']['id']}"):
        provider.parse_event("check_suite", payload)


def test_real_deliveries_of_other_apps_are_ignored(provider: GitHubProvider) -> None:
    _, body = captured("signed.check_run.created.json")
    assert provider.parse_event("check_run", json.loads(body)) is None
    failing = fixture("check_run.completed.failure.json")
    assert failing["check_run"]["app"]["slug"] == "github-actions"


def test_malformed_check_payloads_name_the_field(provider: GitHubProvider) -> None:
    with pytest.raises(PayloadError, match="check_run"):
        provider.parse_event("check_run", {"action": "completed"})
    bad = fixture("check_run.completed.failure.json")
    bad["check_run"]["id"] = "x"
    with pytest.raises(PayloadError, match=r"check_run\.id"):
        provider.parse_event("check_run", bad)


def test_a_fork_pull_request_run_gets_its_pull_request_by_sha(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    sha = "d" * 40
    number = sim.add_pull_request(REPO, head_branch="fix", head_sha=sha, fork_owner="someone")
    run_id = sim.add_run(REPO, head_sha=sha, event="pull_request", jobs=[SimJob("t", ["failure"])])
    payload = sim.workflow_run_event(run_id)
    assert payload["workflow_run"]["pull_requests"] == []
    event = provider.parse_event("workflow_run", payload)
    assert event is not None and event.run.pr_numbers == ()
    run = provider.get_run(REPO, str(run_id))
    assert run.pr_numbers == (number,)
    pushed = sim.add_run(REPO, head_sha="e" * 40, event="push")
    sim.clear_requests()
    assert provider.get_run(REPO, str(pushed)).pr_numbers == ()
    assert not any(r.path.endswith("/pulls") for r in sim.requests)  # no lookup for pushes
