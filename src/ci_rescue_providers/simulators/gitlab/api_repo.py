"""Repository endpoints: branches, files, commits with actions, commit comments."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .context import ApiContext
from .models import CommitCommentRecord, NotFoundError, SimError
from .payloads import api_time, blob_id, branch_json, commit_json, user_json
from .router import ApiRequest, ApiResponse, Router, json_response

__all__ = ["register_repository"]


def register_repository(router: Router, ctx: ApiContext) -> None:
    """Add the repository endpoints to ``router``."""
    base = "/projects/{project}/repository"

    def list_branches(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        urls = ctx.urls()
        branches = sorted(project.branches.values(), key=lambda b: b.name)
        return ctx.page(request, [branch_json(ctx.state, b, project, urls) for b in branches])

    def get_branch(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        branch = project.branches.get(request.params["branch"])
        if branch is None:
            raise NotFoundError("Branch")
        return json_response(200, branch_json(ctx.state, branch, project, ctx.urls()))

    def create_branch(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        data = request.data()
        ctx.required(data, "branch", "ref")
        branch = ctx.state.create_branch(project, str(data["branch"]), str(data["ref"]))
        return json_response(201, branch_json(ctx.state, branch, project, ctx.urls()))

    def delete_branch(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        branch = project.branches.get(request.params["branch"])
        if branch is None:
            raise NotFoundError("Branch")
        if branch.protected or branch.name == project.default_branch:
            raise SimError(403, "403 Forbidden - Protected branch cannot be deleted")
        del project.branches[branch.name]
        return ApiResponse(204)

    def _file(request: ApiRequest, *, ref_required: bool) -> tuple[bytes, dict[str, str]]:
        project = ctx.project(request)
        ref = request.query.get("ref")
        if ref_required and not ref:
            raise SimError(400, "ref is missing")
        commit = ctx.state.resolve_ref(project, ref)
        path = request.params["file_path"]
        if path not in commit.tree:
            raise NotFoundError("File")
        content = commit.tree[path]
        headers = {
            "X-Gitlab-File-Name": path.rsplit("/", 1)[-1],
            "X-Gitlab-File-Path": path,
            "X-Gitlab-Size": str(len(content)),
            "X-Gitlab-Encoding": "base64",
            "X-Gitlab-Blob-Id": blob_id(content),
            "X-Gitlab-Commit-Id": commit.sha,
            "X-Gitlab-Last-Commit-Id": commit.sha,
            "X-Gitlab-Ref": ref or project.default_branch,
            "X-Gitlab-Content-Sha256": hashlib.sha256(content).hexdigest(),
        }
        return content, headers

    def get_file(request: ApiRequest) -> ApiResponse:
        content, headers = _file(request, ref_required=True)
        body: dict[str, Any] = {
            "file_name": headers["X-Gitlab-File-Name"],
            "file_path": headers["X-Gitlab-File-Path"],
            "size": len(content),
            "encoding": "base64",
            "content": base64.b64encode(content).decode("ascii"),
            "content_sha256": headers["X-Gitlab-Content-Sha256"],
            "ref": headers["X-Gitlab-Ref"],
            "blob_id": headers["X-Gitlab-Blob-Id"],
            "commit_id": headers["X-Gitlab-Commit-Id"],
            "last_commit_id": headers["X-Gitlab-Last-Commit-Id"],
        }
        return json_response(200, body, headers)

    def raw_file(request: ApiRequest) -> ApiResponse:
        content, headers = _file(request, ref_required=False)
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return ApiResponse(200, content, headers)

    def create_commit(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        data = request.data()
        ctx.required(data, "branch", "commit_message", "actions")
        actions = data["actions"]
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            raise SimError(400, "actions is invalid")
        start = data.get("start_branch")
        commit = ctx.state.commit_actions(
            project,
            branch=str(data["branch"]),
            start_branch=str(start) if start else None,
            message=str(data["commit_message"]),
            actions=actions,
        )
        return json_response(201, commit_json(commit, project, ctx.urls()))

    def get_commit(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        commit = ctx.state.resolve_ref(project, request.params["sha"])
        return json_response(200, commit_json(commit, project, ctx.urls()))

    def list_comments(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        commit = ctx.state.resolve_ref(project, request.params["sha"])
        urls = ctx.urls()
        items = [
            _comment_json(comment, urls) for comment in project.commit_comments.get(commit.sha, [])
        ]
        return ctx.page(request, items)

    def create_comment(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        data = request.data()
        ctx.required(data, "note")
        sha = request.params["sha"]
        if sha not in project.commits:
            raise NotFoundError("Commit")
        line = data.get("line")
        comment = CommitCommentRecord(
            note=str(data["note"]),
            author=ctx.state.bot,
            created_at=ctx.state.now(),
            path=str(data["path"]) if data.get("path") else None,
            line=int(line) if line not in (None, "") else None,
            line_type=str(data["line_type"]) if data.get("line_type") else None,
        )
        project.commit_comments.setdefault(sha, []).append(comment)
        return json_response(201, _comment_json(comment, ctx.urls()))

    def _comment_json(comment: CommitCommentRecord, urls: Any) -> dict[str, Any]:
        return {
            "note": comment.note,
            "path": comment.path,
            "line": comment.line,
            "line_type": comment.line_type,
            "author": user_json(comment.author, urls),
            "created_at": api_time(comment.created_at),
        }

    router.add("GET", f"{base}/branches", list_branches)
    router.add("GET", f"{base}/branches/{{branch}}", get_branch)
    router.add("POST", f"{base}/branches", create_branch)
    router.add("DELETE", f"{base}/branches/{{branch}}", delete_branch)
    router.add("GET", f"{base}/files/{{file_path}}", get_file)
    router.add("GET", f"{base}/files/{{file_path}}/raw", raw_file)
    router.add("POST", f"{base}/commits", create_commit)
    router.add("GET", f"{base}/commits/{{sha}}", get_commit)
    router.add("GET", f"{base}/commits/{{sha}}/comments", list_comments)
    router.add("POST", f"{base}/commits/{{sha}}/comments", create_comment)
