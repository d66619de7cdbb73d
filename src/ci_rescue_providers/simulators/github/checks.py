"""Check runs, check suites and commit statuses of the simulator's model, and their JSON.

Apps create check runs through the Checks API (at most 50 annotations per request; an update
appends its annotations). Every Actions job is also a check run of the ``github-actions`` app
with the job's id, in the check suite of its run attempt. Callers hold ``state.lock`` while
rendering.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .apps_api import github_actions_app_json
from .errors import SimError
from .models import AttemptRecord, JobRecord, RepoRecord, RunRecord
from .payloads import Urls, node_id, ts, user_json
from .records import AnnotationRecord, CheckRunRecord, StatusRecord
from .run_payloads import pull_request_entries
from .state import SimState

__all__ = [
    "MAX_ANNOTATIONS_PER_REQUEST",
    "annotation_json",
    "apply_check_run",
    "check_run_json",
    "job_check_run_json",
    "status_json",
    "suite_json",
    "validate_status",
]

#: GitHub takes at most this many annotations in one create or update request.
MAX_ANNOTATIONS_PER_REQUEST = 50
MAX_TEXT = 65_535
_STATUSES = ("queued", "in_progress", "completed")
_CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
)
_LEVELS = ("notice", "warning", "failure")
_STATES = ("error", "failure", "pending", "success")
_URL = re.compile(r"^https?://\S+$")


def _invalid(message: str) -> SimError:
    return SimError(422, f"Invalid request.\n\n{message}")


def _annotation(raw: Any, index: int) -> AnnotationRecord:
    where = f"output.annotations[{index}]"
    if not isinstance(raw, Mapping):
        raise _invalid(f"{where} must be an object.")
    for key in ("path", "message", "annotation_level"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            raise _invalid(f'"{key}" wasn\'t supplied for {where}.')
    start, end = raw.get("start_line"), raw.get("end_line")
    if not isinstance(start, int) or not isinstance(end, int) or start < 1 or end < start:
        raise _invalid(f"{where}: start_line and end_line must be lines, end_line >= start_line.")
    if raw["annotation_level"] not in _LEVELS:
        raise _invalid(f"{where}.annotation_level must be one of {', '.join(_LEVELS)}.")
    if len(raw["message"].encode()) > 64 * 1024:
        raise _invalid(f"{where}.message is longer than 64 kilobytes.")
    title = raw.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > 255):
        raise _invalid(f"{where}.title must be a string of at most 255 characters.")
    columns = raw.get("start_column"), raw.get("end_column")
    if any(c is not None for c in columns) and start != end:
        raise _invalid(f"{where}: columns are only allowed when start_line equals end_line.")
    return AnnotationRecord(
        path=raw["path"],
        start_line=start,
        end_line=end,
        annotation_level=raw["annotation_level"],
        message=raw["message"],
        title=title,
        raw_details=raw.get("raw_details"),
        start_column=columns[0],
        end_column=columns[1],
    )


def apply_check_run(check: CheckRunRecord, payload: Mapping[str, Any], state: SimState) -> None:
    """Validate a create/update body and apply it to *check* (annotations are appended)."""
    for key in ("name", "details_url", "external_id"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], str):
            raise _invalid(f"{key} must be a string.")
    if isinstance(payload.get("details_url"), str) and not _URL.match(payload["details_url"]):
        raise _invalid("details_url must be a URL.")
    status = payload.get("status")
    conclusion = payload.get("conclusion")
    if status is not None and status not in _STATUSES:
        raise _invalid(f"status must be one of {', '.join(_STATUSES)}.")
    if conclusion is not None and conclusion not in _CONCLUSIONS:
        raise _invalid(f"conclusion must be one of {', '.join(_CONCLUSIONS)}.")
    if status == "completed" and conclusion is None and check.conclusion is None:
        raise _invalid("conclusion is required when status is completed.")
    output = payload.get("output")
    annotations: list[AnnotationRecord] = []
    if output is not None:
        if not isinstance(output, Mapping):
            raise _invalid("output must be an object.")
        for key in ("title", "summary"):
            if not isinstance(output.get(key), str):
                raise _invalid(f'"{key}" wasn\'t supplied for output.')
        for key in ("summary", "text"):
            if isinstance(output.get(key), str) and len(output[key]) > MAX_TEXT:
                raise _invalid(f"output.{key} is longer than {MAX_TEXT} characters.")
        raw = output.get("annotations") or []
        if not isinstance(raw, list):
            raise _invalid("output.annotations must be a list.")
        if len(raw) > MAX_ANNOTATIONS_PER_REQUEST:
            raise _invalid(
                f"output.annotations has {len(raw)} items; at most "
                f"{MAX_ANNOTATIONS_PER_REQUEST} annotations are allowed per request."
            )
        annotations = [_annotation(item, i) for i, item in enumerate(raw)]
    if isinstance(payload.get("name"), str) and payload["name"]:
        check.name = payload["name"]
    if "details_url" in payload:
        check.details_url = payload["details_url"]
    if "external_id" in payload:
        check.external_id = payload["external_id"]
    if conclusion is not None:
        check.status, check.conclusion = "completed", conclusion
    elif status is not None:
        check.status = status
    if check.status == "completed" and check.completed_at is None:
        check.completed_at = state.clock()
    if isinstance(output, Mapping):
        check.title, check.summary = output["title"], output["summary"]
        if isinstance(output.get("text"), str):
            check.text = output["text"]
        check.annotations.extend(annotations)


def annotation_json(
    repo: RepoRecord, check: CheckRunRecord, note: AnnotationRecord, urls: Urls
) -> dict[str, Any]:
    """One annotation as ``GET …/check-runs/{id}/annotations`` lists it."""
    return {
        "path": note.path,
        "blob_href": urls.html(f"/{repo.full_name}/blob/{check.head_sha}/{note.path}"),
        "start_line": note.start_line,
        "end_line": note.end_line,
        "start_column": note.start_column,
        "end_column": note.end_column,
        "annotation_level": note.annotation_level,
        "title": note.title,
        "message": note.message,
        "raw_details": note.raw_details,
    }


def _pulls_for(state: SimState, repo: RepoRecord, sha: str, urls: Urls) -> list[dict[str, Any]]:
    for run in state.runs.values():
        if run.repo is repo and run.head_sha == sha:
            return pull_request_entries(run, urls)
    return []


def check_run_json(
    state: SimState,
    repo: RepoRecord,
    check: CheckRunRecord,
    urls: Urls,
    app: dict[str, Any],
    *,
    suite: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An app's check run (``suite``: the full check-suite object webhooks embed)."""
    url = urls.repo(repo, f"/check-runs/{check.id}")
    return {
        "id": check.id,
        "name": check.name,
        "node_id": node_id("CR", check.id),
        "head_sha": check.head_sha,
        "external_id": check.external_id or "",
        "url": url,
        "html_url": urls.html(f"/{repo.full_name}/runs/{check.id}"),
        "details_url": check.details_url or app.get("external_url"),
        "status": check.status,
        "conclusion": check.conclusion,
        "started_at": ts(check.started_at),
        "completed_at": ts(check.completed_at),
        "output": {
            "title": check.title,
            "summary": check.summary,
            "text": check.text,
            "annotations_count": len(check.annotations),
            "annotations_url": f"{url}/annotations",
        },
        "check_suite": suite or {"id": check.check_suite_id},
        "app": app,
        "pull_requests": _pulls_for(state, repo, check.head_sha, urls),
    }


def job_check_run_json(
    state: SimState, job: JobRecord, urls: Urls, *, suite: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The check run of an Actions job: same id, the ``github-actions`` app."""
    run = state.run(job.run_id)
    repo = run.repo
    url = urls.repo(repo, f"/check-runs/{job.id}")
    return {
        "id": job.id,
        "name": job.name,
        "node_id": node_id("CR", job.id),
        "head_sha": run.head_sha,
        "external_id": f"{job.run_id}-{job.attempt}-{job.name}",
        "url": url,
        "html_url": urls.html(f"/{repo.full_name}/actions/runs/{run.id}/job/{job.id}"),
        "details_url": urls.html(f"/{repo.full_name}/actions/runs/{run.id}/job/{job.id}"),
        "status": "completed",
        "conclusion": job.conclusion,
        "started_at": ts(job.started_at),
        "completed_at": ts(job.completed_at),
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{url}/annotations",
        },
        "check_suite": suite or {"id": job.check_suite_id},
        "app": github_actions_app_json(state, urls),
        "pull_requests": pull_request_entries(run, urls),
    }


def suite_json(
    state: SimState, run: RunRecord, attempt: AttemptRecord, urls: Urls
) -> dict[str, Any]:
    """The check suite of one run attempt (``GET …/check-suites/{id}``, webhook ``check_suite``)."""
    repo = run.repo
    suite_id = attempt.check_suite_id
    return {
        "id": suite_id,
        "node_id": node_id("CS", suite_id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "status": "completed",
        "conclusion": attempt.conclusion,
        "url": urls.repo(repo, f"/check-suites/{suite_id}"),
        "before": "0" * 40,
        "after": run.head_sha,
        "pull_requests": pull_request_entries(run, urls),
        "app": github_actions_app_json(state, urls),
        "created_at": ts(attempt.started_at),
        "updated_at": ts(attempt.completed_at),
        "rerequestable": True,
        "runs_rerequestable": True,
        "latest_check_runs_count": len(attempt.jobs),
        "check_runs_url": urls.repo(repo, f"/check-suites/{suite_id}/check-runs"),
        "head_commit": {
            "id": run.head_sha,
            "tree_id": run.head_sha,
            "message": run.display_title,
            "timestamp": ts(run.created_at),
            "author": {"name": run.actor, "email": f"{run.actor}@users.noreply.github.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
    }


def validate_status(payload: Mapping[str, Any]) -> tuple[str, str, str | None, str | None]:
    """``(state, context, description, target_url)`` of a ``POST …/statuses/{sha}`` body."""
    state, context = payload.get("state"), payload.get("context", "default")
    description, target = payload.get("description"), payload.get("target_url")
    if state not in _STATES:
        raise SimError(
            422,
            "Validation Failed",
            errors=[{"resource": "Status", "field": "state", "code": "custom",
                     "message": f"state must be one of {', '.join(_STATES)}"}],
        )  # fmt: skip
    if not isinstance(context, str) or not context:
        raise _invalid("context must be a non-empty string.")
    if description is not None and (not isinstance(description, str) or len(description) > 140):
        raise SimError(
            422,
            "Validation Failed",
            errors=[{"resource": "Status", "field": "description", "code": "custom",
                     "message": "description is too long (maximum is 140 characters)"}],
        )  # fmt: skip
    if target is not None and (not isinstance(target, str) or not _URL.match(target)):
        raise _invalid("target_url must be a URL.")
    return state, context, description, target


def status_json(
    state: SimState, repo: RepoRecord, status: StatusRecord, urls: Urls
) -> dict[str, Any]:
    """A commit status."""
    return {
        "url": urls.repo(repo, f"/statuses/{status.sha}"),
        "avatar_url": urls.html(f"/_avatars/u/{state.user_id(status.creator)}?v=4"),
        "id": status.id,
        "node_id": node_id("SC", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": ts(status.created_at),
        "updated_at": ts(status.created_at),
        "creator": user_json(state, status.creator, urls),
    }
