"""The GitLab adapter's reads with the real python-gitlab against the simulator: runs and
attempts, jobs, traces, history, test reports, files and owners."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ci_rescue_core.errors import PayloadError, ProviderUnavailableError
from ci_rescue_core.models import RunRef
from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.gitlab import GitLabProvider, build_provider
from ci_rescue_providers.gitlab.attempts import ROUND_GAP_SECONDS
from ci_rescue_providers.simulators.gitlab import (
    GitLabSimulator,
    SimJob,
    SimTestCase,
    format_gitlab_log,
)

REPO = "acme/app"


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token="t") as simulator:
        simulator.add_project(REPO, files={"src/app.py": "print('hi')\n"})
        yield simulator
        assert simulator.errors == []


@pytest.fixture
def provider(sim: GitLabSimulator) -> Iterator[GitLabProvider]:
    adapter = build_provider(
        ProviderSettings(name="gitlab", base_url=sim.base_url, token="t", webhook_secret="s")
    )
    yield adapter
    adapter.close()


def names(jobs: list[dict[str, object]]) -> list[object]:
    return [job["name"] for job in jobs]


# -- runs and attempts -----------------------------------------------------------------------


def test_a_pipeline_is_a_run(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    pipeline_id = sim.add_pipeline(REPO, sha="a" * 40, jobs=[SimJob("test", ["failed"])])
    run = provider.get_run(REPO, str(pipeline_id))
    assert (run.provider, run.repo, run.run_id, run.attempt) == (
        "gitlab",
        REPO,
        str(pipeline_id),
        1,
    )
    assert run.status == "completed" and run.conclusion == "failed" and run.failed
    assert run.head_sha == "a" * 40 and run.head_branch == "main" and run.event == "push"
    assert run.url == f"{sim.base_url}/{REPO}/-/pipelines/{pipeline_id}"
    assert run.created_at is not None


def test_a_pipeline_retry_is_the_next_attempt(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO,
        jobs=[SimJob("a", ["failed", "success"]), SimJob("b", ["failed", "success"]), SimJob("c")],
    )
    run = provider.get_run(REPO, str(pipeline_id))
    provider.rerun_failed_jobs(run)
    again = provider.get_run(REPO, str(pipeline_id))
    assert again.attempt == 2 and again.conclusion == "success"
    first = {job.name: job for job in provider.list_jobs(run)}
    second = {job.name: job for job in provider.list_jobs(again)}
    assert {n: j.conclusion for n, j in first.items()} == {
        "a": "failed",
        "b": "failed",
        "c": "success",
    }
    assert {n: j.conclusion for n, j in second.items()} == {n: "success" for n in "abc"}
    assert first["c"].job_id == second["c"].job_id  # never re-run
    assert first["a"].job_id != second["a"].job_id


def test_every_retry_raises_the_attempt_whoever_asked(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("a", ["failed", "failed", "success"]), SimJob("b", ["failed"])]
    )

    def retry(name: str) -> int:
        run = provider.get_run(REPO, str(pipeline_id))
        job = next(j for j in provider.list_jobs(run) if j.name == name)
        provider.rerun_jobs(run, [job.job_id])
        return provider.get_run(REPO, str(pipeline_id)).attempt

    assert retry("a") == 2
    sim.advance(60)  # the retried job ran; later, another job is retried on its own
    assert retry("b") == 3
    assert retry("a") == 3  # asked while b's retry still runs: it joins that round
    assert retry("a") == 4  # a name twice in one round: a new round
    sim.advance(ROUND_GAP_SECONDS + 1)
    assert retry("b") == 5
    first = RunRef(provider="gitlab", repo=REPO, run_id=str(pipeline_id), attempt=2)
    assert sorted((j.name, j.conclusion) for j in provider.list_jobs(first)) == [
        ("a", "failed"),
        ("b", "failed"),
    ]
    assert len(sim.get_jobs(pipeline_id, include_retried=True)) == 7


def test_jobs_retried_together_are_one_round(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob(f"cell {i}/3", ["failed", "success"]) for i in (1, 2, 3)]
    )
    run = provider.get_run(REPO, str(pipeline_id))
    ids = [job.job_id for job in provider.list_jobs(run)][:2]
    provider.rerun_jobs(run, ids)
    again = provider.get_run(REPO, str(pipeline_id))
    assert again.attempt == 2
    assert sorted(j.name for j in provider.list_jobs(again) if not j.failed) == [
        "cell 1/3",
        "cell 2/3",
    ]


def test_allowed_failures_and_failure_reasons(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO,
        jobs=[
            SimJob("flaky-infra", ["failed:runner_system_failure"]),
            SimJob("docs", ["failed"], allow_failure=True),
            SimJob("test: [3.12, alpine]", ["success"]),
        ],
    )
    jobs = {job.name: job for job in provider.list_jobs(provider.get_run(REPO, str(pipeline_id)))}
    assert jobs["flaky-infra"].failed
    assert jobs["flaky-infra"].failure_reason == "runner_system_failure"
    assert not jobs["docs"].failed and jobs["docs"].conclusion == "allowed_failure"
    assert jobs["docs"].failure_reason == "script_failure"
    assert jobs["test: [3.12, alpine]"].matrix == ("3.12", "alpine")
    assert jobs["test: [3.12, alpine]"].failure_reason is None
    assert jobs["flaky-infra"].runner == "shared-runners-manager-1.gitlab.com"


def test_a_later_stage_is_skipped_then_run_by_the_retry(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("build", ["failed", "success"]), SimJob("deploy", stage="deploy")]
    )
    run = provider.get_run(REPO, str(pipeline_id))
    assert {j.name: j.conclusion for j in provider.list_jobs(run)}["deploy"] == "skipped"
    provider.rerun_failed_jobs(run)
    again = provider.get_run(REPO, str(pipeline_id))
    assert {j.name: j.conclusion for j in provider.list_jobs(again)} == {
        "build": "success",
        "deploy": "success",
    }


def test_a_stale_delivery_shows_its_own_attempt(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("test", ["failed", "failed"])])
    old_pipeline = sim.pipeline_event(pipeline_id)
    old_job = sim.job_event(sim.get_jobs(pipeline_id)[0]["id"])
    provider.rerun_failed_jobs(provider.get_run(REPO, str(pipeline_id)))
    for kind, payload in (("pipeline", old_pipeline), ("job", old_job)):
        stale = provider.parse_event(kind, payload)
        assert stale is not None and stale.run.attempt == 1
    fresh = provider.parse_event("pipeline", sim.pipeline_event(pipeline_id))
    assert (
        fresh is not None
        and fresh.run.attempt == 2 == provider.get_run(REPO, fresh.run.run_id).attempt
    )


def test_a_job_event_naming_the_project_by_id_gets_the_path(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("test", ["failed"])])
    payload = sim.job_event(sim.get_jobs(pipeline_id)[0]["id"])
    del payload["project"]  # like go-gitlab's captured delivery
    event = provider.parse_event("Job Hook", payload)
    assert event is not None and event.run.repo.isdigit()
    assert provider.get_run(event.run.repo, event.run.run_id).repo == REPO


def test_non_numeric_ids_are_payload_errors(provider: GitLabProvider) -> None:
    with pytest.raises(PayloadError, match="pipeline id must be numeric"):
        provider.get_run(REPO, "abc")


# -- traces ----------------------------------------------------------------------------------


def test_a_big_trace_streams_in_chunks(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    lines = [f"line {i}: " + "x" * 100 for i in range(6000)] + ["AssertionError: marker-42"]
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("test", ["failed"], log=format_gitlab_log(lines))]
    )
    [job] = provider.list_jobs(provider.get_run(REPO, str(pipeline_id)))
    with provider.open_log(job) as chunks:
        pieces = list(chunks)
    assert len(pieces) > 1
    assert all(len(piece) <= 256 * 1024 for piece in pieces)
    data = b"".join(pieces)
    assert data == sim.get_trace(int(job.job_id))
    assert b"AssertionError: marker-42" in data and b"section_start:" in data


def test_a_truncated_trace_is_a_provider_error(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("test", ["failed"], log="y" * 600_000)])
    [job] = provider.list_jobs(provider.get_run(REPO, str(pipeline_id)))
    sim.inject_fault("GET", r"/trace$", status=None, truncate=True)
    with (
        pytest.raises(ProviderUnavailableError, match="trace of job"),
        provider.open_log(job) as chunks,
    ):
        b"".join(chunks)


# -- history ---------------------------------------------------------------------------------


def test_history_by_sha_branch_and_status(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    sha = "c" * 40
    green = sim.add_pipeline(REPO, sha=sha, jobs=[SimJob("test")])
    red = sim.add_pipeline(REPO, sha=sha, jobs=[SimJob("test", ["failed", "success"])])
    running = sim.add_pipeline(REPO, sha=sha, jobs=[SimJob("test", ["running"])])
    other = sim.add_pipeline(REPO, ref="feature", sha="d" * 40, jobs=[SimJob("test", ["failed"])])
    provider.rerun_failed_jobs(provider.get_run(REPO, str(red)))

    by_sha = provider.list_runs(REPO, sha=sha)
    assert [r.run_id for r in by_sha] == [str(running), str(red), str(green)]
    assert [r.attempt for r in by_sha] == [1, 2, 1]
    assert [r.run_id for r in provider.list_runs(REPO, status="failed")] == [str(other)]
    assert str(running) not in {r.run_id for r in provider.list_runs(REPO, status="completed")}
    assert [r.run_id for r in provider.list_runs(REPO, branch="feature")] == [str(other)]
    assert len(provider.list_runs(REPO, limit=2)) == 2
    assert provider.list_runs(REPO, limit=0) == []


def test_history_pages_through_more_than_one_page(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    for _ in range(105):
        sim.add_pipeline(REPO, sha="e" * 40, jobs=[SimJob("test")])
    assert len(provider.list_runs(REPO, sha="e" * 40, limit=200)) == 105
    pages = [r for r in sim.requests if r.path.endswith("/pipelines") and r.method == "GET"]
    assert len(pages) == 2


# -- test reports, files, owners -------------------------------------------------------------


def test_test_results_come_from_the_pipeline_test_report(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    cases = [
        SimTestCase("test_total", classname="tests.test_cart.TestCart", file="tests/test_cart.py",
                    message="assert 3402 == 3780"),
        SimTestCase("test_tax", classname="tests.test_cart", file="tests/test_cart.py",
                    status="success"),
        SimTestCase("test_slow", classname="tests.test_cart", status="skipped"),
    ]  # fmt: skip
    pipeline_id = sim.add_pipeline(
        REPO,
        jobs=[
            SimJob("pytest 1/2", ["failed"], tests=cases),
            SimJob("lint", tests=[SimTestCase("ruff", status="success")]),
        ],
    )
    jobs = {j.name: j for j in provider.list_jobs(provider.get_run(REPO, str(pipeline_id)))}
    results = {r.test_id: r for r in provider.test_results(jobs["pytest 1/2"])}
    assert set(results) == {
        "tests/test_cart.py::TestCart::test_total",
        "tests/test_cart.py::test_tax",
        "tests.test_cart::test_slow",
    }
    failed = results["tests/test_cart.py::TestCart::test_total"]
    assert failed.outcome == "fail" and "3402" in failed.message
    assert failed.file == "tests/test_cart.py" and failed.duration == pytest.approx(0.05)
    assert results["tests/test_cart.py::test_tax"].outcome == "pass"
    assert results["tests.test_cart::test_slow"].outcome == "skip"
    assert [r.test_id for r in provider.test_results(jobs["lint"])] == ["ruff"]


def test_read_file_at_a_ref_and_a_missing_file(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    assert provider.read_file(REPO, "src/app.py") == "print('hi')\n"
    assert provider.read_file(REPO, "nope.txt") is None
    provider.open_change_request(
        REPO, branch="topic", title="t", body="", edits=[_edit("src/app.py", "print('bye')\n")]
    )
    assert provider.read_file(REPO, "src/app.py", ref="topic") == "print('bye')\n"
    assert provider.read_file(REPO, "src/app.py") == "print('hi')\n"


@pytest.mark.parametrize("location", ["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"])
def test_owners_from_each_codeowners_location(location: str) -> None:
    codeowners = "* @everyone\n[Backend] @backend-lead\nsrc/\n/src/payments/ @payments\n"
    with GitLabSimulator(token="t") as sim:
        sim.add_project(REPO, files={location: codeowners, "src/app.py": ""})
        adapter = build_provider(ProviderSettings(name="gitlab", base_url=sim.base_url, token="t"))
        try:
            owners = adapter.resolve_owners(REPO, ["src/payments/pay.py", "README.md"])
        finally:
            adapter.close()
    assert owners == ["@everyone", "@payments"]


def test_the_first_codeowners_found_is_the_only_one_used() -> None:
    files = {"CODEOWNERS": "* @root-file\n", ".gitlab/CODEOWNERS": "* @gitlab-dir\n"}
    with GitLabSimulator(token="t") as sim:
        sim.add_project(REPO, files=files)
        adapter = build_provider(ProviderSettings(name="gitlab", base_url=sim.base_url, token="t"))
        try:
            assert adapter.resolve_owners(REPO, ["a.py"]) == ["@root-file"]
        finally:
            adapter.close()


def test_no_codeowners_means_no_owners(provider: GitLabProvider) -> None:
    assert provider.resolve_owners(REPO, ["src/app.py"]) == []


def _edit(path: str, content: str | None):  # type: ignore[no-untyped-def]
    from ci_rescue_core.provider import FileEdit

    return FileEdit(path, content)
