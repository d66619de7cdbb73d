"""Plain data of the GitHub simulator: the public ``SimJob`` and the internal records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from ..common.jobs import check_outcomes
from .errors import NotFoundError, SimError
from .git import GitStore
from .records import CheckRunRecord, PullRecord, StatusRecord

__all__ = [
    "CONCLUSIONS",
    "FAILED_CONCLUSIONS",
    "MAX_ATTEMPTS",
    "AttemptRecord",
    "CommentRecord",
    "IssueRecord",
    "JobRecord",
    "LabelRecord",
    "LogSource",
    "NotFoundError",
    "RepoRecord",
    "RunRecord",
    "SimError",
    "SimJob",
    "StepRecord",
    "WorkflowRecord",
]

#: Job conclusions GitHub reports (``SimJob.outcomes`` must use these).
CONCLUSIONS = frozenset(
    {
        "success",
        "failure",
        "neutral",
        "cancelled",
        "timed_out",
        "action_required",
        "skipped",
        "stale",
        "startup_failure",
    }
)
#: Conclusions that ``rerun-failed-jobs`` re-runs.
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "startup_failure"})
#: GitHub refuses to re-run a workflow run past this many attempts.
MAX_ATTEMPTS = 50

#: A job log: bytes or text served as is, or a callable given the run attempt number.
LogSource: TypeAlias = bytes | str | Callable[[int], bytes | str]


@dataclass(frozen=True)
class SimJob:
    """One job of a simulated workflow run.

    ``outcomes`` are the conclusions of successive executions of this job: the first run of the
    job gets ``outcomes[0]``, its first re-run ``outcomes[1]`` and so on; the last one repeats.
    ``log`` is served by the job-log endpoint: bytes or text as is, or a callable receiving the
    run attempt number (``None``: a generated Actions log). ``steps`` names the steps (default:
    set-up, checkout, ``Run <name>``, post, complete); a failing job fails ``failed_step``
    (default: the last ``Run`` step). ``needs`` names earlier jobs this one depends on: it is
    skipped when one of them did not succeed and is re-run with them.
    """

    name: str
    outcomes: Sequence[str] = ("success",)
    log: LogSource | None = None
    steps: Sequence[str] | None = None
    failed_step: str | None = None
    needs: Sequence[str] = ()
    labels: Sequence[str] = ("ubuntu-latest",)
    duration: float = 30.0

    def __post_init__(self) -> None:
        outcomes = check_outcomes(self.name, self.outcomes, CONCLUSIONS)
        if self.duration < 0:
            raise ValueError(f"SimJob {self.name!r}: duration must be >= 0")
        object.__setattr__(self, "outcomes", outcomes)
        object.__setattr__(self, "needs", tuple(self.needs))
        object.__setattr__(self, "labels", tuple(self.labels))
        if self.steps is not None:
            steps = tuple(self.steps)
            if not steps:
                raise ValueError(f"SimJob {self.name!r}: steps must not be empty when given")
            object.__setattr__(self, "steps", steps)
        if self.failed_step is not None and self.failed_step not in self.step_names():
            raise ValueError(f"SimJob {self.name!r}: failed_step {self.failed_step!r} not in steps")

    def step_names(self) -> tuple[str, ...]:
        """The names of this job's steps, in order."""
        if self.steps is not None:
            return tuple(self.steps)
        return (
            "Set up job",
            "Run actions/checkout@v4",
            f"Run {self.command()}",
            "Post Run actions/checkout@v4",
            "Complete job",
        )

    def command(self) -> str:
        """The shell command shown for the main step of a generated log."""
        base = self.name.split(" (", 1)[0].strip() or self.name
        return {"test": "pytest", "tests": "pytest", "lint": "ruff check ."}.get(
            base.lower(), f"make {base.lower().replace(' ', '-')}"
        )

    def outcome(self, execution: int) -> str:
        """The conclusion of the ``execution``-th run of this job (0-based; last repeats)."""
        return self.outcomes[min(execution, len(self.outcomes) - 1)]


@dataclass
class LabelRecord:
    """A repository label."""

    id: int
    name: str
    color: str
    description: str | None
    default: bool = False


@dataclass
class CommentRecord:
    """An issue comment."""

    id: int
    issue_number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass
class IssueRecord:
    """An issue (label names keep the label's own spelling); ``pull`` is set for pull requests,
    which GitHub numbers, labels and comments on as issues."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    locked: bool = False
    comments: list[CommentRecord] = field(default_factory=list)
    pull: PullRecord | None = None


@dataclass
class WorkflowRecord:
    """A workflow file of a repository."""

    id: int
    name: str
    path: str
    created_at: datetime
    next_run_number: int = 1


@dataclass
class RepoRecord:
    """A repository and everything the simulator keeps for it."""

    id: int
    owner: str
    name: str
    owner_id: int
    owner_type: str
    default_branch: str
    private: bool
    description: str | None
    created_at: datetime
    labels: dict[str, LabelRecord] = field(default_factory=dict)  # key: lower-case name
    issues: dict[int, IssueRecord] = field(default_factory=dict)
    workflows: dict[str, WorkflowRecord] = field(default_factory=dict)  # key: workflow name
    next_number: int = 1
    allow_auto_merge: bool = False
    git: GitStore = field(default_factory=GitStore)
    check_runs: dict[int, CheckRunRecord] = field(default_factory=dict)
    statuses: list[StatusRecord] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"


@dataclass
class StepRecord:
    """One step of an executed job."""

    number: int
    name: str
    conclusion: str
    started_at: datetime
    completed_at: datetime


@dataclass
class JobRecord:
    """One job of one attempt (every attempt gets new job ids, as on GitHub)."""

    id: int
    run_id: int
    attempt: int
    spec: SimJob
    conclusion: str
    created_at: datetime
    started_at: datetime
    completed_at: datetime
    steps: list[StepRecord]
    log: bytes
    executed: bool
    runner_id: int | None
    runner_name: str | None
    check_suite_id: int

    @property
    def name(self) -> str:
        """The job name (matrix values included, e.g. ``test (3.11)``)."""
        return self.spec.name


@dataclass
class AttemptRecord:
    """One attempt of a workflow run."""

    number: int
    jobs: list[JobRecord]
    started_at: datetime
    completed_at: datetime
    conclusion: str
    triggering_actor: str
    check_suite_id: int


@dataclass
class RunRecord:
    """A workflow run and its attempts."""

    id: int
    repo: RepoRecord
    workflow: WorkflowRecord
    run_number: int
    head_sha: str
    head_branch: str
    event: str
    display_title: str
    actor: str
    created_at: datetime
    jobs: tuple[SimJob, ...]
    pull_requests: list[int | dict[str, Any]]
    attempts: list[AttemptRecord] = field(default_factory=list)
    executions: dict[str, int] = field(default_factory=dict)
    cancel_requests: int = 0

    @property
    def latest(self) -> AttemptRecord:
        """The newest attempt."""
        return self.attempts[-1]

    def attempt(self, number: int) -> AttemptRecord:
        """Attempt ``number`` (1-based); ``NotFoundError`` when there is none."""
        if 1 <= number <= len(self.attempts):
            return self.attempts[number - 1]
        raise NotFoundError()
