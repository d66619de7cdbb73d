"""A stateful GitLab REST API simulator on loopback, driven by real clients such as python-gitlab.

Example::

    import gitlab
    from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob

    with GitLabSimulator(token="t") as sim:
        sim.add_project("acme/app")
        pipeline_id = sim.add_pipeline("acme/app", jobs=[SimJob("test", ["failed", "success"])])
        gl = gitlab.Gitlab(sim.base_url, private_token="t", keep_base_url=True)
        gl.projects.get("acme/app", lazy=True).pipelines.get(pipeline_id).retry()
        assert sim.get_pipeline(pipeline_id)["status"] == "success"
        gl.session.close()
"""

from __future__ import annotations

from .hooks import signing_key, standard_signature, webhook_delivery
from .logs import format_gitlab_log
from .models import (
    JOB_OUTCOMES,
    TERMINAL_STATUSES,
    LogSource,
    NotFoundError,
    SimError,
    SimJob,
    SimTestCase,
)
from .recording import Fault, RecordedRequest
from .simulator import GitLabSimulator

__all__ = [
    "JOB_OUTCOMES",
    "TERMINAL_STATUSES",
    "Fault",
    "GitLabSimulator",
    "LogSource",
    "NotFoundError",
    "RecordedRequest",
    "SimError",
    "SimJob",
    "SimTestCase",
    "format_gitlab_log",
    "signing_key",
    "standard_signature",
    "webhook_delivery",
]
