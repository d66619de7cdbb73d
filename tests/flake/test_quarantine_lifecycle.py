"""A quarantine's whole life against the GitHub simulator (real PyGithub client) and the real
pytest plugin: pending until its change request merges, active once the plugin's lines show
it, lifted by passes, released through a second change request that removes its entry — and
while the entry is in force the test's results come only from the plugin's lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from ci_rescue_core.cli.main import main
from ci_rescue_core.flake.keeper import QuarantineKeeper, number_in
from ci_rescue_core.flake.quarantine_file import PATH, parse_quarantine
from ci_rescue_core.flake.sweeper import providers_of
from ci_rescue_core.orchestrator import Rescuer
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.store.history import HistoryStore
from ci_rescue_core.store.quarantine import (
    ACTIVE,
    DECLINED,
    LIFTED,
    PENDING,
    RELEASE_DONE,
    RELEASE_OPENED,
    QuarantineStore,
)
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob, format_actions_log
from tests.flake.test_pipeline import (
    FLAKY,
    FLAKY_TEST,
    JOB,
    REPO,
    _rerun,
    backfilled,
    first_attempt,
    handle,
)
from tests.integration import logs
from tests.support import TOKEN, RuntimeFactory

TEST_FILE = """
import os

def test_webhook_roundtrip():
    assert os.environ.get("ROUNDTRIP") != "fail", "no webhook within 2.0s"
"""


# the scenario happens in the last two days: the pytest plugin compares expiries with the wall
# clock, so the history must be as recent as the quarantine it leads to
T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)


def seed_flaky_history(sim: GitHubSimulator) -> None:
    """14 runs of main, an hour apart; the test flaked (failed, passed on re-run) at 2, 6, 10."""
    for i in range(14):
        flips = i in (2, 6, 10)
        run_id = sim.add_run(
            REPO,
            head_sha=f"{i:040x}",
            head_branch="main",
            created_at=T0 + timedelta(hours=i),
            jobs=[
                SimJob(
                    JOB,
                    ["failure", "success"] if flips else ["success"],
                    log=first_attempt(FLAKY) if flips else logs.PASSING,
                )
            ],
        )
        if flips:
            _rerun(sim, run_id)


def new_failure(sim: GitHubSimulator, log: str, hour: int = 20) -> int:
    return sim.add_run(
        REPO,
        head_sha="f" * 40,
        head_branch="main",
        created_at=T0 + timedelta(hours=hour),
        jobs=[SimJob(JOB, ["failure", "success"], log=first_attempt(log))],
    )


def plugin_log(root: Path, quarantine_file: str, outcome: str) -> str:
    """The log of a passing job whose pytest ran with the quarantine plugin and *root*'s
    quarantine file: the real plugin's output, as GitHub serves it."""
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "tests" / "test_net.py").write_text(TEST_FILE)
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / ".ci-rescue").mkdir(exist_ok=True)
    (root / ".ci-rescue" / "quarantine.yaml").write_text(quarantine_file)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ci_rescue_core.quarantine_pytest", "-p",
         "no:cacheprovider", "-q"],
        cwd=root, capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "ROUNDTRIP": outcome},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr  # xfail: the job passes
    assert f"ci-rescue quarantine: {outcome} {FLAKY_TEST}" in result.stdout
    return format_actions_log(
        ["##[group]Run pytest", "pytest", "##[endgroup]", *result.stdout.splitlines()]
    )


def green_run(sim: GitHubSimulator, hour: int, log: str, sha: str | None = None) -> int:
    return sim.add_run(
        REPO,
        head_sha=sha or f"{hour:040x}",
        head_branch="main",
        created_at=T0 + timedelta(hours=hour),
        jobs=[SimJob(JOB, ["success"], log=log)],
    )


def observed(runtime: Runtime, run_id: int) -> list[tuple[bool, bool]]:
    """(failed, implied) of every observation of the test in run *run_id*."""
    history = HistoryStore(runtime.store)
    found = history.test_observations(REPO, FLAKY_TEST, since=T0 - timedelta(days=1))
    return sorted((o.failed, o.implied) for o in found if o.run == str(run_id))


def pulls_by_branch(sim: GitHubSimulator, prefix: str) -> list[dict[str, Any]]:
    return [p for p in sim.get_pulls(REPO) if p["head"]["ref"].startswith(prefix)]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_pending_active_lifted_and_released_through_change_requests(
    sim: GitHubSimulator,
    make_runtime: RuntimeFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_flaky_history(sim)
    runtime = make_runtime()
    backfilled(runtime)
    clock = Clock(T0 + timedelta(hours=20, minutes=5))
    rescuer = Rescuer(
        provider=runtime.provider("github"),
        hooks=runtime.hooks,
        store=runtime.store,
        policy_for=lambda repo: Policy(quarantine_release_passes=3),
        clock=clock,
    )

    def green(hour: int, log: str) -> int:
        clock.now = T0 + timedelta(hours=hour, minutes=5)
        run_id = green_run(sim, hour, log)
        handle(rescuer, sim, run_id)
        return run_id

    handle(rescuer, sim, new_failure(sim, FLAKY))
    [proposal] = pulls_by_branch(sim, "ci-rescue/quarantine-")
    quarantines = QuarantineStore(runtime.store)
    [pending] = quarantines.find(REPO)
    assert pending.status == PENDING and pending.link == proposal["html_url"]

    # pending until the change request merges and the plugin shows the test quarantined
    config = tmp_path / "rescue.yaml"
    config.write_text("store:\n  path: rescue.db\n")
    assert main(["quarantine", "list", "--config", str(config), "--format", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["status"], listed["state"], listed["seen"]) == (PENDING, PENDING, None)
    assert main(["quarantine", "list", "--config", str(config)]) == 0
    assert "pending" in capsys.readouterr().out

    sim.merge_pull_request(REPO, proposal["number"])
    merged_file = sim.get_file(REPO, PATH)
    assert merged_file is not None
    passing = plugin_log(tmp_path / "repo", merged_file, "pass")
    failing = plugin_log(tmp_path / "repo", merged_file, "fail")

    first = green(21, failing)  # the job passed: the plugin made the test's failure an xfail
    [active] = quarantines.find(REPO)
    assert active.status == ACTIVE and active.seen_at is not None
    assert observed(runtime, first) == [(True, False)]  # the plugin's "fail", no implied pass
    silent = green(22, logs.PASSING)  # a job log without the plugin's lines
    assert observed(runtime, silent) == []  # quarantined: the job's result says nothing

    # three passes in a row earn the release: a change request removes the entry
    for hour in (23, 24, 25):
        green(hour, passing)
    [lifted] = quarantines.find(REPO, status=LIFTED)
    assert lifted.id == pending.id and (lifted.end_reason or "").startswith("it passed 3 times")
    [release] = pulls_by_branch(sim, "ci-rescue/release-")
    assert lifted.release == RELEASE_OPENED and lifted.release_link == release["html_url"]
    assert {label["name"] for label in release["labels"]} == {"ci:quarantined", "ci:flake"}
    assert release["base"]["ref"] == "main" and FLAKY_TEST in release["body"]
    assert parse_quarantine(release["files"][PATH]).tests == ()
    timeline = runtime.store.get_incident(lifted.incident_id or "").timeline  # type: ignore[union-attr]
    [note] = [entry for entry in timeline if entry.step == "quarantine"]
    assert "lifted" in note.message and release["html_url"] in note.message

    # until the release merges, the entry still hides failures: still no implied pass
    before_merge = green(26, logs.PASSING)
    assert observed(runtime, before_merge) == []
    still_hidden = green(27, failing)
    assert observed(runtime, still_hidden) == [(True, False)]

    # merged: the sweep notices the entry gone; from then on the job's result counts again
    sim.merge_pull_request(REPO, release["number"])
    clock.now = T0 + timedelta(hours=28)
    keeper = QuarantineKeeper(store=runtime.store, hooks=runtime.hooks, clock=clock)
    keeper.lift(runtime.policy_for, providers=providers_of(runtime), check_files=True)
    [released] = quarantines.find(REPO, status=LIFTED)
    assert released.release == RELEASE_DONE and released.released_at == clock.now
    assert observed(runtime, before_merge) == []  # still in force back then
    after = green(29, logs.PASSING)
    assert observed(runtime, after) == [(False, True)]  # the job passed: so did the test


def proposed_quarantine(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> tuple[Runtime, dict[str, Any]]:
    """A flaky failure with enough history to be quarantined: the runtime, and the change
    request proposing the quarantine."""
    seed_flaky_history(sim)
    runtime = make_runtime()
    backfilled(runtime)
    handle(runtime.rescuer("github"), sim, new_failure(sim, FLAKY))
    [proposal] = pulls_by_branch(sim, "ci-rescue/quarantine-")
    return runtime, proposal


def test_a_pending_quarantine_listed_on_the_default_branch_is_active(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime, proposal = proposed_quarantine(sim, make_runtime)
    keeper = QuarantineKeeper(
        store=runtime.store, hooks=runtime.hooks, clock=lambda: datetime.now(timezone.utc)
    )
    keeper.lift(runtime.policy_for, providers=providers_of(runtime), check_files=True)
    assert QuarantineStore(runtime.store).find(REPO)[0].status == PENDING  # not merged yet
    sim.merge_pull_request(REPO, proposal["number"])
    keeper.lift(runtime.policy_for, providers=providers_of(runtime), check_files=True)
    [active] = QuarantineStore(runtime.store).find(REPO)
    assert active.status == ACTIVE and active.seen_at is not None


def test_a_quarantine_whose_change_request_was_closed_unmerged_is_declined(
    sim: GitHubSimulator, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    runtime, proposal = proposed_quarantine(sim, make_runtime)
    quarantines = QuarantineStore(runtime.store)
    [pending] = quarantines.find(REPO)
    assert pending.change_request == str(proposal["number"])
    with httpx.Client(headers={"Authorization": f"token {TOKEN}"}) as reviewer:
        reviewer.patch(  # the reviewer does not want it
            f"{sim.base_url}/repos/{REPO}/pulls/{proposal['number']}", json={"state": "closed"}
        ).raise_for_status()
    now = datetime.now(timezone.utc)
    keeper = QuarantineKeeper(store=runtime.store, hooks=runtime.hooks, clock=lambda: now)

    [declined] = keeper.lift(runtime.policy_for, providers=providers_of(runtime), check_files=True)

    assert (declined.id, declined.status) == (pending.id, DECLINED)
    assert "closed without merging" in (declined.end_reason or "")
    assert declined.release == RELEASE_DONE  # it never reached the file: nothing to release
    # never in force: its window is empty, so no job result of the test is discarded
    assert quarantines.windows(REPO, FLAKY_TEST) == [(pending.created_at, pending.created_at)]
    assert not quarantines.in_force(REPO, at=now)
    assert pulls_by_branch(sim, "ci-rescue/release-") == []
    timeline = runtime.store.get_incident(pending.incident_id or "").timeline  # type: ignore[union-attr]
    [note] = [entry for entry in timeline if entry.step == "quarantine"]
    assert f"quarantine of {FLAKY_TEST} declined" in note.message
    headlines = [
        json.loads(line)["headline"] for line in (tmp_path / "rescue.log").read_text().splitlines()
    ]
    assert any("declined" in headline for headline in headlines)
    # reported once: the next sweep finds nothing pending
    assert keeper.lift(runtime.policy_for, providers=providers_of(runtime), check_files=True) == []


def test_a_merged_change_request_makes_its_quarantine_active_without_reading_the_file(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime, proposal = proposed_quarantine(sim, make_runtime)
    sim.merge_pull_request(REPO, proposal["number"])
    provider = runtime.provider("github")
    blind = SimpleNamespace(  # a provider that cannot read files but knows change requests
        capabilities=provider.capabilities - {Capability.READ_FILES},
        change_request_state=provider.change_request_state,
    )
    keeper = QuarantineKeeper(
        store=runtime.store, hooks=runtime.hooks, clock=lambda: datetime.now(timezone.utc)
    )

    keeper.lift(runtime.policy_for, providers=lambda name: blind, check_files=True)

    [active] = QuarantineStore(runtime.store).find(REPO)
    assert active.status == ACTIVE


def test_a_declined_quarantine_whose_entry_reaches_the_file_after_all_is_reinstated(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime, proposal = proposed_quarantine(sim, make_runtime)
    pull = f"{sim.base_url}/repos/{REPO}/pulls/{proposal['number']}"
    keeper = QuarantineKeeper(
        store=runtime.store, hooks=runtime.hooks, clock=lambda: datetime.now(timezone.utc)
    )
    with httpx.Client(headers={"Authorization": f"token {TOKEN}"}) as reviewer:
        reviewer.patch(pull, json={"state": "closed"}).raise_for_status()
        keeper.lift(runtime.policy_for, providers=providers_of(runtime), check_files=True)
        assert QuarantineStore(runtime.store).find(REPO, status=DECLINED) != []
        reviewer.patch(pull, json={"state": "open"}).raise_for_status()  # second thoughts
    sim.merge_pull_request(REPO, proposal["number"])

    keeper.lift(runtime.policy_for, providers=providers_of(runtime), check_files=True)

    [quarantine] = QuarantineStore(runtime.store).find(REPO)
    assert quarantine.status == ACTIVE and quarantine.release is None
    assert quarantine.expires_at > datetime.now(timezone.utc)
    timeline = runtime.store.get_incident(quarantine.incident_id or "").timeline  # type: ignore[union-attr]
    assert any("reinstated" in entry.message for entry in timeline)


@pytest.mark.parametrize(
    ("link", "number"),
    [
        ("https://github.com/acme/app/pull/17", "17"),
        ("https://gitlab.example.com/acme/app/-/merge_requests/4", "4"),
        ("https://github.com/acme/app/issues/17", None),
        (None, None),
    ],
)
def test_the_change_request_number_of_a_quarantine_stored_before_it_was(
    link: str | None, number: str | None
) -> None:
    assert number_in(link) == number
