"""GitHub Enterprise Server: ``base_url: http://HOST/api/v3`` in rescue.yaml, end to end.

The simulator serves its API only under ``/api/v3`` (GraphQL at ``/api/graphql``, web pages at
the host root), as GHES does; a request that missed the prefix would get a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ci_rescue_core.config import load_config
from ci_rescue_core.models import IncidentStatus, OutcomeStatus
from ci_rescue_core.orchestrator import HandleStatus
from ci_rescue_core.provider import FileEdit
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.integration import logs

REPO = "acme/app"
TOKEN = "ghe-token"
SECRET = "ghe-hook-secret"
SHA = "3" * 40
FLAKY = logs.pytest_failure("tests/test_net.py::test_roundtrip", "TimeoutError: no reply in 2.0s")
BROKEN = logs.pytest_failure("tests/test_cart.py::test_total", "assert 3402 == 3780")


@pytest.fixture
def ghe() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token=TOKEN, api_prefix="/api/v3") as simulator:
        simulator.add_repo(REPO, allow_auto_merge=True)
        yield simulator
    assert simulator.errors == []


@pytest.fixture
def runtime(ghe: GitHubSimulator, tmp_path: Path) -> Iterator[Runtime]:
    assert ghe.base_url.endswith("/api/v3")
    config = tmp_path / "rescue.yaml"
    config.write_text(
        "store:\n"
        "  path: rescue.db\n"
        "providers:\n"
        "  github:\n"
        f"    base_url: {ghe.base_url}/\n"
        "    token_env: GHE_TOKEN\n"
        "    webhook_secret_env: GHE_HOOK_SECRET\n"
        "    min_request_interval: 0\n"
        "    min_write_interval: 0\n",
        encoding="utf-8",
    )
    environ = {"GHE_TOKEN": TOKEN, "GHE_HOOK_SECRET": SECRET}
    with Runtime(load_config(config), environ=environ) as rt:
        yield rt


def host_root(ghe: GitHubSimulator) -> str:
    return ghe.base_url.removesuffix("/api/v3")


def assert_all_on_the_api(ghe: GitHubSimulator) -> None:
    assert ghe.requests
    outside = [
        f"{r.method} {r.raw_path}" for r in ghe.requests if not r.raw_path.startswith("/api/")
    ]
    assert outside == []  # everything went to /api/v3 (or /api/graphql)


def test_the_api_is_only_under_the_prefix(ghe: GitHubSimulator) -> None:
    headers = {"Authorization": f"token {TOKEN}", "User-Agent": "test"}
    with httpx.Client(headers=headers) as client:
        assert client.get(f"{ghe.base_url}/repos/{REPO}").status_code == 200
        assert client.get(f"{host_root(ghe)}/repos/{REPO}").status_code == 404
        repo = client.get(f"{ghe.base_url}/repos/{REPO}").json()
    assert repo["url"] == f"{ghe.base_url}/repos/{REPO}"
    assert repo["html_url"] == f"{host_root(ghe)}/{REPO}"


def test_a_signed_flaky_failure_is_rerun_through_the_prefix(
    ghe: GitHubSimulator, runtime: Runtime
) -> None:
    ghe.add_run(REPO, head_sha=SHA, jobs=[SimJob("test (3.11)", ["success"], log=logs.PASSING)])
    run_id = ghe.add_run(
        REPO, head_sha=SHA, jobs=[SimJob("test (3.11)", ["failure", "success"], log=FLAKY)]
    )
    headers, body = ghe.webhook_delivery(
        "workflow_run", ghe.workflow_run_event(run_id), secret=SECRET
    )
    result = runtime.rescuer("github").handle_webhook("workflow_run", headers, body)
    assert result.status is HandleStatus.HANDLED and result.incident is not None
    assert [o.status for o in result.incident.outcomes] == [OutcomeStatus.APPLIED]
    assert [f"{r.method} {r.path}" for r in ghe.write_requests()] == [
        f"POST /repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs"
    ]
    assert ghe.get_run(run_id)["run_attempt"] == 2
    blob_reads = [r for r in ghe.requests if r.path.startswith("/_blobs/job-logs/")]
    assert blob_reads and all(r.status == 200 for r in blob_reads)  # the log was read
    assert_all_on_the_api(ghe)


def test_a_breakage_opens_an_issue_whose_link_is_a_web_page(
    ghe: GitHubSimulator, runtime: Runtime
) -> None:
    run_id = ghe.add_run(REPO, head_sha=SHA, jobs=[SimJob("test (3.11)", ["failure"], log=BROKEN)])
    result = runtime.rescuer("github").handle_payload(
        "workflow_run", ghe.workflow_run_event(run_id), delivery_id="ghe-1"
    )
    incident = result.incident
    assert incident is not None and incident.status is IncidentStatus.ESCALATED
    [issue] = ghe.get_issues(REPO)
    assert incident.tracking_issue == issue["html_url"] == f"{host_root(ghe)}/{REPO}/issues/1"
    assert_all_on_the_api(ghe)


def test_history_and_a_change_request_with_auto_merge(
    ghe: GitHubSimulator, runtime: Runtime
) -> None:
    ids = [
        ghe.add_run(REPO, head_sha=f"{i:040x}", jobs=[SimJob("t", ["failure"])]) for i in range(3)
    ]
    provider = runtime.provider("github")
    assert [run.run_id for run in provider.list_runs(REPO, status="failed")] == [
        str(i) for i in reversed(ids)
    ]
    change = provider.open_change_request(
        REPO,
        branch="ci-rescue/pin-requests",
        title="Pin requests",
        body="Pinned after a broken release.",
        edits=[FileEdit("constraints.txt", "requests==2.32.0\n")],
        auto_merge=True,
    )
    assert change.created and change.auto_merge
    assert change.url == f"{host_root(ghe)}/{REPO}/pull/1"
    assert ghe.get_file(REPO, "constraints.txt", ref="ci-rescue/pin-requests") == (
        "requests==2.32.0\n"
    )
    graphql = [r for r in ghe.requests if r.method == "POST" and r.path == "/graphql"]
    assert graphql and {r.raw_path for r in graphql} == {"/api/graphql"}
    assert_all_on_the_api(ghe)
