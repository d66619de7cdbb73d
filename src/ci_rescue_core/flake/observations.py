"""What the flake model reads: one outcome of one test in one run attempt."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Observation(NamedTuple):
    """One outcome of one test (in one job, matrix cell) in one run attempt.

    A named tuple rather than an attrs class: histories hold hundreds of thousands of these,
    and scoring builds a thousand per test.

    :ivar test: the test id as the runner printed it.
    :ivar sha: the commit the run tested.
    :ivar failed: True for a failure (or error), False for a pass.
    :ivar run: the provider's run id.
    :ivar attempt: 1-based attempt of that run (re-runs keep the run id).
    :ivar time: when the run happened (the decay clock, not when it was recorded).
    :ivar job: the job name, matrix values included; empty when unknown.
    :ivar branch: the branch the run was for, when known.
    :ivar fingerprint: the failure's own fingerprint; ``None`` for passes and for failures
        whose message is unknown or generic (``exit code 1`` tells nothing apart).
    :ivar implied: a pass implied by the job passing (the provider has no per-test report);
        never stored as a test outcome, only used while scoring.
    """

    test: str
    sha: str
    failed: bool
    run: str
    time: datetime
    attempt: int = 1
    job: str = ""
    branch: str | None = None
    fingerprint: str | None = None
    implied: bool = False

    @property
    def outcome(self) -> str:
        """``fail`` or ``pass``."""
        return "fail" if self.failed else "pass"
