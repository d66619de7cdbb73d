"""Issue, merge request, label, note and user endpoints."""

from __future__ import annotations

from typing import Any

from .context import ApiContext, truthy
from .models import IssueRecord, MergeRequestRecord, SimError
from .payloads import issue_json, label_json, merge_request_json, note_json, user_json
from .router import ApiRequest, ApiResponse, Router, json_response
from .tracker import split_labels

__all__ = ["register_tracker"]


def _ids(value: Any) -> list[int]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    try:
        return [int(item) for item in items]
    except (TypeError, ValueError):
        raise SimError(400, "ids are invalid") from None


def _state_filter(query: dict[str, str]) -> str | None:
    state = query.get("state", "all")
    if state not in ("opened", "closed", "merged", "all", "locked"):
        raise SimError(400, "state does not have a valid value")
    return None if state == "all" else state


def _has_labels(labels: list[str], wanted: list[str]) -> bool:
    have = {label.lower() for label in labels}
    return all(label.lower() in have for label in wanted)


def register_tracker(router: Router, ctx: ApiContext) -> None:
    """Add the issue, merge request, label, note and user endpoints to ``router``."""
    base = "/projects/{project}"

    def list_labels(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        labels = sorted(project.labels.values(), key=lambda label: label.id)
        return ctx.page(request, [label_json(label) for label in labels])

    def create_label(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        data = request.data()
        ctx.required(data, "name", "color")
        label = ctx.tracker.create_label(
            project, str(data["name"]), str(data["color"]), data.get("description")
        )
        return json_response(201, label_json(label))

    def list_issues(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        query = request.query
        state = _state_filter(query)
        wanted = split_labels(query.get("labels"))
        search = query.get("search", "").lower()
        issues = [
            issue
            for issue in sorted(project.issues.values(), key=lambda i: i.iid, reverse=True)
            if (state is None or issue.state == state)
            and _has_labels(issue.labels, wanted)
            and (not search or search in issue.title.lower() or search in issue.description.lower())
        ]
        urls = ctx.urls()
        return ctx.page(request, [issue_json(ctx.state, i, project, urls) for i in issues])

    def create_issue(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        data = request.data()
        ctx.required(data, "title")
        issue = ctx.tracker.create_issue(
            project,
            title=str(data["title"]),
            description=str(data.get("description") or ""),
            labels=split_labels(data.get("labels")),
            assignee_ids=_ids(data.get("assignee_ids")),
        )
        return json_response(201, issue_json(ctx.state, issue, project, ctx.urls()))

    def get_issue(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        issue = ctx.tracker.issue(project, ctx.int_param(request, "iid"))
        return json_response(200, issue_json(ctx.state, issue, project, ctx.urls()))

    def list_mrs(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        query = request.query
        state = _state_filter(query)
        wanted = split_labels(query.get("labels"))
        mrs = [
            mr
            for mr in sorted(project.merge_requests.values(), key=lambda m: m.iid, reverse=True)
            if (state is None or mr.state == state)
            and _has_labels(mr.labels, wanted)
            and query.get("source_branch", mr.source_branch) == mr.source_branch
            and query.get("target_branch", mr.target_branch) == mr.target_branch
        ]
        urls = ctx.urls()
        return ctx.page(request, [merge_request_json(ctx.state, m, project, urls) for m in mrs])

    def create_mr(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        data = request.data()
        ctx.required(data, "source_branch", "target_branch", "title")
        mr = ctx.tracker.create_merge_request(
            project,
            source_branch=str(data["source_branch"]),
            target_branch=str(data["target_branch"]),
            title=str(data["title"]),
            description=str(data.get("description") or ""),
            labels=split_labels(data.get("labels")),
            remove_source_branch=truthy(data.get("remove_source_branch", False)),
            assignee_ids=_ids(data.get("assignee_ids")),
            reviewer_ids=_ids(data.get("reviewer_ids")),
        )
        return json_response(201, merge_request_json(ctx.state, mr, project, ctx.urls()))

    def get_mr(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        mr = ctx.tracker.merge_request(project, ctx.int_param(request, "iid"))
        return json_response(200, merge_request_json(ctx.state, mr, project, ctx.urls()))

    def update_mr(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        mr = ctx.tracker.merge_request(project, ctx.int_param(request, "iid"))
        event = request.data().get("state_event")
        if event is not None:
            ctx.tracker.set_state(mr, str(event))
        return json_response(200, merge_request_json(ctx.state, mr, project, ctx.urls()))

    def merge_mr(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        mr = ctx.tracker.merge_request(project, ctx.int_param(request, "iid"))
        data = request.data()
        if not (truthy(data.get("merge_when_pipeline_succeeds")) or truthy(data.get("auto_merge"))):
            raise SimError(405, "405 Method Not Allowed - the simulator only sets auto-merge")
        ctx.tracker.auto_merge(mr)
        return json_response(200, merge_request_json(ctx.state, mr, project, ctx.urls()))

    def _target(request: ApiRequest, kind: str) -> IssueRecord | MergeRequestRecord:
        project = ctx.project(request)
        iid = ctx.int_param(request, "iid")
        if kind == "issues":
            return ctx.tracker.issue(project, iid)
        return ctx.tracker.merge_request(project, iid)

    def notes_routes(kind: str) -> None:
        def list_notes(request: ApiRequest) -> ApiResponse:
            project = ctx.project(request)
            target = _target(request, kind)
            urls = ctx.urls()
            return ctx.page(request, [note_json(n, project, urls) for n in target.notes])

        def create_note(request: ApiRequest) -> ApiResponse:
            project = ctx.project(request)
            target = _target(request, kind)
            data = request.data()
            ctx.required(data, "body")
            note = ctx.tracker.add_note(target, str(data["body"]))
            return json_response(201, note_json(note, project, ctx.urls()))

        router.add("GET", f"{base}/{kind}/{{iid}}/notes", list_notes)
        router.add("POST", f"{base}/{kind}/{{iid}}/notes", create_note)

    def list_users(request: ApiRequest) -> ApiResponse:
        wanted = request.query.get("username")
        users = [u for u in ctx.state.users.values() if wanted in (None, u.username)]
        urls = ctx.urls()
        return ctx.page(request, [user_json(u, urls) for u in users])

    router.add("GET", f"{base}/labels", list_labels)
    router.add("POST", f"{base}/labels", create_label)
    router.add("GET", f"{base}/issues", list_issues)
    router.add("POST", f"{base}/issues", create_issue)
    router.add("GET", f"{base}/issues/{{iid}}", get_issue)
    router.add("GET", f"{base}/merge_requests", list_mrs)
    router.add("POST", f"{base}/merge_requests", create_mr)
    router.add("GET", f"{base}/merge_requests/{{iid}}", get_mr)
    router.add("PUT", f"{base}/merge_requests/{{iid}}", update_mr)
    router.add("PUT", f"{base}/merge_requests/{{iid}}/merge", merge_mr)
    notes_routes("issues")
    notes_routes("merge_requests")
    router.add("GET", "/users", list_users)
