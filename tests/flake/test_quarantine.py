"""Quarantines: the file a repository carries, expiry on time, release earned by passes, CLI."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ci_rescue_core import incidents
from ci_rescue_core.cli.main import main
from ci_rescue_core.errors import ConfigError
from ci_rescue_core.flake.keeper import QuarantineKeeper
from ci_rescue_core.flake.quarantine_file import (
    PATH,
    QuarantineEntry,
    merge_entries,
    parse_quarantine,
    render_quarantine,
)
from ci_rescue_core.flake.sweeper import ExpirySweeper
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import (
    Mode,
    Outcome,
    OutcomeStatus,
    Remedy,
    RemedyKind,
    RunRef,
    Severity,
)
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.rescue_log import RescueLogWriter
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.history import HistoryStore, TestRecord
from ci_rescue_core.store.quarantine import (
    EXPIRED,
    LIFTED,
    RELEASE_DONE,
    RELEASE_MANUAL,
    RELEASE_NEEDED,
    QuarantineStore,
)
from ci_rescue_core.webhook import WebhookServer
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.support import TOKEN, TOKEN_ENV, RuntimeFactory

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
REPO = "acme/app"
TEST = "tests/test_net.py::test_roundtrip"


def entry(test: str = TEST, days: int = 7, since: datetime = T0) -> QuarantineEntry:
    return QuarantineEntry(
        id=test,
        reason="flaky: passed on re-run",
        score=0.97,
        since=since,
        expires=since + timedelta(days=days),
        incident="inc-1",
    )


def test_the_file_round_trips_and_sorts_its_entries() -> None:
    text = render_quarantine([entry("tests/z.py::t"), entry("tests/a.py::t[x-1]")])
    assert text.index("tests/a.py::t[x-1]") < text.index("tests/z.py::t")
    assert "pytest -p ci_rescue_core.quarantine_pytest" in text
    parsed = parse_quarantine(text)
    assert [e.id for e in parsed.tests] == ["tests/a.py::t[x-1]", "tests/z.py::t"]
    assert parsed.tests[1] == entry("tests/z.py::t")


def test_merging_drops_expired_entries_and_renews_the_same_test() -> None:
    old = [entry("tests/old.py::t", days=1), entry(TEST, days=3)]
    renewed = entry(TEST, days=7, since=T0 + timedelta(days=2))
    merged = merge_entries(old, [renewed], now=T0 + timedelta(days=2))
    assert merged == [renewed]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tests: [oops", "invalid YAML"),
        ("version: 2\n", "version"),
        ("tests:\n  - reason: x\n    expires: 2024-01-01T00:00:00Z\n", "tests.0.id"),
        ("tests:\n  - id: t\n    expires: soon\n", "tests.0.expires"),
        ("tests:\n  - id: t\n    expires: 2024-01-01T00:00:00Z\n    ttl: 3\n", "unknown key 'ttl'"),
    ],
)
def test_a_broken_file_is_a_config_error_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[")):
        parse_quarantine(text, source="q.yaml")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = SQLiteStore(tmp_path / "rescue.db")
    hooks = Hooks(
        make_plugin_manager(entry_points=False, extra=[RescueLogWriter(tmp_path / "rescue.log")])
    )
    clock = Clock(T0)
    run = RunRef(provider="github", repo=REPO, run_id="9", head_sha="a" * 40, head_branch="main")
    incident = incidents.open_incident(
        incident_id="inc-1", run=run, key="k", now=T0, severity=Severity.FLAKY
    )
    store.save_incident(incident)
    keeper = QuarantineKeeper(store=store, hooks=hooks, clock=clock)
    remedy = Remedy(
        kind=RemedyKind.QUARANTINE,
        reason="flaky",
        params={
            "tests": [
                {"test": TEST, "reason": "flaky", "score": 0.97, "evidence": ["passed on re-run"]}
            ],
            "since": T0.isoformat(),
            "expires": (T0 + timedelta(days=7)).isoformat(),
        },
    )
    outcomes = [
        Outcome(remedy=remedy, status=OutcomeStatus.APPLIED, link="https://example/pull/3"),
        Outcome(remedy=remedy, status=OutcomeStatus.PLANNED),
    ]
    [stored] = keeper.record_applied(incident, outcomes, "github")
    assert stored.link == "https://example/pull/3"
    yield store, keeper, clock, tmp_path
    store.close()


def test_an_expired_quarantine_is_lifted_and_reported(setup) -> None:  # type: ignore[no-untyped-def]
    store, keeper, clock, tmp_path = setup
    clock.now = T0 + timedelta(days=6)
    assert keeper.lift(lambda repo: Policy()) == []
    clock.now = T0 + timedelta(days=7, minutes=1)
    [ended] = keeper.lift(lambda repo: Policy())
    assert ended.status == EXPIRED and "TTL ran out" in (ended.end_reason or "")
    assert keeper.lift(lambda repo: Policy()) == []  # reported once
    incident = store.get_incident("inc-1")
    assert incident is not None and incident.timeline[-1].step == "quarantine"
    assert f"quarantine of {TEST} expired" in incident.timeline[-1].message
    [record] = [json.loads(line) for line in (tmp_path / "rescue.log").read_text().splitlines()]
    assert f"quarantine of {TEST} expired" in record["headline"]


def test_consecutive_passes_earn_an_early_release(setup) -> None:  # type: ignore[no-untyped-def]
    store, keeper, clock, _ = setup
    history = HistoryStore(store)
    policy = Policy(quarantine_release_passes=3)
    for n in range(3):
        run = RunRef(
            provider="github",
            repo=REPO,
            run_id=str(20 + n),
            head_sha="b" * 40,
            created_at=T0 + timedelta(hours=1 + n),
        )
        history.record(
            run, [], tests=[TestRecord(job="test", test=TEST, outcome="pass", source="quarantine")]
        )
        clock.now = T0 + timedelta(hours=2 + n)
        ended = keeper.lift(lambda repo: policy)
        assert (ended == []) is (n < 2)
    assert (
        QuarantineStore(store)
        .find(REPO, status=LIFTED)[0]
        .end_reason.startswith("it passed 3 times in a row")
    )


def test_the_quarantine_cli_lists_and_expires(setup, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    _store, _, _, tmp_path = setup
    config = tmp_path / "rescue.yaml"
    config.write_text("store:\n  path: rescue.db\noutput:\n  rescue_log: rescue.log\n")
    assert main(["quarantine", "list", "--config", str(config), "--format", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["test"], listed["status"], listed["link"]) == (
        TEST,
        "pending",
        "https://example/pull/3",
    )
    assert listed["overdue"] and listed["state"] == "expired (pending lift)"  # a 2024 TTL
    assert main(["quarantine", "list", "--config", str(config)]) == 0
    assert "expired (pending lift)" in capsys.readouterr().out
    assert main(["quarantine", "expire", "--config", str(config)]) == 0  # its TTL is long past
    assert "expired" in capsys.readouterr().out
    assert main(["quarantine", "list", "--config", str(config)]) == 0
    assert "no quarantines" in capsys.readouterr().out
    assert main(["quarantine", "list", "--all", "--config", str(config), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "expired"


# -- release without a provider, and the periodic sweep of serve and watch ----------------------


def test_without_a_provider_the_release_waits_for_the_next_sweep(setup) -> None:  # type: ignore[no-untyped-def]
    store, keeper, clock, _ = setup
    clock.now = T0 + timedelta(days=8)
    [ended] = keeper.lift(lambda repo: Policy())
    assert ended.status == EXPIRED and ended.release == RELEASE_NEEDED
    incident = store.get_incident("inc-1")
    assert "removed from the quarantine file at the next sweep" in incident.timeline[-1].message
    assert QuarantineStore(store).releases(REPO) == [ended]


def test_in_observe_mode_the_release_is_manual(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    sim.add_file(REPO, PATH, render_quarantine([entry()]))
    runtime = make_runtime(mode=Mode.OBSERVE)
    overdue_quarantine(runtime.store)
    sweeper = ExpirySweeper.for_runtime(runtime, clock=lambda: T0 + timedelta(days=8))
    [ended] = sweeper.sweep_once()
    assert ended.status == EXPIRED and ended.release == RELEASE_MANUAL
    assert "observe mode" in (ended.release_note or "")
    assert [r for r in sim.write_requests() if r.method != "GET"] == []
    assert sim.get_pulls(REPO) == []


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait (up to 10 s) for a background thread to do something; not a timing assertion."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def overdue_quarantine(store: SQLiteStore) -> int:
    """A pending quarantine of TEST whose 2024 TTL ran out long ago; returns its id."""
    quarantine = QuarantineStore(store).add(
        provider="github", repo=REPO, test_id=TEST, reason="flaky", score=0.97, evidence=[],
        incident_id=None, link=None, created_at=T0, expires_at=T0 + timedelta(days=7),
    )  # fmt: skip
    return quarantine.id


def test_the_sweeper_sweeps_at_start_and_then_periodically(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime()
    ident = overdue_quarantine(runtime.store)
    sweeper = ExpirySweeper.for_runtime(runtime, interval=0.05)
    sweeper.start()
    try:
        wait_for(lambda: sweeper.sweeps >= 3, "three sweeps")
    finally:
        sweeper.stop()
    ended = QuarantineStore(runtime.store).get(ident)
    assert ended is not None and ended.status == EXPIRED
    assert ended.release == RELEASE_DONE  # the repository's file never listed it
    with pytest.raises(ValueError, match="positive"):
        ExpirySweeper.for_runtime(runtime, interval=0)


def test_serve_expires_quarantines_without_any_event(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    runtime = make_runtime()
    ident = overdue_quarantine(runtime.store)
    with WebhookServer(runtime, port=0) as server:
        wait_for(lambda: server.sweeper.sweeps >= 1, "the sweep at start")
    ended = QuarantineStore(runtime.store).get(ident)
    assert ended is not None and ended.status == EXPIRED


def test_watch_expires_quarantines_too(
    sim: GitHubSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = tmp_path / "watch.yaml"
    config.write_text(
        f"store:\n  path: watch.db\nproviders:\n  github:\n    base_url: {sim.base_url}\n"
        f"    token_env: {TOKEN_ENV}\n    min_request_interval: 0\n    min_write_interval: 0\n"
    )
    with SQLiteStore(tmp_path / "watch.db") as store:
        ident = overdue_quarantine(store)
    args = ["watch", "--provider", "github", "--repo", REPO, "--once", "--config", str(config)]
    assert main(args) == 0
    capsys.readouterr()
    with SQLiteStore(tmp_path / "watch.db") as store:
        ended = QuarantineStore(store).get(ident)
    assert ended is not None and ended.status == EXPIRED
