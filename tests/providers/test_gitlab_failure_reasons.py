"""GitLab ``failure_reason`` onto the category vocabulary, and the evidence the plugin adds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.convert import from_json_dict, to_json_dict
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Category, Diagnosis, Fingerprint, JobRef, RunRef
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.store import SQLiteStore
from ci_rescue_providers.gitlab import failure_category
from ci_rescue_providers.gitlab.failure_reasons import FAILURE_CATEGORIES, LOG_DECIDES

#: Every value the API notes list (GitLab up to 19.1).
DOCUMENTED = [
    "unknown_failure",
    "script_failure",
    "api_failure",
    "stuck_or_timeout_failure",
    "runner_system_failure",
    "missing_dependency_failure",
    "runner_unsupported",
    "stale_schedule",
    "job_execution_timeout",
    "archived_failure",
    "unmet_prerequisites",
    "scheduler_failure",
    "data_integrity_failure",
    "forward_deployment_failure",
    "user_blocked",
    "project_deleted",
    "ci_quota_exceeded",
    "pipeline_loop_detected",
    "no_matching_runner",
    "trace_size_exceeded",
    "builds_disabled",
    "insufficient_bridge_permissions",
    "downstream_bridge_project_not_found",
    "invalid_bridge_trigger",
    "bridge_pipeline_is_child_pipeline",
    "downstream_pipeline_creation_failed",
    "secrets_provider_not_found",
    "reached_max_descendant_pipelines_depth",
    "runner_configuration_error",
    "runner_external_dependency_failure",
    "runner_interrupted",
    "stuck_pending_with_matching_runners",
    "stuck_pending_no_matching_runners",
    "no_updates_running",
    "no_updates_canceling",
    "server_timeout_running",
    "server_timeout_canceling",
]


def test_every_documented_reason_is_mapped_or_left_to_the_log() -> None:
    assert set(DOCUMENTED) == set(FAILURE_CATEGORIES) | LOG_DECIDES


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("runner_system_failure", Category.INFRA_NETWORK),
        ("api_failure", Category.INFRA_NETWORK),
        ("stuck_pending_no_matching_runners", Category.INFRA_NETWORK),
        ("stuck_or_timeout_failure", Category.TIMEOUT),
        ("job_execution_timeout", Category.TIMEOUT),
        ("server_timeout_running", Category.TIMEOUT),
        ("secrets_provider_not_found", Category.MISSING_SECRET),
        ("ci_quota_exceeded", Category.OTHER),
        ("script_failure", None),
        ("unknown_failure", None),
        (None, None),
        ("brand_new_reason_of_gitlab_20", None),
    ],
)
def test_categories(reason: str | None, category: Category | None) -> None:
    assert failure_category(reason) is category


@given(st.text(max_size=40))
def test_any_reason_is_safe(reason: str) -> None:
    category = failure_category(reason)
    assert category is None or isinstance(category, Category)


def _job(reason: str | None) -> JobRef:
    run = RunRef(provider="gitlab", repo="a/b", run_id="1")
    return JobRef(
        run=run,
        job_id="2",
        name="build",
        conclusion="failed",
        failure_reason=reason,
        failure_category=failure_category(reason),
    )


def test_a_reported_reason_is_flake_evidence_even_when_the_log_is_silent(tmp_path: Path) -> None:
    hooks = Hooks(make_plugin_manager(entry_points=True))  # loaded like any third party
    store = SQLiteStore(tmp_path / "rescue.db")
    try:
        details = []
        for reason in ("runner_system_failure", None):
            fingerprint = Fingerprint(category=Category.INFRA_NETWORK, message="", hash="h")
            diagnosis = Diagnosis(job=_job(reason), fingerprint=fingerprint)
            evidence = hooks.flake_evidence(job=diagnosis.job, diagnosis=diagnosis, history=store)
            details.append([e.detail for e in evidence if e.kind == "infrastructure_category"])
    finally:
        store.close()
    assert "runner_system_failure, as the provider reports" in details[0][0]
    assert details[1] == []  # no reason and no specific log line: no evidence


def test_failure_reason_round_trips_through_the_converter() -> None:
    job = _job("runner_system_failure")
    data = to_json_dict(job)
    assert data["failure_reason"] == "runner_system_failure"
    assert from_json_dict(data, JobRef) == job
    del data["failure_reason"]  # rows written before the field existed
    assert from_json_dict(data, JobRef).failure_reason is None
