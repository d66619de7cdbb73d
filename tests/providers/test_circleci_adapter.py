"""The CircleCI adapter beyond the contract: re-run chains, step output, history, test
results, the VCS companion, errors and faults — real httpx against the simulators."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import attrs
import pytest

from ci_rescue_core.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ci_rescue_core.models import RunRef
from ci_rescue_core.provider import Annotation, Capability, Provider, ProviderSettings
from ci_rescue_providers.circleci import CircleCIProvider, build_provider
from ci_rescue_providers.circleci.adapter import OWN_CAPABILITIES
from ci_rescue_providers.simulators.circleci import CircleCISimulator, SimJob, SimTest
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.providers.test_circleci_helpers import (
    CIRCLE_TOKEN,
    CIRCLE_TOKEN_ENV,
    GITHUB_TOKEN,
    GitHubRepo,
    build_circleci,
    build_github,
    delivery,
)

SLUG = "gh/acme/app"
REPO = "acme/app"
SHA = "a" * 40


@pytest.fixture
def github_sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token=GITHUB_TOKEN) as simulator:
        simulator.add_repo(REPO)
        yield simulator


@pytest.fixture
def sim() -> Iterator[CircleCISimulator]:
    with CircleCISimulator(token=CIRCLE_TOKEN, page_size=2) as simulator:
        simulator.add_project(SLUG)
        yield simulator
    assert simulator.errors == []
    assert simulator.credential_leaks == 0


@pytest.fixture
def github(github_sim: GitHubSimulator) -> Iterator[Provider]:
    provider = build_github(github_sim)
    yield provider
    provider.close()  # type: ignore[attr-defined]


@pytest.fixture
def provider(sim: CircleCISimulator, github: Provider) -> Iterator[CircleCIProvider]:
    adapter = build_circleci(sim, github=github)
    yield adapter
    adapter.close()


@pytest.fixture
def alone(sim: CircleCISimulator) -> Iterator[CircleCIProvider]:
    adapter = build_circleci(sim, github=None)
    yield adapter
    adapter.close()


def failing(sim: CircleCISimulator, outcomes: tuple[str, ...] = ("failed",), **kw: object) -> str:
    return sim.add_workflow(
        SLUG,
        [SimJob("test", list(outcomes), log="E   assert 3402 == 3780\n"), SimJob("lint")],
        revision=SHA,
        **kw,  # type: ignore[arg-type]
    )


# -- the re-run chain --------------------------------------------------------------------------


def test_a_rerun_is_the_next_attempt_of_the_same_run(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    first = failing(sim, ("failed", "failed"))
    run = provider.get_run(SLUG, first)
    assert (run.run_id, run.attempt, run.status, run.conclusion) == (
        first,
        1,
        "completed",
        "failed",
    )
    assert run.head_sha == SHA and run.head_branch == "main" and run.workflow == "build"
    assert run.url.endswith(f"/pipelines/github/acme/app/1/workflows/{first}")
    link = provider.rerun_failed_jobs(run)
    second = sim.rerun_chain(first)[1]
    assert link.endswith(f"/workflows/{second}")
    assert sim.rerun_requests(first) == [{"from_failed": True}]
    latest = provider.get_run(SLUG, first)
    assert (latest.run_id, latest.attempt) == (first, 2)
    assert provider.get_run(SLUG, second) == latest  # any member of the chain names the run
    assert latest.key != run.key
    one = {j.name: j.job_id for j in provider.list_jobs(run)}
    two = {j.name: j.job_id for j in provider.list_jobs(latest)}
    assert one["test"] != two["test"] and one["lint"] == two["lint"]  # lint was carried over


def test_deliveries_are_placed_in_their_chain(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    first = failing(sim, ("failed", "failed"))
    second = sim.rerun(first, from_failed=True)
    for workflow_id, attempt in ((first, 1), (second, 2)):
        event = provider.parse_event(
            "workflow-completed", sim.workflow_completed_event(workflow_id)
        )
        assert event is not None
        assert (event.run.run_id, event.run.attempt, event.run.repo) == (first, attempt, SLUG)
    job = next(j for j in sim.get_jobs(second) if j["name"] == "test")
    event = provider.parse_event("job-completed", sim.job_completed_event(job["id"]))
    assert event is not None and event.job is not None
    assert (event.run.attempt, event.job.run.attempt, event.job.job_id) == (2, 2, job["id"])
    assert event.is_failure


def test_a_superseded_attempt_is_not_rerun_twice(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    first = failing(sim, ("failed", "failed"))
    run = provider.get_run(SLUG, first)
    sim.rerun(first, from_failed=True)  # someone else re-ran it meanwhile
    with pytest.raises(ProviderError, match="already re-run"):
        provider.rerun_failed_jobs(run)
    assert len(sim.rerun_chain(first)) == 2


def test_an_attempt_that_does_not_exist(sim: CircleCISimulator, provider: CircleCIProvider) -> None:
    run = provider.get_run(SLUG, failing(sim))
    with pytest.raises(NotFoundError, match="has 1 attempt"):
        provider.list_jobs(attrs.evolve(run, attempt=3))


def test_rerun_of_chosen_jobs(sim: CircleCISimulator, provider: CircleCIProvider) -> None:
    first = sim.add_workflow(
        SLUG, [SimJob("a", ["failed", "success"]), SimJob("b", ["failed"]), SimJob("c")]
    )
    run = provider.get_run(SLUG, first)
    a = next(j for j in provider.list_jobs(run) if j.name == "a")
    provider.rerun_jobs(run, [a.job_id])
    assert sim.rerun_requests(first) == [{"jobs": [a.job_id]}]
    assert sim.jobs_rerun(first) == {"a"}
    with pytest.raises(ProviderError, match="at least one"):
        provider.rerun_jobs(provider.get_run(SLUG, first), [])


def test_approvals_are_skipped_and_not_run_jobs_kept(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    workflow_id = sim.add_workflow(
        SLUG,
        [
            SimJob("hold", approval=True),
            SimJob("test", ["failed"], requires=["hold"]),
            SimJob("deploy", requires=["test"]),
        ],
    )
    jobs = {j.name: j for j in provider.list_jobs(provider.get_run(SLUG, workflow_id))}
    assert set(jobs) == {"test", "deploy"}
    assert jobs["test"].failed and not jobs["deploy"].failed
    assert (jobs["deploy"].status, jobs["deploy"].conclusion) == ("completed", "not_run")
    with pytest.raises(NotFoundError, match="no job number"), provider.open_log(jobs["deploy"]):
        pass


def test_failed_jobs_carry_their_executor_and_reason(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    workflow_id = sim.add_workflow(
        SLUG,
        [
            SimJob("infra", ["infrastructure_fail"], executor="machine", resource_class="large"),
            SimJob("slow", ["timedout"]),
            SimJob("red", ["failed"]),
            SimJob("green"),
        ],
    )
    jobs = {j.name: j for j in provider.list_jobs(provider.get_run(SLUG, workflow_id))}
    assert (jobs["infra"].runner, jobs["infra"].failure_reason) == (
        "machine large",
        "infrastructure_fail",
    )
    assert (jobs["slow"].runner, jobs["slow"].failure_reason) == ("docker medium", "timedout")
    assert jobs["red"].failed and jobs["red"].failure_reason is None
    assert jobs["green"].runner is None  # details are read for failed jobs only
    details = [
        r for r in sim.requests if "/job/" in r.path and r.path.startswith("/api/v2/project")
    ]
    assert len(details) == 3


def test_cancel(sim: CircleCISimulator, provider: CircleCIProvider) -> None:
    workflow_id = sim.add_workflow(SLUG, [SimJob("slow", ["running"])])
    run = provider.get_run(SLUG, workflow_id)
    assert run.status == "running" and run.conclusion is None
    provider.cancel_run(run)
    assert sim.cancel_requests(workflow_id) == 1
    assert provider.get_run(SLUG, workflow_id).conclusion == "canceled"


# -- step output -------------------------------------------------------------------------------


def test_a_parallel_job_log_has_every_node(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    workflow_id = sim.add_workflow(
        SLUG,
        [
            SimJob(
                "test",
                ["failed"],
                parallelism=3,
                failing_nodes=[1],
                log=lambda execution, node: f"node {node} says hello\n",
            )
        ],
    )
    [job] = provider.list_jobs(provider.get_run(SLUG, workflow_id))
    with provider.open_log(job) as chunks:
        text = b"".join(chunks).decode()
    assert "==> Run tests (node 1)\n" in text
    assert all(f"node {n} says hello" in text for n in range(3))
    assert text.index("node 0 says") < text.index("node 1 says") < text.index("node 2 says")
    assert "Exited with code exit status 1" in text
    outputs = [r for r in sim.requests if r.path.startswith("/_s3/")]
    assert outputs and all("circle-token" not in r.headers for r in outputs)


def test_expired_output_urls_fall_back_to_the_plain_text_endpoint() -> None:
    with CircleCISimulator(token=CIRCLE_TOKEN, blob_url_ttl=-1) as sim:
        sim.add_project(SLUG)
        adapter = build_circleci(sim, github=None)
        try:
            [job] = adapter.list_jobs(
                adapter.get_run(
                    SLUG, sim.add_workflow(SLUG, [SimJob("t", ["failed"], log="E x\n")])
                )
            )
            with adapter.open_log(job) as chunks:
                text = b"".join(chunks).decode()
        finally:
            adapter.close()
        assert "E x" in text and "step output unavailable" not in text
        raw = [r for r in sim.requests if r.path.startswith("/api/private/output/raw/")]
        assert raw and all(r.headers.get("circle-token") == CIRCLE_TOKEN for r in raw)


def test_a_truncated_output_keeps_what_arrived(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    lines = "".join(f"line {n}\n" for n in range(200))
    [job] = provider.list_jobs(
        provider.get_run(SLUG, sim.add_workflow(SLUG, [SimJob("t", ["failed"], log=lines)]))
    )
    sim.inject_fault("GET", r"^/_s3/step-output/.*/3/0$", status=None, truncate=True, times=10)
    with provider.open_log(job) as chunks:
        text = b"".join(chunks).decode()
    assert "line 0\r\n" in text
    assert "step output truncated" in text
    assert "line 199" not in text


def test_output_that_cannot_be_read_anywhere_is_said_in_the_log(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    [job] = provider.list_jobs(
        provider.get_run(SLUG, sim.add_workflow(SLUG, [SimJob("t", ["failed"])]))
    )
    sim.inject_fault("GET", r"^/_s3/", status=500, times=None)
    sim.inject_fault("GET", r"^/api/private/", status=500, times=None)
    with provider.open_log(job) as chunks:
        text = b"".join(chunks).decode()
    assert text.count("[ci-rescue] step output unavailable") == 4  # every step
    assert "==> Run tests" in text


def test_a_missing_job_is_not_found(sim: CircleCISimulator, provider: CircleCIProvider) -> None:
    [job] = provider.list_jobs(provider.get_run(SLUG, sim.add_workflow(SLUG, [SimJob("t")])))
    sim.inject_fault("GET", r"^/api/v1\.1/", status=404, times=None)
    with pytest.raises(NotFoundError, match="steps of job"), provider.open_log(job):
        pass


# -- history and tests -------------------------------------------------------------------------


def test_run_history_by_branch_sha_and_status(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    old = sim.add_pipeline(
        SLUG,
        revision="1" * 40,
        workflows={"build": [SimJob("t")], "lint": [SimJob("l", ["failed"])]},
    )
    feature = sim.add_workflow(SLUG, [SimJob("t", ["failed"])], branch="feature", revision="2" * 40)
    newest = sim.add_workflow(SLUG, [SimJob("t", ["failed", "success"])], revision="3" * 40)
    sim.rerun(newest, from_failed=True)
    runs = provider.list_runs(SLUG)
    assert [(r.workflow, r.head_sha[0], r.attempt) for r in runs] == [
        ("build", "3", 2),
        ("build", "2", 1),
        ("lint", "1", 1),
        ("build", "1", 1),
    ]
    assert runs[0].run_id == newest and runs[0].conclusion == "success"
    assert [r.run_id for r in provider.list_runs(SLUG, branch="feature")] == [feature]
    by_sha = provider.list_runs(SLUG, sha="1" * 40)
    assert {r.workflow for r in by_sha} == {"build", "lint"}
    assert all(r.head_sha == "1" * 40 for r in by_sha)
    assert [(r.workflow, r.head_sha[0]) for r in provider.list_runs(SLUG, status="failed")] == [
        ("build", "2"),
        ("lint", "1"),
    ]
    assert len(provider.list_runs(SLUG, limit=2)) == 2
    pipelines = [r for r in sim.requests if r.path.endswith("/pipeline")]
    assert any("page-token" in r.query for r in pipelines)  # page tokens were followed
    assert old


def test_test_results_follow_page_tokens(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    tests = [
        SimTest(
            "test_total", "failure", "tests.test_cart.TestCart", "tests/test_cart.py", "boom", 0.5
        ),
        SimTest("test_tax", "success", "tests.test_cart", "tests/test_cart.py"),
        SimTest("it works", "skipped", "CartSpec"),
        SimTest("bare", "error"),
    ]
    workflow_id = sim.add_workflow(SLUG, [SimJob("test", ["failed"], tests=tests)])
    [job] = provider.list_jobs(provider.get_run(SLUG, workflow_id))
    results = provider.test_results(job)
    assert [(r.test_id, r.outcome) for r in results] == [
        ("tests/test_cart.py::TestCart::test_total", "fail"),
        ("tests/test_cart.py::test_tax", "pass"),
        ("CartSpec::it works", "skip"),
        ("bare", "error"),
    ]
    assert results[0].message == "boom" and results[0].duration == 0.5
    assert results[0].file == "tests/test_cart.py" and results[3].file is None


# -- the VCS companion -------------------------------------------------------------------------


def test_capabilities_are_its_own_plus_the_companions(
    provider: CircleCIProvider, alone: CircleCIProvider, github: Provider
) -> None:
    assert alone.capabilities == OWN_CAPABILITIES
    assert provider.capabilities > OWN_CAPABILITIES
    assert Capability.ISSUES in provider.capabilities
    assert provider.capabilities - OWN_CAPABILITIES <= github.capabilities
    assert provider.vcs is github


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.open_issue(SLUG, title="t", body="b"),
        lambda p: p.comment(SLUG, "1", "hi"),
        lambda p: p.read_file(SLUG, "README.md"),
        lambda p: p.resolve_owners(SLUG, ["a.py"]),
    ],
)
def test_without_a_companion_delegated_verbs_say_how_to_configure_one(
    alone: CircleCIProvider, call: object
) -> None:
    with pytest.raises(ConfigError, match=r"providers\.circleci\.vcs"):
        call(alone)  # type: ignore[operator]


def test_issues_land_in_the_repository_of_the_project(
    github_sim: GitHubSimulator, provider: CircleCIProvider
) -> None:
    issue = provider.open_issue(SLUG, title="CI failure", body="x\n<!-- m -->", marker="<!-- m -->")
    again = provider.open_issue(SLUG, title="CI failure", body="y\n<!-- m -->", marker="<!-- m -->")
    assert issue.created and not again.created and issue.number == again.number
    [stored] = GitHubRepo(github_sim, REPO).issues()
    assert stored["comments"] == ["y\n<!-- m -->"]
    url = provider.comment(SLUG, issue.number, "a note")
    assert url and "a note" in GitHubRepo(github_sim, REPO).issues()[0]["comments"]


def test_annotations_go_to_the_commit_through_the_companion(
    sim: CircleCISimulator, github_sim: GitHubSimulator, provider: CircleCIProvider
) -> None:
    if Capability.ANNOTATIONS not in provider.capabilities:
        pytest.skip("the GitHub adapter does not declare annotations yet")
    sha = GitHubRepo(github_sim, REPO).head_sha()
    run = provider.get_run(SLUG, sim.add_workflow(SLUG, [SimJob("t", ["failed"])], revision=sha))
    url = provider.annotate(
        run,
        title="ci-rescue",
        summary="flaky test re-run",
        annotations=[Annotation(path="tests/test_cart.py", start_line=3, end_line=3, message="x")],
    )
    assert url
    writes = [r for r in github_sim.write_requests() if REPO in r.path]
    assert writes and any(sha in json.dumps(r.json() or {}) + r.path for r in writes)


def test_the_repository_of_a_circleci_slug_is_learned(
    sim: CircleCISimulator, github: Provider
) -> None:
    slug = "circleci/Hq7Lx2TzVbNw4Rk8YcPfGd/9TsWmB3QeJrXa5LuZnKcVh"
    sim.add_project(slug, vcs_url="https://gitlab.com/group/sub/project", vcs_provider="gitlab")
    adapter = build_circleci(sim, github=github)
    try:
        assert adapter.vcs_repo(slug) == "group/sub/project"  # from the project's vcs_info
        assert adapter.vcs_repo(SLUG) == REPO
        assert adapter.vcs_repo("github/acme/app") == REPO
    finally:
        adapter.close()
    explicit = build_circleci(sim, github=github, vcs_repos={slug: "acme/app"})
    try:
        assert explicit.vcs_repo(slug) == "acme/app"
    finally:
        explicit.close()


# -- errors and faults -------------------------------------------------------------------------


def test_a_wrong_token_names_its_variable(sim: CircleCISimulator, github: Provider) -> None:
    adapter = build_circleci(sim, github=github, token="wrong")
    try:
        with pytest.raises(AuthenticationError, match=CIRCLE_TOKEN_ENV):
            adapter.get_run(SLUG, failing(sim))
    finally:
        adapter.close()


def test_no_token_fails_before_any_request(sim: CircleCISimulator, github: Provider) -> None:
    adapter = build_circleci(sim, github=github, token=None)
    sim.clear_requests()
    try:
        with pytest.raises(
            AuthenticationError, match=f"set the environment variable {CIRCLE_TOKEN_ENV}"
        ):
            adapter.get_run(SLUG, "any")
    finally:
        adapter.close()
    assert sim.requests == []


def test_unknown_and_foreign_workflows_are_not_found(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    with pytest.raises(NotFoundError, match="workflow nope"):
        provider.get_run(SLUG, "nope")
    sim.add_project("gh/acme/other")
    elsewhere = sim.add_workflow("gh/acme/other", [SimJob("t")])
    with pytest.raises(NotFoundError, match="belongs to project gh/acme/other"):
        provider.get_run(SLUG, elsewhere)


def test_rate_limit_with_retry_after_is_honoured(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    workflow_id = failing(sim)
    fault = sim.inject_fault("GET", r"/workflow/[^/]+$", status=429, headers={"Retry-After": "1"})
    started = time.monotonic()
    assert provider.get_run(SLUG, workflow_id).run_id == workflow_id
    assert fault.exhausted and time.monotonic() - started >= 1.0


def test_rate_limit_without_retry_after_backs_off(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    workflow_id = failing(sim)
    fault = sim.inject_fault("GET", r"/pipeline/[^/]+/workflow$", status=429, times=2)
    assert provider.get_run(SLUG, workflow_id).attempt == 1
    assert fault.hits == 2


def test_a_long_retry_after_is_a_rate_limited_error(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    sim.inject_fault("GET", r"/workflow/", status=429, headers={"Retry-After": "600"})
    with pytest.raises(RateLimitedError) as caught:
        provider.get_run(SLUG, failing(sim))
    assert caught.value.retry_after == 600


def test_server_errors_are_retried_then_surfaced(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    workflow_id = failing(sim)
    sim.clear_requests()
    sim.inject_fault("GET", r"/workflow/[^/]+$", status=502, times=None)
    with pytest.raises(ProviderUnavailableError, match="502"):
        provider.get_run(SLUG, workflow_id)
    assert len(sim.requests) == 3  # one try and max_retries=2


def test_a_failed_rerun_is_never_sent_twice(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    run = provider.get_run(SLUG, failing(sim))
    sim.inject_fault("POST", r"/rerun$", status=500, times=None)
    with pytest.raises(ProviderUnavailableError):
        provider.rerun_failed_jobs(run)
    assert len(sim.write_requests()) == 1


def test_slow_and_truncated_answers_are_retried(sim: CircleCISimulator, github: Provider) -> None:
    adapter = build_circleci(sim, github=github, timeout=0.5)
    try:
        workflow_id = failing(sim)
        slow = sim.inject_fault("GET", r"/workflow/[^/]+$", status=None, delay=1.0)
        cut = sim.inject_fault("GET", r"/pipeline/[^/]+$", status=None, truncate=True)
        assert adapter.get_run(SLUG, workflow_id).run_id == workflow_id
        assert slow.exhausted and cut.exhausted
    finally:
        adapter.close()


# -- the factory -------------------------------------------------------------------------------


def test_factory_refuses_a_missing_or_self_companion(sim: CircleCISimulator) -> None:
    base = {"name": "circleci", "base_url": sim.api_url, "token": CIRCLE_TOKEN}
    with pytest.raises(ConfigError, match=r"providers\.github section"):
        build_provider(ProviderSettings(**base, options={"vcs": "github"}))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="its own VCS"):
        build_provider(ProviderSettings(**base, options={"vcs": "circleci"}))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="http"):
        build_provider(ProviderSettings(name="circleci", base_url="circleci.com/api/v2"))


def test_delivery_ids_come_from_the_payload(
    sim: CircleCISimulator, provider: CircleCIProvider
) -> None:
    signed = delivery(sim, "workflow-completed", sim.workflow_completed_event(failing(sim)))
    payload = json.loads(signed.body)
    assert provider.delivery_id(signed.headers, payload) == payload["id"]
    assert provider.delivery_id({}, {"id": None}) is None
    provider.verify_webhook(signed.headers, signed.body)


def test_unhandled_events_are_none(provider: CircleCIProvider) -> None:
    assert provider.parse_event("ping", {}) is None


def test_run_refs_name_the_provider(sim: CircleCISimulator, provider: CircleCIProvider) -> None:
    run: RunRef = provider.get_run("github/acme/app", failing(sim))
    assert run.provider == "circleci" and run.repo == SLUG
