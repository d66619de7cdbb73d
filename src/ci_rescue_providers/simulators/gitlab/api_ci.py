"""Pipeline and job endpoints: lists, details, traces, retries, cancels and test reports."""

from __future__ import annotations

from .context import ApiContext, truthy
from .models import TERMINAL_STATUSES, SimError
from .payloads import job_json, pipeline_json
from .reports import test_report_json
from .router import ApiRequest, ApiResponse, Router, json_response

__all__ = ["register_ci"]

_PIPELINE_SORTS = {"id", "status", "ref", "updated_at", "user_id"}


def register_ci(router: Router, ctx: ApiContext) -> None:
    """Add the CI endpoints to ``router``."""
    base = "/projects/{project}"

    def list_pipelines(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        query = request.query
        order_by = query.get("order_by", "id")
        if order_by not in _PIPELINE_SORTS:
            raise SimError(400, "order_by does not have a valid value")
        pipelines = [ctx.state.pipelines[pid] for pid in project.pipelines]
        filters = {key: query[key] for key in ("ref", "sha", "status", "source") if query.get(key)}
        if "status" in filters and filters["status"] not in _known_statuses():
            raise SimError(400, "status does not have a valid value")
        selected = [
            p
            for p in pipelines
            if all(
                getattr(p, key) == value if key != "status" else p.status == value
                for key, value in filters.items()
            )
        ]
        if query.get("name"):
            selected = [p for p in selected if p.name == query["name"]]
        reverse = query.get("sort", "desc") != "asc"
        selected.sort(key=lambda p: p.id, reverse=reverse)
        urls = ctx.urls()
        return ctx.page(request, [pipeline_json(ctx.state, p, urls, full=False) for p in selected])

    def get_pipeline(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        pipeline = ctx.state.pipeline(project, ctx.int_param(request, "pipeline_id"))
        return json_response(200, pipeline_json(ctx.state, pipeline, ctx.urls()))

    def pipeline_jobs(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        pipeline = ctx.state.pipeline(project, ctx.int_param(request, "pipeline_id"))
        include_retried = truthy(request.query.get("include_retried", "false"))
        jobs = pipeline.jobs if include_retried else pipeline.latest_jobs()
        scopes = set(request.query_list("scope"))
        if scopes:
            jobs = [job for job in jobs if job.status in scopes]
        ordered = sorted(jobs, key=lambda job: job.id, reverse=True)
        urls = ctx.urls()
        return ctx.page(request, [job_json(ctx.state, job, urls) for job in ordered])

    def retry_pipeline(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        pipeline = ctx.state.pipeline(project, ctx.int_param(request, "pipeline_id"))
        ctx.engine.retry_pipeline(pipeline)
        return json_response(201, pipeline_json(ctx.state, pipeline, ctx.urls()))

    def cancel_pipeline(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        pipeline = ctx.state.pipeline(project, ctx.int_param(request, "pipeline_id"))
        ctx.engine.cancel_pipeline(pipeline)
        return json_response(200, pipeline_json(ctx.state, pipeline, ctx.urls()))

    def test_report(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        pipeline = ctx.state.pipeline(project, ctx.int_param(request, "pipeline_id"))
        return json_response(200, test_report_json(pipeline))

    def get_job(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        job = ctx.state.job(project, ctx.int_param(request, "job_id"))
        return json_response(200, job_json(ctx.state, job, ctx.urls()))

    def trace(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        job = ctx.state.job(project, ctx.int_param(request, "job_id"))
        if job.started_at is None:
            return ApiResponse(200, b"", {"Content-Type": "text/plain; charset=utf-8"})
        return ApiResponse(200, job.trace, {"Content-Type": "text/plain; charset=utf-8"})

    def retry_job(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        job = ctx.state.job(project, ctx.int_param(request, "job_id"))
        pipeline = ctx.state.pipelines[job.pipeline_id]
        fresh = ctx.engine.retry_job(pipeline, job)
        return json_response(201, job_json(ctx.state, fresh, ctx.urls()))

    def cancel_job(request: ApiRequest) -> ApiResponse:
        project = ctx.project(request)
        job = ctx.state.job(project, ctx.int_param(request, "job_id"))
        if job.status in TERMINAL_STATUSES:
            raise SimError(403, "403 Forbidden - Job is not cancelable")
        ctx.engine.cancel_job(ctx.state.pipelines[job.pipeline_id], job)
        return json_response(201, job_json(ctx.state, job, ctx.urls()))

    router.add("GET", f"{base}/pipelines", list_pipelines)
    router.add("GET", f"{base}/pipelines/{{pipeline_id}}", get_pipeline)
    router.add("GET", f"{base}/pipelines/{{pipeline_id}}/jobs", pipeline_jobs)
    router.add("POST", f"{base}/pipelines/{{pipeline_id}}/retry", retry_pipeline)
    router.add("POST", f"{base}/pipelines/{{pipeline_id}}/cancel", cancel_pipeline)
    router.add("GET", f"{base}/pipelines/{{pipeline_id}}/test_report", test_report)
    router.add("GET", f"{base}/jobs/{{job_id}}", get_job)
    router.add("GET", f"{base}/jobs/{{job_id}}/trace", trace)
    router.add("POST", f"{base}/jobs/{{job_id}}/retry", retry_job)
    router.add("POST", f"{base}/jobs/{{job_id}}/cancel", cancel_job)


def _known_statuses() -> frozenset[str]:
    return frozenset(
        {
            "created",
            "waiting_for_resource",
            "preparing",
            "pending",
            "running",
            "success",
            "failed",
            "canceled",
            "skipped",
            "manual",
            "scheduled",
        }
    )
