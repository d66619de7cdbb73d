"""Diagnosis: the log diff against the job's last passing log, and the provider's own hint."""

from __future__ import annotations

from pathlib import Path

import attrs

from ci_rescue_core.config import load_config
from ci_rescue_core.diagnose import with_provider_hint
from ci_rescue_core.models import Category, Diagnosis, Fingerprint, JobRef, RunRef
from ci_rescue_core.orchestrator import Rescuer
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob, format_actions_log
from tests.support import RuntimeFactory

REPO = "acme/app"
NOISE = [
    "ERROR: cache server 10.0.0.7 unreachable, building without cache",
    "error: deprecated option --legacy-peer-deps ignored",
]
PASSING = format_actions_log(["##[group]Run make", "##[endgroup]", *NOISE, "build ok"])
FAILING = format_actions_log(
    [
        "##[group]Run make",
        "##[endgroup]",
        *NOISE,
        "ERROR: schema migration 0042_add_orders failed: column orders.total already exists",
        "##[error]Process completed with exit code 2.",
    ]
)


def handle(rescuer: Rescuer, sim: GitHubSimulator, run_id: int):  # type: ignore[no-untyped-def]
    return rescuer.handle_payload("workflow_run", sim.workflow_run_event(run_id))


def test_the_last_passing_log_puts_the_new_error_first(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    rescuer = make_runtime().rescuer("github")
    first = sim.add_run(REPO, head_sha="1" * 40, jobs=[SimJob("build", ["success"], log=PASSING)])
    handle(rescuer, sim, first)  # the passing run is now in history
    failing = sim.add_run(REPO, head_sha="2" * 40, jobs=[SimJob("build", ["failure"], log=FAILING)])
    incident = handle(rescuer, sim, failing).incident
    assert incident is not None
    assert "schema migration 0042" in incident.fingerprints[0].error_lines[0].text
    notes = [e.message for e in incident.timeline if e.step == "logs"]
    assert notes == [f"build: compared with the passing log of run {first} attempt 1"]
    log_reads = [r.path for r in sim.requests if r.path.endswith("/logs")]
    assert len(log_reads) == 2  # the failed job's log and the passing one


def test_without_history_there_is_no_baseline(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    rescuer = make_runtime().rescuer("github")
    failing = sim.add_run(REPO, head_sha="3" * 40, jobs=[SimJob("build", ["failure"], log=FAILING)])
    incident = handle(rescuer, sim, failing).incident
    assert incident is not None
    assert not [e for e in incident.timeline if e.step == "logs"]
    assert len([r for r in sim.requests if r.path.endswith("/logs")]) == 1


def test_an_unavailable_passing_log_does_not_stop_the_diagnosis(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    rescuer = make_runtime().rescuer("github")
    first = sim.add_run(REPO, head_sha="1" * 40, jobs=[SimJob("build", ["success"], log=PASSING)])
    handle(rescuer, sim, first)
    passing_job = sim.get_jobs(first)[0]["id"]
    sim.inject_fault("GET", rf"/actions/jobs/{passing_job}/logs$", status=410, times=5)
    failing = sim.add_run(REPO, head_sha="2" * 40, jobs=[SimJob("build", ["failure"], log=FAILING)])
    incident = handle(rescuer, sim, failing).incident
    assert incident is not None
    assert "schema migration 0042" in " ".join(e.text for e in incident.fingerprints[0].error_lines)
    [note] = [e.message for e in incident.timeline if e.step == "logs"]
    assert f"the passing log of run {first} is unavailable" in note


def _diagnosis(hint: Category | None, reason: str | None = None) -> Diagnosis:
    run = RunRef(provider="gitlab", repo=REPO, run_id="1")
    job = JobRef(run=run, job_id="9", name="build", failure_reason=reason, failure_category=hint)
    fingerprint = Fingerprint(category=Category.TEST_FAILURE, message="m", hash="h0")
    return Diagnosis(job=job, fingerprint=fingerprint)


def test_the_providers_hint_recategorises_and_rehashes() -> None:
    hinted = with_provider_hint(_diagnosis(Category.INFRA_NETWORK, "runner_system_failure"))
    assert hinted.fingerprint.category is Category.INFRA_NETWORK
    assert hinted.fingerprint.hash != "h0"
    assert "runner_system_failure" in hinted.notes[0]
    assert with_provider_hint(attrs.evolve(hinted)) == hinted  # applying twice changes nothing


def test_no_hint_or_an_other_hint_leaves_the_log_verdict() -> None:
    for hint in (None, Category.OTHER, Category.TEST_FAILURE):
        diagnosis = _diagnosis(hint)
        assert with_provider_hint(diagnosis) == diagnosis


def test_the_baseline_can_be_turned_off(
    sim: GitHubSimulator, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    config = tmp_path / "rescue.yaml"
    config.write_text("analysis:\n  baseline: false\n", encoding="utf-8")
    analysis = load_config(config).analysis
    assert analysis.baseline is False
    base = make_runtime()
    with Runtime(attrs.evolve(base.config, analysis=analysis), environ=base.environ) as runtime:
        rescuer = runtime.rescuer("github")  # the setting reaches the rescuer through the runtime
        first = sim.add_run(
            REPO, head_sha="1" * 40, jobs=[SimJob("build", ["success"], log=PASSING)]
        )
        handle(rescuer, sim, first)
        failing = sim.add_run(
            REPO, head_sha="2" * 40, jobs=[SimJob("build", ["failure"], log=FAILING)]
        )
        incident = handle(rescuer, sim, failing).incident
    assert incident is not None
    assert not [e for e in incident.timeline if e.step == "logs"]
    assert len([r for r in sim.requests if r.path.endswith("/logs")]) == 1


def test_a_passing_log_that_breaks_off_keeps_the_failing_diagnosis(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    rescuer = make_runtime().rescuer("github")
    first = sim.add_run(REPO, head_sha="1" * 40, jobs=[SimJob("build", ["success"], log=PASSING)])
    handle(rescuer, sim, first)
    passing_job = sim.get_jobs(first)[0]["id"]
    sim.inject_fault("GET", rf"^/_blobs/job-logs/{passing_job}$", status=None, truncate=True)
    failing = sim.add_run(REPO, head_sha="2" * 40, jobs=[SimJob("build", ["failure"], log=FAILING)])
    incident = handle(rescuer, sim, failing).incident
    assert incident is not None
    assert "schema migration 0042" in " ".join(e.text for e in incident.fingerprints[0].error_lines)
    assert any("broke off" in e.message for e in incident.timeline if e.step == "logs")


def test_a_failing_log_that_breaks_off_is_an_unavailable_log_not_a_crash(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    rescuer = make_runtime().rescuer("github")
    failing = sim.add_run(REPO, head_sha="4" * 40, jobs=[SimJob("build", ["failure"], log=FAILING)])
    job = sim.get_jobs(failing)[0]["id"]
    sim.inject_fault("GET", rf"^/_blobs/job-logs/{job}$", status=None, truncate=True)
    incident = handle(rescuer, sim, failing).incident
    assert incident is not None
    assert incident.fingerprints[0].category is Category.OTHER
    assert "log unavailable" in incident.fingerprints[0].message
