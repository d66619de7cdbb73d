"""Reading the simulator's state back, as JSON shaped like the API's (for test assertions)."""

from __future__ import annotations

from typing import Any

from .payloads import (
    Urls,
    issue_json,
    job_json,
    label_json,
    merge_request_json,
    note_json,
    pipeline_json,
)
from .reports import test_report_json
from .state import SimState
from .tracker import Tracker

__all__ = ["StateReads"]


class StateReads:
    """The read side of :class:`GitLabSimulator`: pipelines, jobs, issues, files..."""

    _state: SimState
    _tracker: Tracker

    def _urls(self) -> Urls:
        raise NotImplementedError

    def get_pipeline(self, pipeline_id: int) -> dict[str, Any]:
        """The pipeline JSON of ``GET /projects/:id/pipelines/:pid``."""
        with self._state.lock:
            pipeline = self._state.pipelines[pipeline_id]
            return pipeline_json(self._state, pipeline, self._urls())

    def get_jobs(self, pipeline_id: int, *, include_retried: bool = False) -> list[dict[str, Any]]:
        """The jobs of a pipeline, oldest first (only the newest of each name by default)."""
        with self._state.lock:
            pipeline = self._state.pipelines[pipeline_id]
            jobs = pipeline.jobs if include_retried else pipeline.latest_jobs()
            urls = self._urls()
            return [job_json(self._state, job, urls) for job in sorted(jobs, key=lambda j: j.id)]

    def get_job(self, job_id: int) -> dict[str, Any]:
        """One job's JSON."""
        with self._state.lock:
            return job_json(self._state, self._state.jobs[job_id], self._urls())

    def get_trace(self, job_id: int) -> bytes:
        """The trace bytes of a job."""
        with self._state.lock:
            return self._state.jobs[job_id].trace

    def get_test_report(self, pipeline_id: int) -> dict[str, Any]:
        """The pipeline test report JSON."""
        with self._state.lock:
            return test_report_json(self._state.pipelines[pipeline_id])

    def retry_count(self, pipeline_id: int) -> int:
        """Retry requests the pipeline received (pipeline retries plus job retries)."""
        with self._state.lock:
            pipeline = self._state.pipelines[pipeline_id]
            return pipeline.retry_requests + pipeline.job_retry_requests

    def cancel_count(self, pipeline_id: int) -> int:
        """Cancel requests the pipeline received."""
        with self._state.lock:
            return self._state.pipelines[pipeline_id].cancel_requests

    def get_issues(self, project: str | int) -> list[dict[str, Any]]:
        """Every issue of ``project``, oldest first."""
        with self._state.lock:
            record = self._state.project(str(project))
            urls = self._urls()
            return [
                issue_json(self._state, issue, record, urls)
                for issue in sorted(record.issues.values(), key=lambda i: i.iid)
            ]

    def get_issue_notes(self, project: str | int, iid: int) -> list[dict[str, Any]]:
        """The notes of issue ``iid``, oldest first."""
        with self._state.lock:
            record = self._state.project(str(project))
            urls = self._urls()
            return [note_json(n, record, urls) for n in self._tracker.issue(record, iid).notes]

    def get_merge_requests(self, project: str | int) -> list[dict[str, Any]]:
        """Every merge request of ``project``, oldest first."""
        with self._state.lock:
            record = self._state.project(str(project))
            urls = self._urls()
            return [
                merge_request_json(self._state, mr, record, urls)
                for mr in sorted(record.merge_requests.values(), key=lambda m: m.iid)
            ]

    def get_merge_request_notes(self, project: str | int, iid: int) -> list[dict[str, Any]]:
        """The notes of merge request ``iid``, oldest first."""
        with self._state.lock:
            record = self._state.project(str(project))
            urls = self._urls()
            mr = self._tracker.merge_request(record, iid)
            return [note_json(n, record, urls) for n in mr.notes]

    def get_labels(self, project: str | int) -> list[dict[str, Any]]:
        """The labels of ``project``."""
        with self._state.lock:
            record = self._state.project(str(project))
            return [label_json(label) for label in record.labels.values()]

    def get_branches(self, project: str | int) -> list[str]:
        """Branch names of ``project``, sorted."""
        with self._state.lock:
            return sorted(self._state.project(str(project)).branches)

    def get_files(self, project: str | int, ref: str | None = None) -> dict[str, str]:
        """Every file at ``ref`` (default branch), decoded as UTF-8."""
        with self._state.lock:
            record = self._state.project(str(project))
            tree = self._state.resolve_ref(record, ref).tree
            return {path: data.decode("utf-8", "replace") for path, data in tree.items()}

    def get_file(self, project: str | int, path: str, ref: str | None = None) -> str | None:
        """One file's text at ``ref`` (default branch), ``None`` if absent."""
        return self.get_files(project, ref).get(path)

    def get_commit_comments(self, project: str | int, sha: str) -> list[dict[str, Any]]:
        """Comments on commit ``sha``: ``note``, ``path``, ``line``."""
        with self._state.lock:
            record = self._state.project(str(project))
            return [
                {"note": c.note, "path": c.path, "line": c.line, "line_type": c.line_type}
                for c in record.commit_comments.get(sha, [])
            ]
