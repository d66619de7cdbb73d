"""REST API JSON of simulated objects, shaped like GitLab's ``/api/v4`` answers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .models import (
    BranchRecord,
    CommitRecord,
    IssueRecord,
    JobRecord,
    LabelRecord,
    MergeRequestRecord,
    NoteRecord,
    PipelineRecord,
    ProjectRecord,
    UserRecord,
)
from .state import SimState

__all__ = [
    "Urls",
    "api_time",
    "branch_json",
    "commit_json",
    "hook_time",
    "issue_json",
    "job_json",
    "label_json",
    "merge_request_json",
    "note_json",
    "pipeline_json",
    "project_json",
    "user_json",
]


def api_time(moment: datetime | None) -> str | None:
    """``2015-12-24T15:51:21.802Z`` (REST API style), ``None`` stays ``None``."""
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def hook_time(moment: datetime | None) -> str | None:
    """``2016-08-12 15:23:28 UTC`` (webhook style), ``None`` stays ``None``."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class Urls:
    """Web URLs on the running instance's base URL."""

    base: str

    def project(self, project: ProjectRecord) -> str:
        """The project's web page."""
        return f"{self.base}/{project.path_with_namespace}"

    def page(self, project: ProjectRecord, kind: str, ident: int | str) -> str:
        """``<project>/-/<kind>/<ident>`` (pipelines, jobs, issues, merge_requests, commit)."""
        return f"{self.project(project)}/-/{kind}/{ident}"


def user_json(user: UserRecord, urls: Urls) -> dict[str, Any]:
    """A user as embedded in other objects."""
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": "active",
        "locked": False,
        "avatar_url": None,
        "web_url": f"{urls.base}/{user.username}",
    }


def project_json(project: ProjectRecord, urls: Urls) -> dict[str, Any]:
    """``GET /projects/:id``."""
    web = urls.project(project)
    host = urls.base.split("://", 1)[-1]
    return {
        "id": project.id,
        "description": project.description,
        "name": project.name,
        "name_with_namespace": project.path_with_namespace.replace("/", " / "),
        "path": project.name,
        "path_with_namespace": project.path_with_namespace,
        "created_at": api_time(project.created_at),
        "default_branch": project.default_branch,
        "ssh_url_to_repo": f"git@{host}:{project.path_with_namespace}.git",
        "http_url_to_repo": f"{web}.git",
        "web_url": web,
        "visibility": project.visibility,
        "namespace": {"full_path": project.namespace, "name": project.namespace.split("/")[-1]},
        "archived": False,
        "jobs_enabled": True,
        "issues_enabled": True,
        "merge_requests_enabled": True,
    }


def _commit_digest(commit: CommitRecord, urls: Urls, project: ProjectRecord) -> dict[str, Any]:
    return {
        "id": commit.sha,
        "short_id": commit.sha[:8],
        "title": commit.title,
        "message": commit.message,
        "parent_ids": list(commit.parent_ids),
        "author_name": commit.author.name,
        "author_email": f"{commit.author.username}@example.com",
        "authored_date": api_time(commit.created_at),
        "committer_name": commit.author.name,
        "committer_email": f"{commit.author.username}@example.com",
        "committed_date": api_time(commit.created_at),
        "created_at": api_time(commit.created_at),
        "web_url": urls.page(project, "commit", commit.sha),
    }


def commit_json(commit: CommitRecord, project: ProjectRecord, urls: Urls) -> dict[str, Any]:
    """``GET /projects/:id/repository/commits/:sha`` (and the commit create answer)."""
    return _commit_digest(commit, urls, project)


def branch_json(
    state: SimState, branch: BranchRecord, project: ProjectRecord, urls: Urls
) -> dict[str, Any]:
    """``GET /projects/:id/repository/branches/:branch``."""
    return {
        "name": branch.name,
        "merged": False,
        "protected": branch.protected,
        "default": branch.name == project.default_branch,
        "developers_can_push": not branch.protected,
        "developers_can_merge": not branch.protected,
        "can_push": True,
        "web_url": f"{urls.project(project)}/-/tree/{branch.name}",
        "commit": _commit_digest(project.commits[branch.sha], urls, project),
    }


def pipeline_json(
    state: SimState, pipeline: PipelineRecord, urls: Urls, *, full: bool = True
) -> dict[str, Any]:
    """A pipeline: the list entry, or ``GET /projects/:id/pipelines/:pid`` when ``full``."""
    project = state.projects[pipeline.project_id]
    status = pipeline.status
    data: dict[str, Any] = {
        "id": pipeline.id,
        "iid": pipeline.iid,
        "project_id": pipeline.project_id,
        "sha": pipeline.sha,
        "ref": pipeline.ref,
        "status": status,
        "source": pipeline.source,
        "created_at": api_time(pipeline.created_at),
        "updated_at": api_time(pipeline.updated_at or pipeline.created_at),
        "web_url": urls.page(project, "pipelines", pipeline.id),
        "name": pipeline.name,
    }
    if full:
        finished = pipeline.finished_at
        started = pipeline.started_at
        data.update(
            {
                "before_sha": "0" * 40,
                "tag": pipeline.tag,
                "yaml_errors": None,
                "user": user_json(pipeline.user, urls),
                "started_at": api_time(started),
                "finished_at": api_time(finished),
                "committed_at": None,
                "duration": int((finished - started).total_seconds())
                if finished and started
                else None,
                "queued_duration": 0.5,
                "coverage": None,
                "detailed_status": _detailed_status(status, pipeline, urls, project),
            }
        )
    return data


def _detailed_status(
    status: str, pipeline: PipelineRecord, urls: Urls, project: ProjectRecord
) -> dict[str, Any]:
    warnings = status == "success" and any(j.status == "failed" for j in pipeline.latest_jobs())
    text = {"success": "passed", "failed": "failed", "canceled": "canceled"}.get(status, status)
    return {
        "icon": f"status_{status}",
        "text": "warning" if warnings else text,
        "label": "passed with warnings" if warnings else text,
        "group": "success-with-warnings" if warnings else status,
        "has_details": True,
        "details_path": f"/{project.path_with_namespace}/-/pipelines/{pipeline.id}",
    }


def job_json(state: SimState, job: JobRecord, urls: Urls) -> dict[str, Any]:
    """``GET /projects/:id/jobs/:job_id`` (and the entries of job lists)."""
    pipeline = state.pipelines[job.pipeline_id]
    project = state.projects[job.project_id]
    commit = project.commits.get(pipeline.sha)
    data: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "stage": job.stage,
        "name": job.name,
        "ref": pipeline.ref,
        "tag": pipeline.tag,
        "coverage": None,
        "allow_failure": job.spec.allow_failure,
        "created_at": api_time(job.created_at),
        "started_at": api_time(job.started_at),
        "finished_at": api_time(job.finished_at),
        "erased_at": None,
        "duration": job.duration,
        "queued_duration": 0.4 if job.started_at else None,
        "user": user_json(pipeline.user, urls),
        "commit": _commit_digest(commit, urls, project)
        if commit is not None
        else {"id": pipeline.sha, "short_id": pipeline.sha[:8]},
        "pipeline": pipeline_json(state, pipeline, urls, full=False),
        "web_url": urls.page(project, "jobs", job.id),
        "project": {"ci_job_token_scope_enabled": False},
        "artifacts": [],
        "artifacts_expire_at": None,
        "runner": _runner_json(job) if job.started_at else None,
        "tag_list": ["docker", "linux"],
        "archived": False,
    }
    if job.status == "failed":
        data["failure_reason"] = job.failure_reason
    return data


def _runner_json(job: JobRecord) -> dict[str, Any]:
    return {
        "id": 380987,
        "description": job.spec.runner,
        "ip_address": None,
        "active": True,
        "paused": False,
        "is_shared": True,
        "runner_type": "instance_type",
        "name": "gitlab-runner",
        "online": True,
        "status": "online",
    }


def label_json(label: LabelRecord) -> dict[str, Any]:
    """A project label."""
    return {
        "id": label.id,
        "name": label.name,
        "color": label.color,
        "text_color": "#FFFFFF",
        "description": label.description,
        "open_issues_count": 0,
        "is_project_label": True,
    }


def issue_json(
    state: SimState, issue: IssueRecord, project: ProjectRecord, urls: Urls
) -> dict[str, Any]:
    """An issue."""
    assignees = [user_json(state.users[i], urls) for i in issue.assignee_ids]
    return {
        "id": issue.id,
        "iid": issue.iid,
        "project_id": project.id,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state,
        "created_at": api_time(issue.created_at),
        "updated_at": api_time(issue.created_at),
        "labels": list(issue.labels),
        "author": user_json(issue.author, urls),
        "assignees": assignees,
        "assignee": assignees[0] if assignees else None,
        "user_notes_count": len(issue.notes),
        "web_url": urls.page(project, "issues", issue.iid),
        "type": "ISSUE",
        "issue_type": "issue",
    }


def merge_request_json(
    state: SimState, mr: MergeRequestRecord, project: ProjectRecord, urls: Urls
) -> dict[str, Any]:
    """A merge request."""
    branch = project.branches.get(mr.source_branch)
    return {
        "id": mr.id,
        "iid": mr.iid,
        "project_id": project.id,
        "title": mr.title,
        "description": mr.description,
        "state": mr.state,
        "created_at": api_time(mr.created_at),
        "updated_at": api_time(mr.created_at),
        "source_branch": mr.source_branch,
        "target_branch": mr.target_branch,
        "source_project_id": project.id,
        "target_project_id": project.id,
        "labels": list(mr.labels),
        "draft": mr.draft,
        "work_in_progress": mr.draft,
        "author": user_json(mr.author, urls),
        "assignees": [user_json(state.users[i], urls) for i in mr.assignee_ids],
        "reviewers": [user_json(state.users[i], urls) for i in mr.reviewer_ids],
        "merge_when_pipeline_succeeds": mr.merge_when_pipeline_succeeds,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "mergeable",
        "sha": branch.sha if branch is not None else None,
        "force_remove_source_branch": mr.remove_source_branch,
        "user_notes_count": len(mr.notes),
        "web_url": urls.page(project, "merge_requests", mr.iid),
    }


def note_json(note: NoteRecord, project: ProjectRecord, urls: Urls) -> dict[str, Any]:
    """A note on an issue or merge request."""
    return {
        "id": note.id,
        "type": None,
        "body": note.body,
        "author": user_json(note.author, urls),
        "created_at": api_time(note.created_at),
        "updated_at": api_time(note.created_at),
        "system": False,
        "noteable_id": note.noteable_id,
        "noteable_type": note.noteable_type,
        "noteable_iid": note.noteable_iid,
        "project_id": project.id,
        "resolvable": False,
        "confidential": False,
        "internal": False,
    }


def blob_id(content: bytes) -> str:
    """Git's blob id of ``content``."""
    return hashlib.sha1(b"blob %d\x00" % len(content) + content).hexdigest()
