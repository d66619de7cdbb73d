"""ci-rescue: provider simulators (stateful fakes of CI provider APIs for tests and demos)."""

from __future__ import annotations

from .circleci import CircleCISimulator
from .github import (
    Fault,
    GitHubSimulator,
    RecordedRequest,
    SimJob,
    format_actions_log,
)
from .gitlab import GitLabSimulator

__all__ = [
    "CircleCISimulator",
    "Fault",
    "GitHubSimulator",
    "GitLabSimulator",
    "RecordedRequest",
    "SimJob",
    "format_actions_log",
]
