"""Endpoints of the simulated Pulls API: create, list, get, edit, files, merge, and the pulls of a
commit (``GET …/commits/{sha}/pulls``, how fork pull requests are found)."""

from __future__ import annotations

from typing import Any

from .apps import require
from .context import ApiContext
from .errors import SimError
from .git import Person
from .git_payloads import LARGE_FILE_BYTES
from .models import IssueRecord, RepoRecord
from .pulls import (
    changed_files,
    create_pull,
    get_pull,
    head_sha,
    list_pulls,
    pull_json,
    pulls_of_commit,
)
from .router import ApiRequest, ApiResponse, Router, json_response, paginate
from .state import SimState

__all__ = ["merge_pull", "register_pulls"]


def merge_pull(state: SimState, repo: RepoRecord, number: int, user: str) -> str:
    """Merge pull *number* into its base with a merge commit; returns the commit's sha.

    The merge commit's tree is the base tip's with the pull's changed files applied.
    """
    with state.lock:
        issue = get_pull(state, repo, number)
        pull = issue.pull
        assert pull is not None
        if issue.state != "open" or pull.merged:
            raise SimError(405, "Pull Request is not mergeable")
        git = repo.git
        base_tip = git.branch(pull.base_ref)
        head = head_sha(repo, pull)
        if base_tip is None or head not in git.commits:
            raise SimError(405, "Pull Request is not mergeable")
        files = changed_files(repo, pull)
        person = Person(
            user, f"{state.user_id(user)}+{user}@users.noreply.github.com", state.clock()
        )
        applied = git.commit_files(base_tip, files, f"Merge pull request #{number}", person)
        merge = git.put_commit(applied.tree, (base_tip, head), applied.message, person, person)
        git.refs[f"refs/heads/{pull.base_ref}"] = merge.sha
        now = state.clock()
        pull.merged, pull.merged_at, pull.merged_by, pull.merge_commit_sha = (
            True,
            now,
            user,
            merge.sha,
        )
        issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "closed", now, user, now
        return merge.sha


def register_pulls(router: Router, ctx: ApiContext) -> None:
    """Register the pull-request endpoints on ``router``."""
    state = ctx.state
    prefix = "/repos/{owner}/{repo}"

    def respond(status: int, repo: RepoRecord, issue: IssueRecord) -> ApiResponse:
        with state.lock:
            return json_response(status, pull_json(state, repo, issue, ctx.urls()))

    def post_pull(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        require(request.identity, "pull_requests")
        issue = create_pull(state, repo, request.json_object(), ctx.login(request))
        return respond(201, repo, issue)

    def get_pulls(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            items = list_pulls(state, repo, request.query)
            return ctx.json_page(request, items, lambda i, urls: pull_json(state, repo, i, urls))

    def get_one(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        return respond(200, repo, get_pull(state, repo, ctx.int_param(request, "number")))

    def patch_pull(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        require(request.identity, "pull_requests")
        payload: dict[str, Any] = request.json_object()
        with state.lock:
            issue = get_pull(state, repo, ctx.int_param(request, "number"))
            if isinstance(payload.get("title"), str):
                issue.title = payload["title"]
            if "body" in payload:
                issue.body = payload["body"]
            new_state = payload.get("state")
            if new_state == "closed" and issue.state == "open":
                issue.state, issue.closed_at, issue.closed_by = (
                    "closed",
                    state.clock(),
                    ctx.login(request),
                )
            elif new_state == "open" and issue.state == "closed":
                assert issue.pull is not None
                if issue.pull.merged:
                    raise SimError(422, "Cannot reopen a merged pull request")
                issue.state, issue.closed_at, issue.closed_by = "open", None, None
            issue.updated_at = state.clock()
        return respond(200, repo, issue)

    def pull_files(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            issue = get_pull(state, repo, ctx.int_param(request, "number"))
            assert issue.pull is not None
            files = changed_files(repo, issue.pull)
            urls = ctx.urls()
            body = [
                {
                    "sha": None,
                    "filename": path,
                    "status": "removed" if data is None else "modified",
                    "additions": 0,
                    "deletions": 0,
                    "changes": 0,
                    "blob_url": urls.html(f"/{repo.full_name}/blob/HEAD/{path}"),
                    "raw_url": urls.html(f"/{repo.full_name}/raw/HEAD/{path}"),
                    "contents_url": urls.repo(repo, f"/contents/{path}"),
                    "size": 0 if data is None else min(len(data), LARGE_FILE_BYTES),
                }
                for path, data in files.items()
            ]
            page, headers = paginate(request, body, ctx.base_url())
        return json_response(200, page, headers)

    def put_merge(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        require(request.identity, "contents")
        request.json_object()
        sha = merge_pull(state, repo, ctx.int_param(request, "number"), ctx.login(request))
        return json_response(
            200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
        )

    def commit_pulls(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            items = pulls_of_commit(state, repo, request.params["sha"])
            return ctx.json_page(request, items, lambda i, urls: pull_json(state, repo, i, urls))

    router.add("GET", f"{prefix}/pulls", get_pulls)
    router.add("POST", f"{prefix}/pulls", post_pull)
    router.add("GET", f"{prefix}/pulls/{{number}}", get_one)
    router.add("PATCH", f"{prefix}/pulls/{{number}}", patch_pull)
    router.add("GET", f"{prefix}/pulls/{{number}}/files", pull_files)
    router.add("PUT", f"{prefix}/pulls/{{number}}/merge", put_merge)
    router.add("GET", f"{prefix}/commits/{{sha}}/pulls", commit_pulls)
