"""The history and quarantine tables: migration, recording, reading, ending quarantines once."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ci_rescue_core.models import JobRef, RunRef
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.history import HistoryStore, TestRecord
from ci_rescue_core.store.quarantine import (
    ACTIVE,
    EXPIRED,
    LIFTED,
    PENDING,
    RELEASE_DONE,
    RELEASE_NEEDED,
    QuarantineStore,
    covers,
)
from ci_rescue_core.store.schema import MIGRATIONS, SCHEMA_VERSION

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
REPO = "acme/app"
TEST = "tests/test_net.py::test_roundtrip"


def run_ref(run_id: int, attempt: int = 1, sha: str | None = None, hours: float = 0) -> RunRef:
    return RunRef(
        provider="github",
        repo=REPO,
        run_id=str(run_id),
        attempt=attempt,
        workflow="CI",
        head_sha=sha or f"sha{run_id}",
        head_branch="main",
        conclusion="failure",
        created_at=T0 + timedelta(hours=hours),
    )


def job(run: RunRef, conclusion: str, name: str = "test") -> JobRef:
    return JobRef(
        run=run, job_id=f"{run.run_id}-{run.attempt}-{name}", name=name, conclusion=conclusion
    )


def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO test_outcomes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        ("github", REPO, "7", 1, "test", TEST, "abc", "main", "fail", "fp", T0.isoformat()),
    )
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 3
        [row] = store.read("SELECT run_at, excluded, source FROM test_outcomes")
        assert (row["run_at"], row["excluded"], row["source"]) == (T0.isoformat(), 0, "log")
        store.record_run(run_ref(8), [job(run_ref(8), "success")])  # the old method still works
        observations = HistoryStore(store).test_observations(
            REPO, TEST, since=T0 - timedelta(days=1)
        )
        seen = sorted((o.sha, o.failed, o.implied) for o in observations)
        assert seen == [("abc", True, False), ("sha8", False, True)]  # run 8's job passed


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with SQLiteStore(tmp_path / "rescue.db") as opened:
        yield opened


def test_recorded_outcomes_come_back_with_implied_job_passes(store: SQLiteStore) -> None:
    history = HistoryStore(store)
    first = run_ref(1, hours=0)
    history.record(
        first,
        [job(first, "failure")],
        tests=[TestRecord(job="test", test=TEST, outcome="fail", fingerprint="fp")],
    )
    retry = run_ref(1, attempt=2, sha="sha1", hours=0)
    history.record(retry, [job(retry, "success")])
    report = run_ref(2, hours=1)
    history.record(
        report,
        [job(report, "success")],
        tests=[TestRecord(job="test", test=TEST, outcome="pass", source="report")],
    )
    observations = history.test_observations(REPO, TEST, since=T0 - timedelta(days=1))
    seen = sorted((o.run, o.attempt, o.failed, o.implied) for o in observations)
    # run 2's job pass is implied too, but the explicit report outcome replaces it when scoring
    assert seen == [
        ("1", 1, True, False),
        ("1", 2, False, True),
        ("2", 1, False, False),
        ("2", 1, False, True),
    ]
    assert history.known_test_count(REPO, "test") == 1


def test_recording_twice_records_the_same_rows(store: SQLiteStore) -> None:
    history = HistoryStore(store)
    ref = run_ref(1)
    records = [TestRecord(job="test", test=TEST, outcome="fail", fingerprint="fp")]
    for _ in range(2):
        history.record(ref, [job(ref, "failure")], tests=records)
    counts = [
        store.read(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]
        for t in ("runs", "job_outcomes", "test_outcomes")
    ]
    assert counts == [1, 1, 1]


def failing(count: int, start: int = 0) -> list[TestRecord]:
    return [
        TestRecord(job="test", test=f"t{i:03d}", outcome="fail", fingerprint=None)
        for i in range(start, start + count)
    ]


def test_an_outage_is_marked_and_kept_out_of_the_scores(store: SQLiteStore) -> None:
    history = HistoryStore(store)
    before = run_ref(1, hours=0)
    history.record(before, [job(before, "failure")], tests=failing(2), sizes={"test": 40})
    outage = run_ref(2, hours=1)
    assert history.record(
        outage, [job(outage, "failure")], tests=failing(36), sizes={"test": 40}
    ) == {"test"}
    assert history.test_observations(REPO, "t010", since=T0) == []
    [row] = store.read(
        "SELECT COUNT(*) AS n FROM test_outcomes WHERE excluded = 1 AND run_id = '2'"
    )
    assert row["n"] == 36


def test_the_second_of_two_outages_is_marked_once_the_next_run_recovers(store: SQLiteStore) -> None:
    history = HistoryStore(store)
    refs = [run_ref(n, hours=n) for n in range(4)]
    sets = [failing(0), failing(35), failing(35, start=1), failing(1)]
    marked = [
        history.record(r, [job(r, "failure")], tests=t, sizes={"test": 40})
        for r, t in zip(refs, sets, strict=False)
    ]
    assert marked[1] == {"test"} and marked[2] == set()  # the second looked like "no change"
    excluded = {
        row["run_id"]
        for row in store.read("SELECT DISTINCT run_id FROM test_outcomes WHERE excluded = 1")
    }
    assert excluded == {"1", "2"}  # ...until run 3 showed its tests recovering


def test_consecutive_passes_count_from_the_newest(store: SQLiteStore) -> None:
    history = HistoryStore(store)
    outcomes = ["pass", "fail", "pass", "pass", "pass"]
    for n, outcome in enumerate(outcomes):
        ref = run_ref(n, hours=n)
        history.record(
            ref,
            [job(ref, "success")],
            tests=[TestRecord(job="test", test=TEST, outcome=outcome, source="quarantine")],
        )
    assert history.consecutive_passes(REPO, TEST, since=T0) == 3
    assert history.consecutive_passes(REPO, TEST, since=T0 + timedelta(hours=10)) == 0


def test_a_quarantine_is_renewed_not_duplicated_and_ends_once(store: SQLiteStore) -> None:
    quarantines = QuarantineStore(store)
    common = dict(
        provider="github",
        repo=REPO,
        test_id=TEST,
        score=0.97,
        incident_id="inc-1",
        link=None,
        created_at=T0,
    )
    first = quarantines.add(
        reason="flaky", evidence=["passed on re-run"], expires_at=T0 + timedelta(days=7), **common
    )
    again = quarantines.add(
        reason="still flaky", evidence=[], expires_at=T0 + timedelta(days=9), **common
    )
    assert again.id == first.id and again.reason == "still flaky"
    assert [q.id for q in quarantines.find(REPO)] == [first.id]
    assert quarantines.due(T0 + timedelta(days=8)) == []
    [due] = quarantines.due(T0 + timedelta(days=9))
    ended = quarantines.end(due.id, status=EXPIRED, reason="TTL", now=T0 + timedelta(days=9))
    assert ended is not None and ended.status == EXPIRED and ended.end_reason == "TTL"
    assert quarantines.end(due.id, status=LIFTED, reason="again", now=T0) is None
    assert quarantines.find(REPO) == [] and len(quarantines.find(REPO, status=None)) == 1
    renewed = quarantines.add(
        reason="flaky again", evidence=[], expires_at=T0 + timedelta(days=20), **common
    )
    assert renewed.id != first.id and renewed.status == PENDING
    assert ended.release == RELEASE_NEEDED and renewed.release is None
    with pytest.raises(ValueError, match="ends as"):
        quarantines.end(renewed.id, status="active", reason="x", now=T0)


def test_a_pending_quarantine_becomes_active_when_seen_and_bounds_its_window(
    store: SQLiteStore,
) -> None:
    quarantines = QuarantineStore(store)
    function_id = "tests/test_x.py::test_param"
    quarantine = quarantines.add(
        provider="github", repo=REPO, test_id=function_id, reason="flaky", score=0.97,
        evidence=[], incident_id=None, link=None, created_at=T0,
        expires_at=T0 + timedelta(days=7),
    )  # fmt: skip
    assert quarantine.status == PENDING
    assert covers(function_id, function_id + "[1-a]") and not covers(function_id + "[1]", "x")
    assert not covers(function_id, function_id + "_other")
    assert quarantines.seen(REPO, {"tests/test_x.py::test_other"}, at=T0) == []
    [active] = quarantines.seen(REPO, {function_id + "[2]"}, at=T0 + timedelta(hours=1))
    assert active.status == ACTIVE and active.seen_at == T0 + timedelta(hours=1)
    assert quarantines.seen(REPO, {function_id}, at=T0) == []  # already active
    # in force from its start until its file entry expires...
    assert quarantines.windows(REPO, function_id + "[2]") == [(T0, T0 + timedelta(days=7))]
    assert quarantines.windows(REPO, "tests/test_x.py::test_other") == []
    assert quarantines.in_force(REPO, at=T0 + timedelta(days=6))
    assert not quarantines.in_force(REPO, at=T0 + timedelta(days=7))
    # ...or until the entry is known gone from the file
    ended = quarantines.end(active.id, status=LIFTED, reason="passes", now=T0 + timedelta(days=1))
    assert ended is not None and ended.release == RELEASE_NEEDED
    assert quarantines.claim_release(active.id) and not quarantines.claim_release(active.id)
    gone = T0 + timedelta(days=2)
    quarantines.set_release(active.id, RELEASE_DONE, at=gone)
    assert quarantines.windows(REPO, function_id) == [(T0, gone)]
    assert not quarantines.in_force(REPO, at=gone)


def test_consecutive_passes_of_a_function_id_count_its_parametrisations(
    store: SQLiteStore,
) -> None:
    history = HistoryStore(store)
    function_id = "tests/test_x.py::test_param"
    for number, outcomes in enumerate(
        [("fail", "pass"), ("pass", "pass"), ("pass", "pass"), ("pass", "pass")]
    ):
        run = run_ref(number, hours=number)
        history.record(
            run, [], tests=[
                TestRecord(job="test", test=f"{function_id}[{i}]", outcome=o, source="quarantine")
                for i, o in enumerate(outcomes)
            ],
        )  # fmt: skip
    history.record(run_ref(9, hours=9), [], tests=[
        TestRecord(job="test", test=function_id + "_slow", outcome="fail", source="quarantine")
    ])  # fmt: skip
    assert history.consecutive_passes(REPO, function_id, since=T0) == 3  # attempts, not rows
    assert history.consecutive_passes(REPO, function_id + "[1]", since=T0) == 4
    assert history.consecutive_passes(REPO, function_id + "[0]", since=T0) == 3


def test_a_version_3_database_keeps_its_quarantines(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    db = sqlite3.connect(path)
    for version in range(3):
        for statement in MIGRATIONS[version]:
            db.execute(statement)
    db.execute("PRAGMA user_version = 3")
    for test, status in (("t::a", "active"), ("t::b", "expired")):
        db.execute(
            "INSERT INTO quarantines (provider, repo, test_id, status, reason, score, evidence, "
            "created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?)",
            ("github", REPO, test, status, "flaky", 0.9, "[]", T0.isoformat(),
             (T0 + timedelta(days=7)).isoformat()),
        )  # fmt: skip
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        quarantines = QuarantineStore(store)
        [active] = quarantines.find(REPO)
        assert (active.test_id, active.status, active.release) == ("t::a", ACTIVE, None)
        [ended] = quarantines.find(REPO, status=EXPIRED)
        assert ended.release == RELEASE_NEEDED  # its file entry is released at the next sweep
