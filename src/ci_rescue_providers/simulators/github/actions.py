"""Endpoints of the simulated Actions API: runs, attempts, jobs, logs, re-runs, cancel."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from .context import ApiContext
from .models import NotFoundError, RunRecord, SimError, WorkflowRecord
from .payloads import workflow_json
from .router import ApiRequest, ApiResponse, Router, json_response, paginate
from .run_payloads import job_json, run_json

__all__ = ["filter_runs", "register_actions"]

_RUN_FILTERS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")
_STATUSES = ("requested", "queued", "pending", "waiting", "in_progress", "completed")
_RESULT_CAP = 1000  # GitHub returns at most 1,000 runs when a filter is used
_RANGE = re.compile(r"^(?P<a>[^.]+)\.\.(?P<b>[^.]+)$")


def _parse_moment(text: str, *, end: bool) -> datetime:
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        day = date.fromisoformat(text)
    except ValueError:
        raise SimError(422, f"Invalid created filter: {text!r}") from None
    moment = datetime.combine(day, time.min, tzinfo=timezone.utc)
    return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment


def _created_matches(created: datetime, spec: str) -> bool:
    """GitHub's date qualifier: ``>=D``, ``>D``, ``<=D``, ``<D``, ``A..B``, ``A..*``, ``D``."""
    spec = spec.strip()
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            value = spec[len(op) :]
            if op == ">=":
                return created >= _parse_moment(value, end=False)
            if op == ">":
                return created > _parse_moment(value, end=True)
            if op == "<=":
                return created <= _parse_moment(value, end=True)
            return created < _parse_moment(value, end=False)
    match = _RANGE.match(spec)
    if match:
        low, high = match.group("a"), match.group("b")
        if low != "*" and created < _parse_moment(low, end=False):
            return False
        return high == "*" or created <= _parse_moment(high, end=True)
    return _parse_moment(spec, end=False) <= created <= _parse_moment(spec, end=True)


def filter_runs(runs: list[RunRecord], query: dict[str, str]) -> list[RunRecord]:
    """Apply the run-list filters ``actor, branch, check_suite_id, created, event, head_sha,
    status`` (a status or a conclusion); results are capped at 1,000 when any is used."""
    out: list[RunRecord] = []
    for run in runs:
        latest = run.latest
        if "actor" in query and run.actor.lower() != query["actor"].lower():
            continue
        if "branch" in query and run.head_branch != query["branch"]:
            continue
        if "event" in query and run.event != query["event"]:
            continue
        if "head_sha" in query and run.head_sha != query["head_sha"].lower():
            continue
        if "check_suite_id" in query and query["check_suite_id"] not in {
            str(a.check_suite_id) for a in run.attempts
        }:
            continue
        if "status" in query:
            wanted = query["status"]
            matched = wanted == "completed" if wanted in _STATUSES else wanted == latest.conclusion
            if not matched:
                continue
        if "created" in query and not _created_matches(run.created_at, query["created"]):
            continue
        out.append(run)
    if any(key in query for key in _RUN_FILTERS):
        out = out[:_RESULT_CAP]
    return out


def _workflow(ctx: ApiContext, request: ApiRequest) -> WorkflowRecord:
    repo = ctx.repo(request)
    key = request.params["workflow"]
    for workflow in repo.workflows.values():
        if key == str(workflow.id) or key == workflow.path.rsplit("/", 1)[-1]:
            return workflow
    raise NotFoundError()


def _run(ctx: ApiContext, request: ApiRequest) -> RunRecord:
    return ctx.state.run(ctx.int_param(request, "run_id"), ctx.repo(request).full_name)


def _bool(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def register_actions(router: Router, ctx: ApiContext) -> None:
    """Register the Actions endpoints on ``router``."""
    state = ctx.state
    prefix = "/repos/{owner}/{repo}/actions"

    def list_runs(request: ApiRequest, workflow: WorkflowRecord | None = None) -> ApiResponse:
        repo = ctx.repo(request)
        query = request.query
        with state.lock:
            runs = [
                r
                for r in state.runs_of(repo.full_name)
                if workflow is None or r.workflow is workflow
            ]
            runs = filter_runs(runs, query)
            page, headers = paginate(request, runs, ctx.base_url())
            urls = ctx.urls()
            exclude = _bool(query.get("exclude_pull_requests"))
            body = {
                "total_count": len(runs),
                "workflow_runs": [
                    run_json(state, r, r.latest, urls, exclude_pull_requests=exclude) for r in page
                ],
            }
        return json_response(200, body, headers)

    def list_workflows(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            items = sorted(repo.workflows.values(), key=lambda w: w.id)
            page, headers = paginate(request, items, ctx.base_url())
            body = {
                "total_count": len(items),
                "workflows": [workflow_json(repo, w, ctx.urls()) for w in page],
            }
        return json_response(200, body, headers)

    def get_workflow(request: ApiRequest) -> ApiResponse:
        with state.lock:
            return json_response(
                200, workflow_json(ctx.repo(request), _workflow(ctx, request), ctx.urls())
            )

    def workflow_runs(request: ApiRequest) -> ApiResponse:
        return list_runs(request, _workflow(ctx, request))

    def get_run(request: ApiRequest) -> ApiResponse:
        with state.lock:
            run = _run(ctx, request)
            return json_response(200, run_json(state, run, run.latest, ctx.urls()))

    def get_attempt(request: ApiRequest) -> ApiResponse:
        with state.lock:
            run = _run(ctx, request)
            attempt = run.attempt(ctx.int_param(request, "attempt"))
            return json_response(200, run_json(state, run, attempt, ctx.urls()))

    def jobs_response(request: ApiRequest, jobs: list[Any]) -> ApiResponse:
        page, headers = paginate(request, jobs, ctx.base_url())
        urls = ctx.urls()
        body = {"total_count": len(jobs), "jobs": [job_json(state, j, urls) for j in page]}
        return json_response(200, body, headers)

    def run_jobs(request: ApiRequest) -> ApiResponse:
        with state.lock:
            run = _run(ctx, request)
            mode = request.query.get("filter", "latest")
            if mode not in ("latest", "all"):
                raise SimError(422, f"Invalid filter: {mode!r}; use 'latest' or 'all'.")
            if mode == "all":
                jobs = [j for a in run.attempts for j in a.jobs]
            else:
                jobs = list(run.latest.jobs)
            return jobs_response(request, jobs)

    def attempt_jobs(request: ApiRequest) -> ApiResponse:
        with state.lock:
            run = _run(ctx, request)
            return jobs_response(request, list(run.attempt(ctx.int_param(request, "attempt")).jobs))

    def get_job(request: ApiRequest) -> ApiResponse:
        with state.lock:
            job = state.job(ctx.int_param(request, "job_id"), ctx.repo(request).full_name)
            return json_response(200, job_json(state, job, ctx.urls()))

    def redirect(path: str) -> ApiResponse:
        location = ctx.base_url().rstrip("/") + ctx.signer.sign(path)
        return ApiResponse(
            302, b"", {"Location": location, "Content-Type": "text/html;charset=utf-8"}
        )

    def job_logs(request: ApiRequest) -> ApiResponse:
        job = state.job(ctx.int_param(request, "job_id"), ctx.repo(request).full_name)
        return redirect(f"/_blobs/job-logs/{job.id}")

    def run_logs(request: ApiRequest) -> ApiResponse:
        run = _run(ctx, request)
        return redirect(f"/_blobs/run-logs/{run.id}/{run.latest.number}")

    def attempt_logs(request: ApiRequest) -> ApiResponse:
        run = _run(ctx, request)
        attempt = run.attempt(ctx.int_param(request, "attempt"))
        return redirect(f"/_blobs/run-logs/{run.id}/{attempt.number}")

    # The optional body ({"enable_debug_logging": bool}) is parsed first: malformed JSON is a 400
    # and changes nothing.
    def rerun(request: ApiRequest) -> ApiResponse:
        request.json_object()
        state.rerun_all(_run(ctx, request).id)
        return json_response(201, {})

    def rerun_failed(request: ApiRequest) -> ApiResponse:
        request.json_object()
        state.rerun_failed(_run(ctx, request).id)
        return json_response(201, {})

    def rerun_job(request: ApiRequest) -> ApiResponse:
        request.json_object()
        state.rerun_job(ctx.int_param(request, "job_id"), ctx.repo(request).full_name)
        return json_response(201, {})

    def cancel(request: ApiRequest) -> ApiResponse:
        run = _run(ctx, request)
        with state.lock:
            run.cancel_requests += 1
            ctx.cancel_log.append(run.id)
        return json_response(202, {})

    router.add("GET", f"{prefix}/workflows", list_workflows)
    router.add("GET", f"{prefix}/workflows/{{workflow}}", get_workflow)
    router.add("GET", f"{prefix}/workflows/{{workflow}}/runs", workflow_runs)
    router.add("GET", f"{prefix}/runs", list_runs)
    router.add("GET", f"{prefix}/runs/{{run_id}}", get_run)
    router.add("GET", f"{prefix}/runs/{{run_id}}/attempts/{{attempt}}", get_attempt)
    router.add("GET", f"{prefix}/runs/{{run_id}}/jobs", run_jobs)
    router.add("GET", f"{prefix}/runs/{{run_id}}/attempts/{{attempt}}/jobs", attempt_jobs)
    router.add("GET", f"{prefix}/runs/{{run_id}}/logs", run_logs)
    router.add("GET", f"{prefix}/runs/{{run_id}}/attempts/{{attempt}}/logs", attempt_logs)
    router.add("POST", f"{prefix}/runs/{{run_id}}/rerun", rerun)
    router.add("POST", f"{prefix}/runs/{{run_id}}/rerun-failed-jobs", rerun_failed)
    router.add("POST", f"{prefix}/runs/{{run_id}}/cancel", cancel)
    router.add("POST", f"{prefix}/runs/{{run_id}}/force-cancel", cancel)
    router.add("GET", f"{prefix}/jobs/{{job_id}}", get_job)
    router.add("GET", f"{prefix}/jobs/{{job_id}}/logs", job_logs)
    router.add("POST", f"{prefix}/jobs/{{job_id}}/rerun", rerun_job)


def run_logs_zip(ctx: ApiContext, run_id: int, attempt_number: int) -> bytes:
    """The run-log archive of one attempt: one ``{index}_{job name}.txt`` per job."""
    with ctx.state.lock:
        attempt = ctx.state.run(run_id).attempt(attempt_number)
        files = [
            (f"{i}_{re.sub(r'[/:*?<>|]', '_', j.name)}.txt", j.log)
            for i, j in enumerate(attempt.jobs)
        ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()
