"""Closed vocabularies shared by every model, the store and the CLI's JSON."""

from __future__ import annotations

import enum


class Category(str, enum.Enum):
    """What kind of failure a job had (the fixed vocabulary of the CLI contract)."""

    TEST_FAILURE = "test_failure"
    COMPILE_ERROR = "compile_error"
    DEPENDENCY_RESOLUTION = "dependency_resolution"
    TIMEOUT = "timeout"
    INFRA_NETWORK = "infra_network"
    OOM = "oom"
    MISSING_SECRET = "missing_secret"
    LINT = "lint"
    OTHER = "other"

    @property
    def is_transient(self) -> bool:
        """True for failures of the machinery rather than of the code (worth a retry)."""
        return self in (Category.INFRA_NETWORK, Category.TIMEOUT, Category.OOM)


class Verdict(str, enum.Enum):
    """FlakeHunter's judgement of one failure."""

    FLAKY = "flaky"
    BROKEN = "broken"
    OK = "ok"
    UNKNOWN = "unknown"


class Severity(str, enum.Enum):
    """How bad an incident is."""

    BLOCKER = "blocker"
    FLAKY = "flaky"
    TRANSIENT = "transient"


class IncidentStatus(str, enum.Enum):
    """Where an incident is in its life."""

    OPEN = "open"
    MITIGATING = "mitigating"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class OutcomeStatus(str, enum.Enum):
    """What happened to one remedy."""

    APPLIED = "applied"
    """The remedy was carried out (rerun requested, issue opened...)."""
    PLANNED = "planned"
    """The mode (observe / propose) allowed deciding but not doing; nothing was written."""
    SKIPPED = "skipped"
    """Already done for this run attempt (idempotent replay) or made moot."""
    FAILED = "failed"
    """The provider refused or failed; ``Outcome.error`` says why."""
    UNSUPPORTED = "unsupported"
    """No plugin knows how to apply this kind of remedy."""
    SCHEDULED = "scheduled"
    """Approved and due later (a back-off): the scheduler applies it when due, unless the run
    moved on meanwhile; its claim is held so a replayed event does not apply it too."""


class Mode(str, enum.Enum):
    """How much ci-rescue may do."""

    OBSERVE = "observe"
    """Decide and record; write nothing to the provider."""
    PROPOSE = "propose"
    """Open issues and change requests; never retry, merge or cancel."""
    ACT = "act"
    """Apply every remedy policy allows."""


class RemedyKind:
    """Names of the built-in remedy kinds (plugins may add their own strings)."""

    RETRY = "retry"
    RETRY_CELLS = "retry_cells"
    QUARANTINE = "quarantine"
    PIN = "pin"
    REVERT = "revert"
    ISSUE = "issue"

    #: Kinds that only re-run CI: the change is gone once the run finishes.
    RETRIES: frozenset[str] = frozenset({RETRY, RETRY_CELLS})
