"""The GitHub Actions adapter: domain verbs in, models out, on ready-made PyGithub clients."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import attrs
import github
import httpx
from github.Repository import Repository
from github.WorkflowRun import WorkflowRun

from ci_rescue_core.drafts import ChangeRequestDraft, DraftedWrites, IssueDraft
from ci_rescue_core.errors import ProviderError
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
from ci_rescue_providers.github import changes, issues, reporting
from ci_rescue_providers.github.check_events import (
    CHECK_EVENTS,
    actionable_check,
    parse_check_event,
)
from ci_rescue_providers.github.clients import ClientSource, TokenClient
from ci_rescue_providers.github.codeowners import CODEOWNERS_LOCATIONS, owners_of, parse_codeowners
from ci_rescue_providers.github.contents import read_text
from ci_rescue_providers.github.errors import translated
from ci_rescue_providers.github.listing import listed
from ci_rescue_providers.github.webhook import (
    job_from_json,
    parse_event,
    run_from_json,
    verify_signature,
)

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


class GitHubProvider(DraftedWrites):
    """GitHub Actions through PyGithub (and httpx for the unauthenticated log blobs).

    :param clients: where the PyGithub client of each repository comes from (a
        :class:`~ci_rescue_providers.github.clients.TokenClient` or
        :class:`~ci_rescue_providers.github.clients.AppClients`); a plain ``github.Github`` is
        used for every repository.
    :param blob_client: an ``httpx.Client`` *without* credentials, for the signed log URLs
        the API redirects to.
    :param webhook_secret: the shared secret for ``X-Hub-Signature-256``.
    :param token_env: the variable the token came from, named in authentication errors.
    :param webhook_secret_env: the variable the webhook secret comes from, named when missing.
    :param has_token: False when no credentials were configured: webhooks still verify and
        parse, and the first API call raises an :class:`AuthenticationError` naming *token_env*.
    """

    name = "github"
    capabilities: frozenset[Capability] = frozenset(
        {
            Capability.RERUN_FAILED_JOBS,
            Capability.RERUN_ONE_JOB,
            Capability.CANCEL,
            Capability.ISSUES,
            Capability.CHANGE_REQUESTS,
            Capability.AUTO_MERGE,
            Capability.COMMENTS,
            Capability.ANNOTATIONS,
            Capability.OWNERS,
            Capability.RUN_HISTORY,
            Capability.READ_FILES,
            Capability.CHANGE_REQUEST_STATE,
        }
    )

    def __init__(
        self,
        clients: ClientSource | github.Github,
        *,
        blob_client: httpx.Client,
        webhook_secret: str | None = None,
        token_env: str = "CI_RESCUE_GITHUB_TOKEN",
        base_url: str = "https://api.github.com",
        has_token: bool = True,
        webhook_secret_env: str = "CI_RESCUE_WEBHOOK_SECRET",
    ) -> None:
        if isinstance(clients, github.Github):
            clients = TokenClient(clients, credentials=f"the token in {token_env}")
        self._clients = clients
        self._has_token = has_token
        self._blobs = blob_client
        self._secret = webhook_secret
        self._token_env = token_env
        self._secret_env = webhook_secret_env
        self._base_url = base_url

    # -- webhooks --------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check ``X-Hub-Signature-256`` over the raw body."""
        verify_signature(headers, body, self._secret, secret_env=self._secret_env)

    def delivery_id(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        """``X-GitHub-Delivery``: unchanged when GitHub redelivers."""
        lowered = {key.lower(): value for key, value in headers.items()}
        return lowered.get("x-github-delivery") or None

    def parse_event(
        self, event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
    ) -> CIEvent | None:
        """``workflow_run``, ``workflow_job``, and completed ``check_run``/``check_suite`` of
        GitHub Actions as :class:`CIEvent`; anything else ``None``.

        Check events are mapped to their workflow run through the API (one or two calls).
        """
        if event_type in CHECK_EVENTS:
            if not actionable_check(event_type, payload):
                return None
            with self._translated(f"the workflow run of a {event_type} event"):
                return parse_check_event(
                    event_type, payload, repository=self._repo, delivery_id=delivery_id
                )
        return parse_event(event_type, payload, delivery_id=delivery_id)

    # -- reads -----------------------------------------------------------------------------

    def get_run(self, repo: str, run_id: str) -> RunRef:
        """The latest attempt of workflow run *run_id*.

        Runs of pull requests from forks list no pull requests; those are looked up by the head
        sha (``GET …/commits/{sha}/pulls``).
        """
        with self._translated(f"workflow run {run_id} of {repo}"):
            run = run_from_json(
                self._repo(repo).get_workflow_run(_numeric(run_id, "run id")).raw_data, repo
            )
            if run.event in PULL_REQUEST_EVENTS and not run.pr_numbers and run.head_sha:
                run = attrs.evolve(run, pr_numbers=self._pulls_of_commit(repo, run.head_sha))
            return run

    def list_jobs(self, run: RunRef) -> list[JobRef]:
        """The jobs of attempt ``run.attempt``: for each job name, its newest attempt up to it.

        One request per page of 100 jobs (the jobs are read as the list gives them).
        """
        with self._translated(f"jobs of workflow run {run.run_id} of {run.repo}"):
            repository = self._repo(run.repo)
            url = f"{repository.url}/actions/runs/{_numeric(run.run_id, 'run id')}/jobs"
            newest: dict[str, dict[str, Any]] = {}
            jobs = listed(repository.requester, url, params={"filter": "all"}, list_item="jobs")
            for data in jobs:
                attempt = int(data.get("run_attempt") or 1)
                if attempt > run.attempt:
                    continue
                kept = newest.get(data["name"])
                if kept is None or int(kept.get("run_attempt") or 1) < attempt:
                    newest[data["name"]] = data
            return [job_from_json(data, run) for data in newest.values()]

    def open_log(self, job: JobRef) -> AbstractContextManager[Iterator[bytes]]:
        """Stream a job's log: ask the API for the blob URL, then fetch it without credentials."""
        return self._open_log(job)

    @contextmanager
    def _open_log(self, job: JobRef) -> Iterator[Iterator[bytes]]:
        resource = f"log of job {job.job_id} ({job.name}) of {job.run.repo}"
        with self._translated(resource):
            repo = self._repo(job.run.repo)
            headers, _ = repo.requester.requestBlobAndCheck(
                "GET", f"{repo.url}/actions/jobs/{_numeric(job.job_id, 'job id')}/logs"
            )
            location = headers.get("location")
            if not location:
                raise github.GithubException(
                    502, {"message": "log redirect without Location"}, None
                )
            with self._blobs.stream("GET", location) as response:
                response.raise_for_status()
                yield guarded(
                    response.iter_bytes(LOG_CHUNK_BYTES), lambda: self._translated(resource)
                )

    def list_runs(
        self,
        repo: str,
        *,
        sha: str | None = None,
        branch: str | None = None,
        status: str | None = None,
        limit: int = 30,
    ) -> list[RunRef]:
        """Recent runs of *repo*, newest first, filtered by head sha, branch and status.

        One request per page of 100 runs (the runs are read as the list gives them).
        """
        filters: dict[str, Any] = {}
        if sha:
            filters["head_sha"] = sha
        if branch:
            filters["branch"] = branch
        if status:
            # "failed" covers failure, timed_out and startup_failure: ask for completed runs
            filters["status"] = "completed" if status == "failed" else status
        with self._translated(f"workflow runs of {repo}"):
            found: list[RunRef] = []
            repository = self._repo(repo)
            url = f"{repository.url}/actions/runs"
            for data in listed(
                repository.requester, url, params=filters, list_item="workflow_runs"
            ):
                ref = run_from_json(data, repo)
                if status == "failed" and not ref.failed:
                    continue
                found.append(ref)
                if len(found) >= limit:
                    break
            return found

    def read_file(self, repo: str, path: str, *, ref: str | None = None) -> str | None:
        """A file's text at *ref* (default branch when ``None``); ``None`` when there is no
        file at *path* (or it is a directory).

        :raises PayloadError: when the file is not UTF-8 text.
        """
        with self._translated(f"{path} of {repo}", needs="contents: read"):
            return read_text(self._repo(repo), path, ref=ref)

    def resolve_owners(
        self, repo: str, paths: Sequence[str], *, ref: str | None = None
    ) -> list[str]:
        """Owners of *paths* from the first CODEOWNERS of ``.github/``, the root, ``docs/``."""
        text = first_file(lambda path: self.read_file(repo, path, ref=ref), CODEOWNERS_LOCATIONS)
        return [] if text is None else owners_of(parse_codeowners(text), paths)

    def test_results(self, job: JobRef) -> list[TestResult]:
        """GitHub has no per-test API: results come from logs and JUnit artifacts."""
        raise ProviderError(
            "test reports are not supported by the GitHub adapter (GitHub has no per-test "
            "API; results come from logs)",
            provider=self.name,
        )

    # -- writes ----------------------------------------------------------------------------

    def rerun_failed_jobs(self, run: RunRef) -> str:
        """``POST …/runs/{id}/rerun-failed-jobs``: only the failed jobs (and their dependents)."""
        with self._translated(
            f"re-run of the failed jobs of run {run.run_id} in {run.repo}", needs="actions: write"
        ):
            workflow_run = self._workflow_run(run)
            workflow_run.requester.requestJsonAndCheck(
                "POST", f"{workflow_run.url}/rerun-failed-jobs"
            )
        return run.url

    def rerun_jobs(self, run: RunRef, job_ids: Sequence[str]) -> str:
        """``POST …/jobs/{id}/rerun`` for exactly one job (capability ``RERUN_ONE_JOB``).

        GitHub refuses a second single-job re-run while the first is running, so several chosen
        cells cannot be re-run together; asking is an error rather than a silent re-run of
        every failed job (which would re-run the broken cells too).
        """
        if len(job_ids) != 1:
            raise ProviderError(
                f"GitHub re-runs one chosen job at a time; asked for {len(job_ids)} "
                f"(re-run all failed jobs of run {run.run_id} instead, or one job per attempt)",
                provider=self.name,
                resource=f"run {run.run_id} of {run.repo}",
            )
        job_id = job_ids[0]
        with self._translated(
            f"re-run of job {job_id} of run {run.run_id} in {run.repo}", needs="actions: write"
        ):
            repo = self._repo(run.repo)
            repo.requester.requestJsonAndCheck(
                "POST", f"{repo.url}/actions/jobs/{_numeric(job_id, 'job id')}/rerun"
            )
        return run.url

    def cancel_run(self, run: RunRef) -> None:
        """``POST …/runs/{id}/cancel``; a run that already finished (409) is left alone."""
        with self._translated(f"cancel of run {run.run_id} in {run.repo}", needs="actions: write"):
            try:
                self._workflow_run(run).cancel()
            except github.GithubException as exc:
                if exc.status != 409:
                    raise

    def submit_issue(self, repo: str, draft: IssueDraft) -> IssueRef:
        """``open_issue``: open an issue, or comment on the open one whose body carries the
        marker (found among the labelled issues, else among the newest open ones: see
        :mod:`~ci_rescue_providers.github.issues`)."""
        with self._translated(f"issues of {repo}", needs="issues: write"):
            return issues.open_issue(self._repo(repo), draft)

    def submit_change_request(self, repo: str, draft: ChangeRequestDraft) -> ChangeRequestRef:
        """``open_change_request``: one commit with the edits on the new branch off the base,
        and its pull request.

        Reuses the open pull request from the branch (``created=False``); refuses a branch that
        exists without one (:class:`WriteRefusedError`). ``auto_merge`` goes through GraphQL's
        ``enablePullRequestAutoMerge``; the result says whether GitHub accepted it.
        """
        with self._translated(
            f"change request {draft.branch} in {repo}",
            needs="contents: write and pull_requests: write",
        ):
            return changes.open_change_request(
                self._repo(repo),
                draft,
                may_write_workflows=lambda: self._clients.may_write_workflows(repo),
                credentials=self._clients.credentials,
            )

    def change_request_state(self, repo: str, number: str) -> ChangeRequestState:
        """``merged`` once merged, ``closed`` when closed without merging, else ``open``."""
        with self._translated(f"pull request #{number} of {repo}", needs="pull_requests: read"):
            pull = self._repo(repo).get_pull(_numeric(number, "pull request number"))
            if pull.merged:
                return ChangeRequestState.MERGED
            return ChangeRequestState.CLOSED if pull.state == "closed" else ChangeRequestState.OPEN

    def comment(self, repo: str, number: str, body: str) -> str:
        """Comment on pull request (or issue) *number*; returns the comment's URL."""
        with self._translated(f"comment on #{number} of {repo}", needs="issues: write"):
            issue = self._repo(repo).get_issue(_numeric(number, "issue number"))
            return issue.create_comment(body).html_url

    def annotate(
        self, run: RunRef, *, title: str, summary: str, annotations: Sequence[Annotation] = ()
    ) -> str:
        """A ``ci-rescue`` check run on the head sha with *annotations* 50 per request; with a
        token that may not write checks, a commit status and a comment on the run's pull
        request instead. Returns the URL of the check run (or comment)."""
        with self._translated(
            f"report on {run.head_sha[:7] or 'the head'} of {run.repo}",
            needs="checks: write (a GitHub App), or statuses: write and issues: write",
        ):
            return reporting.annotate(
                self._repo(run.repo),
                run,
                title=title,
                summary=summary,
                annotations=annotations,
                open_pulls=lambda: run.pr_numbers or self._pulls_of_commit(run.repo, run.head_sha),
            )

    def close(self) -> None:
        """Close the HTTP connections of every client."""
        self._blobs.close()
        self._clients.close()

    # -- helpers ---------------------------------------------------------------------------

    def _repo(self, full_name: str) -> Repository:
        return self._clients.for_repo(full_name).get_repo(full_name)

    def _workflow_run(self, run: RunRef) -> WorkflowRun:
        return self._repo(run.repo).get_workflow_run(_numeric(run.run_id, "run id"))

    def _pulls_of_commit(self, repo: str, sha: str) -> tuple[int, ...]:
        pulls = self._repo(repo).get_commit(sha).get_pulls()
        return tuple(p.number for p in pulls if p.state == "open")

    def _translated(self, resource: str, *, needs: str | None = None) -> Any:
        if not self._has_token:
            raise missing_token(
                resource, provider=self.name, provider_label="GitHub", token_env=self._token_env
            )
        return translated(
            resource, credentials=self._clients.credentials, base_url=self._base_url, needs=needs
        )


def _numeric(value: str, what: str) -> int:
    return numeric(value, what, provider_label="GitHub")
