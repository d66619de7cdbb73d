"""GitLab's ``failure_reason`` values mapped onto ci-rescue's failure categories.

GitLab says *why* a job failed before anyone reads its log: ``runner_system_failure`` is the
machinery's fault, ``job_execution_timeout`` a timeout, ``script_failure`` means "the script
exited non-zero" and needs log analysis.  :func:`failure_category` turns a reason into a
category (or ``None`` when only the log can tell); the adapter puts it on
``JobRef.failure_category``, where core uses it for the category and as flake evidence.
Unknown reasons (GitLab adds some every release) map to ``None``: every enum is open.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ci_rescue_core.models import Category

#: Reasons that say what went wrong without reading the log.
FAILURE_CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        # the machinery: retrying is the remedy
        "runner_system_failure": Category.INFRA_NETWORK,
        "api_failure": Category.INFRA_NETWORK,
        "scheduler_failure": Category.INFRA_NETWORK,
        "data_integrity_failure": Category.INFRA_NETWORK,
        "unmet_prerequisites": Category.INFRA_NETWORK,
        "runner_interrupted": Category.INFRA_NETWORK,
        "runner_external_dependency_failure": Category.INFRA_NETWORK,
        "stuck_pending_with_matching_runners": Category.INFRA_NETWORK,
        "stuck_pending_no_matching_runners": Category.INFRA_NETWORK,
        "no_updates_running": Category.INFRA_NETWORK,
        "no_updates_canceling": Category.INFRA_NETWORK,
        # time limits
        "stuck_or_timeout_failure": Category.TIMEOUT,
        "job_execution_timeout": Category.TIMEOUT,
        "server_timeout_running": Category.TIMEOUT,
        "server_timeout_canceling": Category.TIMEOUT,
        # permissions and secrets: never retried
        "secrets_provider_not_found": Category.MISSING_SECRET,
        "insufficient_bridge_permissions": Category.MISSING_SECRET,
        "user_blocked": Category.MISSING_SECRET,
        # configuration, quota or lifecycle problems a retry does not fix
        "missing_dependency_failure": Category.OTHER,
        "runner_unsupported": Category.OTHER,
        "runner_configuration_error": Category.OTHER,
        "stale_schedule": Category.OTHER,
        "archived_failure": Category.OTHER,
        "forward_deployment_failure": Category.OTHER,
        "project_deleted": Category.OTHER,
        "ci_quota_exceeded": Category.OTHER,
        "pipeline_loop_detected": Category.OTHER,
        "no_matching_runner": Category.OTHER,
        "trace_size_exceeded": Category.OTHER,
        "builds_disabled": Category.OTHER,
        "downstream_bridge_project_not_found": Category.OTHER,
        "invalid_bridge_trigger": Category.OTHER,
        "bridge_pipeline_is_child_pipeline": Category.OTHER,
        "downstream_pipeline_creation_failed": Category.OTHER,
        "reached_max_descendant_pipelines_depth": Category.OTHER,
    }
)

#: Reasons that only say "the script failed": the log decides.
LOG_DECIDES: frozenset[str] = frozenset({"script_failure", "unknown_failure"})


def failure_category(reason: str | None) -> Category | None:
    """The category GitLab's *reason* implies, or ``None`` when the log must decide.

    >>> failure_category("runner_system_failure").value
    'infra_network'
    >>> failure_category("script_failure") is None
    True
    """
    if reason is None:
        return None
    return FAILURE_CATEGORIES.get(reason)
