"""The simulated CircleCI API as a plain function of requests: auth, routing, endpoints."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from ..common import blobs as common_blobs
from ..common import router as common
from ..common.router import ApiResponse, Router
from .execution import StepOutput, job_steps
from .models import JobRecord, NotFoundError, SimError
from .payloads import (
    build_json,
    job_details_json,
    job_item_json,
    page,
    pipeline_json,
    project_json,
    test_item_json,
    workflow_json,
)
from .state import SimState

__all__ = ["ApiRequest", "ApiResponse", "BlobSigner", "CircleCIApi"]

_BASIC = re.compile(r"^\s*basic\s+(\S+)\s*$", re.IGNORECASE)
_SLUG = "{vcs}/{org}/{repo}"


class ApiRequest(common.ApiRequest):
    """A parsed HTTP request as the endpoint handlers see it."""

    @property
    def slug(self) -> str:
        """The project slug of the path (``gh/org/repo``)."""
        return f"{self.params['vcs']}/{self.params['org']}/{self.params['repo']}"

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (empty body: ``{}``); 400 otherwise."""
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise SimError(400, "Invalid JSON body") from None
        if not isinstance(value, dict):
            raise SimError(400, "The request body must be a JSON object")
        return value


def json_response(status: int, value: Any) -> ApiResponse:
    """A JSON response."""
    return common.json_response(status, value)


Handler = Callable[[ApiRequest], ApiResponse]


class BlobSigner(common_blobs.BlobSigner):
    """Signs short-lived, credential-free step output URLs (like S3 pre-signed URLs):
    ``?X-Amz-Expires=…&X-Amz-Signature=…``."""

    EXPIRES_PARAM = "X-Amz-Expires"
    SIGNATURE_PARAM = "X-Amz-Signature"


class CircleCIApi:
    """Answers ``ApiRequest``s like circleci.com would, from a ``SimState``."""

    def __init__(
        self,
        state: SimState,
        *,
        base_url: Callable[[], str],
        token: str | None,
        app_url: str,
        page_size: int,
        blob_ttl: float,
    ) -> None:
        self.state = state
        self.token = token
        self.app_url = app_url
        self.page_size = page_size
        self.signer = BlobSigner(blob_ttl)
        self.credential_leaks = 0
        self._base_url = base_url
        self._router: Router[ApiRequest] = Router(not_found=NotFoundError)
        v2, project = "/api/v2", f"/api/v2/project/{_SLUG}"
        add = self._router.add
        add("GET", f"{v2}/me", self._me)
        add("GET", project, self._project)
        add("GET", f"{project}/pipeline", self._pipelines)
        add("GET", f"{project}/job/{{number}}", self._job_details)
        add("POST", f"{project}/job/{{number}}/cancel", self._cancel_job_by_number)
        add("GET", f"{project}/{{number}}/tests", self._tests)
        add("GET", f"{v2}/pipeline/{{id}}", self._pipeline)
        add("GET", f"{v2}/pipeline/{{id}}/workflow", self._pipeline_workflows)
        add("GET", f"{v2}/workflow/{{id}}", self._workflow)
        add("GET", f"{v2}/workflow/{{id}}/job", self._workflow_jobs)
        add("POST", f"{v2}/workflow/{{id}}/rerun", self._rerun)
        add("POST", f"{v2}/workflow/{{id}}/cancel", self._cancel)
        add("POST", f"{v2}/jobs/{{id}}/cancel", self._cancel_job)
        add("GET", f"/api/v1.1/project/{_SLUG}/{{number}}", self._build)
        raw = f"/api/private/output/raw/{_SLUG}/{{number}}"
        add("GET", f"{raw}/output/{{index}}/{{step}}", self._raw_output)
        add("GET", f"{raw}/error/{{index}}/{{step}}", self._raw_error)

    # -- entry point -----------------------------------------------------------------------

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one request; API errors become ``{"message": ...}`` responses."""
        request.path = re.sub("%2[Ff]", "/", request.path)
        try:
            if request.path.startswith("/_s3/"):
                return self._blob(request)
            self._authenticate(request)
            with self.state.lock:
                return self._router.dispatch(request)
        except SimError as error:
            return json_response(error.status, error.body())

    def _authenticate(self, request: ApiRequest) -> None:
        presented = request.headers.get("circle-token") or request.query.get("circle-token")
        basic = _BASIC.match(request.headers.get("authorization", ""))
        if not presented and basic:
            try:
                presented = base64.b64decode(basic.group(1)).decode().split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError):
                presented = None
        if not presented or (self.token is not None and presented != self.token):
            raise SimError(401, "You must log in first.")

    # -- helpers ---------------------------------------------------------------------------

    def _paged(self, request: ApiRequest, items: list[dict[str, Any]]) -> ApiResponse:
        chunk, following = page(items, request.query.get("page-token"), self.page_size)
        return json_response(200, {"items": chunk, "next_page_token": following})

    def _number(self, request: ApiRequest) -> int:
        value = request.params["number"]
        if not value.isdigit():
            raise NotFoundError("Job not found")
        return int(value)

    def _job(self, request: ApiRequest) -> JobRecord:
        return self.state.job_by_number(request.slug, self._number(request))

    def output_url(self, job: JobRecord, action: StepOutput) -> str:
        """The pre-signed URL of one action's output."""
        path = f"/_s3/step-output/{job.id}/{action.step}/{action.index}"
        return f"{self._base_url()}{self.signer.sign(path)}"

    def _action(self, request: ApiRequest) -> StepOutput:
        job = self._job(request)
        for actions in job_steps(job):
            for action in actions:
                if (
                    str(action.step) == request.params["step"]
                    and str(action.index) == (request.params["index"])
                ):
                    return action
        raise NotFoundError("Step not found")

    # -- endpoints -------------------------------------------------------------------------

    def _me(self, request: ApiRequest) -> ApiResponse:
        return json_response(200, {"id": "00000000-0000-4000-8000-000000000001", "login": "sim"})

    def _project(self, request: ApiRequest) -> ApiResponse:
        return json_response(200, project_json(self.state.project(request.slug)))

    def _pipelines(self, request: ApiRequest) -> ApiResponse:
        project = self.state.project(request.slug)
        branch = request.query.get("branch")
        pipelines = [p for p in reversed(project.pipelines) if not branch or p.branch == branch]
        return self._paged(request, [pipeline_json(p) for p in pipelines])

    def _pipeline(self, request: ApiRequest) -> ApiResponse:
        return json_response(200, pipeline_json(self.state.pipeline(request.params["id"])))

    def _pipeline_workflows(self, request: ApiRequest) -> ApiResponse:
        pipeline = self.state.pipeline(request.params["id"])
        return self._paged(request, [workflow_json(w) for w in reversed(pipeline.workflows)])

    def _workflow(self, request: ApiRequest) -> ApiResponse:
        return json_response(200, workflow_json(self.state.workflow(request.params["id"])))

    def _workflow_jobs(self, request: ApiRequest) -> ApiResponse:
        workflow = self.state.workflow(request.params["id"])
        return self._paged(request, [job_item_json(job) for job in workflow.jobs])

    def _rerun(self, request: ApiRequest) -> ApiResponse:
        workflow = self.state.rerun(request.params["id"], request.json_object())
        return json_response(202, {"workflow_id": workflow.id})

    def _cancel(self, request: ApiRequest) -> ApiResponse:
        self.state.cancel(request.params["id"])
        return json_response(202, {"message": "Accepted."})

    def _cancel_job(self, request: ApiRequest) -> ApiResponse:
        self.state.cancel(self.state.job(request.params["id"]).workflow.id)
        return json_response(202, {"message": "Accepted."})

    def _cancel_job_by_number(self, request: ApiRequest) -> ApiResponse:
        self.state.cancel(self._job(request).workflow.id)
        return json_response(202, {"message": "Accepted."})

    def _job_details(self, request: ApiRequest) -> ApiResponse:
        job = self._job(request)
        latest = job.workflow
        for workflow in self.state.chain(job.workflow):
            if any(j.id == job.id for j in workflow.jobs):
                latest = workflow
        return json_response(200, job_details_json(job, latest, self.app_url))

    def _tests(self, request: ApiRequest) -> ApiResponse:
        job = self._job(request)
        tests = job.spec.test_results(job.execution) if job.number is not None else ()
        return self._paged(request, [test_item_json(t) for t in tests])

    def _build(self, request: ApiRequest) -> ApiResponse:
        return json_response(200, build_json(self._job(request), self.app_url, self.output_url))

    def _raw_output(self, request: ApiRequest) -> ApiResponse:
        text = "".join(m["message"] for m in self._action(request).messages())
        return ApiResponse(200, text.encode("utf-8"), {"Content-Type": "text/plain"})

    def _raw_error(self, request: ApiRequest) -> ApiResponse:
        self._action(request)
        return ApiResponse(200, b"", {"Content-Type": "text/plain"})

    # -- pre-signed step output (no API credentials, like S3) ------------------------------

    def _blob(self, request: ApiRequest) -> ApiResponse:
        if request.method not in ("GET", "HEAD"):
            raise NotFoundError()
        if "circle-token" in request.headers or "authorization" in request.headers:
            with self.state.lock:
                self.credential_leaks += 1
            return _s3_error(400, "InvalidRequest", "Credentials must not be sent here.")
        if not self.signer.verify(request.path, request.raw_query):
            return _s3_error(403, "AccessDenied", "Request has expired")
        parts = request.path.split("/")
        if len(parts) != 6 or not parts[4].isdigit() or not parts[5].isdigit():
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        with self.state.lock:
            job = self.state.job(parts[3])
            for actions in job_steps(job):
                for action in actions:
                    if action.step == int(parts[4]) and action.index == int(parts[5]):
                        body = json.dumps(action.messages()).encode("utf-8")
                        return ApiResponse(200, body, {"Content-Type": "application/json"})
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")


def _s3_error(status: int, code: str, message: str) -> ApiResponse:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()
    return ApiResponse(status, body, {"Content-Type": "application/xml"})
