"""GitLab webhooks: token (and optional signature) verification, delivery ids, parsing.

Verification runs over the raw body, before parsing:

* ``X-Gitlab-Token`` carries the webhook's secret token in plain text; it is compared with the
  configured secret in constant time.
* GitLab's newer *signing token* adds Standard-Webhooks headers (``webhook-id``,
  ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
  ``"{id}.{timestamp}.{body}"``).  When present it is verified with the same configured secret
  (``whsec_<base64>`` secrets are decoded as the standard says) and the timestamp must be
  within :data:`SIGNATURE_TOLERANCE_SECONDS` of now.

At least one of the two must be present, and every one present must match.

Parsing reads ``Pipeline Hook`` (``object_kind: pipeline``) and ``Job Hook``
(``object_kind: build``) payloads; every status and failure reason is an open enum.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ci_rescue_core.errors import PayloadError, SignatureError
from ci_rescue_core.models import CIEvent, JobRef, RunRef
from ci_rescue_providers.common.auth import require_secret
from ci_rescue_providers.gitlab.failure_reasons import failure_category
from ci_rescue_providers.gitlab.mapping import (
    PROVIDER,
    TERMINAL,
    job_conclusion,
    matrix_values,
    merge_request_numbers,
    normalised,
    parse_time,
    required,
    text,
)

#: Event types ``parse_event`` accepts: short names and ``X-Gitlab-Event`` header values.
EVENT_KINDS: Mapping[str, str] = {
    "pipeline": "pipeline",
    "pipeline hook": "pipeline",
    "job": "job",
    "job hook": "job",
    "build": "job",
}
#: How far a Standard-Webhooks ``webhook-timestamp`` may be from now.
SIGNATURE_TOLERANCE_SECONDS = 300.0

#: ``resolve(repo, pipeline_id, job_ids) -> attempt``: which attempt a payload's jobs show.
AttemptResolver = Callable[[str, str, Sequence[str]], int]


def event_kind(event_type: str) -> str | None:
    """``pipeline`` or ``job`` for an accepted event type, else ``None``."""
    return EVENT_KINDS.get(event_type.strip().lower())


def _signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secret: str | None,
    *,
    now: float,
    secret_env: str = "CI_RESCUE_WEBHOOK_SECRET",
    tolerance: float = SIGNATURE_TOLERANCE_SECONDS,
) -> None:
    """Check ``X-Gitlab-Token`` and, when present, the Standard-Webhooks signature.

    :param now: the current Unix time (for the signature's timestamp window).
    :param secret_env: named in the error when no secret is configured.
    :raises SignatureError: no secret configured, nothing to check, or a mismatch.
    """
    secret = require_secret(
        secret, provider="gitlab", secret_env=secret_env, untrusted="unauthenticated"
    )
    lowered = {key.lower(): value for key, value in headers.items()}
    token = lowered.get("x-gitlab-token")
    signature = lowered.get("webhook-signature")
    if token is None and signature is None:
        raise SignatureError("missing X-Gitlab-Token header (and no webhook-signature either)")
    if token is not None and not hmac.compare_digest(
        token.strip().encode("utf-8"), secret.encode("utf-8")
    ):
        raise SignatureError("X-Gitlab-Token does not match the configured webhook secret")
    if signature is not None:
        _verify_signature(lowered, signature, body, secret, now=now, tolerance=tolerance)


def _verify_signature(
    lowered: Mapping[str, str],
    signature: str,
    body: bytes,
    secret: str,
    *,
    now: float,
    tolerance: float,
) -> None:
    webhook_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    if not webhook_id or not stamp:
        raise SignatureError("webhook-signature without webhook-id and webhook-timestamp")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise SignatureError(f"webhook-timestamp {stamp!r} is not Unix seconds") from None
    if abs(now - sent_at) > tolerance:
        raise SignatureError(
            f"webhook-timestamp is {abs(now - sent_at):.0f}s away from now "
            f"(more than {tolerance:.0f}s): a stale or replayed delivery"
        )
    message = f"{webhook_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(_signing_key(secret), message, hashlib.sha256).digest())
    offered = [part.split(",", 1) for part in signature.split() if "," in part]
    candidates = [value.encode("ascii", "replace") for version, value in offered if version == "v1"]
    if not candidates:
        raise SignatureError("webhook-signature has no 'v1,<base64>' entry")
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError(
            "webhook-signature does not match the body: wrong secret or altered body"
        )


def delivery_id(headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
    """The id that stays the same when GitLab redelivers: ``Idempotency-Key`` (GitLab 17.4+),
    else ``X-Gitlab-Event-UUID``, else ``webhook-id``, else a hash of the payload."""
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in ("idempotency-key", "x-gitlab-event-uuid", "webhook-id"):
        value = lowered.get(name, "").strip()
        if value:
            return value
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_event(
    event_type: str,
    payload: Mapping[str, Any],
    *,
    delivery_id: str | None = None,
    resolve_attempt: AttemptResolver | None = None,
) -> CIEvent | None:
    """Turn a pipeline or job payload into a :class:`CIEvent`.

    :param resolve_attempt: asked, for a finished pipeline or job, which attempt the payload's
        jobs belong to (the payload does not say; see :mod:`.attempts`).  Without it, or for
        unfinished ones, the attempt is 1.
    :returns: ``None`` for other event types (push, merge request, ...).
    :raises PayloadError: naming the missing or mistyped field.
    """
    kind = event_kind(event_type)
    if kind is None:
        return None
    expected = "pipeline" if kind == "pipeline" else "build"
    object_kind = payload.get("object_kind")
    if object_kind is not None and object_kind != expected:
        raise PayloadError(
            f"a {event_type!r} delivery must have object_kind {expected!r}, got {object_kind!r}",
            field="object_kind",
        )
    if kind == "pipeline":
        return _pipeline_event(payload, delivery_id, resolve_attempt)
    return _job_event(payload, delivery_id, resolve_attempt)


def _pipeline_event(
    payload: Mapping[str, Any], delivery: str | None, resolve: AttemptResolver | None
) -> CIEvent:
    attributes = _object(payload, "object_attributes")
    project = _object(payload, "project")
    repo = _project_path(project, "project.path_with_namespace")
    pipeline_id = str(required(attributes, "id", "object_attributes"))
    raw_status = text(attributes, "status")
    builds = payload.get("builds") or []
    if not isinstance(builds, list):
        raise PayloadError("builds must be a list", field="builds")
    job_ids = [str(b["id"]) for b in builds if isinstance(b, Mapping) and b.get("id") is not None]
    attempt = resolve(repo, pipeline_id, job_ids) if resolve and raw_status in TERMINAL else 1
    ref = attributes.get("ref")
    tag = bool(attributes.get("tag"))
    merge_request = payload.get("merge_request")
    pulls = merge_request_numbers(ref if isinstance(ref, str) else None)
    if isinstance(merge_request, Mapping) and isinstance(merge_request.get("iid"), int):
        pulls = (int(merge_request["iid"]),)
    status, conclusion = normalised(raw_status)
    web = text(project, "web_url")
    run = RunRef(
        provider=PROVIDER,
        repo=repo,
        run_id=pipeline_id,
        attempt=attempt,
        workflow=str(attributes.get("name") or "pipeline"),
        head_sha=text(attributes, "sha"),
        head_branch=None if tag or pulls or not ref else str(ref),
        event=text(attributes, "source"),
        status=status,
        conclusion=conclusion,
        pr_numbers=pulls,
        url=text(attributes, "url") or (f"{web}/-/pipelines/{pipeline_id}" if web else ""),
        created_at=parse_time(attributes.get("created_at")),
    )
    return CIEvent(kind="pipeline", action="", run=run, delivery_id=delivery)


def _job_event(
    payload: Mapping[str, Any], delivery: str | None, resolve: AttemptResolver | None
) -> CIEvent:
    build_id = str(required(payload, "build_id", "build"))
    pipeline_id = str(required(payload, "pipeline_id", "build"))
    project = payload.get("project")
    if isinstance(project, Mapping) and project.get("path_with_namespace"):
        repo = _project_path(project, "project.path_with_namespace")
        web = text(project, "web_url")
    else:
        repo = str(required(payload, "project_id", "build"))
        repository = payload.get("repository")
        web = text(repository, "homepage") if isinstance(repository, Mapping) else ""
    raw_status = text(payload, "build_status")
    attempt = resolve(repo, pipeline_id, [build_id]) if resolve and raw_status in TERMINAL else 1
    commit = payload.get("commit")
    pipeline_status = text(commit, "status") if isinstance(commit, Mapping) else ""
    run_status, run_conclusion = normalised(pipeline_status)
    ref = payload.get("ref")
    tag = bool(payload.get("tag"))
    pulls = merge_request_numbers(ref if isinstance(ref, str) else None)
    run = RunRef(
        provider=PROVIDER,
        repo=repo,
        run_id=pipeline_id,
        attempt=attempt,
        workflow="pipeline",
        head_sha=text(payload, "sha"),
        head_branch=None if tag or pulls or not ref else str(ref),
        status=run_status,
        conclusion=run_conclusion,
        pr_numbers=pulls,
        url=f"{web}/-/pipelines/{pipeline_id}" if web else "",
    )
    name = text(payload, "build_name")
    runner = payload.get("runner")
    reason = payload.get("build_failure_reason")
    job = JobRef(
        run=run,
        job_id=build_id,
        name=name,
        matrix=matrix_values(name),
        status=normalised(raw_status)[0],
        conclusion=job_conclusion(raw_status, bool(payload.get("build_allow_failure"))),
        started_at=parse_time(
            payload.get("build_started_at_iso") or payload.get("build_started_at")
        ),
        completed_at=parse_time(
            payload.get("build_finished_at_iso") or payload.get("build_finished_at")
        ),
        runner=str(runner["description"])
        if isinstance(runner, Mapping) and runner.get("description")
        else None,
        url=f"{web}/-/jobs/{build_id}" if web else "",
        # GitLab sends unknown_failure even for jobs that passed: only a failure has a reason
        failure_reason=str(reason) if raw_status == "failed" and reason else None,
        failure_category=failure_category(str(reason))
        if raw_status == "failed" and reason
        else None,
    )
    return CIEvent(kind="job", action="", run=run, job=job, delivery_id=delivery)


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise PayloadError(f"payload has no {key!r} object", field=key)
    return value


def _project_path(project: Mapping[str, Any], field: str) -> str:
    path = project.get("path_with_namespace")
    if not isinstance(path, str) or "/" not in path:
        raise PayloadError(f"{field} is missing or not 'group/project'", field=field)
    return path
