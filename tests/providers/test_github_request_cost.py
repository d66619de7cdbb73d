"""What GitHub reads cost: list endpoints take one request per page of 100, never one per item.

PyGithub's list items are partial objects; reading one's ``raw_data`` fetches it again. These
tests count the requests the simulator received, so a per-item ``GET`` shows up as a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ci_rescue_core.provider import FileEdit
from ci_rescue_providers.github import GitHubProvider
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.providers.github_support import REPO, running_simulator, unthrottled_provider


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with running_simulator() as simulator:
        yield simulator


@pytest.fixture
def provider(sim: GitHubSimulator) -> Iterator[GitHubProvider]:
    adapter = unthrottled_provider(sim)
    yield adapter
    adapter.close()


def requested(sim: GitHubSimulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.requests]


def add_runs(sim: GitHubSimulator, count: int) -> list[int]:
    return [
        sim.add_run(REPO, head_sha=f"{i:040x}", jobs=[SimJob("test", ["success"])])
        for i in range(count)
    ]


def test_the_jobs_of_an_8_job_run_cost_one_request(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    run_id = sim.add_run(
        REPO, jobs=[SimJob(f"test ({i})", ["failure" if i % 2 else "success"]) for i in range(8)]
    )
    run = provider.get_run(REPO, str(run_id))
    sim.clear_requests()
    jobs = provider.list_jobs(run)
    assert requested(sim) == [f"GET /repos/{REPO}/actions/runs/{run_id}/jobs"]
    assert {job.name: job.conclusion for job in jobs} == {
        f"test ({i})": "failure" if i % 2 else "success" for i in range(8)
    }
    assert all(job.url and job.started_at and job.runner for job in jobs)


def test_a_130_job_matrix_costs_two_pages(sim: GitHubSimulator, provider: GitHubProvider) -> None:
    run_id = sim.add_run(REPO, jobs=[SimJob(f"cell ({i})", ["failure"]) for i in range(130)])
    run = provider.get_run(REPO, str(run_id))
    sim.clear_requests()
    jobs = provider.list_jobs(run)
    assert sorted(job.matrix for job in jobs) == sorted((str(i),) for i in range(130))
    assert requested(sim) == [f"GET /repos/{REPO}/actions/runs/{run_id}/jobs"] * 2


def test_listing_runs_costs_one_request_per_100_runs(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    ids = add_runs(sim, 150)
    sim.clear_requests()
    assert len(provider.list_runs(REPO, limit=5)) == 5
    assert requested(sim) == [f"GET /repos/{REPO}/actions/runs"]
    sim.clear_requests()
    runs = provider.list_runs(REPO, limit=150)
    assert [run.run_id for run in runs] == [str(i) for i in reversed(ids)]
    assert requested(sim) == [f"GET /repos/{REPO}/actions/runs"] * 2


def test_a_listed_run_is_the_run_get_run_gives(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    run_id = sim.add_run(
        REPO, event="pull_request", pull_requests=[7], jobs=[SimJob("test", ["failure"])]
    )
    [listed] = provider.list_runs(REPO, status="failed")
    assert listed == provider.get_run(REPO, str(run_id))
    assert listed.pr_numbers == (7,) and listed.created_at is not None


def test_finding_the_incident_issue_reads_pages_not_issues(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    marker = "<!-- ci-rescue:incident:cost -->"
    for i in range(5):
        provider.open_issue(REPO, title=f"other {i}", body="unrelated", labels=["ci-rescue"])
    first = provider.open_issue(
        REPO, title="CI", body=f"a\n{marker}", labels=["ci-rescue"], marker=marker
    )
    sim.clear_requests()
    again = provider.open_issue(
        REPO, title="CI", body=f"b\n{marker}", labels=["ci-rescue"], marker=marker
    )
    assert not again.created and again.number == first.number
    assert requested(sim) == [
        f"GET /repos/{REPO}/issues",
        f"POST /repos/{REPO}/issues/{first.number}/comments",
    ]


def test_a_check_suite_costs_one_lookup(sim: GitHubSimulator, provider: GitHubProvider) -> None:
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"])])
    event = sim.check_suite_event(run_id)
    sim.clear_requests()
    parsed = provider.parse_event("check_suite", event)
    assert parsed is not None and parsed.run.run_id == str(run_id)
    assert requested(sim) == [f"GET /repos/{REPO}/actions/runs"]


def test_reusing_an_open_pull_request_costs_one_request(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    edits = [FileEdit("constraints.txt", "requests==2.32.0\n")]
    first = provider.open_change_request(REPO, branch="pin", title="Pin", body="", edits=edits)
    sim.clear_requests()
    again = provider.open_change_request(REPO, branch="pin", title="Pin", body="", edits=edits)
    assert not again.created and again.number == first.number
    assert requested(sim) == [f"GET /repos/{REPO}/pulls"]
