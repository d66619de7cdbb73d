"""The read-only view of run history that flake-evidence plugins query."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import attrs


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
