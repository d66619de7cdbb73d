"""Pipelines and jobs: creating, running (instantly), retrying and cancelling them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from .logs import default_trace
from .models import (
    TERMINAL_STATUSES,
    JobRecord,
    PipelineRecord,
    ProjectRecord,
    SimError,
    SimJob,
    UserRecord,
)
from .state import SimState

__all__ = ["CiEngine"]

_RETRYABLE = frozenset({"success", "failed", "canceled"})
_CANCELABLE = frozenset({"created", "pending", "running", "waiting_for_resource", "preparing"})


class CiEngine:
    """Runs pipelines on a :class:`SimState`; jobs finish the moment they are processed."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    # -- creating ------------------------------------------------------------------------------

    def add_pipeline(
        self,
        project: ProjectRecord,
        *,
        jobs: Sequence[SimJob],
        ref: str | None,
        sha: str | None,
        source: str,
        name: str | None,
        stages: Sequence[str] | None,
        tag: bool,
        merge_request_iid: int | None,
        pipeline_id: int | None,
        created_at: datetime | None,
        user: UserRecord | None,
    ) -> PipelineRecord:
        """Create a pipeline, run every job that can run, and return it."""
        specs = list(jobs) or [SimJob("build")]
        names = [spec.name for spec in specs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"job names must be unique in a pipeline: {duplicates}")
        order = list(stages) if stages is not None else list(dict.fromkeys(s.stage for s in specs))
        unknown = sorted({s.stage for s in specs} - set(order))
        if unknown:
            raise ValueError(f"jobs use stages not in stages={order}: {unknown}")
        if merge_request_iid is not None and ref is None:
            ref = f"refs/merge-requests/{merge_request_iid}/head"
        ref = ref or project.default_branch
        if sha is None:
            branch = project.branches.get(ref)
            sha = branch.sha if branch is not None else self.state.head_sha(project)
        if pipeline_id is None:
            pipeline_id = self.state.next_id("pipeline", start=1001)
        elif pipeline_id in self.state.pipelines:
            raise ValueError(f"pipeline id {pipeline_id} is taken")
        else:
            self.state.reserve_id("pipeline", pipeline_id)
        pipeline = PipelineRecord(
            id=pipeline_id,
            iid=project.next_pipeline_iid,
            project_id=project.id,
            sha=sha,
            ref=ref,
            tag=tag,
            source=source,
            name=name,
            stages=order,
            created_at=created_at or self.state.now(),
            user=user or self.state.bot,
            merge_request_iid=merge_request_iid,
        )
        project.next_pipeline_iid += 1
        project.pipelines.append(pipeline.id)
        self.state.pipelines[pipeline.id] = pipeline
        for spec in specs:
            self._new_job(pipeline, spec, pipeline.created_at)
        self._process(pipeline)
        return pipeline

    def _new_job(self, pipeline: PipelineRecord, spec: SimJob, when: datetime) -> JobRecord:
        job = JobRecord(
            id=self.state.next_id("job", start=5001),
            project_id=pipeline.project_id,
            pipeline_id=pipeline.id,
            spec=spec,
            execution=0,
            status="created",
            created_at=when,
        )
        pipeline.jobs.append(job)
        self.state.jobs[job.id] = job
        return job

    # -- running -------------------------------------------------------------------------------

    def _process(self, pipeline: PipelineRecord) -> None:
        """Run (or skip) every ``created`` job whose earlier stages are done, stage by stage."""
        latest = pipeline.latest_jobs()
        for index, stage in enumerate(pipeline.stages):
            earlier = [j for j in latest if j.stage in pipeline.stages[:index]]
            blocked = any(j.blocks or j.status == "canceled" for j in earlier)
            waiting = any(
                j.status not in TERMINAL_STATUSES and j.status != "manual" for j in earlier
            )
            for job in (j for j in latest if j.stage == stage and j.status == "created"):
                if blocked:
                    job.status = "skipped"
                elif not waiting:
                    self._execute(pipeline, job)
        pipeline.updated_at = self.state.now()

    def _execute(self, pipeline: PipelineRecord, job: JobRecord) -> None:
        executed = sum(1 for j in pipeline.jobs if j.name == job.name and j.execution > 0)
        job.execution = executed + 1
        status, reason = job.spec.outcome(job.execution)
        now = self.state.now()
        job.status = status
        job.failure_reason = reason
        if status == "manual":
            return
        job.started_at = now
        if status in TERMINAL_STATUSES:
            job.finished_at = now + timedelta(seconds=job.spec.duration)
        job.trace = self._trace(job, status, reason)

    @staticmethod
    def _trace(job: JobRecord, status: str, reason: str | None) -> bytes:
        source = job.spec.log
        if callable(source):
            source = source(job.execution)
        if source is None:
            source = default_trace(job.name, status, reason, job.execution)
        return source.encode("utf-8") if isinstance(source, str) else bytes(source)

    # -- retrying and cancelling ---------------------------------------------------------------

    def retry_pipeline(self, pipeline: PipelineRecord) -> PipelineRecord:
        """Retry every failed or canceled job (new job ids; same pipeline id)."""
        pipeline.retry_requests += 1
        failed = [job for job in pipeline.latest_jobs() if job.status in ("failed", "canceled")]
        if not failed:
            raise SimError(403, "403 Forbidden - Pipeline cannot be retried")
        # a job is retried after it finished: the clock cannot be earlier than that
        self.state.advance_to(max((j.finished_at for j in failed if j.finished_at), default=None))
        now = self.state.now()
        for job in failed:
            job.retried = True
            self._new_job(pipeline, job.spec, now)
        self._reset_skipped(pipeline)
        self._process(pipeline)
        return pipeline

    def retry_job(self, pipeline: PipelineRecord, job: JobRecord) -> JobRecord:
        """Retry one finished job that is the newest of its name; returns the new job."""
        latest = {j.name: j for j in pipeline.latest_jobs()}
        if latest.get(job.name) is not job or job.status not in _RETRYABLE:
            raise SimError(403, "403 Forbidden - Job is not retryable")
        pipeline.job_retry_requests += 1
        self.state.advance_to(job.finished_at)
        job.retried = True
        fresh = self._new_job(pipeline, job.spec, self.state.now())
        self._reset_skipped(pipeline)
        self._process(pipeline)
        return fresh

    @staticmethod
    def _reset_skipped(pipeline: PipelineRecord) -> None:
        for job in pipeline.latest_jobs():
            if job.status == "skipped":
                job.status = "created"

    def cancel_pipeline(self, pipeline: PipelineRecord) -> PipelineRecord:
        """Cancel every job still going; finished pipelines stay as they are."""
        pipeline.cancel_requests += 1
        for job in pipeline.latest_jobs():
            self._cancel(job)
        pipeline.updated_at = self.state.now()
        return pipeline

    def cancel_job(self, pipeline: PipelineRecord, job: JobRecord) -> JobRecord:
        """Cancel one job if it is still going."""
        self._cancel(job)
        self._process(pipeline)
        return job

    def _cancel(self, job: JobRecord) -> None:
        if job.status in _CANCELABLE:
            job.status = "canceled"
            job.finished_at = self.state.now()
