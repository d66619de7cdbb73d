"""GitLab deliveries through the real webhook server over HTTP: a bad token is refused with
nothing stored, a good delivery is acknowledged (``202 queued``) and rescued by the worker with
the real python-gitlab against the GitLab simulator, and a redelivery is not queued again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ci_rescue_core.config.deployment import OutputConfig, ProviderConfig, RescueConfig, StoreConfig
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.webhook import WebhookServer
from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob, format_gitlab_log
from tests.support import wait_for

REPO = "acme/app"
TOKEN, TOKEN_ENV = "glpat-server-test", "TEST_GITLAB_TOKEN"
SECRET = "gitlab-hook-secret"
BROKEN = format_gitlab_log(
    [
        "$ python -m pytest",
        "FAILED tests/test_cart.py::test_total - assert 3402 == 3780",
        "1 failed, 11 passed in 1.31s",
    ]
)


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token=TOKEN) as simulator:
        simulator.add_project(REPO)
        yield simulator
        assert simulator.errors == []


@pytest.fixture
def runtime(sim: GitLabSimulator, tmp_path: Path) -> Iterator[Runtime]:
    config = RescueConfig(
        store=StoreConfig(path=str(tmp_path / "rescue.db")),
        providers={"gitlab": ProviderConfig(base_url=sim.base_url, token_env=TOKEN_ENV)},
        output=OutputConfig(rescue_log="rescue.log"),
        base_dir=str(tmp_path),
    )
    environ = {TOKEN_ENV: TOKEN, "CI_RESCUE_WEBHOOK_SECRET": SECRET}
    with Runtime(config, environ=environ) as rt:
        yield rt


@pytest.fixture
def server(runtime: Runtime) -> Iterator[WebhookServer]:
    with WebhookServer(runtime, port=0) as running:
        yield running


def settled(server: WebhookServer, count: int) -> Callable[[], bool]:
    """True once *count* deliveries are in the inbox and none is pending or being worked on."""

    def check() -> bool:
        items = server.inbox.items()
        return len(items) == count and all(i["status"] not in ("pending", "working") for i in items)

    return check


def broken_pipeline(sim: GitLabSimulator, sha: str = "b" * 40) -> int:
    return sim.add_pipeline(
        REPO, sha=sha, jobs=[SimJob("test", ["failed"], log=BROKEN), SimJob("lint")]
    )


def test_a_bad_token_is_refused_and_nothing_is_stored(
    sim: GitLabSimulator, server: WebhookServer, runtime: Runtime
) -> None:
    pipeline_id = broken_pipeline(sim)
    headers, body = sim.webhook_delivery("pipeline", sim.pipeline_event(pipeline_id), token="bad")
    with httpx.Client(timeout=10) as client:
        response = client.post(f"{server.url}/webhooks/gitlab", headers=headers, content=body)
    assert response.status_code == 401
    assert "X-Gitlab-Token" in response.json()["error"]
    assert server.inbox.items() == [] and runtime.store.list_incidents() == []
    assert sim.requests == []  # GitLab was not even asked


def test_a_pipeline_hook_is_queued_then_rescued_once(
    sim: GitLabSimulator, server: WebhookServer, runtime: Runtime
) -> None:
    pipeline_id = broken_pipeline(sim)
    headers, body = sim.webhook_delivery(
        "pipeline", sim.pipeline_event(pipeline_id), token=SECRET, idempotency_key="gl-delivery-1"
    )
    url = f"{server.url}/webhooks/gitlab"
    with httpx.Client(timeout=10) as client:
        response = client.post(url, headers=headers, content=body)
        assert response.status_code == 202
        assert response.json()["status"] == "queued"
        wait_for(settled(server, 1))
        [item] = server.inbox.items()
        assert item["status"] == "done", item["error"]
        again = client.post(url, headers=headers, content=body)  # GitLab redelivers
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(server.inbox.items()) == 1
    [issue] = sim.get_issues(REPO)
    assert "assert 3402 == 3780" in issue["description"]
    [incident] = runtime.store.list_incidents()
    assert incident.tracking_issue == issue["web_url"]
    assert sim.retry_count(pipeline_id) == 0  # a real breakage is never retried


def test_a_job_hook_is_queued_then_rescued_for_its_job(
    sim: GitLabSimulator, server: WebhookServer, runtime: Runtime
) -> None:
    pipeline_id = broken_pipeline(sim, sha="c" * 40)
    [job] = [j for j in sim.get_jobs(pipeline_id) if j["name"] == "test"]
    headers, body = sim.webhook_delivery("job", sim.job_event(job["id"]), token=SECRET)
    with httpx.Client(timeout=10) as client:
        response = client.post(f"{server.url}/webhooks/gitlab", headers=headers, content=body)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    wait_for(settled(server, 1))
    [item] = server.inbox.items()
    assert item["status"] == "done", item["error"]
    [incident] = runtime.store.list_incidents()
    assert [v.subject for v in incident.verdicts] == ["test"]
    assert len(sim.get_issues(REPO)) == 1
