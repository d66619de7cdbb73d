"""Endpoints of the simulated git data, branches, commits and contents APIs.

Writes follow GitHub's rules: a tree must name existing objects, a ref update must be a fast
forward unless forced, a contents update needs the current blob sha, and a token without the
``workflow`` scope (an app without ``workflows: write``) may not add or change
``.github/workflows/**``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from .apps import Identity, require, workflow_refusal
from .context import ApiContext
from .errors import NotFoundError, SimError
from .git import Person
from .git_edits import check_workflow_writes, decoded, tree_edits, validation
from .git_payloads import (
    blob_json,
    branch_json,
    content_json,
    git_commit_json,
    ref_json,
    rest_commit_json,
    tree_json,
)
from .models import RepoRecord
from .router import ApiRequest, ApiResponse, Router, json_response, paginate
from .state import SimState

__all__ = ["register_git"]

_SHA = re.compile(r"^[0-9a-f]{40}$")


def _person(state: SimState, request: ApiRequest, given: Any = None) -> Person:
    identity: Identity | None = request.identity
    login = identity.login if identity is not None else state.login
    if isinstance(given, dict) and isinstance(given.get("name"), str):
        return Person(given["name"], str(given.get("email", "")), state.clock())
    return Person(login, f"{state.user_id(login)}+{login}@users.noreply.github.com", state.clock())


def register_git(router: Router, ctx: ApiContext) -> None:
    """Register the git data, branch, commit and contents endpoints on ``router``."""
    state = ctx.state
    prefix = "/repos/{owner}/{repo}"

    def commit_of(repo: RepoRecord, ref: str) -> str:
        sha = repo.git.resolve(ref)
        if sha is None:
            raise SimError(404, f"No commit found for the ref {ref}")
        return sha

    # -- refs ----------------------------------------------------------------------------------

    def get_ref(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        name = "refs/" + request.params["ref"].strip("/")
        with state.lock:
            sha = repo.git.refs.get(name)
            if sha is None:
                raise NotFoundError()
            return json_response(200, ref_json(repo, name, sha, ctx.urls()))

    def list_refs(request: ApiRequest, match: str = "") -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            names = sorted(n for n in repo.git.refs if n.startswith("refs/" + match))
            return ctx.json_page(
                request, names, lambda n, urls: ref_json(repo, n, repo.git.refs[n], urls)
            )

    def matching_refs(request: ApiRequest) -> ApiResponse:
        return list_refs(request, request.params["ref"])

    def create_ref(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        name, sha = payload.get("ref"), payload.get("sha")
        require(request.identity, "contents")
        if not isinstance(name, str) or not name.startswith("refs/") or name.count("/") < 2:
            raise SimError(422, "Reference name must start with 'refs/' and have two slashes")
        if not isinstance(sha, str):
            raise validation("sha", "missing_field")
        with state.lock:
            if name in repo.git.refs:
                raise SimError(422, "Reference already exists")
            if sha.lower() not in repo.git.commits:
                raise SimError(422, "Object does not exist")
            check_workflow_writes(repo.git, request.identity, sha.lower())
            repo.git.refs[name] = sha.lower()
            return json_response(201, ref_json(repo, name, sha.lower(), ctx.urls()))

    def update_ref(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        name = "refs/" + request.params["ref"].strip("/")
        sha = payload.get("sha")
        require(request.identity, "contents")
        if not isinstance(sha, str):
            raise validation("sha", "missing_field")
        with state.lock:
            old = repo.git.refs.get(name)
            if old is None:
                raise SimError(422, "Reference does not exist")
            if sha.lower() not in repo.git.commits:
                raise SimError(422, "Object does not exist")
            if not payload.get("force") and old not in repo.git.ancestors(sha.lower()):
                raise SimError(422, "Update is not a fast forward")
            check_workflow_writes(repo.git, request.identity, sha.lower())
            repo.git.refs[name] = sha.lower()
            return json_response(200, ref_json(repo, name, sha.lower(), ctx.urls()))

    def delete_ref(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        name = "refs/" + request.params["ref"].strip("/")
        require(request.identity, "contents")
        with state.lock:
            if repo.git.refs.pop(name, None) is None:
                raise SimError(422, "Reference does not exist")
        return ApiResponse(204)

    # -- objects -------------------------------------------------------------------------------

    def get_commit(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            commit = repo.git.commit(request.params["sha"])
            return json_response(200, git_commit_json(repo, commit, ctx.urls()))

    def create_commit(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        require(request.identity, "contents")
        message, tree, parents = payload.get("message"), payload.get("tree"), payload.get("parents")
        if not isinstance(message, str):
            raise validation("message", "missing_field")
        if not isinstance(tree, str):
            raise validation("tree", "missing_field")
        if parents is None:
            parents = []
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            raise validation("parents")
        with state.lock:
            git = repo.git
            if tree not in git.trees:
                raise SimError(422, "Tree SHA does not exist")
            for parent in parents:
                if parent not in git.commits:
                    raise SimError(422, "Parent SHA does not exist or is not a commit object")
            author = _person(state, request, payload.get("author"))
            committer = _person(state, request, payload.get("committer") or payload.get("author"))
            commit = git.put_commit(tree, tuple(parents), message, author, committer)
            return json_response(201, git_commit_json(repo, commit, ctx.urls()))

    def get_tree(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            sha = request.params["sha"]
            if sha not in repo.git.trees:
                resolved = repo.git.resolve(sha)
                if resolved is None:
                    raise NotFoundError()
                sha = repo.git.commits[resolved].tree
            recursive = request.query.get("recursive", "") not in ("", "0", "false")
            return json_response(200, tree_json(repo, sha, ctx.urls(), recursive=recursive))

    def create_tree(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        require(request.identity, "contents")
        with state.lock:
            sha = repo.git.build_tree(tree_edits(repo.git, payload))
            return json_response(201, tree_json(repo, sha, ctx.urls(), recursive=False))

    def get_blob(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            if request.params["sha"] not in repo.git.blobs:
                raise NotFoundError()
            return json_response(200, blob_json(repo, request.params["sha"], ctx.urls()))

    def create_blob(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        require(request.identity, "contents")
        content = payload.get("content")
        if not isinstance(content, str):
            raise validation("content", "missing_field", resource="Blob")
        encoding = payload.get("encoding", "utf-8")
        if encoding == "base64":
            data = decoded(payload, "content")
        elif encoding in ("utf-8", "utf8"):
            data = content.encode("utf-8")
        else:
            raise SimError(422, f"encoding must be 'utf-8' or 'base64', not {encoding!r}")
        with state.lock:
            sha = repo.git.put_blob(data)
        return json_response(201, {"url": ctx.urls().repo(repo, f"/git/blobs/{sha}"), "sha": sha})

    # -- branches and commits ------------------------------------------------------------------

    def get_branch(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        name = request.params["branch"]
        with state.lock:
            if repo.git.branch(name) is None:
                raise NotFoundError("Branch not found")
            return json_response(200, branch_json(repo, name, ctx.urls()))

    def list_branches(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            names = sorted(
                n[len("refs/heads/") :] for n in repo.git.refs if n.startswith("refs/heads/")
            )
            page, headers = paginate(request, names, ctx.base_url())
            urls = ctx.urls()
            body = []
            for name in page:
                item = branch_json(repo, name, urls)
                body.append(
                    {
                        "name": name,
                        "commit": {"sha": item["commit"]["sha"], "url": item["commit"]["url"]},
                        "protected": False,
                    }
                )
        return json_response(200, body, headers)

    def get_rest_commit(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            sha = commit_of(repo, request.params["ref"])
            return json_response(200, rest_commit_json(repo, repo.git.commits[sha], ctx.urls()))

    # -- contents ------------------------------------------------------------------------------

    def get_contents(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        path = unquote(request.params.get("path", "")).strip("/")
        with state.lock:
            ref = request.query.get("ref") or repo.default_branch
            sha = commit_of(repo, ref)
            git = repo.git
            entry = git.lookup(git.commits[sha].tree, path)
            if entry is None:
                raise NotFoundError()
            urls = ctx.urls()
            if entry.type == "tree":
                items = [
                    content_json(repo, f"{path}/{n}".lstrip("/"), e, ref, urls, with_content=False)
                    for n, e in sorted(git.trees[entry.sha].items())
                ]
                return json_response(200, items)
            return json_response(200, content_json(repo, path, entry, ref, urls, with_content=True))

    def write_contents(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        path = unquote(request.params["path"]).strip("/")
        payload = request.json_object()
        require(request.identity, "contents")
        message = payload.get("message")
        if not isinstance(message, str):
            raise validation("message", "missing_field", resource="Content")
        deleting = request.method == "DELETE"
        data = None if deleting else decoded(payload, "content")
        refusal = workflow_refusal(request.identity, path)
        if refusal is not None:
            raise refusal
        with state.lock:
            branch = payload.get("branch") or repo.default_branch
            tip = repo.git.branch(branch)
            if tip is None:
                raise SimError(404, f"Branch {branch} not found")
            git = repo.git
            current = git.lookup(git.commits[tip].tree, path)
            given = payload.get("sha")
            if current is not None and current.type == "tree":
                raise SimError(422, f"{path} is a directory")
            if current is None and deleting:
                raise NotFoundError()
            if current is not None and given is None:
                raise SimError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
            if current is not None and given != current.sha:
                raise SimError(409, f"{path} does not match {given}")
            person = _person(state, request, payload.get("committer"))
            commit = git.commit_files(tip, {path: data}, message, person)
            git.refs[f"refs/heads/{branch}"] = commit.sha
            urls = ctx.urls()
            entry = git.lookup(commit.tree, path)
            body = {
                "content": None
                if entry is None
                else content_json(repo, path, entry, branch, urls, with_content=False),
                "commit": git_commit_json(repo, commit, urls),
            }
        return json_response(200 if current is not None else 201, body)

    router.add("GET", f"{prefix}/git/ref/{{ref+}}", get_ref)
    router.add("GET", f"{prefix}/git/refs", list_refs)
    router.add("GET", f"{prefix}/git/matching-refs/{{ref+}}", matching_refs)
    router.add("POST", f"{prefix}/git/refs", create_ref)
    router.add("PATCH", f"{prefix}/git/refs/{{ref+}}", update_ref)
    router.add("DELETE", f"{prefix}/git/refs/{{ref+}}", delete_ref)
    router.add("GET", f"{prefix}/git/commits/{{sha}}", get_commit)
    router.add("POST", f"{prefix}/git/commits", create_commit)
    router.add("GET", f"{prefix}/git/trees/{{sha}}", get_tree)
    router.add("POST", f"{prefix}/git/trees", create_tree)
    router.add("GET", f"{prefix}/git/blobs/{{sha}}", get_blob)
    router.add("POST", f"{prefix}/git/blobs", create_blob)
    router.add("GET", f"{prefix}/branches", list_branches)
    router.add("GET", f"{prefix}/branches/{{branch+}}", get_branch)
    router.add("GET", f"{prefix}/commits/{{ref}}", get_rest_commit)
    router.add("GET", f"{prefix}/contents", get_contents)
    router.add("GET", f"{prefix}/contents/{{path+}}", get_contents)
    router.add("PUT", f"{prefix}/contents/{{path+}}", write_contents)
    router.add("DELETE", f"{prefix}/contents/{{path+}}", write_contents)
