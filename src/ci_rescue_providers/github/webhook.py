"""GitHub webhooks: HMAC-SHA256 verification over the raw body, and payload parsing.

Parsing reads only what ci-rescue needs and treats every enum as open: an unknown status or
conclusion string is carried along, never a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ci_rescue_core.errors import PayloadError, SignatureError
from ci_rescue_core.models import CIEvent, JobRef, RunRef
from ci_rescue_providers.common.auth import require_secret

PROVIDER = "github"
SIGNATURE_HEADER = "x-hub-signature-256"
_MATRIX_NAME = re.compile(r"^(?P<base>.*?) \((?P<values>[^()]*)\)$")


def verify_signature(
    headers: Mapping[str, str],
    body: bytes,
    secret: str | None,
    *,
    secret_env: str = "CI_RESCUE_WEBHOOK_SECRET",
) -> None:
    """Check ``X-Hub-Signature-256`` against HMAC-SHA256(*secret*, *body*), in constant time.

    :param secret_env: the variable the secret comes from, named when it is not set.
    :raises SignatureError: when no secret is configured, the header is missing or malformed,
        or the digest does not match.
    """
    secret = require_secret(secret, provider="github", secret_env=secret_env)
    lowered = {key.lower(): value for key, value in headers.items()}
    received = lowered.get(SIGNATURE_HEADER)
    if not received:
        raise SignatureError(
            "missing X-Hub-Signature-256 header (SHA-1 signatures are not accepted)"
        )
    if not received.startswith("sha256="):
        raise SignatureError("X-Hub-Signature-256 must look like 'sha256=<hex digest>'")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.strip().encode()):
        raise SignatureError(
            "X-Hub-Signature-256 does not match the body: wrong secret or altered body"
        )


def matrix_values(job_name: str) -> tuple[str, ...]:
    """Matrix values from a job name.

    ``test (3.11, ubuntu-latest)`` gives ``("3.11", "ubuntu-latest")``; ``build`` gives ``()``.
    """
    match = _MATRIX_NAME.match(job_name)
    if match is None:
        return ()
    return tuple(value.strip() for value in match.group("values").split(",") if value.strip())


def parse_event(
    event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
) -> CIEvent | None:
    """Turn a ``workflow_run`` or ``workflow_job`` payload into a :class:`CIEvent`.

    ``check_run`` and ``check_suite`` need the API to find their workflow run, so the adapter
    (:meth:`GitHubProvider.parse_event`) handles them.

    :returns: ``None`` for other event types (``push``, ``ping``...).
    :raises PayloadError: naming the missing or mistyped field.
    """
    if event_type == "workflow_run":
        run = run_from_json(payload_object(payload, "workflow_run"), repo_name(payload))
        return CIEvent(
            kind=event_type, action=_text(payload, "action"), run=run, delivery_id=delivery_id
        )
    if event_type == "workflow_job":
        job_data = payload_object(payload, "workflow_job")
        run = run_of_job(job_data, repo_name(payload))
        job = job_from_json(job_data, run)
        return CIEvent(
            kind=event_type,
            action=_text(payload, "action"),
            run=run,
            job=job,
            delivery_id=delivery_id,
        )
    return None


def run_of_job(job_data: Mapping[str, Any], repo: str) -> RunRef:
    """The run (attempt) a workflow-job object (webhook or REST) belongs to."""
    return RunRef(
        provider=PROVIDER,
        repo=repo,
        run_id=str(_required(job_data, "run_id", "workflow_job")),
        attempt=_int(job_data, "run_attempt", "workflow_job", default=1),
        workflow=_text(job_data, "workflow_name"),
        head_sha=_text(job_data, "head_sha"),
        head_branch=job_data.get("head_branch"),
        url=_text(job_data, "run_url"),
    )


def run_from_json(data: Mapping[str, Any], repo: str) -> RunRef:
    """A :class:`RunRef` from a workflow-run object (webhook or REST)."""
    pulls = data.get("pull_requests") or []
    if not isinstance(pulls, list):
        raise PayloadError(
            "workflow_run.pull_requests must be a list", field="workflow_run.pull_requests"
        )
    return RunRef(
        provider=PROVIDER,
        repo=repo,
        run_id=str(_required(data, "id", "workflow_run")),
        attempt=_int(data, "run_attempt", "workflow_run", default=1),
        workflow=_text(data, "name"),
        head_sha=_text(data, "head_sha"),
        head_branch=data.get("head_branch"),
        event=_text(data, "event"),
        status=_text(data, "status"),
        conclusion=data.get("conclusion"),
        pr_numbers=tuple(
            int(p["number"]) for p in pulls if isinstance(p, Mapping) and "number" in p
        ),
        url=_text(data, "html_url"),
        created_at=_time(data.get("created_at")),
    )


def job_from_json(data: Mapping[str, Any], run: RunRef) -> JobRef:
    """A :class:`JobRef` from a workflow-job object (webhook or REST)."""
    name = _text(data, "name")
    steps = data.get("steps") or []
    failed_step = next(
        (
            str(step.get("name"))
            for step in steps
            if isinstance(step, Mapping) and step.get("conclusion") == "failure"
        ),
        None,
    )
    return JobRef(
        run=run,
        job_id=str(_required(data, "id", "workflow_job")),
        name=name,
        matrix=matrix_values(name),
        status=_text(data, "status"),
        conclusion=data.get("conclusion"),
        started_at=_time(data.get("started_at")),
        completed_at=_time(data.get("completed_at")),
        runner=data.get("runner_name"),
        failed_step=failed_step,
        url=_text(data, "html_url"),
    )


def repo_name(payload: Mapping[str, Any]) -> str:
    """``repository.full_name`` (``owner/name``) of a webhook payload."""
    repository = payload_object(payload, "repository")
    name = repository.get("full_name")
    if not isinstance(name, str) or "/" not in name:
        raise PayloadError(
            "repository.full_name is missing or not 'owner/name'", field="repository.full_name"
        )
    return name


def payload_object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``payload[key]`` when it is an object; ``PayloadError`` naming *key* otherwise."""
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise PayloadError(f"payload has no {key!r} object", field=key)
    return value


def _required(data: Mapping[str, Any], key: str, where: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise PayloadError(f"{where}.{key} is missing", field=f"{where}.{key}")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, *, default: int) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PayloadError(
            f"{where}.{key} must be a positive integer, got {value!r}", field=f"{where}.{key}"
        )
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
