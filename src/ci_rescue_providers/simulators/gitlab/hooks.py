"""Webhook payloads (Pipeline Hook, Job Hook) and deliveries as GitLab sends them.

Payloads have the keys of the real ones (GitLab's documented examples and captured go-gitlab
fixtures): ``object_attributes`` and ``builds`` for pipelines, ``build_*`` for jobs.  Deliveries
carry ``X-Gitlab-Token`` and, optionally, the Standard-Webhooks signature GitLab's signing
token adds (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from .models import JobRecord, PipelineRecord, ProjectRecord
from .payloads import Urls, api_time, hook_time
from .state import SimState

__all__ = [
    "EVENT_HEADERS",
    "job_event",
    "pipeline_event",
    "signing_key",
    "standard_signature",
    "webhook_delivery",
]

#: ``X-Gitlab-Event`` values by short event name.
EVENT_HEADERS = {"pipeline": "Pipeline Hook", "job": "Job Hook", "build": "Job Hook"}


def _project_hook(project: ProjectRecord, urls: Urls) -> dict[str, Any]:
    web = urls.project(project)
    host = urls.base.split("://", 1)[-1]
    return {
        "id": project.id,
        "name": project.name.replace("-", " ").title(),
        "description": project.description,
        "web_url": web,
        "avatar_url": None,
        "git_ssh_url": f"git@{host}:{project.path_with_namespace}.git",
        "git_http_url": f"{web}.git",
        "namespace": project.namespace.split("/")[-1].replace("-", " ").title(),
        "visibility_level": 20 if project.visibility == "public" else 0,
        "path_with_namespace": project.path_with_namespace,
        "default_branch": project.default_branch,
    }


def _user_hook(state: SimState, pipeline: PipelineRecord, urls: Urls) -> dict[str, Any]:
    user = pipeline.user
    return {
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "avatar_url": f"{urls.base}/uploads/avatar/{user.id}.png",
        "email": f"{user.username}@example.com",
    }


def _runner_hook(job: JobRecord) -> dict[str, Any] | None:
    if job.started_at is None:
        return None
    return {
        "id": 380987,
        "description": job.spec.runner,
        "runner_type": "instance_type",
        "active": True,
        "is_shared": True,
        "tags": ["linux", "docker"],
    }


def _build_hook(
    state: SimState, pipeline: PipelineRecord, job: JobRecord, urls: Urls
) -> dict[str, Any]:
    return {
        "id": job.id,
        "stage": job.stage,
        "name": job.name,
        "status": job.status,
        "created_at": hook_time(job.created_at),
        "started_at": hook_time(job.started_at),
        "finished_at": hook_time(job.finished_at),
        "duration": job.duration,
        "queued_duration": 0.4 if job.started_at else None,
        "failure_reason": job.failure_reason if job.status == "failed" else None,
        "when": "manual" if job.status == "manual" else "on_success",
        "manual": job.status == "manual",
        "allow_failure": job.spec.allow_failure,
        "user": _user_hook(state, pipeline, urls),
        "runner": _runner_hook(job),
        "artifacts_file": {"filename": None, "size": None},
        "environment": None,
    }


def _commit_hook(project: ProjectRecord, pipeline: PipelineRecord, urls: Urls) -> dict[str, Any]:
    commit = project.commits.get(pipeline.sha)
    return {
        "id": pipeline.sha,
        "message": commit.message if commit else "simulated commit\n",
        "title": commit.title if commit else "simulated commit",
        "timestamp": api_time(commit.created_at if commit else pipeline.created_at),
        "url": urls.page(project, "commit", pipeline.sha),
        "author": {"name": "CI Rescue Bot", "email": "ci-rescue-bot@example.com"},
    }


def pipeline_event(state: SimState, pipeline: PipelineRecord, urls: Urls) -> dict[str, Any]:
    """The ``Pipeline Hook`` payload of ``pipeline`` as it stands (latest build per job)."""
    project = state.projects[pipeline.project_id]
    status = pipeline.status
    finished, started = pipeline.finished_at, pipeline.started_at
    merge_request = None
    if pipeline.merge_request_iid is not None:
        mr = project.merge_requests.get(pipeline.merge_request_iid)
        merge_request = {
            "id": mr.id if mr else pipeline.merge_request_iid,
            "iid": pipeline.merge_request_iid,
            "title": mr.title if mr else "",
            "source_branch": mr.source_branch if mr else "",
            "source_project_id": project.id,
            "target_branch": mr.target_branch if mr else project.default_branch,
            "target_project_id": project.id,
            "state": mr.state if mr else "opened",
            "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable",
            "url": urls.page(project, "merge_requests", pipeline.merge_request_iid),
        }
    return {
        "object_kind": "pipeline",
        "object_attributes": {
            "id": pipeline.id,
            "iid": pipeline.iid,
            "name": pipeline.name,
            "ref": pipeline.ref,
            "tag": pipeline.tag,
            "sha": pipeline.sha,
            "before_sha": "0" * 40,
            "source": pipeline.source,
            "status": status,
            "detailed_status": {"success": "passed"}.get(status, status),
            "stages": list(pipeline.stages),
            "created_at": hook_time(pipeline.created_at),
            "finished_at": hook_time(finished),
            "duration": int((finished - started).total_seconds()) if finished and started else None,
            "queued_duration": 1,
            "variables": [],
            "url": urls.page(project, "pipelines", pipeline.id),
        },
        "merge_request": merge_request,
        "user": _user_hook(state, pipeline, urls),
        "project": _project_hook(project, urls),
        "commit": _commit_hook(project, pipeline, urls),
        "builds": [_build_hook(state, pipeline, job, urls) for job in pipeline.latest_jobs()],
    }


def job_event(state: SimState, job: JobRecord, urls: Urls) -> dict[str, Any]:
    """The ``Job Hook`` payload (``object_kind: build``) of ``job``.

    Like GitLab, ``build_failure_reason`` reads ``unknown_failure`` unless the job failed, and
    ``commit.id`` is the *pipeline* id.
    """
    pipeline = state.pipelines[job.pipeline_id]
    project = state.projects[job.project_id]
    commit = project.commits.get(pipeline.sha)
    web = urls.project(project)
    retries = sum(1 for j in pipeline.jobs if j.name == job.name and j.id < job.id)
    finished, started = pipeline.finished_at, pipeline.started_at
    return {
        "object_kind": "build",
        "ref": pipeline.ref,
        "tag": pipeline.tag,
        "before_sha": "0" * 40,
        "sha": pipeline.sha,
        "build_id": job.id,
        "build_name": job.name,
        "build_stage": job.stage,
        "build_status": job.status,
        "build_created_at": hook_time(job.created_at),
        "build_created_at_iso": api_time(job.created_at),
        "build_started_at": hook_time(job.started_at),
        "build_started_at_iso": api_time(job.started_at),
        "build_finished_at": hook_time(job.finished_at),
        "build_finished_at_iso": api_time(job.finished_at),
        "build_duration": job.duration,
        "build_queued_duration": 0.4 if job.started_at else None,
        "build_allow_failure": job.spec.allow_failure,
        "build_failure_reason": job.failure_reason if job.status == "failed" else "unknown_failure",
        "retries_count": retries,
        "pipeline_id": pipeline.id,
        "project_id": project.id,
        "project_name": project.path_with_namespace.replace("/", " / "),
        "user": _user_hook(state, pipeline, urls),
        "commit": {
            "id": pipeline.id,
            "name": pipeline.name,
            "sha": pipeline.sha,
            "message": commit.message if commit else "simulated commit\n",
            "author_name": "CI Rescue Bot",
            "author_email": "ci-rescue-bot@example.com",
            "author_url": f"{urls.base}/ci-rescue-bot",
            "status": pipeline.status,
            "duration": int((finished - started).total_seconds()) if finished and started else None,
            "started_at": hook_time(started),
            "started_at_iso": api_time(started),
            "finished_at": hook_time(finished),
            "finished_at_iso": api_time(finished),
        },
        "repository": {
            "name": project.name,
            "url": f"git@{urls.base.split('://', 1)[-1]}:{project.path_with_namespace}.git",
            "description": project.description,
            "homepage": web,
            "git_http_url": f"{web}.git",
            "git_ssh_url": f"git@{urls.base.split('://', 1)[-1]}:{project.path_with_namespace}.git",
            "visibility_level": 20 if project.visibility == "public" else 0,
        },
        "project": _project_hook(project, urls),
        "runner": _runner_hook(job),
        "environment": None,
    }


def signing_key(secret: str | bytes) -> bytes:
    """The HMAC key of a signing secret: ``whsec_<base64>`` is decoded (Standard Webhooks),
    anything else is used as its UTF-8 bytes."""
    if isinstance(secret, bytes):
        return secret
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def standard_signature(secret: str | bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``."""
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_delivery(
    event: str,
    payload: Mapping[str, Any],
    *,
    token: str | None = None,
    signing_secret: str | bytes | None = None,
    idempotency_key: str | None = None,
    instance: str = "https://gitlab.example.com",
    timestamp: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a delivery of ``payload``.

    ``event`` is ``pipeline``, ``job`` or the header value itself (``Pipeline Hook``...).
    ``token`` becomes ``X-Gitlab-Token``; ``signing_secret`` adds the Standard-Webhooks
    signature. ``idempotency_key`` (default: a fresh UUID) is what GitLab keeps across
    retries of one delivery.
    """
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    key = idempotency_key or str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitLab/18.2.0",
        "X-Gitlab-Event": EVENT_HEADERS.get(event, event),
        "X-Gitlab-Instance": instance,
        "X-Gitlab-Webhook-UUID": str(uuid.uuid4()),
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "Idempotency-Key": key,
    }
    if token is not None:
        headers["X-Gitlab-Token"] = token
    if signing_secret is not None:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers["webhook-id"] = key
        headers["webhook-timestamp"] = stamp
        headers["webhook-signature"] = standard_signature(signing_secret, key, stamp, body)
    return headers, body
