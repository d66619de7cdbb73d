"""Plain data of the CircleCI simulator: the public ``SimJob``/``SimTest`` and internal records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from ..common.jobs import check_outcomes

__all__ = [
    "FAILED_STATUSES",
    "LONG_VCS_NAMES",
    "OUTCOMES",
    "TEST_RESULTS",
    "JobRecord",
    "LogSource",
    "NotFoundError",
    "PipelineRecord",
    "ProjectRecord",
    "SimError",
    "SimJob",
    "SimTest",
    "TestSource",
    "WorkflowRecord",
]

#: Statuses a ``SimJob`` execution may end with (``running`` keeps it going until cancelled).
OUTCOMES = frozenset(
    {"success", "failed", "infrastructure_fail", "timedout", "canceled", "unauthorized", "running"}
)
#: Job statuses that "rerun from failed" re-runs (their ``not_run`` dependents follow).
FAILED_STATUSES = frozenset({"failed", "infrastructure_fail", "timedout"})
#: Short VCS names of project slugs and their long spelling (webhooks, web app URLs).
LONG_VCS_NAMES = {"gh": "github", "bb": "bitbucket"}
#: Results the tests endpoint reports.
TEST_RESULTS = frozenset({"success", "failure", "error", "skipped"})

#: A step's output: text or bytes as is, or a callable given (execution number, node index).
LogSource: TypeAlias = bytes | str | Callable[[int, int], bytes | str]


class SimError(Exception):
    """An API error the simulator answers with ``status`` and ``{"message": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON error body, shaped like CircleCI's."""
        return {"message": self.message}


class NotFoundError(SimError, LookupError):
    """An unknown project, pipeline, workflow, job or route (404)."""

    def __init__(self, message: str = "Not found") -> None:
        super().__init__(404, message)


@dataclass(frozen=True)
class SimTest:
    """One test case in a job's stored test results (``store_test_results``)."""

    __test__ = False  # not a pytest test class

    name: str
    result: str = "success"
    classname: str = ""
    file: str = ""
    message: str = ""
    run_time: float = 0.01
    source: str = "pytest"

    def __post_init__(self) -> None:
        if self.result not in TEST_RESULTS:
            raise ValueError(f"SimTest {self.name!r}: result must be one of {sorted(TEST_RESULTS)}")


#: A job's test results: fixed, or a callable given the execution number.
TestSource: TypeAlias = Sequence[SimTest] | Callable[[int], Sequence[SimTest]]


@dataclass(frozen=True)
class SimJob:
    """One job of a simulated workflow.

    ``outcomes`` are the statuses of successive executions of this job: its first run gets
    ``outcomes[0]``, its first re-run ``outcomes[1]`` and so on; the last one repeats.  ``log``
    is the output of the job's main step ``step`` (default: a generated log), as text, bytes or
    a callable receiving the execution number and the node index.  With ``parallelism`` > 1 the
    job runs on that many nodes; a failing execution fails on ``failing_nodes`` (default: all).
    ``requires`` names jobs listed earlier in the workflow: this job is ``not_run`` when one of
    them did not succeed.  ``approval=True`` makes an approval job (no job number, no steps).
    ``tests`` are the stored test results.
    """

    name: str
    outcomes: Sequence[str] = ("success",)
    log: LogSource | None = None
    step: str = "Run tests"
    parallelism: int = 1
    failing_nodes: Sequence[int] | None = None
    requires: Sequence[str] = ()
    approval: bool = False
    tests: TestSource = ()
    executor: str = "docker"
    resource_class: str = "medium"
    duration: float = 30.0

    def __post_init__(self) -> None:
        outcomes = check_outcomes(self.name, self.outcomes, OUTCOMES)
        if self.parallelism < 1:
            raise ValueError(f"SimJob {self.name!r}: parallelism must be >= 1")
        if self.duration < 0:
            raise ValueError(f"SimJob {self.name!r}: duration must be >= 0")
        object.__setattr__(self, "outcomes", outcomes)
        object.__setattr__(self, "requires", tuple(self.requires))
        if self.failing_nodes is not None:
            nodes = tuple(self.failing_nodes)
            if not nodes or any(n < 0 or n >= self.parallelism for n in nodes):
                raise ValueError(
                    f"SimJob {self.name!r}: failing_nodes must be node indexes "
                    f"below parallelism {self.parallelism}"
                )
            object.__setattr__(self, "failing_nodes", nodes)
        if not callable(self.tests):
            object.__setattr__(self, "tests", tuple(self.tests))

    def outcome(self, execution: int) -> str:
        """The status of execution number *execution* (1-based); the last outcome repeats."""
        return self.outcomes[min(execution, len(self.outcomes)) - 1]

    def test_results(self, execution: int) -> tuple[SimTest, ...]:
        """The stored test results of execution number *execution*."""
        source = self.tests
        return tuple(source(execution) if callable(source) else source)


@dataclass
class ProjectRecord:
    """A followed project (``gh/org/repo`` or ``circleci/<org-id>/<project-id>``)."""

    slug: str
    name: str
    project_id: str
    org_id: str
    org_name: str
    vcs_provider: str  # github | gitlab | bitbucket
    vcs_url: str
    default_branch: str
    next_pipeline_number: int = 1
    pipelines: list[PipelineRecord] = field(default_factory=list)

    @property
    def long_slug(self) -> str:
        """The slug as webhooks and the web app spell it (``github/org/repo``)."""
        head, _, rest = self.slug.partition("/")
        return f"{LONG_VCS_NAMES.get(head, head)}/{rest}"


@dataclass
class PipelineRecord:
    """One pipeline: a commit on a branch (or tag) and its workflows."""

    id: str
    number: int
    project: ProjectRecord
    branch: str | None
    tag: str | None
    revision: str
    created_at: datetime
    trigger_type: str
    actor: str
    subject: str
    body: str
    review_id: str | None = None
    workflows: list[WorkflowRecord] = field(default_factory=list)


@dataclass
class WorkflowRecord:
    """One workflow execution; a re-run is a new ``WorkflowRecord`` in the same pipeline."""

    id: str
    name: str
    pipeline: PipelineRecord
    created_at: datetime
    specs: tuple[SimJob, ...]
    status: str = "running"
    stopped_at: datetime | None = None
    rerun_of: str | None = None
    jobs: list[JobRecord] = field(default_factory=list)
    cancel_requests: int = 0
    rerun_request: dict[str, Any] | None = None


@dataclass
class JobRecord:
    """One job of one workflow; carried-over jobs keep their id and number in a re-run."""

    id: str
    number: int | None
    name: str
    spec: SimJob
    workflow: WorkflowRecord
    execution: int
    status: str
    created_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None
    dependencies: tuple[str, ...] = ()
    node_statuses: tuple[str, ...] = ()
    carried: bool = False
