"""A stateful GitHub REST API simulator on loopback, driven by real clients such as PyGithub.

Example::

    import github
    from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob

    with GitHubSimulator() as sim:
        sim.add_repo("acme/app")
        run_id = sim.add_run("acme/app", jobs=[SimJob("test (3.11)", ["failure", "success"])])
        gh = github.Github(base_url=sim.base_url, auth=github.Auth.Token("t"))
        gh.get_repo("acme/app").get_workflow_run(run_id).rerun_failed_jobs()
        gh.close()

Repositories also hold git data, pull requests, check runs and statuses (``add_file``,
``add_pull_request``, ``get_pulls``, ``get_check_runs``...); a GitHub App and its installation
are simulated for ``Auth.AppAuth`` clients.
"""

from __future__ import annotations

from .apps import DEFAULT_INSTALLATION_PERMISSIONS
from .checks import MAX_ANNOTATIONS_PER_REQUEST
from .logs import format_actions_log, format_timestamp
from .models import CONCLUSIONS, MAX_ATTEMPTS, LogSource, NotFoundError, SimError, SimJob
from .recording import Fault, RecordedRequest
from .simulator import GitHubSimulator

__all__ = [
    "CONCLUSIONS",
    "DEFAULT_INSTALLATION_PERMISSIONS",
    "MAX_ANNOTATIONS_PER_REQUEST",
    "MAX_ATTEMPTS",
    "Fault",
    "GitHubSimulator",
    "LogSource",
    "NotFoundError",
    "RecordedRequest",
    "SimError",
    "SimJob",
    "format_actions_log",
    "format_timestamp",
]
