"""The simulator's in-memory model: projects, pipelines, workflows (re-runs included), jobs.

Every public method takes ``self.lock``; payload rendering holds it too, so readers always see a
consistent state.  Workflows complete at once unless a job's outcome is ``running``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from .execution import node_statuses, validate_jobs, with_dependents, workflow_status
from .models import (
    FAILED_STATUSES,
    JobRecord,
    NotFoundError,
    PipelineRecord,
    ProjectRecord,
    SimError,
    SimJob,
    WorkflowRecord,
)

__all__ = ["SimState", "canonical_slug", "utcnow"]

_SLUG = re.compile(r"^(gh|bb|circleci)/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_ALIASES = {"github": "gh", "bitbucket": "bb"}
_TICK = timedelta(milliseconds=1)


def utcnow() -> datetime:
    """The current UTC time, millisecond precision (like CircleCI's timestamps)."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def canonical_slug(slug: str) -> str:
    """``github/org/repo`` → ``gh/org/repo`` (the API accepts both spellings)."""
    head, sep, rest = slug.partition("/")
    return f"{_ALIASES.get(head.lower(), head)}{sep}{rest}"


def _stable_uuid(*parts: object) -> str:
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


class SimState:
    """Thread-safe store of everything the simulated CircleCI knows."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._last: datetime | None = None
        self.projects: dict[str, ProjectRecord] = {}  # key: canonical slug, lower-case
        self.pipelines: dict[str, PipelineRecord] = {}
        self.workflows: dict[str, WorkflowRecord] = {}
        self.jobs: dict[str, JobRecord] = {}
        self._next_job_number: dict[str, int] = {}
        self._serial = 0

    # -- time and ids ----------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock, kept strictly increasing so creation order is always visible."""
        with self.lock:
            now = self._clock()
            if now.tzinfo is None:
                now = now.replace(tzinfo=timezone.utc)
            if self._last is not None and now <= self._last:
                now = self._last + _TICK
            self._last = now
            return now

    def _advance_to(self, moment: datetime) -> None:
        if self._last is None or moment > self._last:
            self._last = moment

    def new_id(self, kind: str) -> str:
        """A fresh UUID, unique to this simulator (two simulators never share ids)."""
        with self.lock:
            self._serial += 1
            return _stable_uuid(kind, self._serial, id(self))

    # -- projects and pipelines ------------------------------------------------------------

    def add_project(
        self,
        slug: str,
        *,
        vcs_url: str | None,
        default_branch: str,
        org_name: str | None,
        vcs_provider: str | None,
    ) -> ProjectRecord:
        """Follow a project; ``ValueError`` when the slug is malformed or already followed."""
        canonical = canonical_slug(slug)
        if not _SLUG.match(canonical):
            raise ValueError(
                f"project slug {slug!r} must look like gh/org/repo, bb/org/repo or "
                "circleci/<org-id>/<project-id>"
            )
        head, org, name = canonical.split("/")
        if head == "circleci" and not vcs_url:
            raise ValueError(f"project {slug!r}: circleci/ slugs need vcs_url (the repository)")
        provider = vcs_provider or {"gh": "github", "bb": "bitbucket"}.get(head, "gitlab")
        host = {"github": "github.com", "bitbucket": "bitbucket.org"}.get(provider, "gitlab.com")
        with self.lock:
            if canonical.lower() in self.projects:
                raise ValueError(f"project {slug!r} already exists")
            record = ProjectRecord(
                slug=canonical,
                name=name if head != "circleci" else (vcs_url or "").rstrip("/").split("/")[-1],
                project_id=_stable_uuid("project", canonical),
                org_id=_stable_uuid("org", head, org),
                org_name=org_name or (org if head != "circleci" else "sim-org"),
                vcs_provider=provider,
                vcs_url=vcs_url or f"https://{host}/{org}/{name}",
                default_branch=default_branch,
            )
            self.projects[canonical.lower()] = record
            self._next_job_number[record.slug] = 1
            return record

    def project(self, slug: str) -> ProjectRecord:
        """A followed project by slug (either spelling) or ``NotFoundError``."""
        with self.lock:
            record = self.projects.get(canonical_slug(slug).lower())
            if record is None:
                raise NotFoundError("Project not found")
            return record

    def add_pipeline(
        self,
        slug: str,
        *,
        branch: str | None,
        tag: str | None,
        revision: str | None,
        trigger_type: str | None,
        actor: str,
        subject: str,
        review_id: str | None,
    ) -> PipelineRecord:
        """A new pipeline of *slug* (numbered in order)."""
        if revision is not None and not _SHA.match(revision):
            raise ValueError(f"revision must be a 40-character lower-case hex sha: {revision!r}")
        with self.lock:
            project = self.project(slug)
            number = project.next_pipeline_number
            project.next_pipeline_number += 1
            pipeline = PipelineRecord(
                id=self.new_id("pipeline"),
                number=number,
                project=project,
                branch=None if tag else (branch or project.default_branch),
                tag=tag,
                revision=revision or hashlib.sha1(f"{project.slug}#{number}".encode()).hexdigest(),
                created_at=self.now(),
                trigger_type=trigger_type
                or (
                    "webhook" if not project.slug.startswith("circleci/") else project.vcs_provider
                ),
                actor=actor,
                subject=subject,
                body="",
                review_id=review_id,
            )
            project.pipelines.append(pipeline)
            self.pipelines[pipeline.id] = pipeline
            return pipeline

    def pipeline(self, pipeline_id: str) -> PipelineRecord:
        """A pipeline by id or ``NotFoundError``."""
        with self.lock:
            record = self.pipelines.get(pipeline_id)
            if record is None:
                raise NotFoundError("Pipeline not found")
            return record

    # -- workflows -------------------------------------------------------------------------

    def add_workflow(self, pipeline_id: str, name: str, jobs: Sequence[SimJob]) -> WorkflowRecord:
        """Run workflow *name* of the pipeline with *jobs* (first execution of each job)."""
        validate_jobs(jobs)
        if not name:
            raise ValueError("workflow name must not be empty")
        with self.lock:
            pipeline = self.pipeline(pipeline_id)
            if any(w.name == name for w in pipeline.workflows):
                raise ValueError(
                    f"pipeline {pipeline.number} already has a workflow {name!r}; re-run it instead"
                )
            workflow = WorkflowRecord(
                id=self.new_id("workflow"),
                name=name,
                pipeline=pipeline,
                created_at=self.now(),
                specs=tuple(jobs),
            )
            self._execute(workflow, {spec.name for spec in jobs}, None)
            return workflow

    def workflow(self, workflow_id: str) -> WorkflowRecord:
        """A workflow by id or ``NotFoundError``."""
        with self.lock:
            record = self.workflows.get(workflow_id)
            if record is None:
                raise NotFoundError("Workflow not found")
            return record

    def job(self, job_id: str) -> JobRecord:
        """A job by UUID or ``NotFoundError``."""
        with self.lock:
            record = self.jobs.get(job_id)
            if record is None:
                raise NotFoundError("Job not found")
            return record

    def job_by_number(self, slug: str, number: int) -> JobRecord:
        """The newest job of *slug* with job number *number* or ``NotFoundError``."""
        with self.lock:
            project = self.project(slug)
            found = None
            for job in self.jobs.values():
                if job.number == number and job.workflow.pipeline.project is project:
                    found = job  # carried copies share the number; the newest wins
            if found is None:
                raise NotFoundError("Job not found")
            return found

    def rerun(self, workflow_id: str, request: Mapping[str, Any]) -> WorkflowRecord:
        """``POST /workflow/{id}/rerun``: a new workflow in the same pipeline.

        ``from_failed: true`` re-runs the failed jobs and their dependents, ``jobs: [uuid…]`` the
        named jobs and their dependents, an empty body every job; the rest is carried over.
        """
        from_failed = request.get("from_failed")
        job_ids = request.get("jobs")
        if from_failed is not None and not isinstance(from_failed, bool):
            raise SimError(400, "from_failed must be a boolean")
        if job_ids is not None and (
            not isinstance(job_ids, list) or not all(isinstance(j, str) for j in job_ids)
        ):
            raise SimError(400, "jobs must be a list of job ids")
        if from_failed and job_ids:
            raise SimError(400, "from_failed and jobs cannot be used together")
        if (request.get("sparse_tree") or request.get("enable_ssh")) and not job_ids:
            raise SimError(400, "sparse_tree and enable_ssh need jobs")
        with self.lock:
            old = self.workflow(workflow_id)
            if old.status in ("running", "failing", "on_hold"):
                raise SimError(400, "Workflow is still running; cancel it before re-running")
            if job_ids:
                by_id = {job.id: job for job in old.jobs}
                unknown = [j for j in job_ids if j not in by_id]
                if unknown:
                    raise SimError(400, f"Jobs not found in workflow: {', '.join(unknown)}")
                chosen = {by_id[j].name for j in job_ids}
            elif from_failed:
                chosen = {job.name for job in old.jobs if job.status in FAILED_STATUSES}
            else:
                chosen = {spec.name for spec in old.specs}
            names = with_dependents(old.specs, chosen)
            workflow = WorkflowRecord(
                id=self.new_id("workflow"),
                name=old.name,
                pipeline=old.pipeline,
                created_at=self.now(),
                specs=old.specs,
                rerun_of=old.id,
                rerun_request=dict(request),
            )
            self._execute(workflow, names, old)
            return workflow

    def cancel(self, workflow_id: str) -> WorkflowRecord:
        """``POST /workflow/{id}/cancel``: running jobs become ``canceled``."""
        with self.lock:
            workflow = self.workflow(workflow_id)
            workflow.cancel_requests += 1
            if workflow.status not in ("running", "failing", "on_hold"):
                return workflow
            now = self.now()
            for job in workflow.jobs:
                if job.status in ("running", "blocked", "queued", "on_hold", "not_running"):
                    job.status = "canceled"
                    job.node_statuses = tuple("canceled" for _ in job.node_statuses)
                    job.stopped_at = now
            workflow.status = "canceled"
            workflow.stopped_at = now
            return workflow

    def chain(self, workflow: WorkflowRecord) -> list[WorkflowRecord]:
        """Every execution of *workflow*'s name in its pipeline, oldest first."""
        with self.lock:
            return [w for w in workflow.pipeline.workflows if w.name == workflow.name]

    # -- execution -------------------------------------------------------------------------

    def _execute(
        self, workflow: WorkflowRecord, names: set[str], previous: WorkflowRecord | None
    ) -> None:
        carried = {job.name: job for job in previous.jobs} if previous is not None else {}
        status_of: dict[str, str] = {}
        id_of: dict[str, str] = {}
        clock = workflow.created_at
        stopped = workflow.created_at
        for spec in workflow.specs:
            old = carried.get(spec.name)
            if spec.name not in names and old is not None:
                job = JobRecord(
                    id=old.id,
                    number=old.number,
                    name=old.name,
                    spec=spec,
                    workflow=workflow,
                    execution=old.execution,
                    status=old.status,
                    created_at=old.created_at,
                    started_at=old.started_at,
                    stopped_at=old.stopped_at,
                    dependencies=old.dependencies,
                    node_statuses=old.node_statuses,
                    carried=True,
                )
            else:
                job = self._run_job(workflow, spec, old, status_of, id_of, clock)
                if job.stopped_at is not None:
                    stopped = max(stopped, job.stopped_at)
            if not job.carried:
                self.jobs[job.id] = job
            status_of[spec.name] = job.status
            id_of[spec.name] = job.id
            workflow.jobs.append(job)
            clock = clock + timedelta(milliseconds=10)
        workflow.status = workflow_status([job.status for job in workflow.jobs])
        if workflow.status not in ("running", "failing", "on_hold"):
            workflow.stopped_at = stopped
            self._advance_to(stopped)
        workflow.pipeline.workflows.append(workflow)
        self.workflows[workflow.id] = workflow

    def _run_job(
        self,
        workflow: WorkflowRecord,
        spec: SimJob,
        old: JobRecord | None,
        status_of: Mapping[str, str],
        id_of: Mapping[str, str],
        created: datetime,
    ) -> JobRecord:
        project = workflow.pipeline.project
        runs_so_far = old.execution if old is not None else 0
        upstream = [status_of[name] for name in spec.requires]
        deps = tuple(id_of[name] for name in spec.requires)
        number: int | None = None
        execution = runs_so_far
        if any(s in ("running", "blocked") for s in upstream):
            status, started, stopped = "blocked", None, None
        elif any(s != "success" for s in upstream):
            status, started, stopped = "not_run", None, None
        elif spec.approval:
            status, started, stopped = "success", created, created
        else:
            execution = runs_so_far + 1
            number = self._next_job_number[project.slug]
            self._next_job_number[project.slug] = number + 1
            status = spec.outcome(execution)
            started = created + timedelta(seconds=1)
            stopped = None if status == "running" else started + timedelta(seconds=spec.duration)
        return JobRecord(
            id=self.new_id("job"),
            number=number,
            name=spec.name,
            spec=spec,
            workflow=workflow,
            execution=execution,
            status=status,
            created_at=created,
            started_at=started,
            stopped_at=stopped,
            dependencies=deps,
            node_statuses=node_statuses(spec, status) if number is not None else (),
        )
