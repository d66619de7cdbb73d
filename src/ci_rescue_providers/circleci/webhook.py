"""CircleCI webhooks: ``circleci-signature`` verification over the raw body, payload parsing.

Parsing is pure: it reads only what ci-rescue needs, treats every status as an open enum, and
leaves the run's place in its re-run chain (``run_id``/``attempt``) to the adapter, which asks
the API (see :mod:`ci_rescue_providers.circleci.runs`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import attrs

from ci_rescue_core.errors import PayloadError, SignatureError
from ci_rescue_core.models import CIEvent, JobRef, RunRef
from ci_rescue_providers.circleci.runs import (
    PROVIDER,
    TERMINAL_JOB_STATUSES,
    TERMINAL_WORKFLOW_STATUSES,
    canonical_slug,
    commit_of,
    failure_category,
    failure_reason,
    normalised,
    parse_time,
)
from ci_rescue_providers.common.auth import require_secret

__all__ = [
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "ParsedDelivery",
    "parse_payload",
    "signature_values",
    "verify_signature",
]

#: The event types ci-rescue acts on (``circleci-event-type``).
EVENT_TYPES = ("workflow-completed", "job-completed")
SIGNATURE_HEADER = "circleci-signature"


def signature_values(header: str) -> dict[str, list[str]]:
    """``v1=abc,v2=def`` → ``{"v1": ["abc"], "v2": ["def"]}`` (split on ``,`` then ``=``)."""
    values: dict[str, list[str]] = {}
    for part in header.split(","):
        scheme, sep, value = part.strip().partition("=")
        if sep and scheme and value:
            values.setdefault(scheme.strip().lower(), []).append(value.strip())
    return values


def verify_signature(
    headers: Mapping[str, str],
    body: bytes,
    secret: str | None,
    *,
    secret_env: str = "CI_RESCUE_WEBHOOK_SECRET",
) -> None:
    """Check ``circleci-signature``'s ``v1`` HMAC-SHA256 of *body* in constant time.

    Only ``v1`` is checked (the newest scheme CircleCI documents); other schemes are ignored.

    :raises SignatureError: when no secret is configured, the header is missing, has no ``v1``
        value, or no ``v1`` value matches.
    """
    secret = require_secret(secret, provider="circleci", secret_env=secret_env)
    lowered = {key.lower(): value for key, value in headers.items()}
    received = lowered.get(SIGNATURE_HEADER)
    if not received:
        raise SignatureError("missing circleci-signature header")
    candidates = signature_values(received).get("v1", [])
    if not candidates:
        raise SignatureError("circleci-signature must carry a 'v1=<hex digest>' value")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    if not any(hmac.compare_digest(expected, value.lower().encode()) for value in candidates):
        raise SignatureError(
            "circleci-signature does not match the body: wrong secret or altered body"
        )


@attrs.frozen(kw_only=True)
class ParsedDelivery:
    """A webhook payload read into ci-rescue's terms, before the API places the run.

    ``event.run.run_id`` is the delivered workflow's own id and ``attempt`` is 1; the adapter
    replaces both with the chain's first workflow id and this execution's position.
    """

    event: CIEvent
    pipeline_id: str
    repository_url: str | None


def parse_payload(
    event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
) -> ParsedDelivery | None:
    """Read a ``workflow-completed`` or ``job-completed`` payload.

    The event type comes from the ``circleci-event-type`` header (the payload's ``type`` is not
    trusted: a published sample gets it wrong).

    :returns: ``None`` for other event types.
    :raises PayloadError: naming the missing or mistyped field.
    """
    if event_type not in EVENT_TYPES:
        return None
    project = _object(payload, "project")
    pipeline = _object(payload, "pipeline")
    workflow = _object(payload, "workflow")
    slug = canonical_slug(_text(project, "slug", "project", required=True))
    if slug.count("/") != 2:
        raise PayloadError(
            f"project.slug must look like gh/org/repo or circleci/<org>/<project>, got {slug!r}",
            field="project.slug",
        )
    sha, branch, repository_url, prs = commit_of(pipeline)
    trigger = pipeline.get("trigger")
    if event_type == "workflow-completed":
        status, conclusion = normalised(
            _text(workflow, "status", "workflow", required=True), TERMINAL_WORKFLOW_STATUSES
        )
    else:
        status, conclusion = "", None
    run = RunRef(
        provider=PROVIDER,
        repo=slug,
        run_id=_text(workflow, "id", "workflow", required=True),
        workflow=_text(workflow, "name", "workflow", required=True),
        head_sha=sha,
        head_branch=branch,
        event=str(trigger.get("type") or "") if isinstance(trigger, Mapping) else "",
        status=status,
        conclusion=conclusion,
        pr_numbers=prs,
        url=_text(workflow, "url", "workflow"),
        created_at=parse_time(workflow.get("created_at")),
    )
    job = None
    if event_type == "job-completed":
        job_data = _object(payload, "job")
        job_status, job_conclusion = normalised(
            _text(job_data, "status", "job", required=True), TERMINAL_JOB_STATUSES
        )
        number = job_data.get("number")
        job = JobRef(
            run=run,
            job_id=_text(job_data, "id", "job", required=True),
            name=_text(job_data, "name", "job", required=True),
            status=job_status,
            conclusion=job_conclusion,
            started_at=parse_time(job_data.get("started_at")),
            completed_at=parse_time(job_data.get("stopped_at")),
            url=f"{run.url}/jobs/{number}" if run.url and number is not None else run.url,
            failure_reason=failure_reason(job_conclusion),
            failure_category=failure_category(job_conclusion),
        )
    event = CIEvent(
        kind=event_type,
        action="completed",
        run=run,
        job=job,
        delivery_id=delivery_id,
    )
    return ParsedDelivery(
        event=event,
        pipeline_id=_text(pipeline, "id", "pipeline", required=True),
        repository_url=repository_url,
    )


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise PayloadError(f"circleci payload has no {key!r} object", field=key)
    return value


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(f"{where}.{key} is missing", field=f"{where}.{key}")
        return ""
    if isinstance(value, (dict, list, bool)):
        raise PayloadError(
            f"{where}.{key} must be a string, got {type(value).__name__}", field=f"{where}.{key}"
        )
    return str(value)
