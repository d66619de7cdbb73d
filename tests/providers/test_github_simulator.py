"""The GitHub simulator driven by the real PyGithub client (nothing mocked)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import github
import httpx
import pytest
from github.GithubRetry import GithubRetry

from ci_rescue_providers.simulators import GitHubSimulator, SimJob, format_actions_log
from ci_rescue_providers.simulators.github import MAX_ATTEMPTS, NotFoundError
from tests.support import corpus_dir

REPO = "acme/app"
SHA = "a" * 40


def make_client(sim: GitHubSimulator, token: str = "t", **kwargs: Any) -> github.Github:
    """A PyGithub client on the simulator: no throttling, no retries unless asked."""
    options: dict[str, Any] = {
        "base_url": sim.base_url,
        "auth": github.Auth.Token(token),
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
        "retry": None,
    }
    options.update(kwargs)
    return github.Github(**options)


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator() as simulator:
        simulator.add_repo(REPO)
        yield simulator
    assert simulator.errors == []


@pytest.fixture
def gh(sim: GitHubSimulator) -> Iterator[github.Github]:
    client = make_client(sim)
    yield client
    client.close()


def flaky_run(sim: GitHubSimulator) -> int:
    return sim.add_run(
        REPO,
        workflow="CI",
        head_sha=SHA,
        head_branch="main",
        event="push",
        jobs=[
            SimJob(name="test (3.11)", outcomes=["failure", "success"]),
            SimJob(name="lint", outcomes=["success"]),
        ],
    )


def absolute_urls(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from absolute_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from absolute_urls(item)
    elif isinstance(value, str) and value.startswith(("http://", "https://")):
        yield value


# -- runs, jobs and logs ---------------------------------------------------------------------


def test_repo_run_and_jobs(sim: GitHubSimulator, gh: github.Github) -> None:
    run_id = flaky_run(sim)
    repo = gh.get_repo(REPO)
    assert repo.full_name == REPO
    assert repo.default_branch == "main"
    assert gh.get_repo(repo.id).full_name == REPO  # /repositories/{id}

    run = repo.get_workflow_run(run_id)
    assert (run.id, run.status, run.conclusion, run.run_attempt) == (
        run_id,
        "completed",
        "failure",
        1,
    )
    assert (run.head_sha, run.head_branch, run.event, run.name) == (SHA, "main", "push", "CI")
    assert run.previous_attempt_url is None

    latest = {j.name: j for j in run.jobs()}
    assert {n: j.conclusion for n, j in latest.items()} == {
        "test (3.11)": "failure",
        "lint": "success",
    }
    failed = latest["test (3.11)"]
    assert failed.run_id == run_id and failed.run_attempt == 1 and failed.head_sha == SHA
    assert failed.workflow_name == "CI" and failed.labels == ["ubuntu-latest"]
    assert [s.conclusion for s in failed.steps].count("failure") == 1
    assert repo.get_workflow_job(failed.id).conclusion == "failure"
    assert [j.id for j in run.jobs(_filter="all")] == [j.id for j in run.jobs(_filter="latest")]


def test_every_absolute_url_is_on_base_url(sim: GitHubSimulator) -> None:
    run_id = flaky_run(sim)
    payloads = [sim.get_run(run_id), *sim.get_jobs(run_id), sim.workflow_run_event(run_id)]
    urls = [u for p in payloads for u in absolute_urls(p)]
    assert urls
    assert all(u.startswith(sim.base_url + "/") for u in urls), [
        u for u in urls if not u.startswith(sim.base_url)
    ]


def test_job_log_redirects_to_unauthenticated_blob(sim: GitHubSimulator, gh: github.Github) -> None:
    lines = [
        "##[group]Run pytest",
        "pytest -q",
        "##[endgroup]",
        "FAILED tests/test_x.py::test_y",
        "##[error]Process completed with exit code 1.",
    ]
    start = datetime(2025, 4, 7, 12, 57, 33, 294317, tzinfo=timezone.utc)
    text = format_actions_log(lines, start=start)
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"], log=text)])
    job = next(iter(gh.get_repo(REPO).get_workflow_run(run_id).jobs()))

    location = job.logs_url()
    assert location.startswith(sim.base_url + "/_blobs/job-logs/")
    assert sim.requests[-1].status == 302
    with httpx.Client() as client:
        response = client.get(location)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.content.decode("utf-8") == text
    assert "authorization" not in sim.requests[-1].headers

    with httpx.Client() as client:  # a tampered signature is refused
        assert client.get(location.replace("sig=", "sig=0")).status_code == 403


def test_callable_log_gets_attempt_and_default_log_is_actions_format(sim: GitHubSimulator) -> None:
    run_id = sim.add_run(
        REPO,
        jobs=[
            SimJob("flaky", ["failure", "success"], log=lambda attempt: f"attempt {attempt}\n"),
            SimJob("generated", ["failure"]),
        ],
    )
    jobs = sim.get_jobs(run_id)
    assert sim.get_job_log(jobs[0]["id"]) == b"attempt 1\n"
    generated = sim.get_job_log(jobs[1]["id"]).decode("utf-8")
    assert generated.startswith("\ufeff")
    assert re.match(r"^\ufeff\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z ", generated)
    assert "##[error]Process completed with exit code 1." in generated

    with make_client(sim) as gh:
        gh.get_repo(REPO).get_workflow_run(run_id).rerun_failed_jobs()
    new_flaky = sim.get_jobs(run_id)[0]
    assert new_flaky["conclusion"] == "success"
    assert sim.get_job_log(new_flaky["id"]) == b"attempt 2\n"


def test_rerun_failed_jobs_creates_new_attempt(sim: GitHubSimulator, gh: github.Github) -> None:
    run_id = flaky_run(sim)
    repo = gh.get_repo(REPO)
    run = repo.get_workflow_run(run_id)
    first_ids = {j.name: j.id for j in run.jobs()}

    assert run.rerun_failed_jobs() is True
    assert [r.path for r in sim.write_requests()] == [
        f"/repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs"
    ]

    run = repo.get_workflow_run(run_id)
    assert (run.run_attempt, run.conclusion) == (2, "success")
    assert (
        run.previous_attempt_url == f"{sim.base_url}/repos/{REPO}/actions/runs/{run_id}/attempts/1"
    )
    assert run.get_attempt(1).conclusion == "failure"

    latest = {j.name: j for j in run.jobs()}
    assert {n: (j.run_attempt, j.conclusion) for n, j in latest.items()} == {
        "test (3.11)": (2, "success"),
        "lint": (2, "success"),
    }
    assert not set(first_ids.values()) & {j.id for j in latest.values()}  # new ids for every job
    every = list(run.jobs(_filter="all"))
    assert sorted((j.run_attempt, j.name) for j in every) == [
        (1, "lint"), (1, "test (3.11)"), (2, "lint"), (2, "test (3.11)"),
    ]  # fmt: skip
    # Only the failed job ran again: the carried-over job keeps its original timing.
    old_lint = repo.get_workflow_job(first_ids["lint"])
    assert latest["lint"].started_at == old_lint.started_at
    assert latest["test (3.11)"].started_at > old_lint.completed_at

    # Nothing failed any more: GitHub has nothing to re-run.
    with pytest.raises(github.GithubException) as excinfo:
        gh.requester.requestJsonAndCheck("POST", f"{run.url}/rerun-failed-jobs")
    assert excinfo.value.status == 403


def test_single_job_rerun_and_attempt_jobs_via_requester(
    sim: GitHubSimulator, gh: github.Github
) -> None:
    run_id = sim.add_run(
        REPO,
        jobs=[
            SimJob("build"),
            SimJob("test", ["success", "failure"], needs=["build"]),
            SimJob("docs"),
        ],
    )
    repo = gh.get_repo(REPO)
    test_job = next(j for j in repo.get_workflow_run(run_id).jobs() if j.name == "test")

    _, data = gh.requester.requestJsonAndCheck(
        "POST", f"{repo.url}/actions/jobs/{test_job.id}/rerun"
    )
    assert data == {}
    assert sim.get_run(run_id)["run_attempt"] == 2

    _, attempt2 = gh.requester.requestJsonAndCheck(
        "GET", f"{repo.url}/actions/runs/{run_id}/attempts/2/jobs"
    )
    by_name = {j["name"]: j for j in attempt2["jobs"]}
    assert attempt2["total_count"] == 3
    assert by_name["test"]["conclusion"] == "failure"  # its second outcome
    assert (
        by_name["build"]["conclusion"] == "success" and by_name["docs"]["conclusion"] == "success"
    )
    assert sim.get_run(run_id)["conclusion"] == "failure"

    # A job of an older attempt cannot be re-run.
    with pytest.raises(github.GithubException) as excinfo:
        gh.requester.requestJsonAndCheck("POST", f"{repo.url}/actions/jobs/{test_job.id}/rerun")
    assert excinfo.value.status == 403


def test_needs_skip_dependents_and_rerun_them(sim: GitHubSimulator) -> None:
    run_id = sim.add_run(
        REPO, jobs=[SimJob("build", ["failure", "success"]), SimJob("deploy", needs=["build"])]
    )
    assert [j["conclusion"] for j in sim.get_jobs(run_id)] == ["failure", "skipped"]
    with make_client(sim) as gh:
        assert gh.get_repo(REPO).get_workflow_run(run_id).rerun_failed_jobs()
    assert [j["conclusion"] for j in sim.get_jobs(run_id)] == ["success", "success"]


def test_full_rerun_cancel_and_attempt_limit(sim: GitHubSimulator, gh: github.Github) -> None:
    run_id = flaky_run(sim)
    run = gh.get_repo(REPO).get_workflow_run(run_id)
    assert run.rerun() is True
    jobs = sim.get_jobs(run_id)
    assert {j["name"]: j["conclusion"] for j in jobs} == {
        "test (3.11)": "success",
        "lint": "success",
    }
    assert run.cancel() is True
    assert sim.cancel_requests(run_id) == 1

    for _ in range(MAX_ATTEMPTS - 2):
        run.rerun()
    assert sim.get_run(run_id)["run_attempt"] == MAX_ATTEMPTS
    with pytest.raises(github.GithubException) as excinfo:
        gh.requester.requestJsonAndCheck("POST", f"{run.url}/rerun")
    assert excinfo.value.status == 403
    assert "maximum" in excinfo.value.data["message"]


def test_workflow_runs_filters_and_pagination(sim: GitHubSimulator) -> None:
    ids = [
        sim.add_run(REPO, head_sha=SHA, jobs=[SimJob("t", ["failure" if i % 2 else "success"])])
        for i in range(5)
    ]
    sim.add_run(
        REPO, head_sha="b" * 40, head_branch="feature", event="pull_request", pull_requests=[7]
    )
    with make_client(sim, per_page=2) as gh:
        repo = gh.get_repo(REPO)
        runs = repo.get_workflow_runs(head_sha=SHA)
        assert runs.totalCount == 5
        assert [r.id for r in runs] == sorted(ids, reverse=True)  # newest first, across 3 pages
        assert [r.id for r in repo.get_workflow_runs(status="failure")] == [ids[3], ids[1]]
        assert repo.get_workflow_runs(status="completed").totalCount == 6
        # PyGithub's annotation says Branch, but it sends plain strings as they are.
        feature = repo.get_workflow_runs(branch="feature", event="pull_request")  # type: ignore[arg-type]
        (pr_run,) = list(feature)
        assert pr_run.pull_requests[0].number == 7
    pages = [
        r
        for r in sim.requests
        if r.path.endswith("/actions/runs") and r.query.get("head_sha") == SHA
    ]
    assert any(r.query.get("page") == "3" for r in pages)

    with httpx.Client(headers={"Authorization": "Bearer t"}) as client:
        response = client.get(
            f"{sim.base_url}/repos/{REPO}/actions/runs", params={"per_page": 2, "page": 2}
        )
    links = response.headers["link"]
    assert f'<{sim.base_url}/repos/{REPO}/actions/runs?per_page=2&page=3>; rel="next"' in links
    assert 'rel="prev"' in links and 'rel="last"' in links and 'rel="first"' in links
    assert response.json()["total_count"] == 6


# -- issues and labels -----------------------------------------------------------------------


def test_issue_with_labels_search_comment_and_close(
    sim: GitHubSimulator, gh: github.Github
) -> None:
    repo = gh.get_repo(REPO)
    repo.create_label("ci-rescue", "0e8a16", description="Opened by ci-rescue")
    issue = repo.create_issue(
        title="Flaky: test_y", body="details", labels=["ci-rescue", "flaky"], assignees=["alice"]
    )
    assert issue.number == 1 and issue.state == "open"
    assert issue.html_url == f"{sim.base_url}/{REPO}/issues/1"
    assert sorted(label.name for label in issue.labels) == ["ci-rescue", "flaky"]
    assert repo.get_label("flaky").color == "ededed"  # auto-created like GitHub
    repo.create_issue(title="Other", labels=["ci-rescue"])

    found = list(repo.get_issues(state="open", labels=["ci-rescue", "flaky"]))
    assert [i.number for i in found] == [1]

    comment = found[0].create_comment("Seen again on attempt 2")
    assert comment.body == "Seen again on attempt 2"
    assert [c.body for c in repo.get_issue(1).get_comments()] == ["Seen again on attempt 2"]
    assert [c["body"] for c in sim.get_issue_comments(REPO, 1)] == ["Seen again on attempt 2"]

    issue.edit(state="closed")
    assert [i.number for i in repo.get_issues(state="closed")] == [1]
    assert [i["state"] for i in sim.get_issues(REPO)] == ["closed", "open"]


def test_labels_conflict_and_missing(sim: GitHubSimulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    with pytest.raises(github.UnknownObjectException):
        repo.get_label("nope")
    repo.create_label("flaky", "ff0000")
    with pytest.raises(github.GithubException) as excinfo:
        repo.create_label("Flaky", "00ff00")
    assert excinfo.value.status == 422
    assert [label.name for label in repo.get_labels()] == ["flaky"]


# -- errors and faults -----------------------------------------------------------------------


def test_bad_credentials() -> None:
    with GitHubSimulator(token="right") as sim:
        sim.add_repo(REPO)
        with make_client(sim, token="wrong") as gh, pytest.raises(github.BadCredentialsException):
            gh.get_repo(REPO)
        with make_client(sim, token="right") as gh:
            assert gh.get_repo(REPO).name == "app"
        with httpx.Client() as client:
            response = client.get(f"{sim.base_url}/repos/{REPO}")
        assert response.status_code == 401
        assert response.json()["message"] == "Bad credentials"
        assert "x-ratelimit-limit" in response.headers


def test_unknown_objects_are_404(sim: GitHubSimulator, gh: github.Github) -> None:
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/missing")
    repo = gh.get_repo(REPO)
    with pytest.raises(github.UnknownObjectException):
        repo.get_workflow_run(123)
    with pytest.raises(github.UnknownObjectException):
        repo.get_workflow_job(456)
    with pytest.raises(github.UnknownObjectException):
        repo.get_issue(99)
    with pytest.raises(NotFoundError):
        sim.get_run(123)


def test_injected_500_then_success(sim: GitHubSimulator, gh: github.Github) -> None:
    fault = sim.inject_fault("GET", rf"^/repos/{REPO}$", status=500)
    with pytest.raises(github.GithubException) as excinfo:
        gh.get_repo(REPO)
    assert excinfo.value.status == 500
    assert gh.get_repo(REPO).name == "app"
    assert fault.hits == 1 and fault.exhausted

    sim.inject_fault("GET", rf"^/repos/{REPO}$", status=502, times=2)
    retrying = make_client(sim, retry=GithubRetry(total=3, backoff_factor=0))
    try:
        assert retrying.get_repo(REPO).name == "app"
    finally:
        retrying.close()
    assert [r.status for r in sim.requests[-3:]] == [502, 502, 200]


def test_injected_429_with_retry_after(sim: GitHubSimulator, gh: github.Github) -> None:
    run_id = flaky_run(sim)
    sim.inject_fault("GET", r"/actions/runs/\d+$", status=429, headers={"Retry-After": "0"})
    with pytest.raises(github.GithubException) as excinfo:
        gh.get_repo(REPO).get_workflow_run(run_id)
    assert excinfo.value.status == 429
    assert excinfo.value.headers is not None and excinfo.value.headers["retry-after"] == "0"

    sim.inject_fault("GET", r"/actions/runs/\d+$", status=429, headers={"Retry-After": "0"})
    retrying = make_client(sim, retry=GithubRetry(total=3, backoff_factor=0))
    try:
        assert retrying.get_repo(REPO).get_workflow_run(run_id).id == run_id
    finally:
        retrying.close()
    statuses = [r.status for r in sim.requests if r.path.endswith(f"/runs/{run_id}")]
    assert statuses == [429, 429, 200]


def test_primary_rate_limit_is_enforced() -> None:
    with GitHubSimulator(rate_limit=2) as sim:
        sim.add_repo(REPO)
        with make_client(sim) as gh:
            gh.get_repo(REPO)
            assert gh.rate_limiting == (1, 2)
            gh.get_repo(REPO)
            with pytest.raises(github.RateLimitExceededException):
                gh.get_repo(REPO)


def test_slow_and_truncated_responses(sim: GitHubSimulator) -> None:
    url = f"{sim.base_url}/repos/{REPO}"
    sim.inject_fault("GET", "^/repos/", status=None, delay=0.2)
    with httpx.Client(headers={"Authorization": "token t"}) as client:
        began = time.monotonic()
        assert client.get(url).status_code == 200
        assert time.monotonic() - began >= 0.2

        sim.inject_fault("GET", "^/repos/", status=None, truncate=True)
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(url)
        assert client.get(url).json()["full_name"] == REPO


def test_bad_requests_do_not_kill_the_server(sim: GitHubSimulator) -> None:
    headers = {"Authorization": "token t"}
    with httpx.Client(headers=headers) as client:
        bad = client.post(f"{sim.base_url}/repos/{REPO}/issues", content=b"{not json")
        assert (bad.status_code, bad.json()["message"]) == (400, "Problems parsing JSON")
        missing = client.get(f"{sim.base_url}/no/such/route")
        assert (missing.status_code, missing.json()["message"]) == (404, "Not Found")
        invalid = client.post(f"{sim.base_url}/repos/{REPO}/issues", json={"body": "no title"})
        assert invalid.status_code == 422

    host, port = sim.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"\x00\xffgarbage\r\n\r\n")
        raw.recv(1024)
    with httpx.Client(headers=headers) as client:
        assert client.get(f"{sim.base_url}/repos/{REPO}").status_code == 200


def test_concurrent_clients(sim: GitHubSimulator) -> None:
    run_ids = [flaky_run(sim) for _ in range(4)]
    failures: list[BaseException] = []

    def worker(run_id: int) -> None:
        try:
            with make_client(sim) as gh:
                repo = gh.get_repo(REPO)
                repo.get_workflow_run(run_id).rerun_failed_jobs()
                repo.create_issue(title=f"run {run_id}", labels=["ci-rescue"])
                list(repo.get_workflow_run(run_id).jobs(_filter="all"))
        except BaseException as error:  # collected and re-raised in the main thread
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert all(sim.get_run(run_id)["run_attempt"] == 2 for run_id in run_ids)
    assert sorted(i["number"] for i in sim.get_issues(REPO)) == [1, 2, 3, 4]
    assert len(sim.get_labels(REPO)) == 1


def test_write_requests_empty_after_reads(sim: GitHubSimulator, gh: github.Github) -> None:
    run_id = flaky_run(sim)
    repo = gh.get_repo(REPO)
    run = repo.get_workflow_run(run_id)
    list(run.jobs(_filter="all"))
    list(repo.get_issues(state="all"))
    assert sim.requests and sim.write_requests() == []


# -- webhooks --------------------------------------------------------------------------------


def _corpus() -> Path:
    return corpus_dir()


@pytest.mark.corpus
def test_workflow_run_event_matches_real_delivery(sim: GitHubSimulator) -> None:
    real_file = (
        _corpus()
        / "webhooks/github/captured/daeuniverse-automation-bot/workflow_run.completed.json"
    )
    real = json.loads(real_file.read_text(encoding="utf-8"))
    event = sim.workflow_run_event(flaky_run(sim))
    assert list(event) == list(real)
    assert set(event["workflow_run"]) == set(real["workflow_run"])
    assert set(event["workflow"]) == set(real["workflow"])
    assert set(event["workflow_run"]["repository"]) == set(real["workflow_run"]["repository"])
    assert set(event["repository"]) <= set(real["repository"]) | {"custom_properties"}
    run = event["workflow_run"]
    assert (run["conclusion"], run["status"], run["run_attempt"]) == ("failure", "completed", 1)
    assert run["jobs_url"] == f"{sim.base_url}/repos/{REPO}/actions/runs/{run['id']}/jobs"


@pytest.mark.corpus
def test_workflow_job_event_matches_real_delivery(sim: GitHubSimulator) -> None:
    real_file = (
        _corpus()
        / "webhooks/github/octokit/workflow_job/completed.failure.with-organization.payload.json"
    )
    real = json.loads(real_file.read_text(encoding="utf-8"))
    job_id = sim.get_jobs(flaky_run(sim))[0]["id"]
    event = sim.workflow_job_event(job_id)
    assert set(real) <= set(event)
    assert set(event["workflow_job"]) == set(real["workflow_job"])
    assert set(event["workflow_job"]["steps"][0]) == set(real["workflow_job"]["steps"][0])
    assert event["workflow_job"]["conclusion"] == "failure"
    queued = sim.workflow_job_event(job_id, action="queued")["workflow_job"]
    assert (queued["status"], queued["conclusion"], queued["steps"]) == ("queued", None, [])


def test_webhook_delivery_is_signed() -> None:
    headers, body = GitHubSimulator.webhook_delivery(
        "ping", {"zen": "x"}, secret="It's a Secret to Everybody"
    )
    assert headers["X-GitHub-Event"] == "ping"
    assert headers["X-Hub-Signature-256"].startswith("sha256=")
    assert json.loads(body) == {"zen": "x"}


# -- log formatting and lifecycle ------------------------------------------------------------


def test_format_actions_log() -> None:
    start = datetime(2025, 4, 7, 12, 57, 33, 294317, tzinfo=timezone.utc)
    text = format_actions_log(
        ["##[group]Run pytest", "##[endgroup]", "##[error]Process completed with exit code 1."],
        start=start,
    )
    assert text.startswith("\ufeff2025-04-07T12:57:33.2943170Z ##[group]Run pytest\n")
    stamps = [line.split(" ", 1)[0].lstrip("\ufeff") for line in text.splitlines()]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", s) for s in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert text.endswith(" ##[error]Process completed with exit code 1.\n")
    assert format_actions_log([]) == ""


def test_simjob_validation() -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        SimJob("x", ["fail"])
    with pytest.raises(ValueError, match="outcomes must not be empty"):
        SimJob("x", [])
    with GitHubSimulator() as sim:
        sim.add_repo(REPO)
        with pytest.raises(ValueError, match="needs"):
            sim.add_run(REPO, jobs=[SimJob("a", needs=["b"]), SimJob("b")])


def test_stop_releases_threads_and_port() -> None:
    before = threading.active_count()
    sim = GitHubSimulator()
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    sim.start()
    sim.add_repo(REPO)
    base_url = sim.base_url
    gh = make_client(sim)
    gh.get_repo(REPO)  # leaves a keep-alive connection open on the server
    sim.stop()
    gh.close()
    sim.stop()  # idempotent
    assert threading.active_count() == before
    with pytest.raises(httpx.ConnectError), httpx.Client() as client:
        client.get(base_url)


def test_issue_comment_label_and_pull_lists_page_through_pygithub(sim: GitHubSimulator) -> None:
    for branch in ("a", "b", "c"):
        sim.add_branch(REPO, branch)
        sim.add_pull_request(REPO, head_branch=branch)  # pulls 1-3
    with make_client(sim, per_page=2) as gh:
        repo = gh.get_repo(REPO)
        first = repo.create_issue(title="four", labels=["l4"])
        repo.create_issue(title="five", labels=["l5"])
        repo.create_issue(title="six", labels=["l6"])
        for text in ("c1", "c2", "c3"):
            first.create_comment(text)
        # Every list below spans at least two pages of two.
        assert [i.number for i in repo.get_issues(state="all")] == [6, 5, 4, 3, 2, 1]
        assert [c.body for c in first.get_comments()] == ["c1", "c2", "c3"]
        assert [label.name for label in repo.get_labels()] == ["l4", "l5", "l6"]
        assert [p.head.ref for p in repo.get_pulls(state="all")] == ["c", "b", "a"]
    second_pages = {r.path.rsplit("/", 1)[-1] for r in sim.requests if r.query.get("page") == "2"}
    assert second_pages == {"issues", "comments", "labels", "pulls"}
