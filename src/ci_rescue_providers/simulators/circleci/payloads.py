"""JSON of the simulated API (v2 and v1.1), shaped like CircleCI's answers."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .execution import StepOutput, job_steps
from .models import (
    JobRecord,
    PipelineRecord,
    ProjectRecord,
    SimError,
    SimTest,
    WorkflowRecord,
)

__all__ = [
    "build_json",
    "iso",
    "job_details_json",
    "job_item_json",
    "page",
    "pipeline_json",
    "project_json",
    "test_item_json",
    "trigger_parameters",
    "web_url",
    "workflow_json",
]

T = TypeVar("T")
_PROVIDER_NAMES = {"github": "GitHub", "gitlab": "GitLab", "bitbucket": "Bitbucket"}


def iso(moment: datetime | None) -> str | None:
    """``2022-09-30T21:03:00.929Z`` (or ``None``)."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page(items: Sequence[T], token: str | None, size: int) -> tuple[list[T], str | None]:
    """One page of *items* from the opaque *token*, and the token of the next page."""
    offset = 0
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError:
            raise SimError(400, "Invalid page-token") from None
    chunk = list(items[offset : offset + size])
    after = offset + size
    following = (
        base64.urlsafe_b64encode(str(after).encode()).decode() if after < len(items) else None
    )
    return chunk, following


def web_url(app_url: str, workflow: WorkflowRecord, job: JobRecord | None = None) -> str:
    """The web app's page of a workflow (or of one of its jobs)."""
    pipeline = workflow.pipeline
    url = (
        f"{app_url}/pipelines/{pipeline.project.long_slug}/{pipeline.number}"
        f"/workflows/{workflow.id}"
    )
    return f"{url}/jobs/{job.number}" if job is not None and job.number is not None else url


def project_json(project: ProjectRecord) -> dict[str, Any]:
    """``GET /project/{slug}``."""
    return {
        "slug": project.slug,
        "name": project.name,
        "id": project.project_id,
        "organization_name": project.org_name,
        "organization_slug": "/".join(project.slug.split("/")[:2]),
        "organization_id": project.org_id,
        "vcs_info": {
            "vcs_url": project.vcs_url,
            "provider": _PROVIDER_NAMES.get(project.vcs_provider, project.vcs_provider),
            "default_branch": project.default_branch,
        },
    }


def trigger_parameters(pipeline: PipelineRecord) -> dict[str, Any]:
    """``trigger_parameters`` of pipelines of ``circleci/`` projects (GitLab, GitHub App)."""
    project = pipeline.project
    ref = f"refs/tags/{pipeline.tag}" if pipeline.tag else f"refs/heads/{pipeline.branch}"
    host, _, path = project.vcs_url.split("://", 1)[-1].partition("/")
    checkout_url = f"git@{host}:{path}.git"
    git = {
        "tag": pipeline.tag or "",
        "checkout_sha": pipeline.revision,
        "ref": ref,
        "branch": pipeline.branch or "",
        "checkout_url": checkout_url,
    }
    circleci = {
        "config_source_id": project.project_id,
        "event_time": iso(pipeline.created_at),
        "actor_id": project.org_id,
        "trigger_id": project.project_id,
        "event_type": "push",
        "trigger_type": pipeline.trigger_type,
    }
    vendor: dict[str, Any] = {
        "web_url": project.vcs_url,
        "x_gitlab_event_id": "",
        "commit_author_name": pipeline.actor,
        "user_id": "1",
        "user_name": pipeline.actor,
        "user_username": pipeline.actor,
        "branch": pipeline.branch or "",
        "commit_title": pipeline.subject,
        "tag": pipeline.tag or "",
        "commit_message": pipeline.subject,
        "total_commits_count": "1",
        "repo_url": checkout_url,
        "user_avatar": "",
        "type": "push",
        "project_id": "1",
        "ref": ref,
        "repo_name": project.name,
        "commit_author_email": f"{pipeline.actor}@example.com",
        "checkout_sha": pipeline.revision,
        "commit_timestamp": iso(pipeline.created_at),
        "default_branch": project.default_branch,
        "commit_sha": pipeline.revision,
        "is_fork_merge_request": False,
    }
    key = "gitlab" if project.vcs_provider == "gitlab" else "github_app"
    return {key: vendor, "circleci": circleci, "git": git}


def pipeline_json(pipeline: PipelineRecord) -> dict[str, Any]:
    """``GET /pipeline/{id}``."""
    project = pipeline.project
    vcs: dict[str, Any] = {
        "provider_name": _PROVIDER_NAMES.get(project.vcs_provider, project.vcs_provider),
        "origin_repository_url": project.vcs_url,
        "target_repository_url": project.vcs_url,
        "revision": pipeline.revision,
        "commit": {"subject": pipeline.subject, "body": pipeline.body},
    }
    if pipeline.tag:
        vcs["tag"] = pipeline.tag
    else:
        vcs["branch"] = pipeline.branch
    if pipeline.review_id is not None:
        vcs["review_id"] = pipeline.review_id
        vcs["review_url"] = f"{project.vcs_url}/pull/{pipeline.review_id}"
    out: dict[str, Any] = {
        "id": pipeline.id,
        "errors": [],
        "project_slug": project.slug,
        "updated_at": iso(pipeline.created_at),
        "number": pipeline.number,
        "state": "created",
        "created_at": iso(pipeline.created_at),
        "trigger": {
            "type": pipeline.trigger_type,
            "received_at": iso(pipeline.created_at),
            "actor": {"login": pipeline.actor, "avatar_url": None},
        },
        "vcs": vcs,
    }
    if project.slug.startswith("circleci/"):
        out["trigger_parameters"] = trigger_parameters(pipeline)
    return out


def workflow_json(workflow: WorkflowRecord) -> dict[str, Any]:
    """``GET /workflow/{id}`` (and the items of ``GET /pipeline/{id}/workflow``)."""
    pipeline = workflow.pipeline
    return {
        "pipeline_id": pipeline.id,
        "canceled_by": pipeline.project.org_id if workflow.status == "canceled" else None,
        "id": workflow.id,
        "name": workflow.name,
        "project_slug": pipeline.project.slug,
        "errored_by": None,
        "tag": None,
        "status": workflow.status,
        "started_by": pipeline.project.org_id,
        "pipeline_number": pipeline.number,
        "created_at": iso(workflow.created_at),
        "stopped_at": iso(workflow.stopped_at),
    }


def job_item_json(job: JobRecord) -> dict[str, Any]:
    """An item of ``GET /workflow/{id}/job``."""
    item: dict[str, Any] = {
        "dependencies": list(job.dependencies),
        "job_number": job.number,
        "id": job.id,
        "started_at": iso(job.started_at),
        "name": job.name,
        "project_slug": job.workflow.pipeline.project.slug,
        "status": job.status,
        "type": "approval" if job.spec.approval else "build",
        "stopped_at": iso(job.stopped_at),
    }
    if job.spec.approval:
        item["approval_request_id"] = job.id
        item["approved_by"] = job.workflow.pipeline.project.org_id
    return item


def job_details_json(job: JobRecord, latest: WorkflowRecord, app_url: str) -> dict[str, Any]:
    """``GET /project/{slug}/job/{number}``."""
    project = job.workflow.pipeline.project
    duration = None
    if job.started_at is not None and job.stopped_at is not None:
        duration = int((job.stopped_at - job.started_at).total_seconds() * 1000)
    return {
        "web_url": web_url(app_url, job.workflow, job),
        "project": {
            "id": project.project_id,
            "slug": project.slug,
            "name": project.name,
            "external_url": project.vcs_url,
        },
        "parallel_runs": [
            {"index": index, "status": status} for index, status in enumerate(job.node_statuses)
        ],
        "started_at": iso(job.started_at),
        "latest_workflow": {"id": latest.id, "name": latest.name},
        "name": job.name,
        "executor": {"resource_class": job.spec.resource_class, "type": job.spec.executor},
        "parallelism": job.spec.parallelism,
        "status": job.status,
        "number": job.number,
        "pipeline": {"id": job.workflow.pipeline.id},
        "duration": duration,
        "created_at": iso(job.created_at),
        "messages": [],
        "contexts": [],
        "organization": {"name": project.org_name},
        "queued_at": iso(job.created_at),
        "stopped_at": iso(job.stopped_at),
    }


def _action_json(action: StepOutput, parallel: bool, output_url: str | None) -> dict[str, Any]:
    run_time = None
    if action.end is not None:
        run_time = int((action.end - action.start).total_seconds() * 1000)
    return {
        "index": action.index,
        "step": action.step,
        "name": action.name,
        "type": action.kind,
        "status": action.status,
        "failed": True if action.failed else None,
        "exit_code": action.exit_code,
        "has_output": bool(action.text),
        "output_url": output_url if action.text else None,
        "truncated": False,
        "parallel": parallel,
        "background": False,
        "bash_command": None,
        "start_time": iso(action.start),
        "end_time": iso(action.end),
        "run_time_millis": run_time,
    }


_OUTCOMES = {"success", "failed", "canceled", "infrastructure_fail", "timedout", "no_tests"}


def build_json(
    job: JobRecord, app_url: str, output_url: Callable[[JobRecord, StepOutput], str | None]
) -> dict[str, Any]:
    """``GET /api/v1.1/project/{slug}/{number}``: the job with its steps and output URLs."""
    pipeline = job.workflow.pipeline
    project = pipeline.project
    parallel = job.spec.parallelism > 1
    steps = [
        {
            "name": actions[0].name,
            "actions": [_action_json(a, parallel, output_url(job, a)) for a in actions],
        }
        for actions in job_steps(job)
    ]
    lifecycle = {"running": "running", "not_run": "not_run", "blocked": "queued"}
    build_time = None
    if job.started_at is not None and job.stopped_at is not None:
        build_time = int((job.stopped_at - job.started_at).total_seconds() * 1000)
    return {
        "build_num": job.number,
        "build_url": web_url(app_url, job.workflow, job),
        "vcs_url": project.vcs_url,
        "username": project.slug.split("/")[1],
        "reponame": project.name,
        "branch": pipeline.branch,
        "vcs_tag": pipeline.tag,
        "vcs_revision": pipeline.revision,
        "subject": pipeline.subject,
        "status": job.status,
        "outcome": job.status if job.status in _OUTCOMES else None,
        "lifecycle": lifecycle.get(job.status, "finished"),
        "failed": True if job.status not in ("success", "running") else None,
        "parallel": job.spec.parallelism,
        "platform": "2.0",
        "start_time": iso(job.started_at),
        "stop_time": iso(job.stopped_at),
        "build_time_millis": build_time,
        "workflows": {
            "job_name": job.name,
            "job_id": job.id,
            "workflow_id": job.workflow.id,
            "workflow_name": job.workflow.name,
            "pipeline_id": pipeline.id,
        },
        "steps": steps,
    }


def test_item_json(test: SimTest) -> dict[str, Any]:
    """An item of ``GET /project/{slug}/{number}/tests``."""
    return {
        "message": test.message,
        "source": test.source,
        "run_time": test.run_time,
        "file": test.file,
        "result": test.result,
        "name": test.name,
        "classname": test.classname,
    }
