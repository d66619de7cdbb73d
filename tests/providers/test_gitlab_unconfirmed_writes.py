"""Writes GitLab failed to confirm (a 5xx, a lost answer) with the real python-gitlab: never sent
twice, a clear error, and the steps that create something find it when it was made after all.

``apply_first=True`` faults make the simulator carry the write out and then answer 502 anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ci_rescue_core.errors import ProviderUnavailableError
from ci_rescue_core.provider import FileEdit, ProviderSettings
from ci_rescue_providers.gitlab import GitLabProvider, build_provider
from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob

REPO = "acme/app"
MARKER = "<!-- ci-rescue:incident:k9 -->"


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token="t") as simulator:
        simulator.add_project(REPO)
        yield simulator
        assert simulator.errors == []


def make(sim: GitLabSimulator, **options: Any) -> GitLabProvider:
    return build_provider(
        ProviderSettings(
            name="gitlab",
            base_url=sim.base_url,
            token="t",
            options={"max_retries": 2, "max_wait": 5.0, **options},
        )
    )


@pytest.fixture
def provider(sim: GitLabSimulator) -> Iterator[GitLabProvider]:
    adapter = make(sim)
    yield adapter
    adapter.close()


def posts(sim: GitLabSimulator, suffix: str) -> list[int]:
    """Statuses of the POSTs whose path ends with *suffix*."""
    return [r.status for r in sim.write_requests() if r.path.endswith(suffix)]


# -- CI writes -------------------------------------------------------------------------------


def test_a_retry_whose_answer_is_lost_is_sent_once_and_reported(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("test", ["failed", "success"])])
    run = provider.get_run(REPO, str(pipeline_id))
    sim.inject_fault("POST", r"/retry$", status=502, apply_first=True)
    with pytest.raises(ProviderUnavailableError, match="may have carried it out") as caught:
        provider.rerun_failed_jobs(run)
    assert caught.value.status == 502
    assert caught.value.resource == f"retry of the failed jobs of pipeline {pipeline_id} in {REPO}"
    assert posts(sim, "/retry") == [502]
    assert sim.retry_count(pipeline_id) == 1  # one retry of the budget, not two


def test_reads_still_retry_server_errors(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("test", ["failed"])])
    sim.inject_fault("GET", r"/pipelines/\d+/jobs$", status=502, times=2)
    assert [job.name for job in provider.list_jobs(provider.get_run(REPO, str(pipeline_id)))]
    jobs_gets = [r.status for r in sim.requests if r.path.endswith("/jobs")]
    assert jobs_gets[:3] == [502, 502, 200]


# -- issues ----------------------------------------------------------------------------------


def test_an_issue_that_was_not_made_fails_after_one_post(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("POST", r"/issues$", status=502)
    with pytest.raises(ProviderUnavailableError, match=r"POST /projects/acme%2Fapp/issues"):
        provider.open_issue(REPO, title="CI failure", body="details")
    assert posts(sim, "/issues") == [502]
    assert sim.get_issues(REPO) == []


def test_an_issue_made_despite_a_502_is_found_by_its_title_and_body(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("POST", r"/issues$", status=502, apply_first=True)
    ref = provider.open_issue(REPO, title="CI failure", body="details")
    assert ref.created and ref.number == "1"
    assert posts(sim, "/issues") == [502]
    assert [issue["title"] for issue in sim.get_issues(REPO)] == ["CI failure"]


def test_an_issue_made_despite_a_502_is_found_by_its_marker(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("POST", r"/issues$", status=502, apply_first=True)
    ref = provider.open_issue(
        REPO, title="CI failure", body=f"details\n{MARKER}", labels=["ci:rescue"], marker=MARKER
    )
    assert ref.created and ref.number == "1"
    again = provider.open_issue(
        REPO, title="CI failure", body=f"again\n{MARKER}", labels=["ci:rescue"], marker=MARKER
    )
    assert not again.created and again.number == "1"
    assert posts(sim, "/issues") == [502] and len(sim.get_issues(REPO)) == 1


def test_an_issue_whose_answer_times_out_is_found(sim: GitLabSimulator) -> None:
    adapter = make(sim, timeout=0.4)
    try:
        sim.inject_fault("POST", r"/issues$", status=None, delay=1.2)
        ref = adapter.open_issue(REPO, title="slow", body="answer lost")
    finally:
        adapter.close()
    assert ref.created and ref.number == "1"
    assert len(posts(sim, "/issues")) == 1 and len(sim.get_issues(REPO)) == 1


# -- merge requests --------------------------------------------------------------------------


def open_change(provider: GitLabProvider, **kwargs: Any) -> Any:
    return provider.open_change_request(
        REPO,
        branch="ci-rescue/pin",
        title="Pin requests",
        body="why",
        edits=[FileEdit("constraints.txt", "requests==2.32.0\n")],
        **kwargs,
    )


def test_a_merge_request_made_despite_a_502_is_used(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("POST", r"/merge_requests$", status=502, apply_first=True)
    change = open_change(provider)
    assert change.created and change.number == "1" and change.branch == "ci-rescue/pin"
    assert posts(sim, "/merge_requests") == [502]
    assert [mr["source_branch"] for mr in sim.get_merge_requests(REPO)] == ["ci-rescue/pin"]
    assert "ci-rescue/pin" in sim.get_branches(REPO)  # the branch was kept for it


def test_a_merge_request_that_was_not_made_leaves_nothing_behind(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("POST", r"/merge_requests$", status=502)
    with pytest.raises(ProviderUnavailableError, match="merge request from ci-rescue/pin"):
        open_change(provider)
    assert posts(sim, "/merge_requests") == [502]
    assert sim.get_merge_requests(REPO) == []
    assert sim.get_branches(REPO) == ["main"]


def test_a_commit_made_despite_a_502_still_gets_its_merge_request(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("POST", r"/repository/commits$", status=502, apply_first=True)
    change = open_change(provider)
    assert change.created
    assert posts(sim, "/repository/commits") == [502]
    assert sim.get_file(REPO, "constraints.txt", ref="ci-rescue/pin") == "requests==2.32.0\n"


def test_auto_merge_taken_despite_a_502_is_reported(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("PUT", r"/merge$", status=502, apply_first=True)
    change = open_change(provider, auto_merge=True)
    assert change.created and change.auto_merge
    assert len([r for r in sim.write_requests() if r.path.endswith("/merge")]) == 1
