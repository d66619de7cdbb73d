"""Change requests, file reads and CODEOWNERS through the GitHub adapter, on the simulator with
the real PyGithub client: one atomic commit on a new branch, never a write to the base."""

from __future__ import annotations

from collections.abc import Iterator

import github
import pytest

from ci_rescue_core.errors import PayloadError, PermissionDeniedError, WriteRefusedError
from ci_rescue_core.provider import FileEdit, ProviderSettings
from ci_rescue_providers.github import GitHubProvider, build_provider
from ci_rescue_providers.simulators.github import GitHubSimulator

REPO = "acme/app"
BRANCH = "ci-rescue/pin-requests"


def make_provider(sim: GitHubSimulator, **options: object) -> GitHubProvider:
    settings = {
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
        "max_retries": 1,
        "backoff_factor": 0,
    }
    settings.update(options)
    return build_provider(
        ProviderSettings(
            name="github", base_url=sim.base_url, token="t", token_env="GH_TOKEN", options=settings
        )
    )


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token="t") as simulator:
        simulator.add_repo(REPO, allow_auto_merge=True)
        simulator.commit_files(
            REPO,
            {
                "constraints.txt": "requests==2.32.0\n",
                "scripts/run.sh": "#!/bin/sh\necho hi\n",
                "old.txt": "remove me\n",
            },
        )
        yield simulator
    assert simulator.errors == []


@pytest.fixture
def provider(sim: GitHubSimulator) -> Iterator[GitHubProvider]:
    adapter = make_provider(sim)
    yield adapter
    adapter.close()


def commits_written(sim: GitHubSimulator) -> list[str]:
    return [r.path for r in sim.write_requests() if r.path.endswith("/git/commits")]


def test_a_multi_file_change_is_one_commit_on_a_new_branch(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    main_before = sim.get_branch_sha(REPO, "main")
    change = provider.open_change_request(
        REPO,
        branch=BRANCH,
        title="Pin requests to 2.31.0",
        body="2.32.0 broke the build.",
        edits=[
            FileEdit("constraints.txt", "requests==2.31.0\n"),
            FileEdit("docs/pins.md", "requests is pinned\n"),
            FileEdit("old.txt", None),
        ],
        labels=["ci:dep-pin", "ci:auto-rescue"],
        draft=True,
    )
    assert change.created and change.branch == BRANCH and not change.auto_merge
    assert change.url.endswith(f"/{REPO}/pull/{change.number}")
    [pull] = sim.get_pulls(REPO)
    assert pull["files"] == {
        "constraints.txt": "requests==2.31.0\n",
        "docs/pins.md": "requests is pinned\n",
        "old.txt": None,
    }
    assert pull["draft"] is True and pull["base"]["ref"] == "main"
    assert {label["name"] for label in pull["labels"]} == {"ci:dep-pin", "ci:auto-rescue"}
    assert sim.get_branch_sha(REPO, "main") == main_before  # the base never moves
    assert sim.get_file(REPO, "constraints.txt") == "requests==2.32.0\n"
    assert len(commits_written(sim)) == 1
    writes = [f"{r.method} {r.path.removeprefix('/repos/' + REPO)}" for r in sim.write_requests()]
    assert writes[:4] == ["POST /git/trees", "POST /git/commits", "POST /git/refs", "POST /pulls"]
    tree = next(r for r in sim.write_requests() if r.path.endswith("/git/trees")).json()
    assert tree["base_tree"]  # always built on the base tree


def test_an_executable_keeps_its_mode(sim: GitHubSimulator, provider: GitHubProvider) -> None:
    sim.add_file(REPO, "scripts/run.sh", "#!/bin/sh\necho hi\n", executable=True)
    sim.clear_requests()
    provider.open_change_request(
        REPO,
        branch=BRANCH,
        title="t",
        body="b",
        edits=[FileEdit("scripts/run.sh", "#!/bin/sh\necho bye\n"), FileEdit("new.sh", "x\n")],
    )
    tree = next(r for r in sim.write_requests() if r.path.endswith("/git/trees")).json()
    modes = {entry["path"]: entry["mode"] for entry in tree["tree"]}
    assert modes == {"scripts/run.sh": "100755", "new.sh": "100644"}


def test_the_open_pull_request_from_the_branch_is_reused(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    first = provider.open_change_request(
        REPO, branch=BRANCH, title="t", body="b", edits=[FileEdit("constraints.txt", "x\n")]
    )
    sim.clear_requests()
    again = provider.open_change_request(
        REPO, branch=BRANCH, title="t", body="b", edits=[FileEdit("constraints.txt", "y\n")]
    )
    assert not again.created and again.number == first.number and again.url == first.url
    assert sim.write_requests() == []
    assert sim.get_file(REPO, "constraints.txt", BRANCH) == "x\n"


def test_an_existing_branch_without_our_pull_request_is_never_written(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    sim.add_branch(REPO, BRANCH)
    tip = sim.get_branch_sha(REPO, BRANCH)
    sim.clear_requests()
    with pytest.raises(WriteRefusedError, match="already exists"):
        provider.open_change_request(
            REPO, branch=BRANCH, title="t", body="b", edits=[FileEdit("constraints.txt", "x\n")]
        )
    assert sim.write_requests() == []
    assert sim.get_branch_sha(REPO, BRANCH) == tip
    with pytest.raises(WriteRefusedError, match="new branch"):
        provider.open_change_request(
            REPO, branch="main", title="t", body="b", edits=[FileEdit("a", "b")]
        )


@pytest.mark.parametrize(
    ("branch", "edits", "message"),
    [
        ("has space", [FileEdit("a", "b")], "not a valid git branch name"),
        ("x..y", [FileEdit("a", "b")], "not a valid git branch name"),
        ("ok", [], "at least one file edit"),
        ("ok", [FileEdit("../etc/passwd", "x")], "repository-relative"),
        ("ok", [FileEdit("a", "1"), FileEdit("a", "2")], "edited twice"),
        ("ok", [FileEdit("constraints.txt", "requests==2.32.0\n")], "unchanged"),
        ("ok", [FileEdit("missing.txt", None)], "unchanged"),
    ],
)
def test_bad_requests_are_refused_before_any_write(
    sim: GitHubSimulator,
    provider: GitHubProvider,
    branch: str,
    edits: list[FileEdit],
    message: str,
) -> None:
    sim.clear_requests()
    with pytest.raises(PayloadError, match=message):
        provider.open_change_request(REPO, branch=branch, title="t", body="b", edits=edits)
    assert sim.write_requests() == []


def test_a_failed_pull_request_leaves_no_branch_behind(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    sim.inject_fault("POST", r"/pulls$", status=422, body={"message": "Validation Failed"})
    with pytest.raises(Exception, match="422"):
        provider.open_change_request(
            REPO, branch=BRANCH, title="t", body="b", edits=[FileEdit("constraints.txt", "x\n")]
        )
    assert sim.get_branch_sha(REPO, BRANCH) is None
    assert sim.get_pulls(REPO) == []


@pytest.mark.parametrize("path", [r"/git/refs$", r"/pulls$"])
def test_a_write_whose_answer_was_lost_is_confirmed_not_repeated(
    sim: GitHubSimulator, provider: GitHubProvider, path: str
) -> None:
    sim.inject_fault("POST", path, status=502, apply_first=True)
    change = provider.open_change_request(
        REPO, branch=BRANCH, title="t", body="b", edits=[FileEdit("constraints.txt", "x\n")]
    )
    assert change.created
    [pull] = sim.get_pulls(REPO)
    assert str(pull["number"]) == change.number and pull["head"]["ref"] == BRANCH
    assert len([r for r in sim.requests if r.method == "POST" and r.path.endswith(path[1:-1])]) == 1


def test_auto_merge_is_requested_through_graphql_and_reported(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    change = provider.open_change_request(
        REPO,
        branch=BRANCH,
        title="Quarantine test_x",
        body="b",
        edits=[FileEdit("quarantine.txt", "tests/test_x.py::test_x\n")],
        auto_merge=True,
    )
    assert change.auto_merge
    [pull] = sim.get_pulls(REPO)
    assert pull["auto_merge"]["merge_method"] == "squash"
    [graphql] = [r for r in sim.requests if r.path == "/graphql"]
    assert "enablePullRequestAutoMerge" in graphql.json()["query"]
    assert graphql.json()["variables"]["input"]["pullRequestId"] == pull["node_id"]
    again = provider.open_change_request(
        REPO, branch=BRANCH, title="t", body="b", edits=[FileEdit("quarantine.txt", "y\n")]
    )
    assert not again.created and again.auto_merge


def test_auto_merge_refused_by_the_repository_is_reported_not_fatal(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    sim.add_repo("acme/strict")  # allow_auto_merge is off, as on a new GitHub repository
    change = provider.open_change_request(
        "acme/strict",
        branch=BRANCH,
        title="t",
        body="b",
        edits=[FileEdit("quarantine.txt", "x\n")],
        auto_merge=True,
    )
    assert change.created and not change.auto_merge
    assert sim.get_pulls("acme/strict")[0]["auto_merge"] is None


def test_workflow_files_need_the_workflow_scope() -> None:
    with GitHubSimulator(token="t", token_scopes=("repo",)) as sim:
        sim.add_repo(REPO)
        provider = make_provider(sim)
        try:
            with pytest.raises(PermissionDeniedError, match="'workflow' scope"):
                provider.open_change_request(
                    REPO,
                    branch=BRANCH,
                    title="Pin actions/checkout",
                    body="b",
                    edits=[FileEdit(".github/workflows/ci.yml", "on: push\n")],
                )
            assert sim.write_requests() == []
            ok = provider.open_change_request(
                REPO, branch=BRANCH, title="t", body="b", edits=[FileEdit("ci.txt", "x\n")]
            )
            assert ok.created
        finally:
            provider.close()


def test_when_the_scopes_are_unknown_the_edit_is_tried() -> None:
    """A fine-grained token does not announce its scopes: the adapter cannot pre-check, so it
    tries (and GitHub decides)."""
    with GitHubSimulator(token="t", token_scopes=None) as sim:
        sim.add_repo(REPO)
        provider = make_provider(sim)
        try:
            change = provider.open_change_request(
                REPO,
                branch=BRANCH,
                title="t",
                body="b",
                edits=[FileEdit(".github/workflows/ci.yml", "on: push\n")],
            )
            assert change.created
            assert sim.get_file(REPO, ".github/workflows/ci.yml", BRANCH) == "on: push\n"
        finally:
            provider.close()


def test_the_simulator_refuses_workflow_edits_without_the_scope() -> None:
    with GitHubSimulator(token="t", token_scopes=("repo",)) as sim:
        sim.add_repo(REPO)
        gh = github.Github(
            base_url=sim.base_url,
            auth=github.Auth.Token("t"),
            seconds_between_requests=0,
            seconds_between_writes=0,
            retry=None,
        )
        repo = gh.get_repo(REPO)
        with pytest.raises(github.GithubException, match="without `workflow` scope"):
            repo.create_file(".github/workflows/ci.yml", "add", "on: push\n")
        base = repo.get_git_commit(sim.get_branch_sha(REPO, "main") or "")
        tree = repo.create_git_tree(
            [github.InputGitTreeElement(".github/workflows/ci.yml", "100644", "blob", content="x")],
            base_tree=base.tree,
        )
        commit = repo.create_git_commit("sneak", tree, [base])
        with pytest.raises(github.GithubException, match="without `workflow` scope"):
            repo.create_git_ref("refs/heads/sneak", commit.sha)
        assert sim.get_branch_sha(REPO, "sneak") is None
        gh.close()


# -- reading files and owners ---------------------------------------------------------------------


def test_read_file_at_a_ref_and_missing_files(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    assert provider.read_file(REPO, "constraints.txt") == "requests==2.32.0\n"
    sim.add_branch(REPO, "feature")
    sim.add_file(REPO, "constraints.txt", "requests==9\n", branch="feature")
    assert provider.read_file(REPO, "constraints.txt", ref="feature") == "requests==9\n"
    assert provider.read_file(REPO, "nope.txt") is None
    assert provider.read_file(REPO, "scripts") is None  # a directory is not a file


def test_large_and_binary_files(sim: GitHubSimulator, provider: GitHubProvider) -> None:
    big = "x" * (1024 * 1024 + 10) + "\n"
    sim.add_file(REPO, "big.txt", big)
    assert provider.read_file(REPO, "big.txt") == big  # read through the blob API
    assert any("/git/blobs/" in r.path for r in sim.requests)
    sim.add_file(REPO, "logo.png", b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(PayloadError, match="not UTF-8"):
        provider.read_file(REPO, "logo.png")


def test_owners_come_from_the_first_codeowners_found(
    sim: GitHubSimulator, provider: GitHubProvider
) -> None:
    assert provider.resolve_owners(REPO, ["src/a.py"]) == []
    sim.add_file(REPO, "docs/CODEOWNERS", "* @docs-team\n")
    assert provider.resolve_owners(REPO, ["src/a.py"]) == ["@docs-team"]
    sim.add_file(REPO, "CODEOWNERS", "* @root-team\n")
    assert provider.resolve_owners(REPO, ["src/a.py"]) == ["@root-team"]
    sim.add_file(REPO, ".github/CODEOWNERS", "* @acme/core\n/src/ @acme/src a@acme.io\n")
    assert provider.resolve_owners(REPO, ["src/a.py", "README.md"]) == [
        "@acme/src",
        "a@acme.io",
        "@acme/core",
    ]
    sim.add_branch(REPO, "old", from_ref="main")
    sim.add_file(REPO, ".github/CODEOWNERS", "* @new-team\n")
    assert provider.resolve_owners(REPO, ["x"], ref="old") == ["@acme/core"]
    assert provider.resolve_owners(REPO, ["x"]) == ["@new-team"]
