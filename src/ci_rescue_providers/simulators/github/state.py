"""The simulator's in-memory model of repositories, workflow runs, attempts and jobs.

All public methods take ``self.lock``; payload rendering holds it too, so readers always see a
consistent state. Runs complete at once: ``add_run`` and every re-run execute a whole attempt.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from .execution import job_log, job_steps, run_conclusion, validate_jobs, with_dependents
from .git import Person
from .models import (
    FAILED_CONCLUSIONS,
    MAX_ATTEMPTS,
    AttemptRecord,
    JobRecord,
    NotFoundError,
    RepoRecord,
    RunRecord,
    SimError,
    SimJob,
    WorkflowRecord,
)

__all__ = ["SimState", "run_conclusion", "utcnow"]

_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def utcnow() -> datetime:
    """The current UTC time, whole seconds (GitHub's API timestamps have no fraction)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "workflow"


class SimState:
    """Thread-safe store of everything the simulated GitHub knows."""

    def __init__(
        self, clock: Callable[[], datetime] = utcnow, login: str = "ci-rescue-bot"
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.login = login
        #: False: the caller may open issues but not label or assign them (GitHub then drops
        #: the labels and assignees of a new issue without a word).
        self.push_access = True
        self.repos: dict[str, RepoRecord] = {}  # key: lower-case full name
        self.runs: dict[int, RunRecord] = {}
        self.jobs: dict[int, JobRecord] = {}
        self._users: dict[str, int] = {}
        self._repo_ids = itertools.count(700_000_001)
        self._run_ids = itertools.count(9_100_000_001)
        self._job_ids = itertools.count(41_000_000_001)
        self._suite_ids = itertools.count(31_000_000_001)
        self._workflow_ids = itertools.count(150_000_001)
        self.issue_ids = itertools.count(2_900_000_001)
        self.comment_ids = itertools.count(2_750_000_001)
        self.label_ids = itertools.count(8_000_000_001)
        self.pull_ids = itertools.count(1_900_000_001)
        self.status_ids = itertools.count(33_000_000_001)
        self._user_ids = itertools.count(100_001)
        self._runner_ids = itertools.count(1)
        self.user_id(login)

    # -- users and repositories ------------------------------------------------------------

    def user_id(self, login: str) -> int:
        """A stable numeric id for ``login`` (assigned on first use)."""
        with self.lock:
            key = login.lower()
            if key not in self._users:
                self._users[key] = next(self._user_ids)
            return self._users[key]

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        private: bool = False,
        owner_type: str = "Organization",
        description: str | None = None,
        allow_auto_merge: bool = False,
    ) -> RepoRecord:
        """Create a repository with one commit (a ``README.md``) on its default branch;
        ``ValueError`` if the name is malformed or taken."""
        if not _REPO_NAME.match(full_name):
            raise ValueError(f"repository name must look like 'owner/name', got {full_name!r}")
        if owner_type not in ("Organization", "User"):
            raise ValueError("owner_type must be 'Organization' or 'User'")
        owner, name = full_name.split("/")
        with self.lock:
            if full_name.lower() in self.repos:
                raise ValueError(f"repository {full_name!r} already exists")
            repo = RepoRecord(
                id=next(self._repo_ids),
                owner=owner,
                name=name,
                owner_id=self.user_id(owner),
                owner_type=owner_type,
                default_branch=default_branch,
                private=private,
                description=description,
                created_at=self.clock() - timedelta(days=400),
                allow_auto_merge=allow_auto_merge,
            )
            person = Person(owner, f"{owner}@users.noreply.github.com", repo.created_at)
            root = repo.git.commit_files(
                None, {"README.md": f"# {name}\n".encode()}, "Initial commit", person
            )
            repo.git.refs[f"refs/heads/{default_branch}"] = root.sha
            self.repos[full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> RepoRecord:
        """The repository called ``full_name`` (case-insensitive) or ``NotFoundError``."""
        with self.lock:
            try:
                return self.repos[full_name.lower()]
            except KeyError:
                raise NotFoundError() from None

    def repo_by_id(self, repo_id: int) -> RepoRecord:
        """The repository with numeric id ``repo_id`` or ``NotFoundError``."""
        with self.lock:
            for repo in self.repos.values():
                if repo.id == repo_id:
                    return repo
            raise NotFoundError()

    def next_check_run_id(self) -> int:
        """A fresh check-run id (check runs and Actions jobs share one id space)."""
        with self.lock:
            return next(self._job_ids)

    def next_suite_id(self) -> int:
        """A fresh check-suite id."""
        with self.lock:
            return next(self._suite_ids)

    # -- runs ----------------------------------------------------------------------------------

    def _workflow(self, repo: RepoRecord, name: str, path: str | None) -> WorkflowRecord:
        workflow = repo.workflows.get(name)
        if workflow is None:
            workflow = WorkflowRecord(
                id=next(self._workflow_ids),
                name=name,
                path=path or f".github/workflows/{_slug(name)}.yml",
                created_at=repo.created_at,
            )
            repo.workflows[name] = workflow
        elif path is not None and path != workflow.path:
            raise ValueError(f"workflow {name!r} already has path {workflow.path!r}")
        return workflow

    def add_run(
        self,
        full_name: str,
        *,
        workflow: str,
        head_sha: str | None,
        head_branch: str | None,
        event: str,
        jobs: Sequence[SimJob],
        pull_requests: Sequence[int | dict[str, Any]],
        actor: str,
        display_title: str | None,
        path: str | None,
        created_at: datetime | None,
        run_id: int | None = None,
    ) -> RunRecord:
        """Create a workflow run and execute its first attempt (id *run_id* if given)."""
        specs = tuple(jobs) if jobs else (SimJob("build"),)
        validate_jobs(specs)
        with self.lock:
            if run_id is not None and run_id in self.runs:
                raise ValueError(f"run id {run_id} is already taken")
            repo = self.repo(full_name)
            wf = self._workflow(repo, workflow, path)
            run_number = wf.next_run_number
            wf.next_run_number += 1
            branch = head_branch if head_branch is not None else repo.default_branch
            if head_sha is None:
                seed = f"{repo.full_name}:{wf.name}:{run_number}:{branch}"
                head_sha = hashlib.sha1(seed.encode()).hexdigest()
            if not _SHA.match(head_sha):
                raise ValueError(f"head_sha must be 40 lower-case hex digits, got {head_sha!r}")
            run = RunRecord(
                id=run_id if run_id is not None else next(self._run_ids),
                repo=repo,
                workflow=wf,
                run_number=run_number,
                head_sha=head_sha,
                head_branch=branch,
                event=event,
                display_title=display_title or wf.name,
                actor=actor,
                created_at=created_at or self.clock(),
                jobs=specs,
                pull_requests=[pr if isinstance(pr, int) else dict(pr) for pr in pull_requests],
            )
            self.user_id(actor)
            self._execute(run, rerun=None, triggering_actor=actor, start=created_at)
            self.runs[run.id] = run
            return run

    def run(self, run_id: int, full_name: str | None = None) -> RunRecord:
        """Run ``run_id`` (of repository ``full_name`` if given) or ``NotFoundError``."""
        with self.lock:
            run = self.runs.get(run_id)
            if run is None or (
                full_name is not None and run.repo.full_name.lower() != full_name.lower()
            ):
                raise NotFoundError()
            return run

    def job(self, job_id: int, full_name: str | None = None) -> JobRecord:
        """Job ``job_id`` (of repository ``full_name`` if given) or ``NotFoundError``."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                raise NotFoundError()
            if full_name is not None:
                self.run(job.run_id, full_name)
            return job

    def runs_of(self, full_name: str) -> list[RunRecord]:
        """Runs of a repository, newest first."""
        with self.lock:
            repo = self.repo(full_name)
            runs = [r for r in self.runs.values() if r.repo is repo]
        return sorted(runs, key=lambda r: (r.created_at, r.id), reverse=True)

    # -- re-runs -------------------------------------------------------------------------------

    def rerun_all(self, run_id: int, full_name: str | None = None) -> AttemptRecord:
        """New attempt re-running every job."""
        with self.lock:
            run = self.run(run_id, full_name)
            return self._execute(run, rerun={j.name for j in run.jobs}, triggering_actor=self.login)

    def rerun_failed(self, run_id: int, full_name: str | None = None) -> AttemptRecord:
        """New attempt re-running the failed jobs of the latest attempt and their dependents."""
        with self.lock:
            run = self.run(run_id, full_name)
            failed = {j.name for j in run.latest.jobs if j.conclusion in FAILED_CONCLUSIONS}
            if not failed:
                raise SimError(403, "This workflow run has no failed jobs to re-run.")
            return self._execute(
                run, rerun=with_dependents(run.jobs, failed), triggering_actor=self.login
            )

    def rerun_job(self, job_id: int, full_name: str | None = None) -> AttemptRecord:
        """New attempt re-running one job of the latest attempt and its dependents."""
        with self.lock:
            job = self.job(job_id, full_name)
            run = self.run(job.run_id)
            if job.attempt != run.latest.number:
                raise SimError(
                    403,
                    f"Job {job_id} belongs to attempt {job.attempt}, not to the latest attempt "
                    f"{run.latest.number} of workflow run {run.id}; "
                    "re-run a job of the latest attempt.",
                )
            return self._execute(
                run, rerun=with_dependents(run.jobs, {job.name}), triggering_actor=self.login
            )

    def _execute(
        self,
        run: RunRecord,
        *,
        rerun: set[str] | None,
        triggering_actor: str,
        start: datetime | None = None,
    ) -> AttemptRecord:
        """Execute a new attempt; ``rerun=None`` is the first attempt (every job runs).

        The attempt ends at the current time when it can; it never starts before the previous
        attempt ended, so timestamps stay monotonic even for back-to-back re-runs.
        """
        number = len(run.attempts) + 1
        if number > MAX_ATTEMPTS:
            raise SimError(
                403,
                f"Workflow run {run.id} has reached the maximum of {MAX_ATTEMPTS} attempts "
                "and cannot be re-run.",
            )
        previous = {j.name: j for j in run.latest.jobs} if run.attempts else {}
        suite_id = next(self._suite_ids)
        # Plan relative offsets (seconds from the attempt start) honouring `needs`.
        offsets: dict[str, tuple[float, float]] = {}
        for spec in run.jobs:
            begin = max((offsets[n][1] for n in spec.needs), default=0.0) + 2.0
            offsets[spec.name] = (begin, begin + spec.duration)
        span = timedelta(seconds=max(end for _, end in offsets.values()) + 1.0)
        if start is None:
            start = self.clock() - span
            if run.attempts:
                start = max(start, run.latest.completed_at + timedelta(seconds=1))
            start = start.replace(microsecond=0)
        if not run.attempts:
            run.created_at = start
        now = start + span
        jobs: list[JobRecord] = []
        by_name: dict[str, JobRecord] = {}
        for spec in run.jobs:
            job_id = next(self._job_ids)
            old = previous.get(spec.name)
            if rerun is not None and spec.name not in rerun and old is not None:
                job = JobRecord(
                    id=job_id,
                    run_id=run.id,
                    attempt=number,
                    spec=spec,
                    conclusion=old.conclusion,
                    created_at=old.created_at,
                    started_at=old.started_at,
                    completed_at=old.completed_at,
                    steps=list(old.steps),
                    log=old.log,
                    executed=False,
                    runner_id=old.runner_id,
                    runner_name=old.runner_name,
                    check_suite_id=suite_id,
                )
            else:
                begin, end = offsets[spec.name]
                blocked = any(by_name[n].conclusion != "success" for n in spec.needs)
                job = self._run_job(
                    run,
                    spec,
                    job_id=job_id,
                    attempt=number,
                    created=start,
                    started=start + timedelta(seconds=begin),
                    completed=start + timedelta(seconds=begin if blocked else end),
                    skipped=blocked,
                    suite_id=suite_id,
                )
            jobs.append(job)
            by_name[spec.name] = job
            self.jobs[job.id] = job
        attempt = AttemptRecord(
            number=number,
            jobs=jobs,
            started_at=start,
            completed_at=now,
            conclusion=run_conclusion(j.conclusion for j in jobs),
            triggering_actor=triggering_actor,
            check_suite_id=suite_id,
        )
        self.user_id(triggering_actor)
        run.attempts.append(attempt)
        return attempt

    def _run_job(
        self,
        run: RunRecord,
        spec: SimJob,
        *,
        job_id: int,
        attempt: int,
        created: datetime,
        started: datetime,
        completed: datetime,
        skipped: bool,
        suite_id: int,
    ) -> JobRecord:
        if skipped:
            conclusion = "skipped"
        else:
            execution = run.executions.get(spec.name, 0)
            run.executions[spec.name] = execution + 1
            conclusion = spec.outcome(execution)
        steps = [] if skipped else job_steps(spec, conclusion, started, completed)
        log = (
            b""
            if skipped
            else job_log(
                run, spec, job_id=job_id, conclusion=conclusion, attempt=attempt, started=started
            )
        )
        runner_id = None if skipped else next(self._runner_ids)
        return JobRecord(
            id=job_id,
            run_id=run.id,
            attempt=attempt,
            spec=spec,
            conclusion=conclusion,
            created_at=created,
            started_at=started,
            completed_at=completed,
            steps=steps,
            log=log,
            executed=True,
            runner_id=runner_id,
            runner_name=None if runner_id is None else f"GitHub Actions {runner_id}",
            check_suite_id=suite_id,
        )
