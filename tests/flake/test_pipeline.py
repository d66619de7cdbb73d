"""FlakeHunter in the pipeline, with the real PyGithub client against the GitHub simulator:
history back-filled and recorded, each failing test judged, quarantines proposed, applied as a
change request, stored, and expired on their own."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ci_rescue_core.cli.main import main
from ci_rescue_core.flake.backfill import backfill
from ci_rescue_core.flake.hunter import MASS_FAILURE
from ci_rescue_core.flake.quarantine_file import PATH, parse_quarantine
from ci_rescue_core.models import Mode, OutcomeStatus, Remedy, RemedyKind, RunRef, Verdict
from ci_rescue_core.orchestrator import Rescuer
from ci_rescue_core.policy.engine import Action, decide
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.store.quarantine import EXPIRED, PENDING, RELEASE_DONE, QuarantineStore
from ci_rescue_providers.github.adapter import GitHubProvider
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob, format_actions_log
from tests.integration import logs
from tests.support import TOKEN, TOKEN_ENV, RuntimeFactory

REPO = "acme/app"
JOB = "test (3.11)"
FLAKY_TEST = "tests/test_net.py::test_webhook_roundtrip"
FLAKY = logs.pytest_failure(FLAKY_TEST, "TimeoutError: no webhook within 2.0s")
OTHER_WAY = logs.pytest_failure(FLAKY_TEST, "AssertionError: payload signature mismatch")
T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


def first_attempt(log: str) -> Any:
    """A job log that is *log* on attempt 1 and a passing log on re-runs."""
    return lambda attempt: log if attempt == 1 else logs.PASSING


def seed_flaky_history(
    sim: GitHubSimulator, commits: int = 14, flips: tuple[int, ...] = (2, 6, 10)
) -> None:
    """Runs of main, oldest first: the test flaked (failed, passed on re-run) at *flips*."""
    for i in range(commits):
        outcomes = ["failure", "success"] if i in flips else ["success"]
        run_id = sim.add_run(
            REPO,
            head_sha=f"{i:040x}",
            head_branch="main",
            created_at=T0 + timedelta(hours=i),
            jobs=[SimJob(JOB, outcomes, log=first_attempt(FLAKY) if i in flips else logs.PASSING)],
        )
        if i in flips:
            sim.rerun_failed(run_id) if hasattr(sim, "rerun_failed") else _rerun(sim, run_id)


def _rerun(sim: GitHubSimulator, run_id: int) -> None:
    import httpx

    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"token {TOKEN}"}) as client:
        response = client.post(f"/repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs")
        assert response.status_code == 201, response.text


def backfilled(runtime: Runtime, runs: int = 50) -> Any:
    return backfill(
        provider=runtime.provider("github"),
        hooks=runtime.hooks,
        store=runtime.store,
        policy=runtime.policy_for(REPO),
        repo=REPO,
        branch="main",
        runs=runs,
    )


def handle(rescuer: Rescuer, sim: GitHubSimulator, run_id: int) -> Any:
    return rescuer.handle_payload("workflow_run", sim.workflow_run_event(run_id))


def new_failure(sim: GitHubSimulator, log: str, hour: int = 20) -> int:
    return sim.add_run(
        REPO,
        head_sha="f" * 40,
        head_branch="main",
        created_at=T0 + timedelta(hours=hour),
        jobs=[SimJob(JOB, ["failure", "success"], log=first_attempt(log))],
    )


def test_backfill_records_every_attempt_and_is_idempotent(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    seed_flaky_history(sim)
    runtime = make_runtime()
    report = backfilled(runtime)
    assert (report.runs, report.attempts, report.failed_jobs, report.tests) == (14, 17, 3, 3)
    counts = {
        t: runtime.store.read(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]
        for t in ("runs", "job_outcomes", "test_outcomes")
    }
    assert counts == {"runs": 17, "job_outcomes": 17, "test_outcomes": 3}
    assert backfilled(runtime) == report
    again = {t: runtime.store.read(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in counts}
    assert again == counts
    writes = [r for r in sim.write_requests() if "rerun" not in r.path]
    assert writes == []  # back-filling only reads


def test_the_backfill_command(
    sim: GitHubSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_flaky_history(sim, commits=4, flips=(1,))
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = tmp_path / "rescue.yaml"
    config.write_text(
        f"store:\n  path: rescue.db\nproviders:\n  github:\n    base_url: {sim.base_url}\n"
        f"    token_env: {TOKEN_ENV}\n    min_request_interval: 0\n    min_write_interval: 0\n"
    )
    args = [
        "backfill",
        "--provider",
        "github",
        "--repo",
        REPO,
        "--branch",
        "main",
        "--runs",
        "10",
        "--config",
        str(config),
    ]
    assert main([*args, "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["runs"] == 4 and first["tests"] == 1
    assert main(args) == 0
    assert "recorded 4 runs (5 attempts" in capsys.readouterr().out
    assert main(["backfill", "--provider", "nope", "--repo", REPO, "--config", str(config)]) == 1
    assert "unknown provider 'nope'" in capsys.readouterr().err
    assert (
        main(["backfill", "--provider", "github", "--repo", "no-slash", "--config", str(config)])
        == 1
    )
    assert "owner/name" in capsys.readouterr().err


def test_a_test_that_flaked_before_is_judged_flaky_per_test(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    seed_flaky_history(sim)
    runtime = make_runtime()
    backfilled(runtime)
    result = handle(runtime.rescuer("github"), sim, new_failure(sim, FLAKY))
    [verdict] = result.incident.verdicts
    [test] = verdict.tests
    assert test.subject == FLAKY_TEST and test.verdict is Verdict.FLAKY and test.score >= 0.9
    kinds = [e.kind for e in test.evidence]
    assert "flake_rate" in kinds and "recurring_fingerprint" in kinds
    assert test.observations >= 10
    assert verdict.verdict is Verdict.FLAKY
    assert next(o.remedy.kind for o in result.incident.outcomes) == "retry_cells"
    flake_notes = [e for e in result.incident.timeline if e.step == "flake"]
    assert (
        FLAKY_TEST in flake_notes[-1].message
        and flake_notes[-1].data["tests"][FLAKY_TEST][0] == "flaky"
    )


def test_a_flaky_test_failing_in_a_new_way_is_not_retried_or_quarantined(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    seed_flaky_history(sim)
    runtime = make_runtime()
    backfilled(runtime)
    result = handle(runtime.rescuer("github"), sim, new_failure(sim, OTHER_WAY))
    [test] = result.incident.verdicts[0].tests
    assert test.verdict is not Verdict.FLAKY
    assert any(e.kind == "new_fingerprint" for e in test.evidence)
    kinds = [o.remedy.kind for o in result.incident.outcomes]
    assert "retry_cells" not in kinds and "quarantine" not in kinds and "issue" in kinds


needs_change_requests = pytest.mark.skipif(
    Capability.CHANGE_REQUESTS not in GitHubProvider.capabilities,
    reason="the GitHub adapter does not declare change_requests yet (another engineer's work)",
)


@needs_change_requests
def test_a_confidently_flaky_test_is_quarantined_through_a_change_request(
    sim: GitHubSimulator, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    seed_flaky_history(sim)
    runtime = make_runtime()
    backfilled(runtime)
    result = handle(runtime.rescuer("github"), sim, new_failure(sim, FLAKY))
    incident = result.incident
    applied = {o.remedy.kind: o for o in incident.outcomes if o.status is OutcomeStatus.APPLIED}
    assert set(applied) == {"retry_cells", "quarantine"}
    quarantine = applied["quarantine"]
    assert quarantine.remedy.needs_review and quarantine.remedy.reversible
    [pull] = sim.get_pulls(REPO)
    assert pull["html_url"] == quarantine.link
    assert {label["name"] for label in pull["labels"]} == {"ci:quarantined", "ci:flake"}
    assert pull["head"]["ref"].startswith("ci-rescue/quarantine-")
    listed = parse_quarantine(pull["files"][PATH])
    [entry] = listed.tests
    assert entry.id == FLAKY_TEST and entry.incident == incident.id
    assert entry.expires - entry.since == timedelta(days=7)
    assert FLAKY_TEST in pull["body"] and "score" in pull["body"]
    [stored] = QuarantineStore(runtime.store).find(REPO)
    # pending: in force once people merge the change request
    assert (stored.test_id, stored.status, stored.link) == (FLAKY_TEST, PENDING, pull["html_url"])
    assert stored.evidence and stored.incident_id == incident.id

    # a week later any run of the repository lifts it, on the incident and in rescue.log
    later = Rescuer(
        provider=runtime.provider("github"),
        hooks=runtime.hooks,
        store=runtime.store,
        policy_for=runtime.policy_for,
        clock=lambda: datetime.now(timezone.utc) + timedelta(days=8),
    )
    green = sim.add_run(REPO, head_sha="e" * 40, jobs=[SimJob(JOB, ["success"], log=logs.PASSING)])
    handle(later, sim, green)
    [ended] = QuarantineStore(runtime.store).find(REPO, status=EXPIRED)
    assert ended.id == stored.id
    assert ended.release == RELEASE_DONE  # never merged: no entry to remove from main's file
    timeline = runtime.store.get_incident(incident.id).timeline
    [note] = [entry for entry in timeline if entry.step == "quarantine"]
    assert "expired" in note.message and note.data["test"] == FLAKY_TEST
    log_lines = (tmp_path / "rescue.log").read_text().splitlines()
    assert any(
        f"quarantine of {FLAKY_TEST} expired" in json.loads(line)["headline"] for line in log_lines
    )


def test_few_observations_never_quarantine(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    seed_flaky_history(sim, commits=4, flips=(1, 2))
    runtime = make_runtime()
    backfilled(runtime)
    result = handle(runtime.rescuer("github"), sim, new_failure(sim, FLAKY))
    [test] = result.incident.verdicts[0].tests
    assert test.verdict is Verdict.FLAKY and test.observations < Policy().flake_min_observations
    assert "quarantine" not in [o.remedy.kind for o in result.incident.outcomes]


def test_the_engine_refuses_a_quarantine_where_change_requests_are_missing() -> None:
    remedy = Remedy(
        kind=RemedyKind.QUARANTINE, reason="flaky", requires=("change_requests",), needs_review=True
    )
    run = RunRef(provider="fake", repo=REPO, run_id="1")
    [decision] = decide(
        [remedy], run=run, diagnoses=(), policy=Policy(), mode=Mode.ACT, capabilities=frozenset()
    )
    assert decision.action is Action.REJECT and "change requests" in decision.reason


def test_most_tests_failing_at_once_is_the_machinerys_failure(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    tests = [f"tests/test_db.py::test_query_{i}" for i in range(30)]
    lines = ["##[group]Run pytest", "pytest", "##[endgroup]", "collected 32 items", ""]
    lines += [f"FAILED {t} - psycopg.OperationalError: connection refused" for t in tests]
    lines += [
        "======= 30 failed, 2 passed in 3.10s =======",
        "##[error]Process completed with exit code 1.",
    ]
    run_id = sim.add_run(
        REPO, head_sha="d" * 40, jobs=[SimJob(JOB, ["failure"], log=format_actions_log(lines))]
    )
    runtime = make_runtime()
    result = handle(runtime.rescuer("github"), sim, run_id)
    [verdict] = result.incident.verdicts
    assert verdict.tests == ()
    assert verdict.evidence[0].kind == MASS_FAILURE
    assert verdict.verdict is Verdict.FLAKY  # worth a retry within the budget
    [row] = runtime.store.read("SELECT COUNT(*) AS n, SUM(excluded) AS x FROM test_outcomes")
    assert row["n"] == 30 and row["x"] == 30


def test_an_issue_opened_for_a_flaky_failure_is_tagged_ci_flake(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    seed_flaky_history(sim)
    runtime = make_runtime()
    backfilled(runtime)
    no_retries = Rescuer(
        provider=runtime.provider("github"),
        hooks=runtime.hooks,
        store=runtime.store,
        policy_for=lambda repo: Policy(retry_max=0),  # the budget is spent: an issue
    )
    result = handle(no_retries, sim, new_failure(sim, FLAKY))
    assert result.incident.verdicts[0].verdict is Verdict.FLAKY
    [issue] = [i for i in sim.get_issues(REPO) if "pull_request" not in i]
    assert {label["name"] for label in issue["labels"]} == {"ci:auto-rescue", "ci:flake"}


def test_an_issue_for_a_broken_test_is_not_tagged_ci_flake(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    seed_flaky_history(sim)
    runtime = make_runtime()
    backfilled(runtime)
    result = handle(runtime.rescuer("github"), sim, new_failure(sim, OTHER_WAY))
    assert result.incident.verdicts[0].verdict is not Verdict.FLAKY
    [issue] = [i for i in sim.get_issues(REPO) if "pull_request" not in i]
    assert {label["name"] for label in issue["labels"]} == {"ci:auto-rescue"}
