"""ci-rescue: provider simulators (stateful fakes of CI provider APIs for tests and demos)."""

from __future__ import annotations

from .github import (
    Fault,
    GitHubSimulator,
    RecordedRequest,
    SimJob,
    format_actions_log,
)

__all__ = ["Fault", "GitHubSimulator", "RecordedRequest", "SimJob", "format_actions_log"]
