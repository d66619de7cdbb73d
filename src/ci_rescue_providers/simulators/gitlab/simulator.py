"""``GitLabSimulator``: a stateful GitLab REST API (``/api/v4``) on loopback."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..common.facade import LostAnswerFacade
from .api import GitLabApi
from .ci import CiEngine
from .context import ApiContext
from .hooks import job_event, pipeline_event, webhook_delivery
from .models import SimJob
from .payloads import Urls
from .reads import StateReads
from .recording import Fault, fault_response
from .router import ApiRequest, ApiResponse, json_response
from .server import GITLAB_STYLE
from .state import FileMap, SimState, utcnow
from .tracker import Tracker

__all__ = ["GitLabSimulator"]


class GitLabSimulator(LostAnswerFacade, StateReads):
    """A stateful fake of a GitLab instance's REST API, served over HTTP on loopback.

    Point the real client at it: ``gitlab.Gitlab(sim.base_url, private_token=...,
    keep_base_url=True)``. ``token=None`` accepts any non-empty ``PRIVATE-TOKEN`` (or
    ``Authorization: Bearer``), otherwise exactly ``token``. Pipelines run to completion when
    created; a retry creates new job ids in the same pipeline. Every request is recorded
    (``requests``) and faults can be injected (``inject_fault``); both see the raw path,
    ``/api/v4`` included, and a fault's default body is ``{"message": "<status> <reason>"}``.
    Use as a context manager, or call ``start()``/``stop()``.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        login: str = "ci-rescue-bot",
        rate_limit: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(token, host=host, port=port, style=GITLAB_STYLE)
        self._state = SimState(clock=clock or utcnow, login=login)
        self._engine = CiEngine(self._state)
        self._tracker = Tracker(self._state)
        context = ApiContext(
            state=self._state,
            engine=self._engine,
            tracker=self._tracker,
            base_url=lambda: self._http.base_url,
        )
        self._api = GitLabApi(context, token=token, rate_limit=rate_limit)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the instance root (python-gitlab adds ``/api/v4``)."""
        return self._http.base_url

    @property
    def login(self) -> str:
        """The username of the authenticated user (author of issues, MRs and notes)."""
        return self._state.bot.username

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (timestamps of later jobs, notes, commits)."""
        with self._state.lock:
            self._state.advance(seconds)

    def _urls(self) -> Urls:
        return Urls(self.base_url)

    # -- seeding -------------------------------------------------------------------------------

    def add_project(
        self,
        path: str,
        *,
        default_branch: str = "main",
        files: FileMap | None = None,
        description: str | None = None,
        visibility: str = "private",
        project_id: int | None = None,
    ) -> int:
        """Create project ``group/name`` whose default branch (protected) holds ``files``;
        returns its id."""
        with self._state.lock:
            return self._state.add_project(
                path,
                default_branch=default_branch,
                files=files or {"README.md": f"# {path}\n"},
                description=description,
                visibility=visibility,
                project_id=project_id,
            ).id

    def merge_merge_request(self, project: str | int, iid: int) -> None:
        """Merge ``!iid`` as a reviewer would (its target branch moves to its source branch)."""
        with self._state.lock:
            record = self._state.project(str(project))
            self._tracker.merge(record, self._tracker.merge_request(record, iid))

    def add_user(self, username: str, name: str | None = None) -> int:
        """Create a user (to be named as an assignee); returns its id."""
        with self._state.lock:
            return self._state.add_user(username, name).id

    def add_pipeline(
        self,
        project: str | int,
        *,
        jobs: Sequence[SimJob] = (),
        ref: str | None = None,
        sha: str | None = None,
        source: str = "push",
        name: str | None = None,
        stages: Sequence[str] | None = None,
        tag: bool = False,
        merge_request_iid: int | None = None,
        pipeline_id: int | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Create a pipeline and run it; returns its id.

        ``ref`` defaults to the default branch and ``sha`` to its head; ``jobs`` to one
        successful ``build``. ``stages`` orders the stages (default: as the jobs name them).
        ``merge_request_iid`` makes it a merge request pipeline
        (``refs/merge-requests/<iid>/head``). ``pipeline_id`` picks the id (to replay a real
        delivery that names one).
        """
        with self._state.lock:
            return self._engine.add_pipeline(
                self._state.project(str(project)),
                jobs=jobs,
                ref=ref,
                sha=sha,
                source=source,
                name=name,
                stages=stages,
                tag=tag,
                merge_request_iid=merge_request_iid,
                pipeline_id=pipeline_id,
                created_at=created_at,
                user=None,
            ).id

    # -- webhooks ------------------------------------------------------------------------------

    def pipeline_event(self, pipeline_id: int) -> dict[str, Any]:
        """The ``Pipeline Hook`` payload of the pipeline as it stands now.

        GitLab sends it when the pipeline finishes: the simulated clock moves to that moment,
        so that whatever the receiver does next happens after the jobs ran.
        """
        with self._state.lock:
            pipeline = self._state.pipelines[pipeline_id]
            self._state.advance_to(pipeline.finished_at)
            return pipeline_event(self._state, pipeline, self._urls())

    def job_event(self, job_id: int) -> dict[str, Any]:
        """The ``Job Hook`` payload of one job (the clock moves to when the job finished)."""
        with self._state.lock:
            job = self._state.jobs[job_id]
            self._state.advance_to(job.finished_at)
            return job_event(self._state, job, self._urls())

    def webhook_delivery(
        self,
        event: str,
        payload: Mapping[str, Any],
        *,
        token: str | None = None,
        signing_secret: str | bytes | None = None,
        idempotency_key: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of a delivery of ``payload`` as this instance would POST it
        (``X-Gitlab-Token`` from ``token``; a Standard-Webhooks signature from
        ``signing_secret``)."""
        return webhook_delivery(
            event,
            payload,
            token=token,
            signing_secret=signing_secret,
            idempotency_key=idempotency_key,
            instance=self.base_url if self.running else "https://gitlab.example.com",
            timestamp=timestamp,
        )

    # -- hooks of the shared HTTP entry point -------------------------------------------------

    def _answer(
        self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes
    ) -> ApiResponse:
        """Carry the request out on the simulated ``/api/v4`` (faults match the raw path)."""
        return self._api.handle(ApiRequest(method, path, raw_query, headers, body))

    def _fault_response(self, fault: Fault) -> ApiResponse:
        """GitLab's ``{"message": "<status> <reason>"}`` unless the fault has a body."""
        return fault_response(fault)

    def _internal_error(self, error: Exception) -> ApiResponse:
        """GitLab-shaped 500 naming the simulator's exception."""
        return json_response(500, {"message": f"500 Internal Server Error: {error}"})
