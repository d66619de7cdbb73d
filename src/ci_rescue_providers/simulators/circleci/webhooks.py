"""Outbound webhooks as CircleCI sends them: payloads, ``circleci-signature``, headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any

from .models import JobRecord, PipelineRecord, WorkflowRecord
from .payloads import iso, trigger_parameters, web_url

__all__ = [
    "EVENT_TYPES",
    "job_completed_event",
    "sign_body",
    "webhook_delivery",
    "workflow_completed_event",
]

#: The event types CircleCI webhooks deliver.
EVENT_TYPES = ("workflow-completed", "job-completed")
# CircleCI's event ids are name-based (version 3) UUIDs: a redelivery keeps its id.
_EVENT_NAMESPACE = uuid.UUID("6f1c3c1e-3f8b-4c43-9d55-1b1d2a0c9e11")


def sign_body(body: bytes, secret: str | bytes) -> str:
    """``circleci-signature`` for *body*: ``v1=<hex HMAC-SHA256(secret, body)>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "v1=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def webhook_delivery(
    event_type: str, payload: Mapping[str, Any], secret: str | bytes | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a delivery of *payload*, signed when *secret* is given."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "CircleCI-Webhook/1.0",
        "circleci-event-type": event_type,
    }
    if secret is not None:
        headers["circleci-signature"] = sign_body(body, secret)
    return headers, body


def _pipeline(pipeline: PipelineRecord) -> dict[str, Any]:
    project = pipeline.project
    out: dict[str, Any] = {
        "id": pipeline.id,
        "number": pipeline.number,
        "created_at": iso(pipeline.created_at),
        "trigger": {"type": pipeline.trigger_type},
    }
    if project.slug.startswith("circleci/"):
        out["trigger_parameters"] = trigger_parameters(pipeline)
        return out
    committed = iso(pipeline.created_at)
    person = {"name": pipeline.actor, "email": f"{pipeline.actor}@example.com"}
    vcs: dict[str, Any] = {
        "provider_name": project.vcs_provider,
        "origin_repository_url": project.vcs_url,
        "target_repository_url": project.vcs_url,
        "revision": pipeline.revision,
        "commit": {
            "subject": pipeline.subject,
            "body": pipeline.body,
            "author": person,
            "authored_at": committed,
            "committer": dict(person),
            "committed_at": committed,
        },
    }
    if pipeline.tag:
        vcs["tag"] = pipeline.tag
    else:
        vcs["branch"] = pipeline.branch
    out["vcs"] = vcs
    return out


def _envelope(
    event_type: str, key: str, workflow: WorkflowRecord, webhook: Mapping[str, str]
) -> dict[str, Any]:
    pipeline = workflow.pipeline
    project = pipeline.project
    return {
        "type": event_type,
        "id": str(uuid.uuid3(_EVENT_NAMESPACE, f"{event_type}:{key}")),
        "happened_at": iso(workflow.stopped_at or workflow.created_at),
        "webhook": dict(webhook),
        "pipeline": _pipeline(pipeline),
        "project": {"id": project.project_id, "name": project.name, "slug": project.long_slug},
        "organization": {"id": project.org_id, "name": project.org_name},
    }


def _workflow(workflow: WorkflowRecord, app_url: str) -> dict[str, Any]:
    return {
        "id": workflow.id,
        "name": workflow.name,
        "created_at": iso(workflow.created_at),
        "stopped_at": iso(workflow.stopped_at),
        "url": web_url(app_url, workflow),
    }


def workflow_completed_event(
    workflow: WorkflowRecord, *, app_url: str, webhook: Mapping[str, str]
) -> dict[str, Any]:
    """The ``workflow-completed`` payload of *workflow* (keys as in real deliveries)."""
    out = _envelope("workflow-completed", workflow.id, workflow, webhook)
    out["workflow"] = {**_workflow(workflow, app_url), "status": workflow.status}
    return out


def job_completed_event(
    job: JobRecord, *, app_url: str, webhook: Mapping[str, str]
) -> dict[str, Any]:
    """The ``job-completed`` payload of *job* (its workflow carries no status)."""
    workflow = job.workflow
    out = _envelope("job-completed", f"{workflow.id}:{job.id}", workflow, webhook)
    out["workflow"] = _workflow(workflow, app_url)
    out["job"] = {
        "id": job.id,
        "name": job.name,
        "started_at": iso(job.started_at),
        "stopped_at": iso(job.stopped_at),
        "status": job.status,
        "number": job.number,
    }
    return out
