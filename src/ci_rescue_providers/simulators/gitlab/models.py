"""Plain data of the GitLab simulator: the public seeding types and the internal records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from ..common.jobs import check_outcomes

__all__ = [
    "JOB_OUTCOMES",
    "TERMINAL_STATUSES",
    "BranchRecord",
    "CommitCommentRecord",
    "CommitRecord",
    "IssueRecord",
    "JobRecord",
    "LabelRecord",
    "LogSource",
    "MergeRequestRecord",
    "NotFoundError",
    "NoteRecord",
    "PipelineRecord",
    "ProjectRecord",
    "SimError",
    "SimJob",
    "SimTestCase",
    "UserRecord",
]

#: Statuses a ``SimJob`` execution may end in (``failed:<failure_reason>`` is also accepted).
JOB_OUTCOMES = frozenset({"success", "failed", "canceled", "running", "pending", "manual"})
#: Job and pipeline statuses after which nothing changes any more.
TERMINAL_STATUSES = frozenset({"success", "failed", "canceled", "skipped"})

#: A job trace: bytes or text served as is, or a callable given the execution number (1-based).
LogSource: TypeAlias = bytes | str | Callable[[int], bytes | str]


class SimError(Exception):
    """An API error the simulator answers with ``status`` and ``{"message": ...}``."""

    def __init__(self, status: int, message: str | dict[str, Any] | list[str]) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON error body, shaped like GitLab's."""
        return {"message": self.message}


class NotFoundError(SimError, LookupError):
    """An unknown project, pipeline, job, file, issue or route (``404 <What> Not Found``)."""

    def __init__(self, what: str = "") -> None:
        super().__init__(404, f"404 {what} Not Found" if what else "404 Not Found")


@dataclass(frozen=True)
class SimTestCase:
    """One test case of a job's JUnit report, as the pipeline test report shows it.

    ``status`` is the case's status when the job execution fails (``failed``, ``error``,
    ``skipped`` or ``success``); when the execution succeeds every case reports ``success``
    (skipped ones stay skipped).
    """

    name: str
    classname: str = ""
    file: str | None = None
    status: str = "failed"
    message: str = ""
    execution_time: float = 0.05

    def __post_init__(self) -> None:
        if self.status not in ("failed", "error", "skipped", "success"):
            raise ValueError(f"SimTestCase {self.name!r}: unknown status {self.status!r}")


@dataclass(frozen=True)
class SimJob:
    """One job of a simulated pipeline.

    ``outcomes`` are the statuses of successive executions of this job: the first execution
    gets ``outcomes[0]``, its first retry ``outcomes[1]`` and so on; the last one repeats.
    ``failed:<reason>`` sets the ``failure_reason`` of that execution (default
    ``failure_reason``). ``running``/``pending``/``manual`` leave the job unfinished (to test
    cancelling). ``log`` is the trace: text or bytes, or a callable given the execution number
    (``None``: a generated GitLab runner trace). Jobs of a later ``stage`` are ``skipped`` when
    an earlier stage failed, and run when a retry makes the earlier stages pass.
    """

    name: str
    outcomes: Sequence[str] = ("success",)
    log: LogSource | None = None
    stage: str = "test"
    allow_failure: bool = False
    failure_reason: str = "script_failure"
    tests: Sequence[SimTestCase] = ()
    duration: float = 30.0
    runner: str = "shared-runners-manager-1.gitlab.com"

    def __post_init__(self) -> None:
        outcomes = check_outcomes(
            self.name,
            self.outcomes,
            JOB_OUTCOMES,
            status_of=lambda outcome: outcome.split(":", 1)[0],
            hint=" or failed:<failure_reason>",
        )
        if self.duration < 0:
            raise ValueError(f"SimJob {self.name!r}: duration must be >= 0")
        object.__setattr__(self, "outcomes", outcomes)
        object.__setattr__(self, "tests", tuple(self.tests))

    def outcome(self, execution: int) -> tuple[str, str | None]:
        """Status and failure reason of the 1-based ``execution``."""
        raw = self.outcomes[min(execution, len(self.outcomes)) - 1]
        status, _, reason = raw.partition(":")
        if status != "failed":
            return status, None
        return status, reason or self.failure_reason


@dataclass
class UserRecord:
    """A user of the simulated instance."""

    id: int
    username: str
    name: str


@dataclass
class CommitRecord:
    """One commit: its message, parents and the whole tree it leaves (path -> bytes)."""

    sha: str
    message: str
    parent_ids: list[str]
    tree: dict[str, bytes]
    author: UserRecord
    created_at: datetime

    @property
    def title(self) -> str:
        """The first line of the message."""
        return self.message.split("\n", 1)[0]


@dataclass
class BranchRecord:
    """A branch: the commit it points at and whether it is protected."""

    name: str
    sha: str
    protected: bool = False


@dataclass
class CommitCommentRecord:
    """A comment on a commit (optionally on one line of one file)."""

    note: str
    author: UserRecord
    created_at: datetime
    path: str | None = None
    line: int | None = None
    line_type: str | None = None


@dataclass
class NoteRecord:
    """A comment on an issue or a merge request."""

    id: int
    body: str
    author: UserRecord
    created_at: datetime
    noteable_type: str
    noteable_id: int
    noteable_iid: int


@dataclass
class LabelRecord:
    """A project label; GitLab colours are ``#RRGGBB``."""

    id: int
    name: str
    color: str
    description: str | None = None


@dataclass
class IssueRecord:
    """An issue and its notes."""

    id: int
    iid: int
    title: str
    description: str
    labels: list[str]
    assignee_ids: list[int]
    author: UserRecord
    created_at: datetime
    state: str = "opened"
    notes: list[NoteRecord] = field(default_factory=list)


@dataclass
class MergeRequestRecord:
    """A merge request and its notes."""

    id: int
    iid: int
    title: str
    description: str
    source_branch: str
    target_branch: str
    labels: list[str]
    author: UserRecord
    created_at: datetime
    state: str = "opened"
    remove_source_branch: bool = False
    merge_when_pipeline_succeeds: bool = False
    assignee_ids: list[int] = field(default_factory=list)
    reviewer_ids: list[int] = field(default_factory=list)
    notes: list[NoteRecord] = field(default_factory=list)

    @property
    def draft(self) -> bool:
        """GitLab marks a merge request draft by its title prefix."""
        return self.title.lower().startswith(("draft:", "[draft]", "(draft)"))


@dataclass
class JobRecord:
    """One job execution (a retry is a new record with a new id)."""

    id: int
    project_id: int
    pipeline_id: int
    spec: SimJob
    execution: int
    status: str
    created_at: datetime
    failure_reason: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    retried: bool = False
    trace: bytes = b""

    @property
    def name(self) -> str:
        """The job's name (shared by its retries)."""
        return self.spec.name

    @property
    def stage(self) -> str:
        """The job's stage."""
        return self.spec.stage

    @property
    def blocks(self) -> bool:
        """True when this job's failure fails the pipeline (failed, not allowed to fail)."""
        return self.status == "failed" and not self.spec.allow_failure

    @property
    def duration(self) -> float | None:
        """Seconds between start and finish, when both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass
class PipelineRecord:
    """A pipeline: its jobs (retried executions included, oldest first) and counters."""

    id: int
    iid: int
    project_id: int
    sha: str
    ref: str
    tag: bool
    source: str
    name: str | None
    stages: list[str]
    created_at: datetime
    user: UserRecord
    jobs: list[JobRecord] = field(default_factory=list)
    merge_request_iid: int | None = None
    updated_at: datetime | None = None
    retry_requests: int = 0
    cancel_requests: int = 0
    job_retry_requests: int = 0

    def latest_jobs(self) -> list[JobRecord]:
        """The newest execution of every job name, in the order the names first appeared."""
        latest: dict[str, JobRecord] = {}
        for job in self.jobs:
            latest[job.name] = job
        return list(latest.values())

    @property
    def status(self) -> str:
        """The pipeline status GitLab derives from its latest jobs."""
        jobs = self.latest_jobs()
        statuses = {job.status for job in jobs}
        if not jobs:
            return "created"
        if statuses & {"running", "pending"}:
            return "running"
        if any(job.blocks for job in jobs):
            return "failed"
        if "canceled" in statuses:
            return "canceled"
        if statuses == {"skipped"}:
            return "skipped"
        if statuses <= {"manual", "skipped"}:
            return "manual"
        return "success"

    @property
    def finished_at(self) -> datetime | None:
        """When the last job finished, once the pipeline is finished."""
        if self.status not in TERMINAL_STATUSES:
            return None
        ends = [job.finished_at for job in self.latest_jobs() if job.finished_at is not None]
        return max(ends) if ends else self.created_at

    @property
    def started_at(self) -> datetime | None:
        """When the first job started."""
        starts = [job.started_at for job in self.jobs if job.started_at is not None]
        return min(starts) if starts else None


@dataclass
class ProjectRecord:
    """A project: its repository (branches, commits), pipelines, issues and merge requests."""

    id: int
    path_with_namespace: str
    default_branch: str
    description: str | None
    visibility: str
    created_at: datetime
    branches: dict[str, BranchRecord] = field(default_factory=dict)
    commits: dict[str, CommitRecord] = field(default_factory=dict)
    commit_comments: dict[str, list[CommitCommentRecord]] = field(default_factory=dict)
    pipelines: list[int] = field(default_factory=list)
    issues: dict[int, IssueRecord] = field(default_factory=dict)
    merge_requests: dict[int, MergeRequestRecord] = field(default_factory=dict)
    labels: dict[str, LabelRecord] = field(default_factory=dict)
    next_pipeline_iid: int = 1
    next_issue_iid: int = 1
    next_mr_iid: int = 1

    @property
    def name(self) -> str:
        """The last path segment."""
        return self.path_with_namespace.rsplit("/", 1)[-1]

    @property
    def namespace(self) -> str:
        """Everything before the last path segment."""
        return self.path_with_namespace.rsplit("/", 1)[0]
