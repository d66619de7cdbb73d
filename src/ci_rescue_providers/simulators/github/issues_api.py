"""Endpoints of the simulated Issues API: issues, comments and labels."""

from __future__ import annotations

from .context import ApiContext
from .issues import (
    add_comment,
    add_issue_labels,
    create_issue,
    create_label,
    find_comment,
    get_issue,
    get_label,
    list_issues,
    remove_issue_label,
    update_comment,
    update_issue,
)
from .models import IssueRecord, RepoRecord, SimError
from .payloads import comment_json, issue_json, label_json
from .router import ApiRequest, ApiResponse, Router, json_response

__all__ = ["register_issues"]


def _label_list(request: ApiRequest) -> list[str]:
    value = request.json_body(default=[])
    if isinstance(value, dict):
        value = value.get("labels", [])
    if not isinstance(value, list) or not all(isinstance(v, (str, dict)) for v in value):
        raise SimError(422, "Invalid request.\n\nLabels must be a list of names.")
    names = [v.get("name", "") if isinstance(v, dict) else v for v in value]
    return [n for n in names if isinstance(n, str) and n]


def register_issues(router: Router, ctx: ApiContext) -> None:
    """Register the issue, comment and label endpoints on ``router``."""
    state = ctx.state
    prefix = "/repos/{owner}/{repo}"

    def issue_response(status: int, repo: RepoRecord, issue: IssueRecord) -> ApiResponse:
        with state.lock:
            return json_response(status, issue_json(state, repo, issue, ctx.urls()))

    def post_issue(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        issue = create_issue(state, repo, request.json_object(), ctx.login(request))
        return issue_response(201, repo, issue)

    def get_issues(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            items = list_issues(state, repo, request.query)
            return ctx.json_page(request, items, lambda i, urls: issue_json(state, repo, i, urls))

    def get_one(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        return issue_response(200, repo, get_issue(state, repo, ctx.int_param(request, "number")))

    def patch_issue(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        number = ctx.int_param(request, "number")
        issue = update_issue(state, repo, number, payload, ctx.login(request))
        return issue_response(200, repo, issue)

    def issue_labels(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        number = ctx.int_param(request, "number")
        with state.lock:
            if request.method in ("POST", "PUT"):
                issue = add_issue_labels(
                    state, repo, number, _label_list(request), replace=request.method == "PUT"
                )
            else:
                issue = get_issue(state, repo, number)
            urls = ctx.urls()
            return json_response(
                200, [label_json(repo, repo.labels[n.lower()], urls) for n in issue.labels]
            )

    def delete_issue_label(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            issue = remove_issue_label(
                state, repo, ctx.int_param(request, "number"), request.params["name"]
            )
            urls = ctx.urls()
            return json_response(
                200, [label_json(repo, repo.labels[n.lower()], urls) for n in issue.labels]
            )

    def post_comment(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        number = ctx.int_param(request, "number")
        comment = add_comment(state, repo, number, payload, ctx.login(request))
        with state.lock:
            return json_response(201, comment_json(state, repo, comment, ctx.urls()))

    def get_comments(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            comments = list(get_issue(state, repo, ctx.int_param(request, "number")).comments)
            return ctx.json_page(
                request, comments, lambda c, urls: comment_json(state, repo, c, urls)
            )

    def get_comment(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            comment = find_comment(state, repo, ctx.int_param(request, "comment_id"))
            return json_response(200, comment_json(state, repo, comment, ctx.urls()))

    def patch_comment(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        payload = request.json_object()
        with state.lock:
            comment = update_comment(state, repo, ctx.int_param(request, "comment_id"), payload)
            return json_response(200, comment_json(state, repo, comment, ctx.urls()))

    def get_labels(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            labels = sorted(repo.labels.values(), key=lambda label: label.id)
            return ctx.json_page(request, labels, lambda label, urls: label_json(repo, label, urls))

    def get_one_label(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            label = get_label(state, repo, request.params["name"])
            return json_response(200, label_json(repo, label, ctx.urls()))

    def post_label(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        label = create_label(state, repo, request.json_object())
        with state.lock:
            return json_response(201, label_json(repo, label, ctx.urls()))

    router.add("GET", f"{prefix}/issues", get_issues)
    router.add("POST", f"{prefix}/issues", post_issue)
    # /issues/comments/{id} is listed before /issues/{number}/... patterns on purpose.
    router.add("GET", f"{prefix}/issues/comments/{{comment_id}}", get_comment)
    router.add("PATCH", f"{prefix}/issues/comments/{{comment_id}}", patch_comment)
    router.add("GET", f"{prefix}/issues/{{number}}", get_one)
    router.add("PATCH", f"{prefix}/issues/{{number}}", patch_issue)
    router.add("GET", f"{prefix}/issues/{{number}}/comments", get_comments)
    router.add("POST", f"{prefix}/issues/{{number}}/comments", post_comment)
    for method in ("GET", "POST", "PUT"):
        router.add(method, f"{prefix}/issues/{{number}}/labels", issue_labels)
    router.add("DELETE", f"{prefix}/issues/{{number}}/labels/{{name}}", delete_issue_label)
    router.add("GET", f"{prefix}/labels", get_labels)
    router.add("POST", f"{prefix}/labels", post_label)
    router.add("GET", f"{prefix}/labels/{{name}}", get_one_label)
