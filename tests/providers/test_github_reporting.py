"""Annotations, comments and cancelling through the GitHub adapter, on the simulator with the
real PyGithub client: a check run with an App, a commit status and a PR comment with a token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ci_rescue_core.errors import PayloadError, PermissionDeniedError
from ci_rescue_core.models import RunRef
from ci_rescue_core.provider import Annotation, ProviderSettings
from ci_rescue_providers.github import GitHubProvider, build_provider
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob

REPO = "acme/app"
OPTIONS = {"seconds_between_requests": 0, "seconds_between_writes": 0, "max_retries": 1}


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token="pat") as simulator:
        simulator.add_repo(REPO)
        yield simulator
    assert simulator.errors == []


def token_provider(sim: GitHubSimulator) -> GitHubProvider:
    return build_provider(
        ProviderSettings(
            name="github", base_url=sim.base_url, token="pat", token_env="GH_PAT", options=OPTIONS
        )
    )


def app_provider(sim: GitHubSimulator, key: str) -> GitHubProvider:
    options = {**OPTIONS, "app_id": "424242", "private_key": key}
    options.update(app_id_env="GH_APP_ID", private_key_env="GH_APP_KEY")
    return build_provider(ProviderSettings(name="github", base_url=sim.base_url, options=options))


@pytest.fixture
def with_token(sim: GitHubSimulator) -> Iterator[GitHubProvider]:
    provider = token_provider(sim)
    yield provider
    provider.close()


@pytest.fixture
def with_app(sim: GitHubSimulator, private_key: str) -> Iterator[GitHubProvider]:
    provider = app_provider(sim, private_key)
    yield provider
    provider.close()


def failing_run(sim: GitHubSimulator, provider: GitHubProvider, **kwargs: object) -> RunRef:
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"])], **kwargs)  # type: ignore[arg-type]
    return provider.get_run(REPO, str(run_id))


def notes(count: int) -> list[Annotation]:
    return [
        Annotation(
            path=f"tests/test_{i}.py",
            start_line=i + 1,
            end_line=i + 1,
            message=f"assert {i} == {i + 1}",
            title=f"test_{i}",
        )
        for i in range(count)
    ]


def test_annotations_go_on_a_check_run_fifty_per_request(
    sim: GitHubSimulator, with_app: GitHubProvider
) -> None:
    run = failing_run(sim, with_app)
    url = with_app.annotate(
        run, title="2 tests broke", summary="**Broken** since abc", annotations=notes(120)
    )
    [check] = sim.get_check_runs(REPO)
    assert url == check["html_url"]
    assert check["name"] == "ci-rescue" and check["head_sha"] == run.head_sha
    assert check["conclusion"] == "neutral" and check["app"]["slug"] == "ci-rescue"
    assert check["output"]["title"] == "2 tests broke"
    assert [a["path"] for a in check["annotations"]] == [f"tests/test_{i}.py" for i in range(120)]
    batches = [
        len((r.json()["output"]).get("annotations", []))
        for r in sim.write_requests()
        if "/check-runs" in r.path
    ]
    assert batches == [50, 50, 20]
    assert [r.method for r in sim.write_requests() if "/check-runs" in r.path] == [
        "POST",
        "PATCH",
        "PATCH",
    ]
    assert sim.get_statuses(REPO, run.head_sha) == []


def test_a_report_without_annotations_is_one_request(
    sim: GitHubSimulator, with_app: GitHubProvider
) -> None:
    run = failing_run(sim, with_app)
    with_app.annotate(run, title="flaky", summary="re-run once")
    assert [r.method for r in sim.write_requests() if "/check-runs" in r.path] == ["POST"]
    assert sim.get_check_runs(REPO)[0]["annotations"] == []


def test_long_fields_are_cut_to_githubs_limits(
    sim: GitHubSimulator, with_app: GitHubProvider
) -> None:
    run = failing_run(sim, with_app)
    note = Annotation(path="a.py", start_line=3, end_line=1, message="m" * 70_000, title="t" * 300)
    with_app.annotate(run, title="x" * 300, summary="s" * 70_000, annotations=[note])
    [check] = sim.get_check_runs(REPO)
    [stored] = check["annotations"]
    assert len(check["output"]["summary"]) == 65_535
    assert stored["end_line"] == 3 and len(stored["title"]) == 255
    assert len(stored["message"].encode()) <= 64 * 1024


def test_with_a_token_the_report_is_a_status_and_a_pr_comment(
    sim: GitHubSimulator, with_token: GitHubProvider
) -> None:
    sim.add_branch(REPO, "feature")
    number = sim.add_pull_request(REPO, head_branch="feature", title="Feature")
    run = failing_run(sim, with_token, event="pull_request", pull_requests=[number])
    url = with_token.annotate(run, title="1 test broke", summary="see below", annotations=notes(3))
    [status] = sim.get_statuses(REPO, run.head_sha)
    assert status["state"] == "failure" and status["context"] == "ci-rescue"
    assert status["description"] == "1 test broke" and status["target_url"] == run.url
    [comment] = sim.get_issue_comments(REPO, number)
    assert url == comment["html_url"]
    assert "### ci-rescue: 1 test broke" in comment["body"]
    assert "`tests/test_2.py:3`" in comment["body"]
    assert sim.get_check_runs(REPO) == []
    refused = [r for r in sim.requests if r.path.endswith("/check-runs")]
    assert [r.status for r in refused] == [403]


def test_with_a_token_and_no_pull_request_only_the_status_is_written(
    sim: GitHubSimulator, with_token: GitHubProvider
) -> None:
    run = failing_run(sim, with_token)
    url = with_token.annotate(run, title="broke", summary="s")
    assert url.endswith(f"/{REPO}/commit/{run.head_sha}")
    assert len(sim.get_statuses(REPO, run.head_sha)) == 1
    assert all("/comments" not in r.path for r in sim.write_requests())


def test_the_fallback_finds_a_fork_pull_request_by_sha(
    sim: GitHubSimulator, with_token: GitHubProvider
) -> None:
    sha = "c" * 40
    number = sim.add_pull_request(
        REPO, head_branch="patch-1", head_sha=sha, fork_owner="contrib", title="From a fork"
    )
    run_id = sim.add_run(REPO, head_sha=sha, event="pull_request", jobs=[SimJob("t", ["failure"])])
    run = with_token.get_run(REPO, str(run_id))
    assert run.pr_numbers == (number,)  # looked up by sha: fork runs list no pull requests
    assert sim.get_run(run_id)["pull_requests"] == []
    with_token.annotate(run, title="broke", summary="s")
    assert len(sim.get_issue_comments(REPO, number)) == 1


def test_when_even_the_status_is_refused_the_error_names_the_permission(
    sim: GitHubSimulator, with_token: GitHubProvider
) -> None:
    run = failing_run(sim, with_token)
    sim.inject_fault("POST", r"/statuses/", status=403, body={"message": "Resource not accessible"})
    with pytest.raises(PermissionDeniedError, match=r"GH_PAT.*statuses: write"):
        with_token.annotate(run, title="broke", summary="s")


def test_a_run_without_a_sha_cannot_be_annotated(with_token: GitHubProvider) -> None:
    run = RunRef(provider="github", repo=REPO, run_id="1")
    with pytest.raises(PayloadError, match="no head sha"):
        with_token.annotate(run, title="t", summary="s")


def test_comment_on_a_pull_request(sim: GitHubSimulator, with_token: GitHubProvider) -> None:
    sim.add_branch(REPO, "feature")
    number = sim.add_pull_request(REPO, head_branch="feature")
    url = with_token.comment(REPO, str(number), "Re-ran the flaky job.")
    [comment] = sim.get_issue_comments(REPO, number)
    assert comment["body"] == "Re-ran the flaky job." and url == comment["html_url"]
    with pytest.raises(PayloadError, match="numeric"):
        with_token.comment(REPO, "seven", "x")


def test_cancel_posts_cancel(sim: GitHubSimulator, with_token: GitHubProvider) -> None:
    run = failing_run(sim, with_token)
    with_token.cancel_run(run)
    assert sim.cancel_requests(int(run.run_id)) == 1
    sim.inject_fault("POST", r"/cancel$", status=409, body={"message": "Cannot cancel"})
    with_token.cancel_run(run)  # already finished: nothing to do, no error
