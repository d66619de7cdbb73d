"""The webhook receiver over real HTTP: verify, store, acknowledge, then rescue on the worker."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from io import BytesIO
from typing import Any

import httpx
import pytest

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Remedy
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.webhook import Inbox, WebhookApp, WebhookServer, Worker
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.integration import logs
from tests.support import RuntimeFactory, wait_for

REPO = "acme/app"
SECRET = "webhook-secret-for-tests"
BROKEN = logs.pytest_failure("tests/test_cart.py::test_total", "assert 3402 == 3780")


@pytest.fixture
def runtime(make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime(webhook_secret=SECRET)


@pytest.fixture
def server(runtime: Runtime) -> Iterator[WebhookServer]:
    with WebhookServer(runtime, port=0) as running:
        yield running


def delivery(
    sim: GitHubSimulator, run_id: int, secret: str = SECRET
) -> tuple[dict[str, str], bytes]:
    return sim.webhook_delivery("workflow_run", sim.workflow_run_event(run_id), secret=secret)


def post(server: WebhookServer, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.post(f"{server.url}{path}", headers=headers, content=body)


def broken_run(sim: GitHubSimulator, sha: str = "a" * 40) -> int:
    return sim.add_run(REPO, head_sha=sha, jobs=[SimJob("test", ["failure"], log=BROKEN)])


def test_a_signed_delivery_is_acknowledged_then_rescued(
    sim: GitHubSimulator, server: WebhookServer, runtime: Runtime
) -> None:
    headers, body = delivery(sim, broken_run(sim))
    response = post(server, "/webhooks/github", headers, body)
    assert response.status_code == 202
    assert response.json() == {"status": "queued", "delivery": headers["X-GitHub-Delivery"]}
    wait_for(lambda: len(sim.get_issues(REPO)) == 1)
    wait_for(lambda: server.inbox.items("done") != [])
    assert len(runtime.store.list_incidents()) == 1

    again = post(server, "/webhooks/github", headers, body)  # GitHub redelivers
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(server.inbox.items()) == 1


def test_a_bad_signature_is_refused_and_nothing_is_stored(
    sim: GitHubSimulator, server: WebhookServer, runtime: Runtime
) -> None:
    headers, body = delivery(sim, broken_run(sim), secret="not-the-secret")
    response = post(server, "/webhooks/github", headers, body)
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    unsigned = {k: v for k, v in headers.items() if "Signature" not in k}
    assert post(server, "/webhooks/github", unsigned, body).status_code == 401
    assert server.inbox.items() == [] and runtime.store.list_incidents() == []
    assert sim.write_requests() == []


@pytest.mark.parametrize(
    ("path", "method", "status", "words"),
    [
        ("/webhooks/jenkins", "POST", 404, "unknown provider 'jenkins'"),
        ("/hooks", "POST", 404, "no such path"),
        ("/webhooks/github", "GET", 405, "POST"),
    ],
)
def test_wrong_places_are_named(
    server: WebhookServer, path: str, method: str, status: int, words: str
) -> None:
    with httpx.Client(timeout=10) as client:
        response = client.request(method, f"{server.url}{path}", content=b"{}")
    assert response.status_code == status
    assert words in response.json()["error"]


def test_bodies_that_are_not_json_are_refused_and_the_server_keeps_serving(
    sim: GitHubSimulator, server: WebhookServer
) -> None:
    for body in (b"{not json", b"[1, 2]"):
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "workflow_run", "X-Hub-Signature-256": f"sha256={digest}"}
        response = post(server, "/webhooks/github", headers, body)
        assert response.status_code == 400, response.text
        assert "JSON" in response.json()["error"]
    empty_digest = hmac.new(SECRET.encode(), b"{}", hashlib.sha256).hexdigest()
    no_event = {"X-Hub-Signature-256": f"sha256={empty_digest}"}
    response = post(server, "/webhooks/github", no_event, b"{}")
    assert response.status_code == 400 and "event type header" in response.json()["error"]
    assert server.inbox.items() == []
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{server.url}/healthz").json()["status"] == "ok"
    headers, body = delivery(sim, broken_run(sim))
    assert post(server, "/webhooks/github", headers, body).status_code == 202


def test_a_payload_the_worker_cannot_parse_is_kept_with_the_reason(
    sim: GitHubSimulator, server: WebhookServer
) -> None:
    headers, body = sim.webhook_delivery("workflow_run", {"action": "completed"}, secret=SECRET)
    response = post(server, "/webhooks/github", headers, body)
    assert response.status_code == 202  # answered before parsing: parsing may call the API
    wait_for(lambda: server.inbox.items("failed") != [])
    [failed] = server.inbox.items("failed")
    assert "workflow_run" in str(failed["error"])
    assert sim.write_requests() == []


def test_events_that_are_not_acted_on_end_as_done(
    sim: GitHubSimulator, server: WebhookServer, runtime: Runtime
) -> None:
    headers, body = sim.webhook_delivery("push", {"ref": "refs/heads/main"}, secret=SECRET)
    response = post(server, "/webhooks/github", headers, body)
    assert response.status_code == 202
    wait_for(lambda: server.inbox.items("done") != [])
    assert runtime.store.list_incidents() == []


def test_oversized_and_lengthless_bodies(runtime: Runtime) -> None:
    app = WebhookApp(runtime.provider, Inbox(runtime.store), max_body_bytes=10)

    def call(length: str | None) -> tuple[str, dict[str, Any]]:
        seen: list[str] = []
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/webhooks/github",
            "wsgi.input": BytesIO(b"x" * 20),
        }
        if length is not None:
            environ["CONTENT_LENGTH"] = length
        body = b"".join(app(environ, lambda status, headers: seen.append(status)))
        return seen[0], json.loads(body)

    status, body = call("20")
    assert status.startswith("413") and "10-byte limit" in body["error"]
    status, body = call(None)
    assert status.startswith("411")


class Crash:
    @hookimpl
    def rescue_propose_remedies(self) -> list[Remedy]:
        raise RuntimeError("a buggy plugin")


def test_a_crashing_pipeline_is_recorded_and_the_worker_goes_on(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(webhook_secret=SECRET, plugins=(Crash(),))
    inbox = Inbox(runtime.store)
    for sha in ("b" * 40, "c" * 40):
        headers, body = delivery(sim, broken_run(sim, sha))
        assert inbox.put("github", "workflow_run", headers["X-GitHub-Delivery"], headers, body)
    assert Worker(inbox, runtime.rescuer).process_pending() == 2
    failed = inbox.items("failed")
    assert len(failed) == 2 and "a buggy plugin" in str(failed[0]["error"])


def test_transient_failures_are_retried_later(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(webhook_secret=SECRET)
    now = [datetime(2026, 5, 1, tzinfo=timezone.utc)]
    inbox = Inbox(runtime.store, clock=lambda: now[0])
    run_id = broken_run(sim)
    headers, body = delivery(sim, run_id)
    inbox.put("github", "workflow_run", "d-1", headers, body)
    sim.inject_fault("GET", rf"/actions/runs/{run_id}$", status=503, times=3)
    worker = Worker(inbox, runtime.rescuer)
    assert worker.process_pending() == 1
    [row] = inbox.items()
    assert row["status"] == "pending" and "503" in str(row["error"])
    assert worker.process_pending() == 0  # not due yet
    now[0] += timedelta(minutes=1)
    assert worker.process_pending() == 1
    assert inbox.items()[0]["status"] == "done"
    assert len(sim.get_issues(REPO)) == 1


def test_deliveries_left_in_progress_by_a_dead_process_are_recovered(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(webhook_secret=SECRET)
    inbox = Inbox(runtime.store)
    headers, body = delivery(sim, broken_run(sim))
    inbox.put("github", "workflow_run", "d-2", headers, body)
    assert inbox.take() is not None  # taken, then the process "died"
    assert inbox.take() is None
    worker = Worker(inbox, runtime.rescuer, idle_wait=0.05)
    worker.start()
    try:
        wait_for(lambda: inbox.items("done") != [])
    finally:
        worker.stop()
    assert len(sim.get_issues(REPO)) == 1


def test_a_provider_outage_while_parsing_is_retried_by_the_worker(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(webhook_secret=SECRET)
    now = [datetime(2026, 5, 1, tzinfo=timezone.utc)]
    inbox = Inbox(runtime.store, clock=lambda: now[0])
    job = sim.get_jobs(broken_run(sim))[0]
    headers, body = sim.webhook_delivery("check_run", sim.check_run_event(job["id"]), secret=SECRET)
    assert inbox.put("github", "check_run", "d-check", headers, body)
    sim.inject_fault("GET", r".*", status=502, times=50)
    worker = Worker(inbox, runtime.rescuer)
    assert worker.process_pending() == 1
    [row] = inbox.items()
    assert row["status"] == "pending" and "502" in str(row["error"])
    sim.clear_faults()
    now[0] += timedelta(minutes=1)
    assert worker.process_pending() == 1
    assert inbox.items()[0]["status"] == "done"


def test_an_accepted_delivery_is_handled_after_the_secret_was_rotated(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    accepting = make_runtime(webhook_secret=SECRET)
    headers, body = delivery(sim, broken_run(sim))
    inbox = Inbox(accepting.store)
    assert inbox.put("github", "workflow_run", headers["X-GitHub-Delivery"], headers, body)
    rotated = make_runtime(webhook_secret="the-new-secret")  # restarted with a new secret

    assert Worker(Inbox(rotated.store), rotated.rescuer).process_pending() == 1

    assert [row["status"] for row in Inbox(rotated.store).items()] == ["done"]
    assert len(sim.get_issues(REPO)) == 1  # verified when it was accepted, not again
