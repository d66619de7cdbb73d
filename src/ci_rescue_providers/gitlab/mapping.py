"""GitLab JSON (REST answers and webhook payloads) to ci-rescue's :class:`RunRef` / :class:`JobRef`.

Normalisation (see ``docs/providers.md``): a pipeline or job in a terminal GitLab status
(``success``, ``failed``, ``canceled``, ``skipped``) has ``status="completed"`` and its GitLab
status as ``conclusion``; a job that failed with ``allow_failure: true`` concludes
``allowed_failure``, which is not a failure.  Unknown statuses are carried along unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ci_rescue_core.errors import PayloadError
from ci_rescue_core.models import JobRef, RunRef
from ci_rescue_providers.gitlab.failure_reasons import failure_category

PROVIDER = "gitlab"
TERMINAL = frozenset({"success", "failed", "canceled", "skipped"})
ALLOWED_FAILURE = "allowed_failure"

_MR_REF = re.compile(r"^refs/merge-requests/(\d+)/(?:head|merge|train)$")
_MATRIX = re.compile(r"^(?P<base>.+?): \[(?P<values>[^\[\]]*)\]$")
_PARALLEL = re.compile(r"^(?P<base>.+) (?P<index>\d+/\d+)$")
_HOOK_TIME = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) (?:UTC|([+-]\d{4}))$")


def parse_time(value: Any) -> datetime | None:
    """A GitLab timestamp (``2016-08-12 15:23:28 UTC`` or ISO 8601) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    match = _HOOK_TIME.match(value)
    text = value
    if match is not None:
        text = f"{match.group(1)}T{match.group(2)}{match.group(3) or '+0000'}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def matrix_values(job_name: str) -> tuple[str, ...]:
    """Matrix values from a GitLab job name.

    ``test: [3.12, alpine]`` (``parallel:matrix``) gives ``("3.12", "alpine")``; ``rspec 2/4``
    (``parallel: N``) gives ``("2/4",)``; ``build`` gives ``()``.
    """
    match = _MATRIX.match(job_name)
    if match is not None:
        return tuple(v.strip() for v in match.group("values").split(",") if v.strip())
    parallel = _PARALLEL.match(job_name)
    return (parallel.group("index"),) if parallel is not None else ()


def base_name(job_name: str) -> str:
    """The name without its matrix or parallel suffix (the test-report suite name)."""
    for pattern in (_MATRIX, _PARALLEL):
        match = pattern.match(job_name)
        if match is not None:
            return match.group("base")
    return job_name


def merge_request_numbers(ref: str | None) -> tuple[int, ...]:
    """The merge request iid of a ``refs/merge-requests/<iid>/head`` ref."""
    match = _MR_REF.match(ref or "")
    return (int(match.group(1)),) if match else ()


def normalised(status: str) -> tuple[str, str | None]:
    """``(status, conclusion)`` for a GitLab status."""
    if status in TERMINAL:
        return "completed", status
    return status, None


def run_from_pipeline(data: Mapping[str, Any], repo: str, *, attempt: int) -> RunRef:
    """A :class:`RunRef` from a REST pipeline object (``GET …/pipelines/:id``)."""
    status, conclusion = normalised(text(data, "status"))
    ref = data.get("ref")
    tag = bool(data.get("tag"))
    pulls = merge_request_numbers(ref if isinstance(ref, str) else None)
    return RunRef(
        provider=PROVIDER,
        repo=repo,
        run_id=str(required(data, "id", "pipeline")),
        attempt=attempt,
        workflow=str(data.get("name") or "pipeline"),
        head_sha=text(data, "sha"),
        head_branch=None if tag or pulls or not ref else str(ref),
        event=text(data, "source"),
        status=status,
        conclusion=conclusion,
        pr_numbers=pulls,
        url=text(data, "web_url"),
        created_at=parse_time(data.get("created_at")),
    )


def job_conclusion(status: str, allow_failure: bool) -> str | None:
    """A job's conclusion: its terminal status, or ``allowed_failure``."""
    if status not in TERMINAL:
        return None
    return ALLOWED_FAILURE if status == "failed" and allow_failure else status


def job_from_json(data: Mapping[str, Any], run: RunRef) -> JobRef:
    """A :class:`JobRef` from a REST job object (``GET …/jobs/:id`` or a pipeline's job list)."""
    raw_status = text(data, "status")
    name = text(data, "name")
    runner = data.get("runner")
    return JobRef(
        run=run,
        job_id=str(required(data, "id", "job")),
        name=name,
        matrix=matrix_values(name),
        status=normalised(raw_status)[0],
        conclusion=job_conclusion(raw_status, bool(data.get("allow_failure"))),
        started_at=parse_time(data.get("started_at")),
        completed_at=parse_time(data.get("finished_at")),
        runner=str(runner["description"])
        if isinstance(runner, Mapping) and runner.get("description")
        else None,
        url=text(data, "web_url"),
        failure_reason=str(data["failure_reason"])
        if raw_status == "failed" and data.get("failure_reason")
        else None,
        failure_category=failure_category(str(data["failure_reason"]))
        if raw_status == "failed" and data.get("failure_reason")
        else None,
    )


def required(data: Mapping[str, Any], key: str, where: str) -> Any:
    """``data[key]``, or a :class:`PayloadError` naming ``where.key``."""
    value = data.get(key)
    if value is None or value == "":
        raise PayloadError(f"{where}.{key} is missing", field=f"{where}.{key}")
    return value


def text(data: Mapping[str, Any], key: str) -> str:
    """``data[key]`` as text (``""`` when absent or null)."""
    value = data.get(key)
    return "" if value is None else str(value)
