"""The pipeline test report (``GET …/pipelines/:pid/test_report``) from the jobs' JUnit cases."""

from __future__ import annotations

import re
from typing import Any

from .models import TERMINAL_STATUSES, PipelineRecord

__all__ = ["suite_name", "test_report_json"]

_PARALLEL = re.compile(r"^(?P<base>.+?)(?: \d+/\d+|: \[[^\[\]]*\])$")


def suite_name(job_name: str) -> str:
    """The test suite a job reports into: parallel jobs (``rspec 1/3``, ``test: [3.12]``)
    share one suite named after the base name."""
    match = _PARALLEL.match(job_name)
    return match.group("base") if match else job_name


def test_report_json(pipeline: PipelineRecord) -> dict[str, Any]:
    """``GET /projects/:id/pipelines/:pid/test_report`` from the latest jobs' JUnit cases."""
    suites: dict[str, list[dict[str, Any]]] = {}
    for job in pipeline.latest_jobs():
        if job.status not in TERMINAL_STATUSES or job.status == "skipped" or not job.spec.tests:
            continue
        cases = suites.setdefault(suite_name(job.name), [])
        for case in job.spec.tests:
            status = (
                case.status if job.status == "failed" or case.status == "skipped" else "success"
            )
            cases.append(
                {
                    "status": status,
                    "name": case.name,
                    "classname": case.classname,
                    "file": case.file,
                    "execution_time": case.execution_time,
                    "system_output": case.message if status in ("failed", "error") else None,
                    "stack_trace": case.message if status in ("failed", "error") else None,
                    "attachment_url": None,
                    "recent_failures": None,
                }
            )
    report_suites = [_suite(name, cases) for name, cases in suites.items()]
    totals = {key: sum(s[key] for s in report_suites) for key in _COUNTS}
    return {
        "total_time": round(sum(s["total_time"] for s in report_suites), 3),
        **totals,
        "test_suites": report_suites,
    }


_COUNTS = ("total_count", "success_count", "failed_count", "skipped_count", "error_count")


def _suite(name: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    def count(status: str) -> int:
        return sum(1 for case in cases if case["status"] == status)

    return {
        "name": name,
        "total_time": round(sum(float(c["execution_time"]) for c in cases), 3),
        "total_count": len(cases),
        "success_count": count("success"),
        "failed_count": count("failed"),
        "skipped_count": count("skipped"),
        "error_count": count("error"),
        "suite_error": None,
        "test_cases": cases,
    }
