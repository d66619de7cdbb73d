"""The read-only views of run history that flake-evidence plugins query.

:class:`History` answers questions about jobs; :class:`PerTestHistory` adds the per-test outcomes
the flake model reads.  The store implements both (``ci_rescue_core.store.history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

import attrs

from ci_rescue_core.flake.observations import Observation
from ci_rescue_core.models import JobRef, RunRef


@attrs.frozen(kw_only=True)
class JobOutcome:
    """One recorded outcome of one job (matrix cell) in one run attempt."""

    provider: str
    repo: str
    run_id: str
    attempt: int
    job_name: str
    head_sha: str
    head_branch: str | None
    conclusion: str | None
    fingerprint: str | None
    recorded_at: datetime
    run_at: datetime | None = None

    @property
    def passed(self) -> bool:
        """True when the job succeeded."""
        return self.conclusion == "success"


class History(Protocol):
    """Queries over recorded job outcomes (the store implements this)."""

    def job_outcomes(
        self,
        repo: str,
        *,
        sha: str | None = None,
        job_name: str | None = None,
        branch: str | None = None,
        limit: int = 200,
    ) -> list[JobOutcome]:
        """Recorded outcomes of *repo*'s jobs, newest first, filtered by sha / job / branch."""


@runtime_checkable
class PerTestHistory(History, Protocol):
    """Per-test outcomes on top of :class:`History` (what the flake model reads)."""

    def test_observations(
        self,
        repo: str,
        test_id: str,
        *,
        since: datetime,
        limit: int = 500,
        implied: bool = True,
    ) -> list[Observation]:
        """The test's recorded outcomes since *since*, newest first, at most *limit*; outcomes
        of mass-failed job attempts are left out.  With *implied*, passes of the jobs the test
        ran in are added as implied passes (where a per-test outcome exists, it wins)."""

    def job_passes(
        self, repo: str, job: str, *, since: datetime, limit: int = 500
    ) -> list[Observation]:
        """Passes of *job* since *since*, newest first, as implied passes of its tests."""

    def quarantine_windows(self, repo: str, test_id: str) -> list[tuple[datetime, datetime]]:
        """The periods in which a quarantine may have hidden the test's failures from its
        job's result: no pass of the test is implied from the job then."""


def outcome_time(run: RunRef, job: JobRef | None, default: str) -> str:
    """When an outcome happened, as ISO 8601: the job's completion (or start), else the run's
    creation, else *default* (the recording time).  This is the clock of the time decay, so a
    back-filled run counts as old as it is."""
    for moment in (
        job.completed_at if job is not None else None,
        job.started_at if job is not None else None,
        run.created_at,
    ):
        if moment is not None:
            return utc_text(moment)
    return default


def utc_text(moment: datetime) -> str:
    """*moment* in UTC as ISO 8601 (naive times are taken as UTC), so that stored times sort
    and compare as text."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def outside(
    observations: Sequence[Observation], windows: Sequence[tuple[datetime, datetime]]
) -> list[Observation]:
    """*observations* without the implied passes that fall in one of *windows*."""
    if not windows:
        return list(observations)
    return [
        o
        for o in observations
        if not o.implied or not any(start <= o.time < end for start, end in windows)
    ]
