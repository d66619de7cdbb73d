"""What handling one event did: the orchestrator's answer to the CLI, the server and callers."""

from __future__ import annotations

import enum

import attrs

from ci_rescue_core.models import Incident
from ci_rescue_core.policy.engine import Decision


class HandleStatus(str, enum.Enum):
    """How an event ended."""

    HANDLED = "handled"
    """A failure went through the pipeline; ``incident`` is set."""
    RESOLVED = "resolved"
    """A success closed the incidents in ``resolved``."""
    RECORDED = "recorded"
    """Recorded in history; nothing to rescue."""
    IGNORED = "ignored"
    """Not an event ci-rescue acts on (``reason`` says why)."""
    DUPLICATE = "duplicate"
    """A replayed delivery; nothing was done again."""


@attrs.frozen(kw_only=True)
class HandleResult:
    """What handling one event did."""

    status: HandleStatus
    reason: str = ""
    incident: Incident | None = None
    resolved: tuple[Incident, ...] = ()
    decisions: tuple[Decision, ...] = ()
