"""``check_run`` and ``check_suite`` webhooks from GitHub Actions, mapped to workflow runs.

Only checks of the ``github-actions`` app are about workflow runs; other apps' checks are not
acted on. An Actions check run's id is its job's id, so the job (and through it the run
attempt) is one API call away; a check suite belongs to the run attempt listed with its
``check_suite_id``. Only ``completed`` actions are looked up: others are not acted on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from github.Repository import Repository

from ci_rescue_core.errors import NotFoundError, PayloadError
from ci_rescue_core.models import CIEvent
from ci_rescue_providers.github.listing import listed
from ci_rescue_providers.github.webhook import (
    job_from_json,
    payload_object,
    repo_name,
    run_from_json,
    run_of_job,
)

__all__ = ["ACTIONS_APP", "CHECK_EVENTS", "actionable_check", "parse_check_event"]

ACTIONS_APP = "github-actions"
CHECK_EVENTS = ("check_run", "check_suite")


def _numeric_id(data: Mapping[str, Any], where: str) -> int:
    value = data.get("id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{where}.id must be an integer, got {value!r}", field=f"{where}.id")
    return value


def _app_slug(check: Mapping[str, Any]) -> str | None:
    app = check.get("app")
    if isinstance(app, Mapping):
        slug = app.get("slug")
        return slug if isinstance(slug, str) else None
    return None


def actionable_check(event_type: str, payload: Mapping[str, Any]) -> bool:
    """Whether *payload* is a completed check of GitHub Actions (worth an API lookup).

    :raises PayloadError: when the check object is missing.
    """
    if event_type not in CHECK_EVENTS:
        return False
    check = payload_object(payload, event_type)
    return _app_slug(check) == ACTIONS_APP and payload.get("action") == "completed"


def parse_check_event(
    event_type: str,
    payload: Mapping[str, Any],
    *,
    repository: Callable[[str], Repository],
    delivery_id: str | None = None,
) -> CIEvent | None:
    """A :class:`CIEvent` for a completed Actions ``check_run``/``check_suite``; else ``None``.

    :param repository: gives the PyGithub repository to look the run up in.
    :raises PayloadError: naming the malformed field.
    :raises NotFoundError: when no workflow run matches the check.
    """
    if not actionable_check(event_type, payload):
        return None
    check = payload_object(payload, event_type)
    action = "completed"
    name = repo_name(payload)
    repo = repository(name)
    check_id = _numeric_id(check, event_type)
    if event_type == "check_run":
        job_data = repo.get_workflow_job(check_id).raw_data
        run = run_of_job(job_data, name)
        job = job_from_json(job_data, run)
        return CIEvent(kind=event_type, action=action, run=run, job=job, delivery_id=delivery_id)
    runs = listed(
        repo.requester,
        f"{repo.url}/actions/runs",
        params={"check_suite_id": check_id},
        list_item="workflow_runs",
        limit=1,
    )
    found = next(runs, None)
    if found is None:
        raise NotFoundError(
            f"no workflow run of {name} belongs to check suite {check_id}",
            provider="github",
            status=404,
            resource=f"check suite {check_id} of {name}",
        )
    data: Mapping[str, Any] = found
    attempt = int(data.get("run_attempt") or 1)
    run_url = f"{repo.url}/actions/runs/{found['id']}"
    while data.get("check_suite_id") != check_id and attempt > 1:
        attempt -= 1
        _, data = repo.requester.requestJsonAndCheck("GET", f"{run_url}/attempts/{attempt}")
    if data.get("check_suite_id") != check_id:
        data = found  # the suite's attempt is unknown: act on the newest
    return CIEvent(
        kind=event_type, action=action, run=run_from_json(data, name), delivery_id=delivery_id
    )
