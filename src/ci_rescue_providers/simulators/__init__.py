"""ci-rescue: provider simulators (stateful fakes of CI provider APIs for tests and demos).

Each simulator has its own job model: ``GitHubSimJob``, ``GitLabSimJob`` and ``CircleCISimJob``
here (``SimJob`` in each subpackage). The bare ``SimJob``, ``Fault`` and ``RecordedRequest``
of this package are GitHub's, kept for the code that already imports them from here.
"""

from __future__ import annotations

from .circleci import CircleCISimulator
from .circleci import SimJob as CircleCISimJob
from .github import (
    Fault,
    GitHubSimulator,
    RecordedRequest,
    SimJob,
    format_actions_log,
)
from .github import SimJob as GitHubSimJob
from .gitlab import GitLabSimulator, format_gitlab_log
from .gitlab import SimJob as GitLabSimJob

__all__ = [
    "CircleCISimJob",
    "CircleCISimulator",
    "Fault",
    "GitHubSimJob",
    "GitHubSimulator",
    "GitLabSimJob",
    "GitLabSimulator",
    "RecordedRequest",
    "SimJob",
    "format_actions_log",
    "format_gitlab_log",
]
