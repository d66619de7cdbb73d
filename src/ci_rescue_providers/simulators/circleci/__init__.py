"""A stateful CircleCI API simulator on loopback (API v2, v1.1 step output, webhooks).

Example::

    import httpx
    from ci_rescue_providers.simulators.circleci import CircleCISimulator, SimJob

    with CircleCISimulator(token="t") as sim:
        sim.add_project("gh/acme/app")
        workflow_id = sim.add_workflow("gh/acme/app", [SimJob("test", ["failed", "success"])])
        with httpx.Client(base_url=sim.api_url, headers={"Circle-Token": "t"}) as client:
            client.post(f"/workflow/{workflow_id}/rerun", json={"from_failed": True})
        assert len(sim.rerun_chain(workflow_id)) == 2
"""

from __future__ import annotations

from ..common.recording import Fault, RecordedRequest
from .models import FAILED_STATUSES, OUTCOMES, LogSource, NotFoundError, SimError, SimJob, SimTest
from .simulator import CircleCISimulator
from .state import canonical_slug
from .webhooks import EVENT_TYPES, sign_body, webhook_delivery

__all__ = [
    "EVENT_TYPES",
    "FAILED_STATUSES",
    "OUTCOMES",
    "CircleCISimulator",
    "Fault",
    "LogSource",
    "NotFoundError",
    "RecordedRequest",
    "SimError",
    "SimJob",
    "SimTest",
    "canonical_slug",
    "sign_body",
    "webhook_delivery",
]
