"""A retry's back-off, waited for real: scheduled by long-running rescuers, applied by the
scheduler when due (real PyGithub client, GitHub simulator, SQLite file)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ci_rescue_core.cli.main import main
from ci_rescue_core.config import load_policy
from ci_rescue_core.models import (
    Category,
    Diagnosis,
    Fingerprint,
    FlakeVerdict,
    IncidentStatus,
    JobRef,
    Mode,
    OutcomeStatus,
    RunRef,
    Verdict,
)
from ci_rescue_core.orchestrator import HandleStatus, Rescuer
from ci_rescue_core.provider import Capability
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.scheduler import MAX_ATTEMPTS, RemedyScheduler
from ci_rescue_core.store import utc_now
from ci_rescue_core.store.schedule import DONE, DROPPED, DUE, LEASE, ScheduleStore
from ci_rescue_core.webhook.server import WebhookServer
from ci_rescue_providers.simulators.github import GitHubSimulator
from ci_rescue_strategies import retry as retry_strategy
from tests.examples.runs import REPO, flaky_run, writes
from tests.support import TOKEN, TOKEN_ENV, RuntimeFactory, wait_for

SECRET = "scheduled-secret"
DEFAULT_FIRST_BACKOFF = 30  # rules/defaults.yaml: retry_backoff_seconds: [30, 120]


def rerun_write(run_id: int) -> str:
    return f"POST /repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs"


def scheduler_at(runtime: Runtime, moment: Callable[[], datetime]) -> RemedyScheduler:
    return RemedyScheduler.for_runtime(runtime, clock=moment)


def later(seconds: float) -> Callable[[], datetime]:
    return lambda: utc_now() + timedelta(seconds=seconds)


@pytest.fixture
def runtime(make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime()


@pytest.fixture
def deferring(runtime: Runtime) -> Rescuer:
    return runtime.rescuer("github", defer_delayed=True)


def schedule(sim: GitHubSimulator, rescuer: Rescuer) -> int:
    run_id = flaky_run(sim)
    result = rescuer.handle_payload("workflow_run", sim.workflow_run_event(run_id))
    assert result.status is HandleStatus.HANDLED
    return run_id


def test_a_long_running_rescuer_schedules_the_retry_and_writes_nothing_yet(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    before = utc_now()
    run_id = flaky_run(sim)
    result = deferring.handle_payload("workflow_run", sim.workflow_run_event(run_id))

    assert result.incident is not None
    [outcome] = result.incident.outcomes
    assert (outcome.remedy.kind, outcome.status) == ("retry_cells", OutcomeStatus.SCHEDULED)
    assert f"back-off of {DEFAULT_FIRST_BACKOFF} s" in outcome.detail
    assert result.incident.status is IncidentStatus.MITIGATING
    assert "retry_cells scheduled" in result.reason
    assert writes(sim) == []
    [item] = ScheduleStore(runtime.store).find(status=DUE)
    assert item.run.run_id == str(run_id) and item.remedy.job_ids == outcome.remedy.job_ids
    waited = item.due_at - before
    assert (
        timedelta(seconds=DEFAULT_FIRST_BACKOFF)
        <= waited
        < timedelta(seconds=DEFAULT_FIRST_BACKOFF + 60)
    )


def test_the_retry_is_applied_when_due_and_not_before(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)

    assert scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF - 10)).run_due() == []
    assert writes(sim) == []

    [result] = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1)).run_due()
    assert result.status == DONE
    assert result.outcome is not None and result.outcome.status is OutcomeStatus.APPLIED
    assert writes(sim) == [rerun_write(run_id)]
    assert sim.get_run(run_id)["run_attempt"] == 2
    [incident] = runtime.store.list_incidents()
    assert [o.status for o in incident.outcomes] == [
        OutcomeStatus.SCHEDULED,
        OutcomeStatus.APPLIED,
    ]
    assert incident.status is IncidentStatus.MITIGATING
    assert incident.timeline[-1].step == "apply" and "applied" in incident.timeline[-1].message
    assert ScheduleStore(runtime.store).find(status=DUE) == []
    log = [
        json.loads(line) for line in runtime.config.resolve("rescue.log").read_text().splitlines()
    ]
    assert "after its back-off" in log[-1]["headline"]

    # nothing is due any more, and the claim stops a replay from re-running the cell again
    assert scheduler_at(runtime, later(3600)).run_due() == []
    replay = deferring.handle_payload("workflow_run", sim.workflow_run_event(run_id, attempt=1))
    assert writes(sim) == [rerun_write(run_id)]
    assert replay.status is HandleStatus.IGNORED  # attempt 1 was superseded by attempt 2


def test_a_replayed_event_does_not_schedule_twice(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)
    again = deferring.handle_payload("workflow_run", sim.workflow_run_event(run_id))

    assert again.incident is not None
    assert again.incident.outcomes[-1].status is OutcomeStatus.SKIPPED
    assert len(ScheduleStore(runtime.store).find()) == 1


def test_a_run_someone_else_re_ran_meanwhile_is_left_alone(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)
    httpx.post(  # a human presses "Re-run failed jobs" during the back-off
        f"{sim.base_url}/repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs",
        headers={"Authorization": f"token {TOKEN}"},
    ).raise_for_status()
    sim.clear_requests()

    [result] = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1)).run_due()

    assert result.status == DROPPED and "attempt 2" in result.detail
    assert writes(sim) == []
    assert ScheduleStore(runtime.store).find()[0].status == DROPPED


def test_a_deployment_no_longer_acting_drops_the_retry(
    sim: GitHubSimulator, deferring: Rescuer, make_runtime: RuntimeFactory
) -> None:
    run_id = schedule(sim, deferring)
    proposing = make_runtime(mode=Mode.PROPOSE)  # restarted with a new mode, same store

    [result] = scheduler_at(proposing, later(DEFAULT_FIRST_BACKOFF + 1)).run_due()

    assert result.status == DROPPED and "propose mode" in result.detail
    assert writes(sim) == []
    # the claim is free again: acting on the same failure later re-runs it once
    acting = make_runtime().rescuer("github")
    result_again = acting.handle_payload("workflow_run", sim.workflow_run_event(run_id))
    assert result_again.incident is not None
    assert result_again.incident.outcomes[-1].status is OutcomeStatus.APPLIED
    assert writes(sim) == [rerun_write(run_id)]


def test_a_provider_outage_postpones_the_retry_then_it_goes_through(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)
    sim.inject_fault("POST", r"/rerun-failed-jobs$", status=502, times=None)

    [first] = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1)).run_due()
    assert first.status == DUE and "will try again" in first.detail
    [item] = ScheduleStore(runtime.store).find(status=DUE)
    assert item.attempts == 1
    assert scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 2)).run_due() == []  # not yet

    sim.clear_faults()
    sim.clear_requests()
    [second] = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 120)).run_due()
    assert second.status == DONE and second.outcome is not None
    assert second.outcome.status is OutcomeStatus.APPLIED
    assert writes(sim) == [rerun_write(run_id)]


def test_an_outage_that_never_ends_fails_the_retry_for_good(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    schedule(sim, deferring)
    sim.inject_fault("POST", r"/rerun-failed-jobs$", status=502, times=None)
    results = []
    for attempt in range(MAX_ATTEMPTS):
        results += scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1 + 120 * attempt)).run_due()

    assert [r.status for r in results] == [DUE] * (MAX_ATTEMPTS - 1) + [DONE]
    [incident] = runtime.store.list_incidents()
    assert incident.outcomes[-1].status is OutcomeStatus.FAILED
    assert "502" in (incident.outcomes[-1].error or "")
    [claim] = runtime.store.remedy_applications(incident.id)
    assert claim["status"] == "failed"


def test_a_retry_left_taken_by_a_dead_scheduler_is_taken_again_after_its_lease(
    sim: GitHubSimulator, deferring: Rescuer, make_runtime: RuntimeFactory, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)
    due = DEFAULT_FIRST_BACKOFF + 1
    taken = ScheduleStore(runtime.store).take_due(later(due)())
    assert taken is not None  # the process dies here: the item is left "working"

    restarted = make_runtime()
    assert scheduler_at(restarted, later(due)).run_due() == []  # its lease still runs
    [result] = scheduler_at(restarted, later(due + LEASE.total_seconds() + 1)).run_due()

    assert result.status == DONE
    assert writes(sim) == [rerun_write(run_id)]


def test_a_retry_a_dead_scheduler_applied_is_not_applied_again(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)
    due = DEFAULT_FIRST_BACKOFF + 1
    [item] = ScheduleStore(runtime.store).find()
    incident = runtime.store.get_incident(item.incident_id)
    assert incident is not None
    fixer = deferring.fixer  # the dead scheduler re-ran the cell, then died before finishing
    fixer.apply_claimed(incident, item.run, item.remedy, load_policy(REPO))
    taken = ScheduleStore(runtime.store).take_due(later(due)())
    assert taken is not None and writes(sim) == [rerun_write(run_id)]

    [result] = scheduler_at(runtime, later(due + LEASE.total_seconds() + 1)).run_due()

    assert (result.status, result.detail) == (DONE, "already applied")
    assert writes(sim) == [rerun_write(run_id)]  # not twice
    [claim] = runtime.store.remedy_applications(item.incident_id)
    assert claim["status"] == "applied"


def test_scheduling_claims_the_retry_in_the_same_step(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    schedule(sim, deferring)
    [item] = ScheduleStore(runtime.store).find()
    [claim] = runtime.store.remedy_applications(item.incident_id)
    assert (claim["status"], claim["run_key"]) == ("scheduled", item.run.key)
    again = deferring.handle_payload("workflow_run", sim.workflow_run_event(int(item.run.run_id)))
    assert again.incident is not None
    assert again.incident.outcomes[-1].detail == f"already scheduled for {item.run.key}"


def test_a_retry_whose_incident_was_resolved_is_dropped_and_noted(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)
    httpx.post(  # a person re-runs it, it passes, and that event arrives first
        f"{sim.base_url}/repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs",
        headers={"Authorization": f"token {TOKEN}"},
    ).raise_for_status()
    sim.clear_requests()
    resolved = deferring.handle_payload("workflow_run", sim.workflow_run_event(run_id))
    assert resolved.status is HandleStatus.RESOLVED

    [result] = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1)).run_due()

    assert result.status == DROPPED and "resolved" in result.detail
    assert writes(sim) == []
    [incident] = runtime.store.list_incidents()
    assert incident.status is IncidentStatus.RESOLVED  # the drop does not reopen it
    assert incident.outcomes[-1].status is OutcomeStatus.SKIPPED


def test_a_retry_of_a_run_that_passed_meanwhile_is_dropped(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    run_id = schedule(sim, deferring)
    sim.clear_requests()
    httpx.post(  # a person re-runs it; the failed cell passes; no event reached ci-rescue
        f"{sim.base_url}/repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs",
        headers={"Authorization": f"token {TOKEN}"},
    ).raise_for_status()
    sim.clear_requests()

    [result] = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1)).run_due()

    assert result.status == DROPPED
    assert writes(sim) == []
    [incident] = runtime.store.list_incidents()
    assert incident.status is IncidentStatus.OPEN  # no retry under way any more
    assert incident.outcomes[-1].detail == result.detail


def test_a_refused_retry_fails_and_the_incident_is_no_longer_mitigating(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    schedule(sim, deferring)
    sim.inject_fault("POST", r"/rerun-failed-jobs$", status=403, times=None)

    [result] = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1)).run_due()

    assert result.status == DONE and result.outcome is not None
    assert result.outcome.status is OutcomeStatus.FAILED
    [incident] = runtime.store.list_incidents()
    assert incident.status is IncidentStatus.OPEN
    log = [
        json.loads(line) for line in runtime.config.resolve("rescue.log").read_text().splitlines()
    ]
    assert "retry_cells failed after its back-off" in log[-1]["headline"]


def test_a_provider_this_process_cannot_build_is_tried_again_then_fails_cleanly(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    schedule(sim, deferring)
    results = []
    for attempt in range(MAX_ATTEMPTS):
        scheduler = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1 + 120 * attempt))
        scheduler.rescuer_for = lambda name: runtime.rescuer("nope")
        results += scheduler.run_due()

    assert [r.status for r in results] == [DUE] * (MAX_ATTEMPTS - 1) + [DONE]
    assert "nope" in results[-1].detail
    [item] = ScheduleStore(runtime.store).find()
    assert item.status == DONE  # not left taken
    [claim] = runtime.store.remedy_applications(item.incident_id)
    assert claim["status"] == "failed"  # a later event may claim it again
    [incident] = runtime.store.list_incidents()
    assert incident.outcomes[-1].status is OutcomeStatus.FAILED
    assert incident.status is IncidentStatus.OPEN  # no retry under way any more
    assert writes(sim) == []


def test_a_takeover_of_a_retry_being_applied_never_writes_again(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    schedule(sim, deferring)
    due = DEFAULT_FIRST_BACKOFF + 1
    [item] = ScheduleStore(runtime.store).find()
    # a scheduler took it, marked it applying, called the provider ... and died
    assert ScheduleStore(runtime.store).take_due(later(due)()) is not None
    target = ",".join(sorted(item.remedy.job_ids))
    assert runtime.store.finish_remedy(
        item.run.key, item.remedy.kind, target, status="applying", only_from=("scheduled",)
    )

    [result] = scheduler_at(runtime, later(due + LEASE.total_seconds() + 1)).run_due()

    assert result.status == DONE and result.detail.startswith("outcome unknown")
    assert writes(sim) == []
    assert runtime.store.remedy_claim(item.run.key, item.remedy.kind, target) == "applying"
    [incident] = runtime.store.list_incidents()
    assert incident.status is IncidentStatus.MITIGATING  # it may well have been re-run
    again = deferring.handle_payload("workflow_run", sim.workflow_run_event(int(item.run.run_id)))
    assert again.incident is not None and writes(sim) == []  # nor does a replayed event


def test_a_scheduler_whose_lease_was_taken_over_does_not_overwrite_the_result(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    schedule(sim, deferring)
    due = DEFAULT_FIRST_BACKOFF + 1
    store = ScheduleStore(runtime.store)
    slow = store.take_due(later(due)())  # a scheduler that stalls past its lease
    assert slow is not None
    [result] = scheduler_at(runtime, later(due + LEASE.total_seconds() + 1)).run_due()
    assert result.status == DONE

    assert not store.finish(slow, DROPPED, "late", later(due + 3600)())  # fenced by its lease
    assert store.find()[0].status == DONE


def test_the_scheduler_waits_while_an_event_is_being_handled(
    sim: GitHubSimulator, deferring: Rescuer, runtime: Runtime
) -> None:
    schedule(sim, deferring)
    scheduler = scheduler_at(runtime, later(DEFAULT_FIRST_BACKOFF + 1))
    results: list[object] = []
    with runtime.lock:  # what the worker holds while it handles a delivery
        thread = threading.Thread(target=lambda: results.extend(scheduler.run_due()))
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and writes(sim) == []
    thread.join(10)
    assert len(results) == 1 and len(writes(sim)) == 1


def test_watch_once_applies_what_a_long_running_process_left_due(
    sim: GitHubSimulator,
    deferring: Rescuer,
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    run_id = schedule(sim, deferring)
    with runtime.store.transaction() as db:  # the back-off ran out while nothing was running
        db.execute("UPDATE scheduled_remedies SET due_at = '2000-01-01T00:00:00+00:00'")
    config = tmp_path / "rescue.yaml"
    config.write_text(
        f"store:\n  path: {runtime.config.store_path}\n"
        f"providers:\n  github:\n    base_url: {sim.base_url}\n    token_env: {TOKEN_ENV}\n"
    )

    code = main(
        ["watch", "--provider", "github", "--repo", REPO, "--once", "--config", str(config)]
    )

    assert code == 0
    assert writes(sim).count(rerun_write(run_id)) == 1
    [item] = ScheduleStore(runtime.store).find()
    assert item.status == DONE


@pytest.mark.parametrize(("attempt", "backoff"), [(1, 30), (2, 120), (3, 120)])
def test_retry_n_carries_the_policys_back_off_for_n(attempt: int, backoff: int) -> None:
    run = RunRef(provider="github", repo=REPO, run_id="7", attempt=attempt, status="completed")
    job = JobRef(run=run, job_id="1", name="build", conclusion="failure")
    failure = Diagnosis(job=job, fingerprint=Fingerprint(category=Category.TEST_FAILURE, hash="h"))
    flaky = FlakeVerdict(subject="build", verdict=Verdict.FLAKY, score=0.9)

    [remedy] = retry_strategy.rescue_propose_remedies(
        run=run,
        diagnoses=(failure,),
        verdicts=(flaky,),
        policy=load_policy(REPO),
        capabilities=frozenset(Capability),
    )

    assert remedy.delay_seconds == backoff  # rules/defaults.yaml: [30, 120]
    assert remedy.params == {"retry_number": attempt, "backoff_seconds": backoff}


def test_a_one_shot_rescuer_applies_at_once_and_says_so(
    sim: GitHubSimulator, runtime: Runtime
) -> None:
    run_id = flaky_run(sim)
    result = runtime.rescuer("github").handle_payload(
        "workflow_run", sim.workflow_run_event(run_id)
    )

    assert result.incident is not None
    [outcome] = result.incident.outcomes
    assert outcome.status is OutcomeStatus.APPLIED
    assert f"back-off of {DEFAULT_FIRST_BACKOFF} s not waited" in outcome.detail
    assert writes(sim) == [rerun_write(run_id)]
    assert ScheduleStore(runtime.store).find() == []


def test_serve_waits_out_the_back_off_then_re_runs(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime(webhook_secret=SECRET)
    run_id = flaky_run(sim)
    headers, body = sim.webhook_delivery(
        "workflow_run", sim.workflow_run_event(run_id), secret=SECRET
    )
    with WebhookServer(runtime, port=0, schedule_interval=0.05) as server:
        with httpx.Client(timeout=10) as client:
            response = client.post(f"{server.url}/webhooks/github", headers=headers, content=body)
        assert response.status_code == 202
        wait_for(lambda: bool(ScheduleStore(runtime.store).find(status=DUE)))
        assert writes(sim) == []  # the back-off has not passed
        server.scheduler.clock = later(DEFAULT_FIRST_BACKOFF + 1)  # ... now it has
        wait_for(lambda: writes(sim) == [rerun_write(run_id)])
    [item] = ScheduleStore(runtime.store).find()
    assert item.status == DONE
