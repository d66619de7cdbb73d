"""The GitHub adapter against the provider contract, on the simulator with real PyGithub."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from ci_rescue_core.models import JobRef, RunRef
from ci_rescue_core.provider import Provider, ProviderSettings
from ci_rescue_core.testing import (
    BROKEN_JOB,
    BROKEN_LOG_LINE,
    FLAKY_JOB,
    PASSING_JOB,
    ProviderContract,
    SignedDelivery,
)
from ci_rescue_providers.github import build_provider
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob, format_actions_log

SECRET = "contract-secret"


class GitHubHarness:
    def __init__(self, sim: GitHubSimulator, provider: Provider) -> None:
        self.sim = sim
        self.provider = provider
        self.repo = "acme/contract"
        self._sha = 0

    def seed_failing_run(self) -> RunRef:
        self._sha += 1
        run_id = self.sim.add_run(
            self.repo,
            head_sha=f"{self._sha:040x}",
            jobs=[
                SimJob(
                    FLAKY_JOB, ["failure", "success"], log=format_actions_log(["flaky: timeout"])
                ),
                SimJob(BROKEN_JOB, ["failure"], log=format_actions_log([BROKEN_LOG_LINE])),
                SimJob(PASSING_JOB, ["success"], log=format_actions_log(["ok"])),
            ],
        )
        return self.provider.get_run(self.repo, str(run_id))

    def failure_delivery(self, run: RunRef) -> SignedDelivery:
        payload = self.sim.workflow_run_event(int(run.run_id))
        headers, body = self.sim.webhook_delivery("workflow_run", payload, secret=SECRET)
        return SignedDelivery(event_type="workflow_run", headers=headers, body=body)

    def rerun_count(self, run: RunRef) -> int:
        return int(self.sim.get_run(int(run.run_id))["run_attempt"]) - 1

    def jobs_rerun(self, run: RunRef) -> set[str]:
        first = {j["name"]: j for j in self.sim.get_jobs(int(run.run_id), attempt=1)}
        latest = self.sim.get_jobs(int(run.run_id))
        return {
            job["name"]
            for job in latest
            if job["run_attempt"] > 1
            and first[job["name"]]["conclusion"] != "success"
            and job["started_at"] != first[job["name"]]["started_at"]
        }

    def issues(self) -> list[Mapping[str, Any]]:
        return [
            {
                "title": issue["title"],
                "body": issue["body"],
                "labels": [label["name"] for label in issue["labels"]],
                "comments": [
                    c["body"] for c in self.sim.get_issue_comments(self.repo, issue["number"])
                ],
            }
            for issue in self.sim.get_issues(self.repo)
        ]

    def change_requests(self) -> list[Mapping[str, Any]]:
        return [
            {
                "title": pull["title"],
                "source_branch": pull["head"]["ref"],
                "target_branch": pull["base"]["ref"],
                "labels": [label["name"] for label in pull["labels"]],
                "files": pull["files"],
            }
            for pull in self.sim.get_pulls(self.repo)
        ]

    def break_log_stream(self, job: JobRef) -> None:
        self.sim.inject_fault(
            "GET", rf"^/_blobs/job-logs/{job.job_id}$", status=None, truncate=True
        )

    def default_branch_file(self, path: str) -> str | None:
        return self.sim.get_file(self.repo, path)


class TestGitHubProvider(ProviderContract):
    @pytest.fixture
    def harness(self) -> Iterator[GitHubHarness]:
        with GitHubSimulator(token="t") as sim:
            sim.add_repo("acme/contract")
            sim.add_file("acme/contract", "constraints.txt", "requests==2.32.0\n")
            provider = build_provider(
                ProviderSettings(
                    name="github",
                    base_url=sim.base_url,
                    token="t",
                    webhook_secret=SECRET,
                    options={"seconds_between_requests": 0, "seconds_between_writes": 0},
                )
            )
            yield GitHubHarness(sim, provider)
            provider.close()  # type: ignore[attr-defined]
