"""The GitLab CI adapter: domain verbs in, models out, on a ready-made python-gitlab client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import quote

import gitlab
import gitlab.exceptions as glexc
import requests
from gitlab.v4.objects import Project

from ci_rescue_core.drafts import ChangeRequestDraft, DraftedWrites, IssueDraft
from ci_rescue_core.errors import NotFoundError, PayloadError
from ci_rescue_core.models import CIEvent, JobRef, RunRef
from ci_rescue_core.provider import (
    Annotation,
    Capability,
    ChangeRequestRef,
    ChangeRequestState,
    IssueRef,
    TestResult,
)
from ci_rescue_providers.common.auth import missing_token
from ci_rescue_providers.common.reads import LOG_CHUNK_BYTES, first_file, guarded, numeric
from ci_rescue_providers.gitlab import writes
from ci_rescue_providers.gitlab.attempts import AttemptCache, AttemptIndex
from ci_rescue_providers.gitlab.codeowners import CODEOWNERS_PATHS
from ci_rescue_providers.gitlab.codeowners import resolve_owners as owners_from
from ci_rescue_providers.gitlab.errors import translated
from ci_rescue_providers.gitlab.mapping import (
    TERMINAL,
    base_name,
    job_from_json,
    run_from_pipeline,
)
from ci_rescue_providers.gitlab.webhook import delivery_id as webhook_delivery_id
from ci_rescue_providers.gitlab.webhook import parse_event, verify_webhook

_OUTCOMES = {"success": "pass", "failed": "fail", "error": "error", "skipped": "skip"}


class GitLabProvider(DraftedWrites):
    """GitLab CI through python-gitlab, for gitlab.com or any self-managed instance.

    A run is a pipeline; its attempt is rebuilt from the jobs' retries (see
    :mod:`ci_rescue_providers.gitlab.attempts`).

    :param client: a configured ``gitlab.Gitlab`` (URL, token, retries set by the factory).
    :param webhook_secret: the secret ``X-Gitlab-Token`` (and the signing key) must match.
    :param token_env: the variable the token came from, named in authentication errors.
    :param webhook_secret_env: the variable the webhook secret came from, named when missing.
    :param has_token: False when no token was configured: webhooks still verify, and the first
        API call raises an :class:`AuthenticationError` naming *token_env*.
    :param clock: Unix time, for the webhook signature's timestamp window.
    """

    name = "gitlab"
    capabilities: frozenset[Capability] = frozenset(Capability)

    def __init__(
        self,
        client: gitlab.Gitlab,
        *,
        webhook_secret: str | None = None,
        token_env: str = "CI_RESCUE_GITLAB_TOKEN",
        webhook_secret_env: str = "CI_RESCUE_WEBHOOK_SECRET",
        has_token: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._gl = client
        self._secret = webhook_secret
        self._token_env = token_env
        self._secret_env = webhook_secret_env
        self._has_token = has_token
        self._clock = clock
        self._paths: dict[str, str] = {}
        self._attempts = AttemptCache()

    # -- webhooks --------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check ``X-Gitlab-Token`` (constant time) and, when sent, ``webhook-signature``."""
        verify_webhook(headers, body, self._secret, now=self._clock(), secret_env=self._secret_env)

    def delivery_id(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        """``Idempotency-Key``, else ``X-Gitlab-Event-UUID``: unchanged on redelivery."""
        return webhook_delivery_id(headers, payload)

    def parse_event(
        self, event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
    ) -> CIEvent | None:
        """Pipeline and job payloads (``pipeline``/``Pipeline Hook``, ``job``/``Job Hook``).

        For a finished pipeline or job, the API is asked which attempt the payload's jobs
        belong to, so that a delivery older than a retry is recognised as stale.
        """
        return parse_event(
            event_type, payload, delivery_id=delivery_id, resolve_attempt=self._attempt_of
        )

    def _attempt_of(self, repo: str, pipeline_id: str, job_ids: Sequence[str]) -> int:
        with self._translated(f"jobs of pipeline {pipeline_id} of {repo}"):
            jobs = self._job_dicts(self._project(repo), pipeline_id)
        return AttemptIndex(jobs).attempt_of_jobs(job_ids)

    # -- reads -----------------------------------------------------------------------------

    def get_run(self, repo: str, run_id: str) -> RunRef:
        """Pipeline *run_id* with its latest attempt."""
        with self._translated(f"pipeline {run_id} of {repo}"):
            project = self._project(repo)
            pipeline = project.pipelines.get(_numeric(run_id, "pipeline id"))
            jobs = self._job_dicts(project, run_id)
            return run_from_pipeline(
                pipeline.attributes, self._path(repo), attempt=AttemptIndex(jobs).latest
            )

    def list_jobs(self, run: RunRef) -> list[JobRef]:
        """For each job name, its newest job up to attempt ``run.attempt``."""
        with self._translated(f"jobs of pipeline {run.run_id} of {run.repo}"):
            jobs = self._job_dicts(self._project(run.repo), run.run_id)
        return [job_from_json(data, run) for data in AttemptIndex(jobs).jobs_at(run.attempt)]

    def open_log(self, job: JobRef) -> AbstractContextManager[Iterator[bytes]]:
        """Stream a job's trace (``GET …/jobs/:id/trace``) in chunks, never whole."""
        return self._open_log(job)

    @contextmanager
    def _open_log(self, job: JobRef) -> Iterator[Iterator[bytes]]:
        resource = f"trace of job {job.job_id} ({job.name}) of {job.run.repo}"
        with self._translated(resource):
            path = f"/projects/{_encoded(job.run.repo)}/jobs/{_numeric(job.job_id, 'job id')}/trace"
            response = self._gl.http_get(path, streamed=True, raw=True)
            if not isinstance(response, requests.Response):  # pragma: no cover - defensive
                raise PayloadError(f"GitLab answered the {resource} with JSON, not text")
            try:
                yield guarded(
                    response.iter_content(LOG_CHUNK_BYTES), lambda: self._translated(resource)
                )
            finally:
                response.close()

    def list_runs(
        self,
        repo: str,
        *,
        sha: str | None = None,
        branch: str | None = None,
        status: str | None = None,
        limit: int = 30,
    ) -> list[RunRef]:
        """Recent pipelines, newest first; ``failed`` is GitLab's own spelling, ``completed``
        keeps finished pipelines, other values pass through to GitLab."""
        filters: dict[str, Any] = {"order_by": "id", "sort": "desc"}
        if sha:
            filters["sha"] = sha
        if branch:
            filters["ref"] = branch
        if status and status != "completed":
            filters["status"] = status
        found: list[RunRef] = []
        if limit <= 0:
            return found
        with self._translated(f"pipelines of {repo}"):
            project = self._project(repo)
            canonical = self._path(repo)
            for pipeline in project.pipelines.list(iterator=True, **filters):
                data = pipeline.attributes
                if status == "completed" and data.get("status") not in TERMINAL:
                    continue
                attempt = self._attempts.latest(
                    canonical,
                    data,
                    lambda pipeline_id: AttemptIndex(self._job_dicts(project, pipeline_id)).latest,
                )
                found.append(run_from_pipeline(data, canonical, attempt=attempt))
                if len(found) >= limit:
                    break
        return found

    def test_results(self, job: JobRef) -> list[TestResult]:
        """The cases of *job*'s suite in the pipeline test report (JUnit ``artifacts:reports``)."""
        with self._translated(f"test report of pipeline {job.run.run_id} of {job.run.repo}"):
            pipeline = self._project(job.run.repo).pipelines.get(
                _numeric(job.run.run_id, "pipeline id"), lazy=True
            )
            report = pipeline.test_report.get().attributes
        wanted = {job.name, base_name(job.name)}
        results: list[TestResult] = []
        for suite in report.get("test_suites") or []:
            if not isinstance(suite, Mapping) or suite.get("name") not in wanted:
                continue
            for case in suite.get("test_cases") or []:
                if isinstance(case, Mapping):
                    results.append(_test_result(case))
        return results

    def read_file(self, repo: str, path: str, *, ref: str | None = None) -> str | None:
        """A file's text at *ref* (the default branch when ``None``); ``None`` when absent."""
        with self._translated(f"file {path} of {repo}"):
            try:
                data = self._project(repo).files.raw(path, ref=ref)
            except glexc.GitlabGetError as exc:
                if exc.response_code == 404:
                    return None
                raise
        if not isinstance(data, bytes):  # pragma: no cover - raw() without streaming
            return None
        return data.decode("utf-8", errors="replace")

    def resolve_owners(
        self, repo: str, paths: Sequence[str], *, ref: str | None = None
    ) -> list[str]:
        """Owners from the first of ``CODEOWNERS``, ``docs/CODEOWNERS``, ``.gitlab/CODEOWNERS``."""
        text = first_file(lambda path: self.read_file(repo, path, ref=ref), CODEOWNERS_PATHS)
        return [] if text is None else owners_from(text, paths)

    # -- writes ----------------------------------------------------------------------------

    def rerun_failed_jobs(self, run: RunRef) -> str:
        """``POST …/pipelines/:id/retry``: GitLab retries the failed (and canceled) jobs only,
        under new job ids in the same pipeline."""
        with self._translated(f"retry of the failed jobs of pipeline {run.run_id} in {run.repo}"):
            project = self._project(run.repo)
            project.pipelines.get(_numeric(run.run_id, "pipeline id"), lazy=True).retry()
        return run.url

    def rerun_jobs(self, run: RunRef, job_ids: Sequence[str]) -> str:
        """``POST …/jobs/:id/retry`` for each job (after checking they belong to *run*)."""
        if not job_ids:
            raise PayloadError("rerun_jobs needs at least one job id")
        resource = f"retry of jobs {', '.join(job_ids)} of pipeline {run.run_id} in {run.repo}"
        with self._translated(resource):
            project = self._project(run.repo)
            known = {str(job["id"]) for job in self._job_dicts(project, run.run_id)}
            strangers = [job_id for job_id in job_ids if job_id not in known]
            if strangers:
                raise NotFoundError(
                    f"jobs {', '.join(strangers)} are not jobs of pipeline {run.run_id} "
                    f"in {run.repo}",
                    provider=self.name,
                    resource=resource,
                )
            for job_id in dict.fromkeys(job_ids):
                # a pipeline's job list yields ProjectPipelineJob, which cannot retry:
                # go through the project's jobs instead
                project.jobs.get(_numeric(job_id, "job id"), lazy=True).retry()
        return run.url

    def cancel_run(self, run: RunRef) -> None:
        """``POST …/pipelines/:id/cancel`` (a finished pipeline stays as it is)."""
        with self._translated(f"cancel of pipeline {run.run_id} in {run.repo}"):
            project = self._project(run.repo)
            project.pipelines.get(_numeric(run.run_id, "pipeline id"), lazy=True).cancel()

    def submit_issue(self, repo: str, draft: IssueDraft) -> IssueRef:
        """``open_issue``: an issue (labels created as ``#RRGGBB``), or a note on the open one
        with the marker."""
        with self._translated(f"issues of {repo}"):
            return writes.open_issue(self._gl, self._project(repo), draft)

    def submit_change_request(self, repo: str, draft: ChangeRequestDraft) -> ChangeRequestRef:
        """``open_change_request``: one commit (``start_branch`` creates the branch off the
        base), then a merge request."""
        with self._translated(f"merge request from {draft.branch} in {repo}"):
            return writes.open_change_request(self._gl.projects.get(repo), draft)

    def change_request_state(self, repo: str, number: str) -> ChangeRequestState:
        """Merge request ``!N`` (or ``N``): ``merged``, ``closed``, else ``open`` (a ``locked``
        one is being merged)."""
        with self._translated(f"merge request !{number.lstrip('!')} of {repo}"):
            iid = _numeric(number.lstrip("!"), "merge request number")
            state = self._project(repo).mergerequests.get(iid).attributes.get("state")
        if state == "merged":
            return ChangeRequestState.MERGED
        return ChangeRequestState.CLOSED if state == "closed" else ChangeRequestState.OPEN

    def comment(self, repo: str, number: str, body: str) -> str:
        """A note on merge request ``!N`` (or ``N``) or issue ``#N``; returns the note's URL."""
        with self._translated(f"merge request or issue {number} of {repo}"):
            return writes.comment(self._project(repo), number, body)

    def annotate(
        self, run: RunRef, *, title: str, summary: str, annotations: Sequence[Annotation] = ()
    ) -> str:
        """A comment on the run's commit with the summary and the annotations (one request)."""
        with self._translated(f"comment on the commit of pipeline {run.run_id} in {run.repo}"):
            if not run.head_sha:
                run = self.get_run(run.repo, run.run_id)
            return writes.annotate(
                self._gl.projects.get(run.repo),
                run,
                title=title,
                summary=summary,
                annotations=annotations,
            )

    def close(self) -> None:
        """Close the client's HTTP session."""
        self._gl.session.close()

    # -- helpers ---------------------------------------------------------------------------

    def _project(self, repo: str) -> Project:
        return self._gl.projects.get(repo, lazy=True)

    def _path(self, repo: str) -> str:
        """``group/project`` for *repo*, which job webhooks may give as a numeric id."""
        if not repo.isdigit():
            return repo
        if repo not in self._paths:
            self._paths[repo] = str(self._gl.projects.get(repo).path_with_namespace)
        return self._paths[repo]

    def _job_dicts(self, project: Project, pipeline_id: str) -> list[dict[str, Any]]:
        pipeline = project.pipelines.get(_numeric(pipeline_id, "pipeline id"), lazy=True)
        return [job.attributes for job in pipeline.jobs.list(include_retried=True, get_all=True)]

    def _translated(self, resource: str) -> AbstractContextManager[None]:
        if not self._has_token:
            raise missing_token(
                resource, provider=self.name, provider_label="GitLab", token_env=self._token_env
            )
        return translated(resource, token_env=self._token_env, base_url=self._gl.url)


def _test_result(case: Mapping[str, Any]) -> TestResult:
    name = str(case.get("name") or "")
    classname = str(case.get("classname") or "")
    file = case.get("file")
    if file:
        parts = [str(file)]
        last = classname.rsplit(".", 1)[-1]
        if last[:1].isupper():
            parts.append(last)
        parts.append(name)
    else:
        parts = [p for p in (classname, name) if p]
    status = str(case.get("status") or "")
    duration = case.get("execution_time")
    message = str(case.get("stack_trace") or case.get("system_output") or "").strip()
    return TestResult(
        test_id="::".join(parts),
        outcome=_OUTCOMES.get(status, status or "error"),
        message=message[:4000],
        file=str(file) if file else None,
        duration=float(duration) if isinstance(duration, (int, float)) else None,
    )


def _numeric(value: str, what: str) -> int:
    return numeric(value, what, provider_label="GitLab")


def _encoded(repo: str) -> str:
    return quote(repo, safe="")
