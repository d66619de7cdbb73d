"""Evidence from the failure category: the machinery's failures are not the code's.

A generic line (``Process completed with exit code 1``, ``The operation was canceled.``) is
never evidence of flakiness: an infrastructure or timeout category counts only when the log
has a specific line saying so, or when the provider itself reported it (GitLab
``failure_reason: runner_system_failure``, CircleCI ``infrastructure_fail`` — the adapter's
``JobRef.failure_category``).
"""

from __future__ import annotations

from ci_rescue_core.flake.generic import all_generic
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Category, Diagnosis, Evidence, JobRef, Verdict

TOP_LINES = 3
"""The error lines (most relevant first) that must not all be generic."""

_TRANSIENT_STRENGTH = {Category.INFRA_NETWORK: 0.7, Category.TIMEOUT: 0.5, Category.OOM: 0.3}
_DETERMINISTIC = {
    Category.COMPILE_ERROR: "a compile error does not go away on a retry",
    Category.LINT: "a lint failure does not go away on a retry",
    Category.MISSING_SECRET: "a missing secret or permission does not go away on a retry",
    Category.DEPENDENCY_RESOLUTION: "a dependency resolution error rarely fixes itself",
}


@hookimpl
def rescue_flake_evidence(job: JobRef, diagnosis: Diagnosis) -> list[Evidence]:
    """Infrastructure failures point to flakiness; compile, lint and secret errors do not."""
    category = diagnosis.fingerprint.category
    lines = [line.text for line in diagnosis.fingerprint.error_lines[:TOP_LINES]]
    reported = job.failure_category is category
    if category in _TRANSIENT_STRENGTH and (reported or not all_generic(lines)):
        said = f" ({job.failure_reason}, as the provider reports)" if reported else ""
        return [
            Evidence(
                kind="infrastructure_category",
                supports=Verdict.FLAKY,
                strength=_TRANSIENT_STRENGTH[category],
                detail=f"{job.name} failed on {category.value}{said}, a failure of the machinery",
                source="category",
            )
        ]
    if category in _DETERMINISTIC:
        return [
            Evidence(
                kind="deterministic_category",
                supports=Verdict.BROKEN,
                strength=0.8,
                detail=f"{job.name}: {_DETERMINISTIC[category]}",
                source="category",
            )
        ]
    return []
