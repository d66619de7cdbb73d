"""The GitLab simulator as a public testing API: state, payload shapes, recording, faults —
driven by the real python-gitlab client (and httpx for raw HTTP details)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import httpx
import pytest

from ci_rescue_providers.simulators.gitlab import (
    GitLabSimulator,
    SimJob,
    SimTestCase,
    format_gitlab_log,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks" / "gitlab"
REPO = "acme/app"
#: Keys real deliveries carry only in some cases (child pipelines, docs-only variables...).
OPTIONAL_KEYS = {"source_pipeline"}


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token="t") as simulator:
        simulator.add_project(REPO, files={"README.md": "hi\n"})
        yield simulator
        assert simulator.errors == []


@pytest.fixture
def gl(sim: GitLabSimulator) -> Iterator[gitlab.Gitlab]:
    client = gitlab.Gitlab(sim.base_url, private_token="t", keep_base_url=True)
    yield client
    client.session.close()


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def keys(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value (list items merged)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            out |= keys(inner, path)
    elif isinstance(value, list):
        for item in value:
            out |= keys(item, f"{prefix}[]")
    return out


# -- payload shapes --------------------------------------------------------------------------


def _failing_pipeline(sim: GitLabSimulator) -> int:
    return sim.add_pipeline(
        REPO,
        jobs=[
            SimJob("build", stage="build"),
            SimJob("test", ["failed"]),
            SimJob("deploy", stage="deploy"),
        ],
        merge_request_iid=None,
    )


@pytest.mark.parametrize("fixture", ["docs.pipeline_event.json", "go-gitlab.pipeline.json"])
def test_pipeline_events_have_the_keys_of_real_ones(sim: GitLabSimulator, fixture: str) -> None:
    real = load(fixture)
    real["merge_request"] = None  # compared separately below
    ours = sim.pipeline_event(_failing_pipeline(sim))
    missing = {k for k in keys(real) - keys(ours) if k.split(".")[0] not in OPTIONAL_KEYS}
    missing -= {
        k
        for k in missing
        if k.startswith(("builds[].environment.", "object_attributes.variables[]"))
    }
    assert missing == set()


def test_merge_request_pipelines_carry_the_merge_request(sim: GitLabSimulator) -> None:
    real = load("docs.pipeline_event.json")["merge_request"]
    pipeline_id = sim.add_pipeline(REPO, merge_request_iid=4, source="merge_request_event")
    ours = sim.pipeline_event(pipeline_id)
    assert set(real) <= set(ours["merge_request"])
    assert ours["object_attributes"]["ref"] == "refs/merge-requests/4/head"


@pytest.mark.parametrize("fixture", ["docs.job_event.json", "go-gitlab.job.json"])
def test_job_events_have_the_keys_of_real_ones(sim: GitLabSimulator, fixture: str) -> None:
    real = load(fixture)
    pipeline_id = _failing_pipeline(sim)
    job = next(j for j in sim.get_jobs(pipeline_id) if j["name"] == "test")
    ours = sim.job_event(job["id"])
    missing = {
        k for k in keys(real) - keys(ours)
        if k.split(".")[0] not in OPTIONAL_KEYS and not k.startswith("environment.")
    }  # fmt: skip
    assert missing == set()
    assert ours["commit"]["id"] == pipeline_id  # like GitLab: the *pipeline* id
    assert ours["build_failure_reason"] == "script_failure"


def test_a_passing_job_reads_unknown_failure_like_gitlab(sim: GitLabSimulator) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("ok")])
    event = sim.job_event(sim.get_jobs(pipeline_id)[0]["id"])
    assert event["build_status"] == "success"
    assert event["build_failure_reason"] == "unknown_failure"


def test_builds_are_the_latest_per_job(sim: GitLabSimulator, gl: gitlab.Gitlab) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("t", ["failed", "success"])])
    gl.projects.get(REPO, lazy=True).pipelines.get(pipeline_id, lazy=True).retry()
    builds = sim.pipeline_event(pipeline_id)["builds"]
    assert [(b["name"], b["status"]) for b in builds] == [("t", "success")]
    assert sim.job_event(builds[0]["id"])["retries_count"] == 1


# -- CI state through python-gitlab ----------------------------------------------------------


def test_retries_make_new_jobs_and_process_later_stages(
    sim: GitLabSimulator, gl: gitlab.Gitlab
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO,
        jobs=[
            SimJob("unit", ["failed:stuck_or_timeout_failure", "success"]),
            SimJob("lint", ["success"]),
            SimJob("deploy", stage="deploy"),
        ],
    )
    project = gl.projects.get(REPO, lazy=True)
    pipeline = project.pipelines.get(pipeline_id)
    assert pipeline.status == "failed"
    failed = pipeline.jobs.list(scope=["failed"], get_all=True)
    assert [(j.name, j.failure_reason) for j in failed] == [("unit", "stuck_or_timeout_failure")]
    new = project.jobs.get(failed[0].id, lazy=True).retry()
    assert new["id"] != failed[0].id and new["name"] == "unit"
    assert project.pipelines.get(pipeline_id).status == "success"
    every = pipeline.jobs.list(include_retried=True, get_all=True)
    assert sorted(j.name for j in every) == ["deploy", "lint", "unit", "unit"]
    with pytest.raises(gitlab.exceptions.GitlabJobRetryError, match="not retryable"):
        project.jobs.get(failed[0].id, lazy=True).retry()  # not the newest any more
    assert sim.retry_count(pipeline_id) == 1


def test_traces_and_test_reports(sim: GitLabSimulator, gl: gitlab.Gitlab) -> None:
    log = format_gitlab_log(["$ pytest", "E   assert 1 == 2"], exit_code=2)
    case = SimTestCase("test_x", classname="tests.test_a", file="tests/test_a.py", message="boom")
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("pytest", ["failed"], log=log, tests=[case])])
    project = gl.projects.get(REPO, lazy=True)
    job_id = sim.get_jobs(pipeline_id)[0]["id"]
    trace = project.jobs.get(job_id, lazy=True).trace()
    assert b"section_start:" in trace and b"ERROR: Job failed: exit code 2" in trace
    report = project.pipelines.get(pipeline_id, lazy=True).test_report.get()
    assert report.failed_count == 1
    assert report.test_suites[0]["test_cases"][0]["stack_trace"] == "boom"


def test_default_traces_fit_the_outcome(sim: GitLabSimulator) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("a", ["failed:runner_system_failure"]), SimJob("b")]
    )
    a, b = sim.get_jobs(pipeline_id)
    assert b"ERROR: Job failed (system failure): runner_system_failure" in sim.get_trace(a["id"])
    assert b"Job succeeded" in sim.get_trace(b["id"])


def test_trace_callables_get_the_execution_number(sim: GitLabSimulator, gl: gitlab.Gitlab) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("t", ["failed", "success"], log=lambda n: f"run {n}")]
    )
    gl.projects.get(REPO, lazy=True).pipelines.get(pipeline_id, lazy=True).retry()
    traces = [sim.get_trace(j["id"]) for j in sim.get_jobs(pipeline_id, include_retried=True)]
    assert traces == [b"run 1", b"run 2"]


def test_pipeline_lists_filter_and_paginate(sim: GitLabSimulator) -> None:
    for i in range(25):
        sim.add_pipeline(
            REPO, sha=f"{i % 2:040x}", jobs=[SimJob("t", ["failed" if i % 5 else "success"])]
        )
    with httpx.Client(base_url=f"{sim.base_url}/api/v4", headers={"PRIVATE-TOKEN": "t"}) as http:
        page = http.get("/projects/acme%2Fapp/pipelines", params={"per_page": 10, "page": 2})
        assert page.status_code == 200 and len(page.json()) == 10
        assert page.headers["X-Total"] == "25" and page.headers["X-Total-Pages"] == "3"
        assert page.headers["X-Next-Page"] == "3" and page.headers["X-Prev-Page"] == "1"
        assert 'rel="next"' in page.headers["Link"]
        ids = [p["id"] for p in http.get("/projects/1/pipelines", params={"per_page": 100}).json()]
        assert ids == sorted(ids, reverse=True)
        failed = http.get("/projects/1/pipelines", params={"status": "failed", "sha": f"{1:040x}"})
        assert {p["status"] for p in failed.json()} == {"failed"}
        assert http.get("/projects/1/pipelines", params={"status": "bogus"}).status_code == 400


# -- repository and tracker ------------------------------------------------------------------


def test_commits_refuse_an_existing_branch_like_gitlab(
    sim: GitLabSimulator, gl: gitlab.Gitlab
) -> None:
    project = gl.projects.get(REPO, lazy=True)
    action = {"action": "create", "file_path": "a.txt", "content": "a"}
    project.commits.create(
        {"branch": "b", "start_branch": "main", "commit_message": "m", "actions": [action]}
    )
    with pytest.raises(gitlab.exceptions.GitlabCreateError, match="already exists"):
        project.commits.create(
            {"branch": "b", "start_branch": "main", "commit_message": "m", "actions": [action]}
        )
    with pytest.raises(gitlab.exceptions.GitlabCreateError, match="already exists"):
        project.commits.create({"branch": "b", "commit_message": "m", "actions": [action]})
    assert sim.get_file(REPO, "a.txt", ref="b") == "a" and sim.get_file(REPO, "a.txt") is None
    headers = project.files.head("a.txt", ref="b")
    assert headers["X-Gitlab-File-Path"] == "a.txt"


def test_labels_want_a_hash_colour(sim: GitLabSimulator, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(REPO, lazy=True)
    with pytest.raises(gitlab.exceptions.GitlabCreateError, match="color"):
        project.labels.create({"name": "x", "color": "D9534F"})
    project.labels.create({"name": "x", "color": "#D9534F"})
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as caught:
        project.labels.create({"name": "X", "color": "#D9534F"})
    assert caught.value.response_code == 409


def test_one_open_merge_request_per_branch(sim: GitLabSimulator, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(REPO, lazy=True)
    project.branches.create({"branch": "f", "ref": "main"})
    data = {"source_branch": "f", "target_branch": "main", "title": "t", "labels": ["a", "b"]}
    mr = project.mergerequests.create(data)
    assert mr.labels == ["a", "b"]
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as caught:
        project.mergerequests.create(data)
    assert caught.value.response_code == 409
    listed = project.mergerequests.list(state="opened", source_branch="f", get_all=True)
    assert [m.iid for m in listed] == [mr.iid]


# -- auth, routes, recording, faults ---------------------------------------------------------


def test_tokens_are_checked(sim: GitLabSimulator) -> None:
    with httpx.Client(base_url=f"{sim.base_url}/api/v4") as http:
        assert http.get("/projects/1").status_code == 401
        assert http.get("/projects/1", headers={"PRIVATE-TOKEN": "no"}).status_code == 401
        assert http.get("/projects/1", headers={"Authorization": "Bearer t"}).status_code == 200
        assert http.get("/projects/acme%2Fapp", headers={"PRIVATE-TOKEN": "t"}).json()["id"] == 1
        assert http.get("/projects/99", headers={"PRIVATE-TOKEN": "t"}).json() == {
            "message": "404 Project Not Found"
        }
        assert http.get("/nowhere", headers={"PRIVATE-TOKEN": "t"}).status_code == 404


def test_requests_are_recorded_and_faults_fire_then_stop(sim: GitLabSimulator) -> None:
    fault = sim.inject_fault("GET", r"/projects/1$", status=503, times=2, headers={"X-Why": "test"})
    with httpx.Client(base_url=f"{sim.base_url}/api/v4", headers={"PRIVATE-TOKEN": "t"}) as http:
        statuses = [http.get("/projects/1").status_code for _ in range(3)]
        bad = http.get("/projects/1/issues", params={"state": "weird"})
    assert statuses == [503, 503, 200] and fault.exhausted and fault.hits == 2
    assert bad.status_code == 400
    recorded = sim.requests
    assert [r.faulted for r in recorded] == [True, True, False, False]
    assert recorded[0].path == "/api/v4/projects/1" and recorded[0].headers["private-token"] == "t"
    assert recorded[3].query == {"state": "weird"}
    sim.clear_requests()
    assert sim.requests == []


def test_a_simulator_that_is_not_running_says_so() -> None:
    sim = GitLabSimulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = sim.base_url
    sim.stop()  # idempotent


@pytest.mark.parametrize(
    ("job", "message"),
    [
        (lambda: SimJob(""), "must not be empty"),
        (lambda: SimJob("x", []), "outcomes must not be empty"),
        (lambda: SimJob("x", ["green"]), "unknown outcome"),
        (lambda: SimTestCase("x", status="flaky"), "unknown status"),
    ],
)
def test_bad_seeds_are_refused(job: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        job()


def test_duplicate_job_names_and_unknown_stages_are_refused(sim: GitLabSimulator) -> None:
    with pytest.raises(ValueError, match="unique"):
        sim.add_pipeline(REPO, jobs=[SimJob("a"), SimJob("a")])
    with pytest.raises(ValueError, match="stages"):
        sim.add_pipeline(REPO, jobs=[SimJob("a", stage="qa")], stages=["build"])
    with pytest.raises(ValueError, match="already exists"):
        sim.add_project(REPO)
