"""References to things that live at the CI provider: runs, jobs, events."""

from __future__ import annotations

from datetime import datetime

import attrs

from ci_rescue_core.models.enums import Category

FAILED_CONCLUSIONS: frozenset[str] = frozenset(
    {
        "failure",
        "timed_out",
        "startup_failure",
        "failed",
        "error",
        "infrastructure_fail",
        "timedout",
    }
)
"""Provider conclusions that mean "this failed" (GitHub, GitLab and CircleCI spellings)."""


@attrs.frozen(kw_only=True)
class RunRef:
    """One attempt of one CI run (GitHub workflow run, GitLab pipeline, CircleCI workflow).

    :ivar provider: registered provider name.
    :ivar repo: ``owner/name`` (GitLab: ``group/project``).
    :ivar run_id: the provider's id of the run, as a string.
    :ivar attempt: 1-based attempt number (GitHub ``run_attempt``).
    """

    provider: str
    repo: str
    run_id: str
    attempt: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    workflow: str = ""
    head_sha: str = ""
    head_branch: str | None = None
    event: str = ""
    status: str = ""
    conclusion: str | None = None
    pr_numbers: tuple[int, ...] = ()
    url: str = ""
    created_at: datetime | None = None

    @property
    def failed(self) -> bool:
        """True when the run's conclusion is a failure in any provider's spelling."""
        return self.conclusion in FAILED_CONCLUSIONS

    @property
    def key(self) -> str:
        """Stable text key ``provider:repo:run_id:attempt``."""
        return f"{self.provider}:{self.repo}:{self.run_id}:{self.attempt}"


@attrs.frozen(kw_only=True)
class JobRef:
    """One job of one run attempt (a matrix cell is a job).

    :ivar name: the job's display name, matrix values included (``test (3.11, ubuntu)``).
    :ivar matrix: the matrix values parsed from the name, in order.
    :ivar failure_reason: why the provider says a failed job failed, in its own words
        (GitLab ``failure_reason``: ``runner_system_failure``, ``script_failure``...);
        ``None`` when the provider does not say or the job did not fail.
    :ivar failure_category: the adapter's mapping of ``failure_reason`` onto the category
        vocabulary, when the reason alone says what went wrong (``None`` when only the log can).
    """

    run: RunRef
    job_id: str
    name: str
    matrix: tuple[str, ...] = ()
    status: str = ""
    conclusion: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    runner: str | None = None
    failed_step: str | None = None
    url: str = ""
    failure_reason: str | None = None
    failure_category: Category | None = None

    @property
    def failed(self) -> bool:
        """True when the job's conclusion is a failure in any provider's spelling."""
        return self.conclusion in FAILED_CONCLUSIONS


@attrs.frozen(kw_only=True)
class CIEvent:
    """A verified, parsed webhook (or poll result) in provider-neutral form.

    :ivar kind: the provider's event type (``workflow_run``, ``workflow_job``...).
    :ivar action: the event's action (``completed``, ``requested``...), empty when none.
    :ivar run: the run the event is about.
    :ivar job: the job, for job-level events.
    :ivar delivery_id: the provider's delivery id, used to drop replays.
    """

    kind: str
    action: str
    run: RunRef
    job: JobRef | None = None
    delivery_id: str | None = None

    @property
    def is_completed(self) -> bool:
        """True when the run (or job) has finished."""
        status = self.job.status if self.job is not None else self.run.status
        return status in ("completed", "") and self.action in ("completed", "")

    @property
    def is_failure(self) -> bool:
        """True for a finished run or job whose conclusion is a failure."""
        subject_failed = self.job.failed if self.job is not None else self.run.failed
        return self.is_completed and subject_failed
