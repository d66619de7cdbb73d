"""A tiny GraphQL endpoint: the pull-request mutations ci-rescue needs.

Understands ``mutation …($input: XInput!) { x(input: $input) { … } }`` (the shape PyGithub's
``graphql_named_mutation`` sends) for ``enablePullRequestAutoMerge``,
``disablePullRequestAutoMerge`` and ``revertPullRequest``. Errors come back as GitHub's do: HTTP
200 with an ``errors`` list.
"""

from __future__ import annotations

import re
from typing import Any

from .context import ApiContext
from .git import Person
from .models import IssueRecord, RepoRecord
from .payloads import node_id
from .pulls import changed_files, create_pull, pull_json
from .router import ApiRequest, ApiResponse, Router, json_response
from .state import SimState

__all__ = ["register_graphql"]

_MUTATION = re.compile(r"^\s*mutation\b[^{]*\{\s*(?P<name>\w+)\s*\(", re.S)
_MERGE_METHODS = ("MERGE", "SQUASH", "REBASE")


class _GraphQLError(Exception):
    def __init__(self, message: str, kind: str = "UNPROCESSABLE") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def _find_pull(state: SimState, pull_node: Any) -> tuple[RepoRecord, IssueRecord]:
    for repo in state.repos.values():
        for issue in repo.issues.values():
            if issue.pull is not None and node_id("PR", issue.pull.id) == pull_node:
                return repo, issue
    raise _GraphQLError(
        f"Could not resolve to a node with the global id of '{pull_node}'", "NOT_FOUND"
    )


def _actor(state: SimState, login: str, base: str) -> dict[str, Any]:
    return {
        "avatarUrl": f"{base}/_avatars/u/{state.user_id(login)}?v=4",
        "login": login,
        "resourcePath": f"/{login}",
        "url": f"{base}/{login}",
    }


def _pull_node(
    state: SimState, repo: RepoRecord, issue: IssueRecord, ctx: ApiContext
) -> dict[str, Any]:
    data = pull_json(state, repo, issue, ctx.urls())
    return {
        "id": data["node_id"],
        "number": issue.number,
        "url": data["html_url"],
        "state": issue.state.upper(),
    }


def register_graphql(router: Router, ctx: ApiContext) -> None:
    """Register ``POST /graphql`` on ``router``."""
    state = ctx.state

    def enable(request: ApiRequest, data: dict[str, Any]) -> dict[str, Any]:
        repo, issue = _find_pull(state, data.get("pullRequestId"))
        assert issue.pull is not None
        method = data.get("mergeMethod", "MERGE")
        if method not in _MERGE_METHODS:
            raise _GraphQLError(f"Invalid merge method {method!r}")
        if not repo.allow_auto_merge:
            raise _GraphQLError("Pull request Auto merge is not allowed for this repository")
        if issue.state != "open":
            raise _GraphQLError("Pull request Pull request is closed")
        if issue.pull.draft:
            raise _GraphQLError("Pull request Pull request is in draft state")
        login = ctx.login(request)
        issue.pull.auto_merge = {
            "enabled_by": login,
            "merge_method": method.lower(),
            "commit_title": data.get("commitHeadline") or issue.title,
            "commit_message": data.get("commitBody") or "",
        }
        return {
            "actor": _actor(state, login, ctx.base_url()),
            "clientMutationId": data.get("clientMutationId"),
            "pullRequest": _pull_node(state, repo, issue, ctx),
        }

    def disable(request: ApiRequest, data: dict[str, Any]) -> dict[str, Any]:
        repo, issue = _find_pull(state, data.get("pullRequestId"))
        assert issue.pull is not None
        issue.pull.auto_merge = None
        return {
            "actor": _actor(state, ctx.login(request), ctx.base_url()),
            "clientMutationId": data.get("clientMutationId"),
            "pullRequest": _pull_node(state, repo, issue, ctx),
        }

    def revert(request: ApiRequest, data: dict[str, Any]) -> dict[str, Any]:
        repo, issue = _find_pull(state, data.get("pullRequestId"))
        pull = issue.pull
        assert pull is not None
        if not pull.merged or pull.merge_commit_sha is None:
            raise _GraphQLError("Pull request is not merged")
        git = repo.git
        tip = git.branch(pull.base_ref)
        if tip is None:
            raise _GraphQLError(f"Base branch {pull.base_ref} does not exist")
        parent = git.commits[pull.merge_commit_sha].parents[0]
        restore = {path: git.read(parent, path) for path in changed_files(repo, pull)}
        login = ctx.login(request)
        person = Person(
            login, f"{state.user_id(login)}+{login}@users.noreply.github.com", state.clock()
        )
        branch = f"revert-{issue.number}-{pull.head_ref}"
        title = data.get("title") or f'Revert "{issue.title}"'
        commit = git.commit_files(tip, restore, title, person)
        if f"refs/heads/{branch}" in git.refs:
            raise _GraphQLError(f"Branch {branch} already exists")
        git.refs[f"refs/heads/{branch}"] = commit.sha
        body = data.get("body") or f"Reverts {repo.full_name}#{issue.number}"
        reverting = create_pull(
            state,
            repo,
            {
                "title": title,
                "body": body,
                "head": branch,
                "base": pull.base_ref,
                "draft": bool(data.get("draft")),
            },
            login,
        )
        return {
            "clientMutationId": data.get("clientMutationId"),
            "pullRequest": _pull_node(state, repo, issue, ctx),
            "revertPullRequest": _pull_node(state, repo, reverting, ctx),
        }

    mutations = {
        "enablePullRequestAutoMerge": enable,
        "disablePullRequestAutoMerge": disable,
        "revertPullRequest": revert,
    }

    def graphql(request: ApiRequest) -> ApiResponse:
        body = request.json_object()
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            return json_response(
                200,
                {
                    "errors": [
                        {"message": "A query attribute must be specified and must be a string."}
                    ]
                },
            )
        match = _MUTATION.match(query)
        if match is None or match.group("name") not in mutations:
            name = match.group("name") if match else "query"
            return json_response(
                200,
                {"errors": [{"message": f"Field '{name}' doesn't exist on type 'Mutation'",
                             "extensions": {"code": "undefinedField"}}]},
            )  # fmt: skip
        name = match.group("name")
        data = variables.get("input")
        if not isinstance(data, dict):
            return json_response(
                200, {"errors": [{"message": "Variable $input of type was not provided."}]}
            )
        try:
            with state.lock:
                result = mutations[name](request, data)
        except _GraphQLError as error:
            return json_response(
                200,
                {"data": {name: None},
                 "errors": [{"type": error.kind, "path": [name], "message": error.message,
                             "locations": [{"line": 1, "column": 1}]}]},
            )  # fmt: skip
        return json_response(200, {"data": {name: result}})

    router.add("POST", "/graphql", graphql)
