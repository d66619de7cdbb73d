"""The CircleCI adapter: domain verbs in, models out, on ready-made ``httpx`` clients.

CircleCI runs pipelines but keeps no issues, pull requests or code: those go through the VCS
provider the project lives on (the *companion*: the GitHub or GitLab adapter), named by
``providers.circleci.vcs`` in ``rescue.yaml``.  How re-runs map onto ``RunRef.run_id`` and
``attempt`` is explained in :mod:`ci_rescue_providers.circleci.runs`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import httpx

from ci_rescue_core.drafts import ChangeRequestDraft, DraftedWrites, IssueDraft
from ci_rescue_core.errors import NotFoundError, ProviderError
from ci_rescue_core.models import CIEvent, JobRef, RunRef
from ci_rescue_core.provider import (
    Annotation,
    Capability,
    ChangeRequestRef,
    ChangeRequestState,
    IssueRef,
    Provider,
    TestResult,
)
from ci_rescue_providers.circleci.chains import BoundedCache, Chains
from ci_rescue_providers.circleci.client import CircleCIClient, slug_path
from ci_rescue_providers.circleci.companion import DELEGATED, Companion
from ci_rescue_providers.circleci.errors import PROVIDER
from ci_rescue_providers.circleci.output import job_log
from ci_rescue_providers.circleci.runs import (
    canonical_slug,
    commit_of,
    job_from_api,
    runner_of,
    test_result_from_api,
    web_url,
)
from ci_rescue_providers.circleci.webhook import parse_payload, verify_signature

__all__ = ["DELEGATED", "OWN_CAPABILITIES", "CircleCIProvider"]

#: What CircleCI itself can do.
OWN_CAPABILITIES = frozenset(
    {
        Capability.RERUN_FAILED_JOBS,
        Capability.RERUN_JOBS,
        Capability.CANCEL,
        Capability.RUN_HISTORY,
        Capability.TEST_REPORTS,
    }
)


class CircleCIProvider(DraftedWrites):
    """CircleCI (API v2; v1.1 only for step output) on ``httpx``.

    :param client: API v2 root as ``base_url``, ``Circle-Token`` header, retries, no redirects.
    :param blob_client: an ``httpx.Client`` *without* credentials, for pre-signed output URLs.
    :param vcs: the provider the repositories live on; issues, change requests, comments,
        owners, annotations and files go through it.  ``None``: CircleCI's own verbs only.
    :param vcs_repos: project slug → repository (``org/repo``) where the slug does not say it
        (``circleci/<org-id>/<project-id>``); otherwise learned from pipelines.
    :param webhook_secret: the shared secret for ``circleci-signature``.
    :param token_env: the variable the token came from, named in authentication errors.
    :param has_token: False when no token was configured (the first API call says so).
    :param app_url: the web app, for links to workflows and jobs.
    :param history_pages: pages of pipelines read at most by :meth:`list_runs`.
    """

    name = PROVIDER

    def __init__(
        self,
        client: httpx.Client,
        *,
        blob_client: httpx.Client,
        vcs: Provider | None = None,
        vcs_repos: Mapping[str, str] | None = None,
        webhook_secret: str | None = None,
        webhook_secret_env: str = "CI_RESCUE_WEBHOOK_SECRET",
        token_env: str = "CI_RESCUE_CIRCLECI_TOKEN",
        has_token: bool = True,
        app_url: str = "https://app.circleci.com",
        api_root: str | None = None,
        history_pages: int = 5,
    ) -> None:
        self._api = CircleCIClient(
            client, token_env=token_env, has_token=has_token, api_root=api_root
        )
        self._blobs = blob_client
        self._secret = webhook_secret
        self._secret_env = webhook_secret_env
        self._app_url = app_url.rstrip("/")
        self._chains = Chains(self._api, app_url=self._app_url)
        self._history_pages = history_pages
        self._companion = Companion(vcs, self._api, vcs_repos)
        self._job_numbers: BoundedCache[str, int] = BoundedCache()
        self.capabilities: frozenset[Capability] = OWN_CAPABILITIES | self._companion.capabilities

    @property
    def vcs(self) -> Provider | None:
        """The companion provider issues and change requests go through."""
        return self._companion.vcs

    # -- webhooks --------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check ``circleci-signature`` (``v1``) over the raw body."""
        verify_signature(headers, body, self._secret, secret_env=self._secret_env)

    def delivery_id(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        """The payload's ``id``: unchanged when CircleCI redelivers."""
        value = payload.get("id")
        return str(value) if isinstance(value, (str, int)) and str(value) else None

    def parse_event(
        self, event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
    ) -> CIEvent | None:
        """``workflow-completed`` / ``job-completed`` as a :class:`CIEvent`; others ``None``.

        Reads the pipeline's workflows (one API call) to place the delivered workflow in its
        re-run chain: ``run_id`` becomes the chain's first workflow id, ``attempt`` its position.
        """
        parsed = parse_payload(event_type, payload, delivery_id=delivery_id)
        if parsed is None:
            return None
        event = parsed.event
        slug = event.run.repo
        self._companion.learn(slug, parsed.repository_url)
        chain = self._chains.chain(parsed.pipeline_id, event.run.workflow)
        ids = [str(w.get("id")) for w in chain]
        if event.run.run_id not in ids:
            raise NotFoundError(
                f"workflow {event.run.run_id} ({event.run.workflow}) is not among the workflows "
                f"of pipeline {parsed.pipeline_id} of {slug}",
                provider=PROVIDER,
                status=404,
                resource=f"workflow {event.run.run_id} of {slug}",
            )
        run = attrs.evolve(event.run, run_id=ids[0], attempt=ids.index(event.run.run_id) + 1)
        job = attrs.evolve(event.job, run=run) if event.job is not None else None
        return attrs.evolve(event, run=run, job=job)

    # -- reads -----------------------------------------------------------------------------

    def get_run(self, repo: str, run_id: str) -> RunRef:
        """The newest execution of the chain of workflow *run_id* (any member of it)."""
        return self._chains.latest_run(canonical_slug(repo), run_id)

    def list_jobs(self, run: RunRef) -> list[JobRef]:
        """The jobs of the execution ``run.attempt`` names; approval jobs are skipped.

        Failed jobs get their executor (``runner``) from the job details, one call each.
        """
        slug = canonical_slug(run.repo)
        execution = self._chains.attempt(_canonical(run))
        self._companion.learn(slug, commit_of(execution.pipeline)[2])
        jobs = []
        for item in self._api.items(
            f"/workflow/{execution.id}/job", resource=f"jobs of workflow {execution.id}"
        ):
            if item.get("type") == "approval":
                continue
            job = job_from_api(item, run)
            number = item.get("job_number")
            if isinstance(number, int) and job.job_id:
                self._job_numbers.put(job.job_id, number)
                if job.failed:
                    details = self._api.get_object(
                        f"/project/{slug_path(slug)}/job/{number}",
                        resource=f"job {number} ({job.name}) of {slug}",
                    )
                    job = attrs.evolve(job, runner=runner_of(details))
            jobs.append(job)
        return jobs

    @contextmanager
    def open_log(self, job: JobRef) -> Iterator[Iterator[bytes]]:
        """Stream a job's step output: v1.1 lists the steps, each is read without credentials."""
        slug = canonical_slug(job.run.repo)
        number = self._job_number(job)
        build = self._api.get_object(
            self._api.v1_url(f"project/{slug_path(slug)}/{number}"),
            resource=f"steps of job {number} ({job.name}) of {slug}",
        )
        stream = job_log(self._api, self._blobs, slug=slug, number=number, build=build)
        try:
            yield stream
        finally:
            stream.close()

    def list_runs(
        self,
        repo: str,
        *,
        sha: str | None = None,
        branch: str | None = None,
        status: str | None = None,
        limit: int = 30,
    ) -> list[RunRef]:
        """Recent runs (newest execution of each workflow of each pipeline), newest first.

        Pipelines are listed by branch (``?branch=``) and filtered by sha here; at most
        ``history_pages`` pages of pipelines are read.
        """
        slug = canonical_slug(repo)
        params = {"branch": branch} if branch else {}
        found: list[RunRef] = []
        pipelines = self._api.items(
            f"/project/{slug_path(slug)}/pipeline",
            resource=f"pipelines of {slug}",
            params=params,
            max_pages=self._history_pages,
        )
        for pipeline in pipelines:
            pipeline_sha, _, url, _ = commit_of(pipeline)
            if sha and pipeline_sha != sha:
                continue
            self._companion.learn(slug, url)
            for run in self._chains.runs_of(slug, pipeline):
                if status == "failed" and not run.failed:
                    continue
                if status == "completed" and run.status != "completed":
                    continue
                found.append(run)
                if len(found) >= limit:
                    return found
        return found

    def test_results(self, job: JobRef) -> list[TestResult]:
        """Per-test results from ``GET /project/{slug}/{number}/tests`` (every page)."""
        slug = canonical_slug(job.run.repo)
        number = self._job_number(job)
        results = []
        for item in self._api.items(
            f"/project/{slug_path(slug)}/{number}/tests",
            resource=f"test results of job {number} of {slug}",
            max_pages=100,
        ):
            results.append(test_result_from_api(item))
        return results

    # -- writes ----------------------------------------------------------------------------

    def rerun_failed_jobs(self, run: RunRef) -> str:
        """``POST /workflow/{id}/rerun {"from_failed": true}``: a new workflow re-runs the
        failed jobs (and what depends on them); returns the new workflow's page."""
        return self._rerun(run, {"from_failed": True}, "the failed jobs")

    def rerun_jobs(self, run: RunRef, job_ids: Sequence[str]) -> str:
        """``POST /workflow/{id}/rerun {"jobs": [uuid, …]}``: only the chosen jobs."""
        if not job_ids:
            raise ProviderError("rerun_jobs needs at least one job id", provider=PROVIDER)
        return self._rerun(run, {"jobs": list(job_ids)}, f"jobs {', '.join(job_ids)}")

    def _rerun(self, run: RunRef, body: Mapping[str, Any], what: str) -> str:
        execution = self._chains.attempt(_canonical(run))
        if not execution.is_latest:
            raise ProviderError(
                f"run {run.run_id} attempt {run.attempt} was already re-run "
                f"(attempt {len(execution.chain)} exists); not re-running it again",
                provider=PROVIDER,
                resource=f"run {run.run_id} of {run.repo}",
            )
        answer = self._api.post(
            f"/workflow/{execution.id}/rerun",
            body,
            resource=f"re-run of {what} of workflow {execution.id} of {run.repo}",
        )
        new_id = answer.get("workflow_id") if isinstance(answer, Mapping) else None
        return web_url(
            self._app_url,
            canonical_slug(run.repo),
            execution.workflow.get("pipeline_number") or execution.pipeline.get("number"),
            str(new_id or execution.id),
        )

    def cancel_run(self, run: RunRef) -> None:
        """``POST /workflow/{id}/cancel`` on the newest execution of the run."""
        execution = self._chains.execution(canonical_slug(run.repo), run.run_id)
        latest = str(execution.chain[-1]["id"])
        self._api.post(
            f"/workflow/{latest}/cancel", {}, resource=f"cancel of workflow {latest} of {run.repo}"
        )

    # -- through the VCS companion ---------------------------------------------------------

    def submit_issue(self, repo: str, draft: IssueDraft) -> IssueRef:
        """``open_issue``: open (or comment on) an issue of the project's repository, through
        the companion."""
        companion = self._companion.provider("open issues")
        return draft.submit_to(companion, self._companion.repo(repo))

    def submit_change_request(self, repo: str, draft: ChangeRequestDraft) -> ChangeRequestRef:
        """``open_change_request``: open a pull / merge request on the project's repository,
        through the companion."""
        companion = self._companion.provider("open change requests")
        return draft.submit_to(companion, self._companion.repo(repo))

    def change_request_state(self, repo: str, number: str) -> ChangeRequestState:
        """Where a change request is, through the companion."""
        companion = self._companion.provider("read change requests")
        return companion.change_request_state(self._companion.repo(repo), number)

    def comment(self, repo: str, number: str, body: str) -> str:
        """Comment on a change request or issue, through the companion."""
        return self._companion.provider("comment").comment(self._companion.repo(repo), number, body)

    def annotate(
        self, run: RunRef, *, title: str, summary: str, annotations: Sequence[Annotation] = ()
    ) -> str:
        """Annotate the run's commit, through the companion (the run is handed over with the
        companion's name and the repository's name)."""
        companion = self._companion.provider("annotate commits")
        handed = attrs.evolve(run, provider=companion.name, repo=self._companion.repo(run.repo))
        return companion.annotate(handed, title=title, summary=summary, annotations=annotations)

    def resolve_owners(
        self, repo: str, paths: Sequence[str], *, ref: str | None = None
    ) -> list[str]:
        """CODEOWNERS of *paths*, through the companion."""
        return self._companion.provider("resolve owners").resolve_owners(
            self._companion.repo(repo), paths, ref=ref
        )

    def read_file(self, repo: str, path: str, *, ref: str | None = None) -> str | None:
        """A file of the project's repository, through the companion."""
        return self._companion.provider("read files").read_file(
            self._companion.repo(repo), path, ref=ref
        )

    def vcs_repo(self, repo: str) -> str:
        """The repository (``org/repo``) CircleCI project *repo* builds (see
        :meth:`Companion.repo <ci_rescue_providers.circleci.companion.Companion.repo>`)."""
        return self._companion.repo(repo)

    def close(self) -> None:
        """Close both HTTP clients (the companion is closed by whoever built it)."""
        self._blobs.close()
        self._api.close()

    # -- helpers ---------------------------------------------------------------------------

    def _job_number(self, job: JobRef) -> int:
        known = self._job_numbers.get(job.job_id)
        if known is not None:
            return known
        self.list_jobs(job.run)
        known = self._job_numbers.get(job.job_id)
        if known is None:
            raise NotFoundError(
                f"job {job.job_id} ({job.name}) has no job number in run {job.run.run_id} "
                f"attempt {job.run.attempt} of {job.run.repo} (approval or not run)",
                provider=PROVIDER,
                status=404,
                resource=f"job {job.job_id} of {job.run.repo}",
            )
        return known


def _canonical(run: RunRef) -> RunRef:
    slug = canonical_slug(run.repo)
    return run if slug == run.repo else attrs.evolve(run, repo=slug)
