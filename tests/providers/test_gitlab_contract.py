"""The GitLab adapter against the provider contract, on the simulator with real python-gitlab."""

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
from ci_rescue_providers.gitlab import build_provider
from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob, format_gitlab_log

SECRET = "contract-secret"
REPO = "acme/contract"


class GitLabHarness:
    def __init__(self, sim: GitLabSimulator, provider: Provider) -> None:
        self.sim = sim
        self.provider = provider
        self.repo = REPO
        self._sha = 0

    def seed_failing_run(self) -> RunRef:
        self._sha += 1
        pipeline_id = self.sim.add_pipeline(
            self.repo,
            sha=f"{self._sha:040x}",
            jobs=[
                SimJob(FLAKY_JOB, ["failed", "success"], log=format_gitlab_log(["flaky: timeout"])),
                SimJob(BROKEN_JOB, ["failed"], log=format_gitlab_log([BROKEN_LOG_LINE])),
                SimJob(PASSING_JOB, ["success"], log=format_gitlab_log(["ok"], exit_code=0)),
            ],
        )
        return self.provider.get_run(self.repo, str(pipeline_id))

    def failure_delivery(self, run: RunRef) -> SignedDelivery:
        # GitLab's token does not cover the body; its signing token does: send both
        payload = self.sim.pipeline_event(int(run.run_id))
        headers, body = self.sim.webhook_delivery(
            "pipeline", payload, token=SECRET, signing_secret=SECRET
        )
        return SignedDelivery(event_type="Pipeline Hook", headers=headers, body=body)

    def rerun_count(self, run: RunRef) -> int:
        return self.sim.retry_count(int(run.run_id))

    def jobs_rerun(self, run: RunRef) -> set[str]:
        jobs = self.sim.get_jobs(int(run.run_id), include_retried=True)
        names = [job["name"] for job in jobs]
        return {name for name in names if names.count(name) > 1}

    def issues(self) -> list[Mapping[str, Any]]:
        return [
            {
                "title": issue["title"],
                "body": issue["description"],
                "labels": issue["labels"],
                "comments": [n["body"] for n in self.sim.get_issue_notes(self.repo, issue["iid"])],
            }
            for issue in self.sim.get_issues(self.repo)
        ]

    def change_requests(self) -> list[Mapping[str, Any]]:
        return [
            {
                "title": mr["title"],
                "source_branch": mr["source_branch"],
                "target_branch": mr["target_branch"],
                "labels": mr["labels"],
                "files": self.sim.get_files(self.repo, mr["source_branch"]),
            }
            for mr in self.sim.get_merge_requests(self.repo)
        ]

    def break_log_stream(self, job: JobRef) -> None:
        self.sim.inject_fault("GET", rf"/jobs/{job.job_id}/trace$", status=None, truncate=True)

    def default_branch_file(self, path: str) -> str | None:
        return self.sim.get_file(self.repo, path)


class TestGitLabProvider(ProviderContract):
    @pytest.fixture
    def harness(self) -> Iterator[GitLabHarness]:
        with GitLabSimulator(token="t") as sim:
            sim.add_project(REPO, files={"constraints.txt": "requests==2.32.0\n"})
            provider = build_provider(
                ProviderSettings(
                    name="gitlab", base_url=sim.base_url, token="t", webhook_secret=SECRET
                )
            )
            yield GitLabHarness(sim, provider)
            provider.close()
            assert sim.errors == []
