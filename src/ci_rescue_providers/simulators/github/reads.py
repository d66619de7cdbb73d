"""Reading the GitHub simulator's state as the API would return it (runs, jobs, issues)."""

from __future__ import annotations

from typing import Any

from .issues import get_issue
from .payloads import Urls, comment_json, issue_json, label_json
from .run_payloads import job_json, run_json
from .state import SimState

__all__ = ["StateReadsMixin"]


class StateReadsMixin:
    """``get_*`` readers of :class:`~.simulator.GitHubSimulator`: JSON exactly as the API
    returns it, read under the state's lock."""

    _state: SimState

    def _urls(self) -> Urls:  # pragma: no cover - provided by GitHubSimulator
        raise NotImplementedError

    def get_run(self, run_id: int, attempt: int | None = None) -> dict[str, Any]:
        """The run JSON of ``attempt`` (default: latest); ``NotFoundError`` if unknown."""
        with self._state.lock:
            run = self._state.run(run_id)
            record = run.latest if attempt is None else run.attempt(attempt)
            return run_json(self._state, run, record, self._urls())

    def get_jobs(self, run_id: int, attempt: int | None = None) -> list[dict[str, Any]]:
        """The jobs JSON of one attempt (default: latest)."""
        with self._state.lock:
            run = self._state.run(run_id)
            record = run.latest if attempt is None else run.attempt(attempt)
            urls = self._urls()
            return [job_json(self._state, j, urls) for j in record.jobs]

    def get_job(self, job_id: int) -> dict[str, Any]:
        """One job's JSON."""
        with self._state.lock:
            return job_json(self._state, self._state.job(job_id), self._urls())

    def get_job_log(self, job_id: int) -> bytes:
        """The log bytes the blob URL of ``job_id`` serves."""
        with self._state.lock:
            return self._state.job(job_id).log

    def get_issues(self, repo: str) -> list[dict[str, Any]]:
        """Every issue of ``repo`` (open and closed), oldest first; pull requests are not
        included (see ``get_pulls``)."""
        with self._state.lock:
            record = self._state.repo(repo)
            urls = self._urls()
            return [
                issue_json(self._state, record, i, urls)
                for i in sorted(record.issues.values(), key=lambda i: i.number)
                if i.pull is None
            ]

    def get_issue_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The comments of issue ``number``, oldest first."""
        with self._state.lock:
            record = self._state.repo(repo)
            urls = self._urls()
            return [
                comment_json(self._state, record, c, urls)
                for c in get_issue(self._state, record, number).comments
            ]

    def get_labels(self, repo: str) -> list[dict[str, Any]]:
        """The labels of ``repo``."""
        with self._state.lock:
            record = self._state.repo(repo)
            urls = self._urls()
            return [
                label_json(record, label, urls)
                for label in sorted(record.labels.values(), key=lambda x: x.id)
            ]

    def cancel_requests(self, run_id: int) -> int:
        """How many cancel/force-cancel requests run ``run_id`` received (runs are already
        complete, so cancelling changes nothing)."""
        with self._state.lock:
            return self._state.run(run_id).cancel_requests
