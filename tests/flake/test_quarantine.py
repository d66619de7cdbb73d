"""Quarantines: the file a repository carries, expiry on time, release earned by passes, CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ci_rescue_core import incidents
from ci_rescue_core.cli.main import main
from ci_rescue_core.errors import ConfigError
from ci_rescue_core.flake.keeper import QuarantineKeeper
from ci_rescue_core.flake.quarantine_file import (
    QuarantineEntry,
    merge_entries,
    parse_quarantine,
    render_quarantine,
)
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Outcome, OutcomeStatus, Remedy, RemedyKind, RunRef, Severity
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.rescue_log import RescueLogWriter
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.history import HistoryStore, TestRecord
from ci_rescue_core.store.quarantine import EXPIRED, LIFTED, QuarantineStore

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
        "active",
        "https://example/pull/3",
    )
    assert main(["quarantine", "expire", "--config", str(config)]) == 0  # its TTL is long past
    assert "expired" in capsys.readouterr().out
    assert main(["quarantine", "list", "--config", str(config)]) == 0
    assert "no quarantines" in capsys.readouterr().out
    assert main(["quarantine", "list", "--all", "--config", str(config), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "expired"
