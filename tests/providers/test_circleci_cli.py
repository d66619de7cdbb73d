"""``ci-rescue handle --provider circleci``: a configuration change only, real processes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ci_rescue_providers.simulators.circleci import CircleCISimulator, SimJob
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.support import assert_one_clear_error
from tests.support import cli as run_cli

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks" / "circleci"
SLUG, REPO = "gh/acme/app", "acme/app"
ENV = {"CLI_CIRCLE_TOKEN": "circle-cli", "CLI_GITHUB_TOKEN": "github-cli"}
BROKEN = (
    "#!/bin/bash -eo pipefail\npython -m pytest\n"
    "FAILED tests/test_cart.py::test_total - assert 3402 == 3780\n"
    "========================= 1 failed, 11 passed in 1.31s =========================\n"
)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=ENV if env is None else env)


@pytest.fixture
def sims() -> Iterator[tuple[CircleCISimulator, GitHubSimulator]]:
    with (
        CircleCISimulator(token=ENV["CLI_CIRCLE_TOKEN"]) as circle,
        GitHubSimulator(token=ENV["CLI_GITHUB_TOKEN"]) as github,
    ):
        circle.add_project(SLUG)
        github.add_repo(REPO)
        yield circle, github


def rescue_yaml(tmp_path: Path, circle_url: str, github_url: str, vcs: str = "github") -> Path:
    path = tmp_path / "rescue.yaml"
    path.write_text(
        "store:\n  path: state/rescue.db\n"
        "providers:\n"
        "  circleci:\n"
        f"    base_url: {circle_url}\n"
        "    token_env: CLI_CIRCLE_TOKEN\n"
        + (f"    vcs: {vcs}\n" if vcs else "")
        + "    max_retries: 1\n"
        "    backoff_factor: 0\n"
        "  github:\n"
        f"    base_url: {github_url}\n"
        "    token_env: CLI_GITHUB_TOKEN\n"
        "    max_retries: 1\n"
        "    backoff_factor: 0\n"
        "    min_request_interval: 0\n"
        "    min_write_interval: 0\n",
        encoding="utf-8",
    )
    return path


def write(tmp_path: Path, payload: Any) -> Path:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


@pytest.mark.parametrize("event_type", ["workflow-completed", "job-completed"])
def test_handle_a_circleci_failure_end_to_end(
    sims: tuple[CircleCISimulator, GitHubSimulator], tmp_path: Path, event_type: str
) -> None:
    circle, github = sims
    workflow_id = circle.add_workflow(
        SLUG, [SimJob("test", ["failed"], log=BROKEN), SimJob("lint")], revision="a" * 40
    )
    if event_type == "workflow-completed":
        payload = circle.workflow_completed_event(workflow_id)
    else:
        test_job = next(j for j in circle.get_jobs(workflow_id) if j["name"] == "test")
        payload = circle.job_completed_event(test_job["id"])
    result = cli(
        "handle", "--provider", "circleci", "--event-type", event_type,
        str(write(tmp_path, payload)),
        "--config", str(rescue_yaml(tmp_path, circle.api_url, github.base_url)),
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    incident = json.loads(result.stdout)
    assert incident["repo"] == SLUG and incident["status"] == "escalated"
    assert incident["runs"][0]["run_id"] == workflow_id
    assert incident["fingerprints"][0]["category"] == "test_failure"
    assert [o["remedy"]["kind"] for o in incident["outcomes"]] == ["issue"]
    [issue] = github.get_issues(REPO)
    assert incident["tracking_issue"] == issue["html_url"]
    assert circle.write_requests() == []
    assert (tmp_path / "state" / "rescue.db").is_file()


def test_handle_a_flaky_failure_reruns_from_failed(
    sims: tuple[CircleCISimulator, GitHubSimulator], tmp_path: Path
) -> None:
    circle, github = sims
    network = "fatal: unable to access 'https://github.com/acme/app/': Could not resolve host\n"
    workflow_id = circle.add_workflow(SLUG, [SimJob("build", ["failed", "success"], log=network)])
    result = cli(
        "handle", "--provider", "circleci", "--event-type", "workflow-completed",
        str(write(tmp_path, circle.workflow_completed_event(workflow_id))),
        "--config", str(rescue_yaml(tmp_path, circle.api_url, github.base_url)),
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcomes"][0]["remedy"]["kind"] == "retry_cells"
    assert [(r.path, r.json()) for r in circle.write_requests()] == [
        (f"/api/v2/workflow/{workflow_id}/rerun", {"from_failed": True})
    ]
    assert github.write_requests() == []


def test_the_real_malformed_sample_is_one_clear_line(
    sims: tuple[CircleCISimulator, GitHubSimulator], tmp_path: Path
) -> None:
    circle, github = sims
    result = cli(
        "handle", "--provider", "circleci", "--event-type", "job-completed",
        str(FIXTURES / "docs_job_completed_gitlab.invalid.json"),
        "--config", str(rescue_yaml(tmp_path, circle.api_url, github.base_url)),
    )  # fmt: skip
    assert_one_clear_error(result, "not valid JSON")
    assert circle.requests == []


def test_a_missing_field_is_named(
    sims: tuple[CircleCISimulator, GitHubSimulator], tmp_path: Path
) -> None:
    circle, github = sims
    payload = json.loads((FIXTURES / "github_workflow_completed.json").read_bytes())
    del payload["workflow"]["id"]
    result = cli(
        "handle", "--provider", "circleci", "--event-type", "workflow-completed",
        str(write(tmp_path, payload)),
        "--config", str(rescue_yaml(tmp_path, circle.api_url, github.base_url)),
    )  # fmt: skip
    assert_one_clear_error(result, "workflow.id")


def test_a_missing_token_names_its_variable(
    sims: tuple[CircleCISimulator, GitHubSimulator], tmp_path: Path
) -> None:
    circle, github = sims
    payload = circle.workflow_completed_event(circle.add_workflow(SLUG, [SimJob("t", ["failed"])]))
    result = cli(
        "handle", "--provider", "circleci", "--event-type", "workflow-completed",
        str(write(tmp_path, payload)),
        "--config", str(rescue_yaml(tmp_path, circle.api_url, github.base_url)),
        env={"CLI_GITHUB_TOKEN": ENV["CLI_GITHUB_TOKEN"], "CLI_CIRCLE_TOKEN": ""},
    )  # fmt: skip
    assert_one_clear_error(result, "CLI_CIRCLE_TOKEN")


def test_an_unknown_vcs_is_one_clear_line(
    sims: tuple[CircleCISimulator, GitHubSimulator], tmp_path: Path
) -> None:
    circle, github = sims
    payload = circle.workflow_completed_event(circle.add_workflow(SLUG, [SimJob("t", ["failed"])]))
    result = cli(
        "handle", "--provider", "circleci", "--event-type", "workflow-completed",
        str(write(tmp_path, payload)),
        "--config", str(rescue_yaml(tmp_path, circle.api_url, github.base_url, vcs="jenkins")),
    )  # fmt: skip
    assert_one_clear_error(result, "unknown provider 'jenkins'")


def test_other_event_types_are_ignored(
    sims: tuple[CircleCISimulator, GitHubSimulator], tmp_path: Path
) -> None:
    circle, github = sims
    result = cli(
        "handle", "--provider", "circleci", "--event-type", "ping",
        str(write(tmp_path, {"type": "ping"})),
        "--config", str(rescue_yaml(tmp_path, circle.api_url, github.base_url)),
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ignored"
