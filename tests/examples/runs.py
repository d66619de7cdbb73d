"""Failing runs seeded into the simulator (the same shapes as the integration tests use)."""

from __future__ import annotations

from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.integration import logs

REPO = "acme/app"
TOKEN = "examples-token-1234"
SHA = "1" * 40
OTHER_SHA = "2" * 40
FLAKY_LOG = logs.pytest_failure(
    "tests/test_net.py::test_webhook_roundtrip", "TimeoutError: no webhook within 2.0s"
)
BROKEN_LOG = logs.pytest_failure("tests/test_cart.py::test_total", "assert 3402 == 3780")


def flaky_run(sim: GitHubSimulator) -> int:
    """A run that fails once on a commit that passed before (its re-run passes)."""
    sim.add_run(REPO, head_sha=SHA, jobs=[SimJob("test (3.11)", ["success"], log=logs.PASSING)])
    return sim.add_run(
        REPO,
        head_sha=SHA,
        jobs=[
            SimJob("test (3.11)", ["failure", "success"], log=FLAKY_LOG),
            SimJob("lint", ["success"], log=logs.PASSING),
        ],
    )


def broken_run(sim: GitHubSimulator, *, branch: str = "main", sha: str = OTHER_SHA) -> int:
    """A real breakage: both matrix cells fail the same way, on every attempt."""
    return sim.add_run(
        REPO,
        head_sha=sha,
        head_branch=branch,
        jobs=[
            SimJob("test (3.11)", ["failure"], log=BROKEN_LOG),
            SimJob("test (3.12)", ["failure"], log=BROKEN_LOG),
            SimJob("lint", ["success"], log=logs.PASSING),
        ],
    )


def writes(sim: GitHubSimulator) -> list[str]:
    """The write calls the simulator received, as ``METHOD /path``."""
    return [f"{request.method} {request.path}" for request in sim.write_requests()]
