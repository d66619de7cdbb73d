"""The CircleCI adapter against the provider contract: real httpx on the CircleCI simulator,
with the GitHub adapter (real PyGithub on the GitHub simulator) as its VCS companion."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from ci_rescue_core.models import JobRef, RunRef
from ci_rescue_core.provider import Provider
from ci_rescue_core.testing import (
    BROKEN_JOB,
    BROKEN_LOG_LINE,
    FLAKY_JOB,
    PASSING_JOB,
    ProviderContract,
    SignedDelivery,
)
from ci_rescue_providers.simulators.circleci import CircleCISimulator, SimJob
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.providers.test_circleci_helpers import (
    CIRCLE_TOKEN,
    GITHUB_TOKEN,
    GitHubRepo,
    build_circleci,
    build_github,
    delivery,
    execution_id,
)

REPO = "acme/contract"
# OAuth projects have gh/ slugs; GitHub App (and GitLab) projects circleci/<org>/<project> ones
SLUGS = {
    "oauth": "gh/acme/contract",
    "github-app": "circleci/Hq7Lx2TzVbNw4Rk8YcPfGd/9TsWmB3QeJrXa5LuZnKcVh",
}


class CircleCIHarness:
    def __init__(
        self, sim: CircleCISimulator, github: GitHubSimulator, provider: Provider, slug: str
    ) -> None:
        self.sim = sim
        self.provider = provider
        self.repo = slug
        self.github = GitHubRepo(github, REPO)
        self._sha = 0

    def seed_failing_run(self) -> RunRef:
        self._sha += 1
        workflow_id = self.sim.add_workflow(
            self.repo,
            [
                SimJob(FLAKY_JOB, ["failed", "success"], log="flaky: timed out after 2.0s\n"),
                SimJob(BROKEN_JOB, ["failed"], log=f"{BROKEN_LOG_LINE}\n"),
                SimJob(PASSING_JOB, log="ok\n"),
            ],
            revision=f"{self._sha:040x}",
        )
        return self.provider.get_run(self.repo, workflow_id)

    def failure_delivery(self, run: RunRef) -> SignedDelivery:
        payload = self.sim.workflow_completed_event(execution_id(self.sim, run))
        return delivery(self.sim, "workflow-completed", payload)

    def rerun_count(self, run: RunRef) -> int:
        return len(self.sim.rerun_chain(run.run_id)) - 1

    def jobs_rerun(self, run: RunRef) -> set[str]:
        return self.sim.jobs_rerun(run.run_id)

    def issues(self) -> list[Mapping[str, Any]]:
        return list(self.github.issues())

    def change_requests(self) -> list[Mapping[str, Any]]:
        return list(self.github.change_requests())

    def break_log_stream(self, job: JobRef) -> None:
        self.sim.inject_fault(
            "GET", rf"^/_s3/step-output/{job.job_id}/", status=None, truncate=True
        )

    def default_branch_file(self, path: str) -> str | None:
        return self.github.file(path)


class TestCircleCIProvider(ProviderContract):
    @pytest.fixture(params=sorted(SLUGS))
    def harness(self, request: pytest.FixtureRequest) -> Iterator[CircleCIHarness]:
        slug = SLUGS[request.param]
        with (
            GitHubSimulator(token=GITHUB_TOKEN) as github_sim,
            CircleCISimulator(token=CIRCLE_TOKEN) as sim,
        ):
            github_sim.add_repo(REPO)
            sim.add_project(slug, vcs_url=f"https://github.com/{REPO}", vcs_provider="github")
            github = build_github(github_sim)
            provider = build_circleci(sim, github=github)
            yield CircleCIHarness(sim, github_sim, provider, slug)
            provider.close()
            github.close()  # type: ignore[attr-defined]
            assert sim.errors == [] and sim.credential_leaks == 0
