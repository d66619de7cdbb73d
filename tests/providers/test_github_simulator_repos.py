"""The GitHub simulator's repository side — git data, contents, pulls, checks, statuses,
GraphQL, apps — driven by the real PyGithub client (and httpx for raw calls)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import github
import httpx
import jwt
import pytest
from github import Auth, InputGitTreeElement

from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob

REPO = "acme/app"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks" / "github"


def client(sim: GitHubSimulator, auth: Auth.Auth | None = None) -> github.Github:
    return github.Github(
        base_url=sim.base_url,
        auth=auth or Auth.Token("t"),
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
    )


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token="t") as simulator:
        simulator.add_repo(REPO, allow_auto_merge=True)
        yield simulator
    assert simulator.errors == []


@pytest.fixture
def gh(sim: GitHubSimulator) -> Iterator[github.Github]:
    instance = client(sim)
    yield instance
    instance.close()


def app_jwt(**claims: Any) -> str:
    now = int(time.time())
    body = {"iat": now - 60, "exp": now + 300, "iss": "424242", **claims}
    return jwt.encode(body, "a-key-the-simulator-never-checks-0123456789", algorithm="HS256")


def raw(sim: GitHubSimulator, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(base_url=sim.base_url, headers={"User-Agent": "tests"}) as http:
        return http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


# -- git data ------------------------------------------------------------------------------------


def test_a_repository_starts_with_a_readme_commit(sim: GitHubSimulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    main = repo.get_branch("main")
    assert main.commit.sha == sim.get_branch_sha(REPO, "main")
    assert repo.get_contents("README.md").decoded_content == b"# app\n"
    assert [b.name for b in repo.get_branches()] == ["main"]


def test_git_data_round_trip(sim: GitHubSimulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    base = repo.get_git_commit(repo.get_git_ref("heads/main").object.sha)
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("src/a.py", "100644", "blob", content="a = 1\n"),
            InputGitTreeElement("README.md", "100644", "blob", sha=None),
        ],
        base_tree=base.tree,
    )
    assert tree.sha != base.tree.sha
    commit = repo.create_git_commit("Add a", tree, [base])
    assert commit.parents[0].sha == base.sha and commit.tree.sha == tree.sha
    ref = repo.create_git_ref("refs/heads/feature/x", commit.sha)
    assert ref.ref == "refs/heads/feature/x"
    assert repo.get_branch("feature/x").commit.sha == commit.sha
    assert sim.get_file(REPO, "src/a.py", "feature/x") == "a = 1\n"
    assert sim.get_file(REPO, "README.md", "feature/x") is None
    assert sim.get_file(REPO, "README.md") == "# app\n"
    paths = {e.path for e in repo.get_git_tree(tree.sha, recursive=True).tree}
    assert paths == {"src", "src/a.py"}
    blob = repo.get_git_blob(repo.get_contents("src/a.py", ref="feature/x").sha)
    assert base64.b64decode(blob.content) == b"a = 1\n"
    with pytest.raises(github.GithubException, match="Reference already exists"):
        repo.create_git_ref("refs/heads/feature/x", commit.sha)
    with pytest.raises(github.GithubException, match="not a fast forward"):
        ref.edit(sha=base.sha)
    ref.edit(sha=base.sha, force=True)
    assert sim.get_branch_sha(REPO, "feature/x") == base.sha
    ref.delete()
    assert sim.get_branch_sha(REPO, "feature/x") is None


def test_git_writes_are_validated(sim: GitHubSimulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    base = repo.get_git_commit(sim.get_branch_sha(REPO, "main") or "")
    with pytest.raises(github.GithubException, match="malformed path"):
        repo.create_git_tree([InputGitTreeElement("../x", "100644", "blob", content="x")])
    with pytest.raises(github.GithubException, match="Object does not exist"):
        repo.create_git_ref("refs/heads/y", "f" * 40)
    with pytest.raises(github.GithubException, match="Tree SHA does not exist"):
        repo._requester.requestJsonAndCheck(
            "POST", f"{repo.url}/git/commits", input={"message": "m", "tree": "e" * 40}
        )
    with pytest.raises(github.GithubException, match="Parent SHA"):
        repo._requester.requestJsonAndCheck(
            "POST",
            f"{repo.url}/git/commits",
            input={"message": "m", "tree": base.tree.sha, "parents": ["d" * 40]},
        )


def test_contents_api_create_update_delete(sim: GitHubSimulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    created = repo.create_file("docs/a.md", "add", "one\n")
    assert sim.get_file(REPO, "docs/a.md") == "one\n"
    with pytest.raises(github.GithubException, match="does not match"):
        repo.update_file("docs/a.md", "edit", "two\n", "0" * 40)
    repo.update_file("docs/a.md", "edit", "two\n", created["content"].sha)
    assert sim.get_file(REPO, "docs/a.md") == "two\n"
    listing = repo.get_contents("docs")
    assert isinstance(listing, list) and [c.path for c in listing] == ["docs/a.md"]
    repo.delete_file("docs/a.md", "rm", repo.get_contents("docs/a.md").sha)  # type: ignore[union-attr]
    with pytest.raises(github.UnknownObjectException):
        repo.get_contents("docs/a.md")
    sim.add_file(REPO, "big.bin", b"\0" * (1024 * 1024 + 1))
    big = repo.get_contents("big.bin")
    assert not isinstance(big, list) and big.encoding == "none" and big.size == 1024 * 1024 + 1


# -- pull requests -------------------------------------------------------------------------------


def test_pull_requests_are_issues_with_a_branch(sim: GitHubSimulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    sim.add_branch(REPO, "fix")
    sha = sim.add_file(REPO, "fix.txt", "fixed\n", branch="fix")
    pull = repo.create_pull(base="main", head="fix", title="Fix", body="b", draft=True)
    assert (pull.number, pull.head.sha, pull.base.ref, pull.draft) == (1, sha, "main", True)
    pull.add_to_labels("ci:auto-rescue")
    pull.create_issue_comment("hello")
    issue = repo.get_issue(1)
    assert issue.pull_request is not None and [label.name for label in issue.labels] == [
        "ci:auto-rescue"
    ]
    assert sim.get_issues(REPO) == []  # pull requests are listed by get_pulls
    assert [p.number for p in repo.get_pulls(head="acme:fix")] == [1]
    assert list(repo.get_pulls(head="acme:other")) == []
    assert [p.number for p in repo.get_commit(sha).get_pulls()] == [1]
    assert [f.filename for f in pull.get_files()] == ["fix.txt"]
    with pytest.raises(github.GithubException, match="already exists"):
        repo.create_pull(base="main", head="fix", title="Again")
    sim.add_branch(REPO, "empty")
    with pytest.raises(github.GithubException, match="No commits between"):
        repo.create_pull(base="main", head="empty", title="Nothing")
    with pytest.raises(github.GithubException, match="Validation Failed"):
        repo.create_pull(base="nope", head="fix", title="Bad base")


def test_merge_auto_merge_and_revert(sim: GitHubSimulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    sim.add_branch(REPO, "feature")
    sim.add_file(REPO, "README.md", "# changed\n", branch="feature")
    pull = repo.create_pull(base="main", head="feature", title="Change")
    assert pull.enable_automerge(merge_method="SQUASH")["actor"]["login"] == "ci-rescue-bot"
    assert repo.get_pull(pull.number).raw_data["auto_merge"]["merge_method"] == "squash"
    merge_sha = sim.merge_pull_request(REPO, pull.number)
    assert sim.get_file(REPO, "README.md") == "# changed\n"
    assert [p.number for p in repo.get_commit(merge_sha).get_pulls()] == [pull.number]
    _, data = repo._requester.graphql_named_mutation(
        "revertPullRequest",
        {"pullRequestId": pull.node_id, "title": "Revert it"},
        "revertPullRequest { number }",
    )
    reverting = data["revertPullRequest"]["number"]
    [revert] = [p for p in sim.get_pulls(REPO) if p["number"] == reverting]
    assert revert["title"] == "Revert it" and revert["files"] == {"README.md": "# app\n"}
    with pytest.raises(github.GithubException, match="is closed"):
        pull.enable_automerge()


def test_auto_merge_needs_the_repository_setting(sim: GitHubSimulator, gh: github.Github) -> None:
    sim.add_repo("acme/strict")
    sim.add_branch("acme/strict", "x")
    sim.add_file("acme/strict", "x.txt", "x\n", branch="x")
    pull = gh.get_repo("acme/strict").create_pull(base="main", head="x", title="X")
    with pytest.raises(github.GithubException, match="Auto merge is not allowed"):
        pull.enable_automerge()
    with pytest.raises(github.UnknownObjectException):
        repo = gh.get_repo(REPO)
        repo._requester.graphql_named_mutation(
            "enablePullRequestAutoMerge", {"pullRequestId": "PR_nope"}, "clientMutationId"
        )


# -- checks and statuses -------------------------------------------------------------------------


def test_check_runs_need_an_app_and_take_fifty_annotations(sim: GitHubSimulator) -> None:
    sha = sim.get_branch_sha(REPO, "main") or ""
    pat = client(sim)
    with pytest.raises(github.GithubException, match="authenticate via a GitHub App"):
        pat.get_repo(REPO).create_check_run(name="x", head_sha=sha)
    pat.close()
    token = raw(sim, "POST", "/app/installations/1001/access_tokens", app_jwt()).json()["token"]
    gh = client(sim, Auth.Token(token))
    repo = gh.get_repo(REPO)
    note = {"path": "a.py", "start_line": 1, "end_line": 1, "annotation_level": "failure"}
    notes = [{**note, "message": f"m{i}"} for i in range(51)]
    output = {"title": "t", "summary": "s", "annotations": notes}
    with pytest.raises(github.GithubException, match="at most 50 annotations"):
        repo.create_check_run(name="x", head_sha=sha, output=output)
    check = repo.create_check_run(
        name="x", head_sha=sha, output={**output, "annotations": notes[:50]}
    )
    assert check.status == "queued"
    check.edit(conclusion="neutral", output={**output, "annotations": notes[50:]})
    assert [a.message for a in check.get_annotations()] == [f"m{i}" for i in range(51)]
    assert repo.get_check_run(check.id).conclusion == "neutral"
    assert [c.name for c in repo.get_commit(sha).get_check_runs()] == ["x"]
    with pytest.raises(github.GithubException, match="No commit found"):
        repo.create_check_run(name="x", head_sha="a" * 40)
    gh.close()


def test_actions_jobs_are_check_runs_and_attempts_are_suites(
    sim: GitHubSimulator, gh: github.Github
) -> None:
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"])])
    [job] = sim.get_jobs(run_id)
    repo = gh.get_repo(REPO)
    check = repo.get_check_run(job["id"])
    assert (check.name, check.conclusion, check.app.slug) == ("test", "failure", "github-actions")
    suite = repo.get_check_suite(sim.get_run(run_id)["check_suite_id"])
    assert suite.conclusion == "failure" and suite.head_sha == sim.get_run(run_id)["head_sha"]


def test_commit_statuses(sim: GitHubSimulator, gh: github.Github) -> None:
    sha = sim.get_branch_sha(REPO, "main") or ""
    commit = gh.get_repo(REPO).get_commit(sha)
    commit.create_status(state="pending", context="ci")
    commit.create_status(state="failure", context="ci", description="broke")
    commit.create_status(state="success", context="lint")
    assert [s.state for s in commit.get_statuses()] == ["success", "failure", "pending"]
    assert commit.get_combined_status().state == "failure"
    with pytest.raises(github.GithubException, match="140"):
        commit.create_status(state="success", description="x" * 141)
    with pytest.raises(github.GithubException, match="Validation Failed"):
        commit.create_status(state="great")


# -- apps ----------------------------------------------------------------------------------------


def test_app_endpoints_take_only_jwts(sim: GitHubSimulator) -> None:
    token = app_jwt()
    assert raw(sim, "GET", f"/repos/{REPO}/installation", token).json()["id"] == 1001
    assert raw(sim, "GET", f"/repos/{REPO}", token).status_code == 403
    assert raw(sim, "GET", "/app", "t").status_code == 401
    expired = app_jwt(iat=int(time.time()) - 1000, exp=int(time.time()) - 100)
    assert raw(sim, "GET", "/app", expired).status_code == 401
    narrowed = raw(
        sim,
        "POST",
        "/app/installations/1001/access_tokens",
        token,
        json={"permissions": {"issues": "write"}},
    )
    assert narrowed.status_code == 201 and narrowed.json()["permissions"] == {"issues": "write"}
    refused = raw(
        sim,
        "POST",
        "/app/installations/1001/access_tokens",
        token,
        json={"permissions": {"administration": "write"}},
    )
    assert refused.status_code == 422
    assert raw(sim, "POST", "/app/installations/7/access_tokens", token).status_code == 404
    assert [claims["iss"] for claims in sim.app_jwts] == ["424242"] * 5
    installation = narrowed.json()["token"]
    issue = raw(sim, "POST", f"/repos/{REPO}/issues", installation, json={"title": "t"})
    assert issue.status_code == 201 and issue.json()["user"]["login"] == "ci-rescue[bot]"
    checks = raw(sim, "POST", f"/repos/{REPO}/check-runs", installation, json={"name": "x"})
    assert checks.status_code == 403


def test_token_scopes_are_announced(sim: GitHubSimulator, gh: github.Github) -> None:
    gh.get_repo(REPO).get_branch("main")
    assert gh.oauth_scopes == ["repo", "workflow"]


def test_rate_limit_faults_look_like_githubs(sim: GitHubSimulator) -> None:
    sim.inject_rate_limit("GET", r"/repos/", kind="primary", reset_in=100, retry_after=5)
    answer = raw(sim, "GET", f"/repos/{REPO}", "t")
    assert answer.status_code == 403 and answer.headers["X-RateLimit-Remaining"] == "0"
    assert answer.headers["Retry-After"] == "5"
    assert answer.json()["message"].startswith("API rate limit exceeded")
    assert int(answer.headers["X-RateLimit-Reset"]) >= int(time.time()) + 90
    sim.inject_rate_limit("POST", r"/issues$", status=429)
    answer = raw(sim, "POST", f"/repos/{REPO}/issues", "t", json={"title": "t"})
    assert answer.status_code == 429
    assert answer.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert sim.get_issues(REPO) == []


# -- check webhooks ------------------------------------------------------------------------------


def keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict) else set()


def test_check_events_are_shaped_like_real_deliveries(sim: GitHubSimulator) -> None:
    real = json.loads(
        base64.b64decode(
            json.loads((FIXTURES / "signed.check_run.completed.json").read_text())[
                "body_raw_base64"
            ]
        )
    )
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"])])
    ours = sim.check_run_event(sim.get_jobs(run_id)[0]["id"])
    assert keys(real) <= keys(ours) | {"enterprise"}
    assert keys(real["check_run"]) <= keys(ours["check_run"])
    assert keys(real["check_run"]["check_suite"]) <= keys(ours["check_run"]["check_suite"])
    suite = sim.check_suite_event(run_id)
    assert suite["check_suite"]["app"]["slug"] == "github-actions"
    assert suite["check_suite"]["conclusion"] == "failure"


def absolute_urls(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from absolute_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from absolute_urls(item)
    elif isinstance(value, str) and value.startswith(("http://", "https://")):
        yield value


def test_every_new_url_is_on_base_url(sim: GitHubSimulator) -> None:
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"])])
    sim.add_branch(REPO, "fix")
    sim.add_file(REPO, "fix.txt", "x\n", branch="fix")
    sim.add_pull_request(REPO, head_branch="fix")
    sim.add_pull_request(REPO, head_branch="p", head_sha="a" * 40, fork_owner="someone")
    payloads = [
        *sim.get_pulls(REPO),
        sim.check_run_event(sim.get_jobs(run_id)[0]["id"]),
        sim.check_suite_event(run_id),
    ]
    urls = [u for p in payloads for u in absolute_urls(p)]
    assert urls and all(u.startswith(sim.base_url + "/") for u in urls), [
        u for u in urls if not u.startswith(sim.base_url)
    ]
