"""Polling finds finished runs through the provider and hands each attempt over once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ci_rescue_core.models import IncidentStatus
from ci_rescue_core.orchestrator import HandleStatus
from ci_rescue_core.poll import Watcher, poll_delivery_id
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.integration import logs
from tests.support import RuntimeFactory

REPO = "acme/app"
BROKEN = logs.pytest_failure("tests/test_cart.py::test_total", "assert 3402 == 3780")


def writes(sim: GitHubSimulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.write_requests()]


def test_each_failed_attempt_is_handled_once(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    sim.add_run(REPO, head_sha="1" * 40, jobs=[SimJob("test", ["success"], log=logs.PASSING)])
    flaky = sim.add_run(  # the network fails twice, then comes back: retried each time
        REPO,
        head_sha="1" * 40,
        jobs=[SimJob("test", ["failure", "failure", "success"], log=logs.NETWORK)],
    )
    watcher = Watcher(make_runtime().rescuer("github"), [REPO])

    first = watcher.poll_once()
    statuses = {(run.run_id, run.attempt): result.status for run, result in first.handled}
    assert statuses[(str(flaky), 1)] is HandleStatus.HANDLED
    assert writes(sim) == [f"POST /repos/{REPO}/actions/runs/{flaky}/rerun-failed-jobs"]

    second = watcher.poll_once()  # attempt 2 failed too: new attempt, handled; attempt 1 not again
    assert [(r.run_id, r.attempt) for r, _ in second.handled] == [(str(flaky), 2)]
    assert len(writes(sim)) == 2

    third = watcher.poll_once()  # attempt 3 passed: the incident is resolved
    [(run, result)] = third.handled
    assert run.attempt == 3 and result.status is HandleStatus.RESOLVED
    assert result.resolved[0].status is IncidentStatus.RESOLVED
    assert watcher.poll_once().handled == ()


def test_a_restarted_watcher_does_not_repeat_work(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    sim.add_run(REPO, head_sha="2" * 40, jobs=[SimJob("test", ["failure"], log=BROKEN)])
    runtime = make_runtime()
    Watcher(runtime.rescuer("github"), [REPO]).poll_once()
    again = Watcher(runtime.rescuer("github"), [REPO]).poll_once()
    assert again.handled == () and again.seen == 1
    assert len(sim.get_issues(REPO)) == 1


def test_old_runs_are_left_alone(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    long_ago = datetime.now(timezone.utc) - timedelta(days=10)
    sim.add_run(REPO, jobs=[SimJob("test", ["failure"], log=BROKEN)], created_at=long_ago)
    report = Watcher(make_runtime().rescuer("github"), [REPO], since=timedelta(days=1)).poll_once()
    assert report.handled == () and report.seen == 0
    assert sim.write_requests() == []


def test_one_broken_repository_does_not_stop_the_others(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    sim.add_run(REPO, head_sha="3" * 40, jobs=[SimJob("test", ["failure"], log=BROKEN)])
    report = Watcher(make_runtime().rescuer("github"), ["acme/missing", REPO]).poll_once()
    assert [repo for repo, _ in report.errors] == ["acme/missing"]
    assert "not found" in report.errors[0][1]
    assert len(report.handled) == 1


def test_poll_delivery_ids_name_the_attempt() -> None:
    from ci_rescue_core.models import RunRef

    run = RunRef(provider="github", repo=REPO, run_id="9", attempt=2)
    assert poll_delivery_id(run) == "poll:github:acme/app:9:2"


def test_a_watcher_needs_repositories(make_runtime: RuntimeFactory) -> None:
    with pytest.raises(ValueError, match="at least one"):
        Watcher(make_runtime().rescuer("github"), [])


@pytest.mark.parametrize(("runs", "limit", "pages"), [(40, 50, 1), (150, 150, 2)])
def test_an_idle_pass_costs_one_request_per_100_runs(
    sim: GitHubSimulator, make_runtime: RuntimeFactory, runs: int, limit: int, pages: int
) -> None:
    for i in range(runs):
        sim.add_run(REPO, head_sha=f"{i:040x}", jobs=[SimJob("test", ["success"])])
    watcher = Watcher(make_runtime().rescuer("github"), [REPO], limit=limit)
    watcher.poll_once()
    sim.clear_requests()
    report = watcher.poll_once()  # nothing new: every run was seen on the first pass
    assert report.seen == runs and report.handled == () and report.errors == ()
    assert [f"{r.method} {r.path}" for r in sim.requests] == [
        f"GET /repos/{REPO}/actions/runs"
    ] * pages  # ⌈runs/100⌉, never one more per run: polling every minute stays affordable
