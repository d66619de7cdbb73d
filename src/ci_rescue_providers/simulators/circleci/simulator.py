"""``CircleCISimulator``: a stateful CircleCI API on loopback for tests, demos and plugins."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..common.facade import SimulatorFacade
from ..common.recording import (
    Fault,
    fault_response,
    status_phrase,
)
from ..common.server import Reply, ServerStyle
from .api import ApiRequest, ApiResponse, CircleCIApi
from .execution import job_steps
from .models import SimJob
from .payloads import job_item_json, pipeline_json, project_json, workflow_json
from .state import SimState, utcnow
from .webhooks import job_completed_event, webhook_delivery, workflow_completed_event

__all__ = ["CircleCISimulator"]

#: CircleCI's API answers through Cloudflare, with ``{"message": ...}`` error bodies.
_STYLE = ServerStyle(
    name="circleci-simulator",
    server_version="cloudflare",
    bad_request=Reply(400, {"Content-Type": "application/json"}, b'{"message":"Bad request"}'),
)


class CircleCISimulator(SimulatorFacade):
    """A stateful fake of CircleCI's API v2 (plus v1.1 step output) served on loopback.

    Point an ``httpx.Client`` at ``api_url`` with a ``Circle-Token`` header.  ``token=None``
    accepts any non-empty token, otherwise exactly ``token``.  Workflows complete at once; a
    re-run creates a new workflow in the same pipeline, with new job ids and numbers for the
    jobs it re-runs.  Step output sits behind pre-signed URLs that refuse API credentials.
    Every request is recorded (``requests``); faults can be injected (``inject_fault``).

    Use as a context manager, or call ``start()``/``stop()``.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        app_url: str = "https://app.circleci.com",
        page_size: int = 20,
        blob_url_ttl: float = 300.0,
        webhook: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(token, host=host, port=port, style=_STYLE)
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        self.app_url = app_url.rstrip("/")
        self.webhook = dict(
            webhook or {"id": "5f0c9a52-7d1e-4b8e-9a44-3c2f0e6d1a01", "name": "sim"}
        )
        self._state = SimState(clock=clock or utcnow)
        self._api = CircleCIApi(
            self._state,
            base_url=lambda: self._http.base_url,
            token=token,
            app_url=self.app_url,
            page_size=page_size,
            blob_ttl=blob_url_ttl,
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — the host root (v1.1 lives at ``/api/v1.1``)."""
        return self._http.base_url

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:PORT/api/v2`` — what ``https://circleci.com/api/v2`` is."""
        return f"{self._http.base_url}/api/v2"

    # -- setting up state ----------------------------------------------------------------------

    def add_project(
        self,
        slug: str,
        *,
        vcs_url: str | None = None,
        default_branch: str = "main",
        org_name: str | None = None,
        vcs_provider: str | None = None,
    ) -> None:
        """Follow project *slug*: ``gh/org/repo``, ``bb/org/repo`` or
        ``circleci/<org-id>/<project-id>`` (which needs *vcs_url*, e.g. a GitLab URL)."""
        self._state.add_project(
            slug,
            vcs_url=vcs_url,
            default_branch=default_branch,
            org_name=org_name,
            vcs_provider=vcs_provider,
        )

    def add_pipeline(
        self,
        slug: str,
        *,
        branch: str | None = None,
        tag: str | None = None,
        revision: str | None = None,
        trigger_type: str | None = None,
        actor: str = "octocat",
        subject: str = "Update the code",
        review_id: str | None = None,
        workflows: Mapping[str, Sequence[SimJob]] | None = None,
    ) -> str:
        """Create a pipeline (branch defaults to the project's default branch) and run
        *workflows* (name → jobs) in it; returns the pipeline id."""
        pipeline = self._state.add_pipeline(
            slug,
            branch=branch,
            tag=tag,
            revision=revision,
            trigger_type=trigger_type,
            actor=actor,
            subject=subject,
            review_id=review_id,
        )
        for name, jobs in (workflows or {}).items():
            self._state.add_workflow(pipeline.id, name, jobs)
        return pipeline.id

    def add_workflow(
        self,
        slug: str,
        jobs: Sequence[SimJob],
        *,
        name: str = "build",
        pipeline_id: str | None = None,
        branch: str | None = None,
        revision: str | None = None,
        review_id: str | None = None,
    ) -> str:
        """Run workflow *name* with *jobs* in pipeline *pipeline_id* (default: a new pipeline
        of *branch* at *revision*); returns the workflow id."""
        if pipeline_id is None:
            pipeline_id = self.add_pipeline(
                slug, branch=branch, revision=revision, review_id=review_id
            )
        return self._state.add_workflow(pipeline_id, name, jobs).id

    def rerun(
        self, workflow_id: str, *, from_failed: bool = False, jobs: Sequence[str] = ()
    ) -> str:
        """Re-run a workflow as the API would; returns the new workflow's id."""
        request: dict[str, Any] = {}
        if from_failed:
            request["from_failed"] = True
        if jobs:
            request["jobs"] = list(jobs)
        return self._state.rerun(workflow_id, request).id

    # -- reading state (JSON exactly as the API returns it) ------------------------------------

    def get_project(self, slug: str) -> dict[str, Any]:
        """``GET /project/{slug}``."""
        with self._state.lock:
            return project_json(self._state.project(slug))

    def get_pipeline(self, pipeline_id: str) -> dict[str, Any]:
        """``GET /pipeline/{id}``."""
        with self._state.lock:
            return pipeline_json(self._state.pipeline(pipeline_id))

    def get_workflow(self, workflow_id: str) -> dict[str, Any]:
        """``GET /workflow/{id}``."""
        with self._state.lock:
            return workflow_json(self._state.workflow(workflow_id))

    def get_jobs(self, workflow_id: str) -> list[dict[str, Any]]:
        """The items of ``GET /workflow/{id}/job`` (every page)."""
        with self._state.lock:
            return [job_item_json(job) for job in self._state.workflow(workflow_id).jobs]

    def rerun_chain(self, workflow_id: str) -> list[str]:
        """Ids of every execution of *workflow_id*'s workflow in its pipeline, oldest first."""
        with self._state.lock:
            return [w.id for w in self._state.chain(self._state.workflow(workflow_id))]

    def rerun_requests(self, workflow_id: str) -> list[dict[str, Any]]:
        """The bodies of the re-runs made in *workflow_id*'s chain, oldest first."""
        with self._state.lock:
            chain = self._state.chain(self._state.workflow(workflow_id))
            return [dict(w.rerun_request) for w in chain if w.rerun_request is not None]

    def jobs_rerun(self, workflow_id: str) -> set[str]:
        """Names of jobs that ran again (not carried over) in a later execution of the chain."""
        with self._state.lock:
            chain = self._state.chain(self._state.workflow(workflow_id))
            return {job.name for w in chain[1:] for job in w.jobs if not job.carried and job.number}

    def cancel_requests(self, workflow_id: str) -> int:
        """How many cancel requests *workflow_id* received."""
        with self._state.lock:
            return self._state.workflow(workflow_id).cancel_requests

    def job_output(self, job_id: str) -> str:
        """Everything a job printed (every step, every node), as the web app shows it."""
        with self._state.lock:
            job = self._state.job(job_id)
            return "".join(
                message["message"]
                for actions in job_steps(job)
                for action in actions
                for message in action.messages()
            )

    @property
    def credential_leaks(self) -> int:
        """Requests to pre-signed output URLs that carried API credentials (should be 0)."""
        with self._state.lock:
            return self._api.credential_leaks

    # -- webhooks ------------------------------------------------------------------------------

    def workflow_completed_event(self, workflow_id: str) -> dict[str, Any]:
        """The ``workflow-completed`` payload of a workflow, shaped like a real delivery."""
        with self._state.lock:
            return workflow_completed_event(
                self._state.workflow(workflow_id), app_url=self.app_url, webhook=self.webhook
            )

    def job_completed_event(self, job_id: str) -> dict[str, Any]:
        """The ``job-completed`` payload of a job (by UUID)."""
        with self._state.lock:
            return job_completed_event(
                self._state.job(job_id), app_url=self.app_url, webhook=self.webhook
            )

    @staticmethod
    def webhook_delivery(
        event_type: str, payload: Mapping[str, Any], secret: str | bytes | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of a delivery of *payload* as CircleCI would POST it, signed
        with ``circleci-signature: v1=…`` when *secret* is given."""
        return webhook_delivery(event_type, payload, secret)

    # -- hooks of the shared HTTP entry point -------------------------------------------------

    def _answer(
        self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes
    ) -> ApiResponse:
        """Carry the request out on the simulated API."""
        return self._api.handle(ApiRequest(method, path, raw_query, headers, body))

    def _fault_response(self, fault: Fault) -> ApiResponse:
        """``{"message": <reason>}`` unless the fault has a body."""
        return fault_response(
            fault, default_body=lambda status: {"message": status_phrase(status, f"HTTP {status}")}
        )
