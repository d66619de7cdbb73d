"""JSON shapes of workflow runs and jobs: REST objects and ``workflow_run``/``workflow_job``
webhook payloads, with GitHub's keys in GitHub's order. Callers hold ``state.lock``."""

from __future__ import annotations

import hashlib
from typing import Any

from .models import AttemptRecord, JobRecord, RepoRecord, RunRecord, StepRecord
from .payloads import (
    Urls,
    node_id,
    organization_json,
    repo_json,
    ts,
    ts_ms,
    user_json,
    workflow_json,
)
from .state import SimState

__all__ = [
    "envelope",
    "job_json",
    "pull_request_entries",
    "run_json",
    "workflow_job_event",
    "workflow_run_event",
]


def _pull_request(run: RunRecord, pr: int | dict[str, Any], urls: Urls) -> dict[str, Any]:
    if isinstance(pr, dict):
        return dict(pr)
    repo = run.repo
    ref = {"id": repo.id, "url": urls.repo(repo), "name": repo.name}
    base_sha = hashlib.sha1(f"{repo.full_name}:base:{pr}".encode()).hexdigest()
    return {
        "url": urls.repo(repo, f"/pulls/{pr}"),
        "id": 1_800_000_000 + pr,
        "number": pr,
        "head": {"ref": run.head_branch, "sha": run.head_sha, "repo": dict(ref)},
        "base": {"ref": repo.default_branch, "sha": base_sha, "repo": dict(ref)},
    }


def pull_request_entries(run: RunRecord, urls: Urls) -> list[dict[str, Any]]:
    """The ``pull_requests`` entries of a run (empty for pull requests from forks)."""
    return [_pull_request(run, p, urls) for p in run.pull_requests]


def run_json(
    state: SimState,
    run: RunRecord,
    attempt: AttemptRecord,
    urls: Urls,
    *,
    status: str = "completed",
    exclude_pull_requests: bool = False,
) -> dict[str, Any]:
    """A workflow run as of ``attempt`` (the REST object and webhook ``workflow_run``)."""
    repo = run.repo
    run_url = urls.repo(repo, f"/actions/runs/{run.id}")
    tree = hashlib.sha1(f"tree:{run.head_sha}".encode()).hexdigest()
    previous = f"{run_url}/attempts/{attempt.number - 1}" if attempt.number > 1 else None
    done = status == "completed"
    return {
        "id": run.id,
        "name": run.workflow.name,
        "node_id": node_id("WFR", run.id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": run.workflow.path,
        "display_title": run.display_title,
        "run_number": run.run_number,
        "event": run.event,
        "status": status,
        "conclusion": attempt.conclusion if done else None,
        "workflow_id": run.workflow.id,
        "check_suite_id": attempt.check_suite_id,
        "check_suite_node_id": node_id("CS", attempt.check_suite_id),
        "url": run_url,
        "html_url": urls.html(f"/{repo.full_name}/actions/runs/{run.id}"),
        "pull_requests": [] if exclude_pull_requests else pull_request_entries(run, urls),
        "created_at": ts(run.created_at),
        "updated_at": ts(attempt.completed_at if done else attempt.started_at),
        "actor": user_json(state, run.actor, urls),
        "run_attempt": attempt.number,
        "referenced_workflows": [],
        "run_started_at": ts(attempt.started_at),
        "triggering_actor": user_json(state, attempt.triggering_actor, urls),
        "jobs_url": f"{run_url}/jobs",
        "logs_url": f"{run_url}/logs",
        "check_suite_url": urls.repo(repo, f"/check-suites/{attempt.check_suite_id}"),
        "artifacts_url": f"{run_url}/artifacts",
        "cancel_url": f"{run_url}/cancel",
        "rerun_url": f"{run_url}/rerun",
        "previous_attempt_url": previous,
        "workflow_url": urls.repo(repo, f"/actions/workflows/{run.workflow.id}"),
        "head_commit": {
            "id": run.head_sha,
            "tree_id": tree,
            "message": run.display_title,
            "timestamp": ts(run.created_at),
            "author": {
                "name": run.actor,
                "email": f"{run.actor}@users.noreply.{urls.host.split(':')[0]}",
            },
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repo_json(state, repo, urls),
        "head_repository": repo_json(state, repo, urls),
    }


def _step_json(step: StepRecord, *, millis: bool) -> dict[str, Any]:
    fmt = ts_ms if millis else ts
    return {
        "name": step.name,
        "status": "completed",
        "conclusion": step.conclusion,
        "number": step.number,
        "started_at": fmt(step.started_at),
        "completed_at": fmt(step.completed_at),
    }


def job_json(
    state: SimState, job: JobRecord, urls: Urls, *, status: str = "completed", webhook: bool = False
) -> dict[str, Any]:
    """A workflow job (REST object and webhook ``workflow_job``); ``status`` other than
    ``completed`` renders the job as queued/in progress/waiting (no conclusion)."""
    run = state.run(job.run_id)
    repo = run.repo
    done = status == "completed"
    steps = [_step_json(s, millis=webhook) for s in job.steps] if done else []
    if status == "in_progress" and job.steps:
        first = _step_json(job.steps[0], millis=webhook)
        first.update(status="in_progress", conclusion=None, completed_at=None)
        steps = [first]
    has_runner = job.runner_id is not None and status != "queued"
    return {
        "id": job.id,
        "run_id": job.run_id,
        "workflow_name": run.workflow.name,
        "head_branch": run.head_branch,
        "run_url": urls.repo(repo, f"/actions/runs/{job.run_id}"),
        "run_attempt": job.attempt,
        "node_id": node_id("CR", job.id),
        "head_sha": run.head_sha,
        "url": urls.repo(repo, f"/actions/jobs/{job.id}"),
        "html_url": urls.html(f"/{repo.full_name}/actions/runs/{job.run_id}/job/{job.id}"),
        "status": status,
        "conclusion": job.conclusion if done else None,
        "created_at": ts(job.created_at),
        "started_at": ts(job.started_at if status != "queued" else job.created_at),
        "completed_at": ts(job.completed_at) if done else None,
        "name": job.name,
        "steps": steps,
        "check_run_url": urls.repo(repo, f"/check-runs/{job.id}"),
        "labels": list(job.spec.labels),
        "runner_id": job.runner_id if has_runner else None,
        "runner_name": job.runner_name if has_runner else None,
        "runner_group_id": 2 if has_runner else None,
        "runner_group_name": "GitHub Actions" if has_runner else None,
    }


def envelope(
    state: SimState, repo: RepoRecord, urls: Urls, sender: str, installation_id: int | None
) -> dict[str, Any]:
    """What every webhook payload ends with: repository, organization, sender, installation."""
    out: dict[str, Any] = {"repository": repo_json(state, repo, urls, full=True)}
    if repo.owner_type == "Organization":
        out["organization"] = organization_json(state, repo, urls)
    out["sender"] = user_json(state, sender, urls)
    if installation_id is not None:
        out["installation"] = {
            "id": installation_id,
            "node_id": node_id("MDIzOkludGVncmF0aW9u", installation_id),
        }
    return out


_RUN_STATUS = {"requested": "queued", "in_progress": "in_progress", "completed": "completed"}
_JOB_STATUS = {
    "queued": "queued",
    "in_progress": "in_progress",
    "completed": "completed",
    "waiting": "waiting",
}


def workflow_run_event(
    state: SimState,
    run: RunRecord,
    attempt: AttemptRecord,
    urls: Urls,
    *,
    action: str,
    installation_id: int | None,
) -> dict[str, Any]:
    """The ``workflow_run`` webhook payload (action ``requested``, ``in_progress`` or
    ``completed``), keys in the order GitHub delivers them."""
    if action not in _RUN_STATUS:
        raise ValueError(
            f"workflow_run action must be one of {sorted(_RUN_STATUS)}, got {action!r}"
        )
    payload: dict[str, Any] = {
        "action": action,
        "workflow_run": run_json(state, run, attempt, urls, status=_RUN_STATUS[action]),
        "workflow": workflow_json(run.repo, run.workflow, urls),
    }
    payload.update(envelope(state, run.repo, urls, attempt.triggering_actor, installation_id))
    return payload


def workflow_job_event(
    state: SimState,
    job: JobRecord,
    urls: Urls,
    *,
    action: str,
    installation_id: int | None,
) -> dict[str, Any]:
    """The ``workflow_job`` webhook payload (``queued``, ``in_progress``, ``completed``,
    ``waiting``)."""
    if action not in _JOB_STATUS:
        raise ValueError(
            f"workflow_job action must be one of {sorted(_JOB_STATUS)}, got {action!r}"
        )
    run = state.run(job.run_id)
    payload: dict[str, Any] = {
        "action": action,
        "workflow_job": job_json(state, job, urls, status=_JOB_STATUS[action], webhook=True),
    }
    sender = run.attempt(job.attempt).triggering_actor
    payload.update(envelope(state, run.repo, urls, sender, installation_id))
    return payload
