"""The GitHub Actions adapter: domain verbs in, models out, on a ready-made PyGithub client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import github
import httpx
from github.Repository import Repository
from github.WorkflowRun import WorkflowRun

from ci_rescue_core.errors import AuthenticationError, PayloadError, ProviderError
from ci_rescue_core.models import CIEvent, JobRef, RunRef
from ci_rescue_core.provider import (
    Annotation,
    Capability,
    ChangeRequestRef,
    FileEdit,
    IssueRef,
    TestResult,
)
from ci_rescue_providers.github.errors import translated
from ci_rescue_providers.github.webhook import (
    job_from_json,
    parse_event,
    run_from_json,
    verify_signature,
)

LOG_CHUNK_BYTES = 256 * 1024


class GitHubProvider:
    """GitHub Actions through PyGithub (and httpx for the unauthenticated log blobs).

    :param client: a configured ``github.Github`` (base URL, auth, retries set by the factory).
    :param blob_client: an ``httpx.Client`` *without* credentials, for the signed log URLs
        the API redirects to.
    :param webhook_secret: the shared secret for ``X-Hub-Signature-256``.
    :param token_env: the variable the token came from, named in authentication errors.
    :param has_token: False when no token was configured: webhooks still verify and parse, and
        the first API call raises an :class:`AuthenticationError` naming *token_env*.
    """

    name = "github"
    capabilities: frozenset[Capability] = frozenset(
        {
            Capability.RERUN_FAILED_JOBS,
            Capability.RERUN_JOBS,
            Capability.ISSUES,
            Capability.RUN_HISTORY,
        }
    )

    def __init__(
        self,
        client: github.Github,
        *,
        blob_client: httpx.Client,
        webhook_secret: str | None = None,
        token_env: str = "CI_RESCUE_GITHUB_TOKEN",
        base_url: str = "https://api.github.com",
        has_token: bool = True,
    ) -> None:
        self._gh = client
        self._has_token = has_token
        self._blobs = blob_client
        self._secret = webhook_secret
        self._token_env = token_env
        self._base_url = base_url
        self._repos: dict[str, Repository] = {}

    # -- webhooks --------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check ``X-Hub-Signature-256`` over the raw body."""
        verify_signature(headers, body, self._secret)

    def delivery_id(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        """``X-GitHub-Delivery``: unchanged when GitHub redelivers."""
        lowered = {key.lower(): value for key, value in headers.items()}
        return lowered.get("x-github-delivery") or None

    def parse_event(
        self, event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
    ) -> CIEvent | None:
        """``workflow_run`` and ``workflow_job`` payloads as :class:`CIEvent`; others ``None``."""
        return parse_event(event_type, payload, delivery_id=delivery_id)

    # -- reads -----------------------------------------------------------------------------

    def get_run(self, repo: str, run_id: str) -> RunRef:
        """The latest attempt of workflow run *run_id*."""
        with self._translated(f"workflow run {run_id} of {repo}"):
            run = self._repo(repo).get_workflow_run(_numeric(run_id, "run id"))
            return run_from_json(run.raw_data, repo)

    def list_jobs(self, run: RunRef) -> list[JobRef]:
        """The jobs of attempt ``run.attempt``: for each job name, its newest attempt up to it."""
        with self._translated(f"jobs of workflow run {run.run_id} of {run.repo}"):
            workflow_run = self._workflow_run(run)
            newest: dict[str, dict[str, Any]] = {}
            for job in workflow_run.jobs(_filter="all"):
                data = job.raw_data
                attempt = int(data.get("run_attempt") or 1)
                if attempt > run.attempt:
                    continue
                kept = newest.get(data["name"])
                if kept is None or int(kept.get("run_attempt") or 1) < attempt:
                    newest[data["name"]] = data
            return [job_from_json(data, run) for data in newest.values()]

    @contextmanager
    def open_log(self, job: JobRef) -> Iterator[Iterator[bytes]]:
        """Stream a job's log: ask the API for the blob URL, then fetch it without credentials."""
        resource = f"log of job {job.job_id} ({job.name}) of {job.run.repo}"
        with self._translated(resource):
            repo = self._repo(job.run.repo)
            headers, _ = repo._requester.requestBlobAndCheck(
                "GET", f"{repo.url}/actions/jobs/{_numeric(job.job_id, 'job id')}/logs"
            )
            location = headers.get("location")
            if not location:
                raise github.GithubException(
                    502, {"message": "log redirect without Location"}, None
                )
            with self._blobs.stream("GET", location) as response:
                response.raise_for_status()
                yield response.iter_bytes(LOG_CHUNK_BYTES)

    def list_runs(
        self,
        repo: str,
        *,
        sha: str | None = None,
        branch: str | None = None,
        status: str | None = None,
        limit: int = 30,
    ) -> list[RunRef]:
        """Recent runs of *repo*, newest first, filtered by head sha, branch and status."""
        filters: dict[str, Any] = {}
        if sha:
            filters["head_sha"] = sha
        if branch:
            filters["branch"] = branch
        if status:
            # "failed" covers failure, timed_out and startup_failure: ask for completed runs
            filters["status"] = "completed" if status == "failed" else status
        with self._translated(f"workflow runs of {repo}"):
            runs = self._repo(repo).get_workflow_runs(**filters)
            found: list[RunRef] = []
            for run in runs:
                ref = run_from_json(run.raw_data, repo)
                if status == "failed" and not ref.failed:
                    continue
                found.append(ref)
                if len(found) >= limit:
                    break
            return found

    # -- writes ----------------------------------------------------------------------------

    def rerun_failed_jobs(self, run: RunRef) -> str:
        """``POST …/runs/{id}/rerun-failed-jobs``: only the failed jobs (and their dependents)."""
        with self._translated(f"re-run of the failed jobs of run {run.run_id} in {run.repo}"):
            workflow_run = self._workflow_run(run)
            workflow_run._requester.requestJsonAndCheck(
                "POST", f"{workflow_run.url}/rerun-failed-jobs"
            )
        return run.url

    def rerun_jobs(self, run: RunRef, job_ids: Sequence[str]) -> str:
        """``POST …/jobs/{id}/rerun`` for one job; several cells go through rerun-failed-jobs.

        GitHub refuses a second single-job re-run while the first is running, so a subset of
        more than one cell falls back to re-running the failed jobs — still never the whole
        matrix.
        """
        if len(job_ids) != 1:
            return self.rerun_failed_jobs(run)
        job_id = job_ids[0]
        with self._translated(f"re-run of job {job_id} of run {run.run_id} in {run.repo}"):
            repo = self._repo(run.repo)
            repo._requester.requestJsonAndCheck(
                "POST", f"{repo.url}/actions/jobs/{_numeric(job_id, 'job id')}/rerun"
            )
        return run.url

    def open_issue(
        self,
        repo: str,
        *,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        marker: str | None = None,
    ) -> IssueRef:
        """Open an issue, or comment on the open one whose body carries *marker*."""
        with self._translated(f"issues of {repo}"):
            repository = self._repo(repo)
            if marker:
                for issue in repository.get_issues(
                    state="open", labels=list(labels) or github.GithubObject.NotSet
                ):
                    if issue.pull_request is None and marker in (issue.body or ""):
                        issue.create_comment(body)
                        return IssueRef(url=issue.html_url, number=str(issue.number), created=False)
            issue = repository.create_issue(
                title=title, body=body, labels=list(labels), assignees=list(assignees)
            )
            return IssueRef(url=issue.html_url, number=str(issue.number), created=True)

    # -- not yet supported (capabilities do not list them, so policy never asks) ----------

    def test_results(self, job: JobRef) -> list[TestResult]:
        """GitHub has no per-test API: results come from logs and JUnit artifacts."""
        raise self._unsupported("test reports")

    def read_file(self, repo: str, path: str, *, ref: str | None = None) -> str | None:
        """Not supported yet."""
        raise self._unsupported("reading files")

    def resolve_owners(
        self, repo: str, paths: Sequence[str], *, ref: str | None = None
    ) -> list[str]:
        """Not supported yet."""
        raise self._unsupported("resolving owners")

    def cancel_run(self, run: RunRef) -> None:
        """Not supported yet."""
        raise self._unsupported("cancelling runs")

    def open_change_request(
        self,
        repo: str,
        *,
        branch: str,
        title: str,
        body: str,
        edits: Sequence[FileEdit],
        base: str | None = None,
        labels: Sequence[str] = (),
        draft: bool = False,
        auto_merge: bool = False,
    ) -> ChangeRequestRef:
        """Not supported yet."""
        raise self._unsupported("change requests")

    def comment(self, repo: str, number: str, body: str) -> str:
        """Not supported yet."""
        raise self._unsupported("comments")

    def annotate(
        self, run: RunRef, *, title: str, summary: str, annotations: Sequence[Annotation] = ()
    ) -> str:
        """Not supported yet."""
        raise self._unsupported("annotations")

    def _unsupported(self, what: str) -> ProviderError:
        return ProviderError(f"{what} are not supported by this adapter", provider=self.name)

    def close(self) -> None:
        """Close the HTTP connections of both clients."""
        self._blobs.close()
        self._gh.close()

    # -- helpers ---------------------------------------------------------------------------

    def _repo(self, full_name: str) -> Repository:
        if full_name not in self._repos:
            self._repos[full_name] = self._gh.get_repo(full_name)
        return self._repos[full_name]

    def _workflow_run(self, run: RunRef) -> WorkflowRun:
        return self._repo(run.repo).get_workflow_run(_numeric(run.run_id, "run id"))

    def _translated(self, resource: str) -> Any:
        if not self._has_token:
            raise AuthenticationError(
                f"no GitHub token to read {resource}: set the environment variable "
                f"{self._token_env}",
                provider=self.name,
                resource=resource,
            )
        return translated(resource, token_env=self._token_env, base_url=self._base_url)


def _numeric(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise PayloadError(f"GitHub {what} must be numeric, got {value!r}") from None
