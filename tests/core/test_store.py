"""The SQLite store: schema, history queries, incidents, at-most-once claims, kill safety."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from ci_rescue_core.errors import StoreError
from ci_rescue_core.incidents import open_incident
from ci_rescue_core.models import IncidentStatus, JobRef, RunRef, Severity
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.schema import SCHEMA_VERSION


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    with SQLiteStore(tmp_path / "state" / "rescue.db", clock=Clock()) as opened:
        yield opened


def run_ref(
    run_id: str = "1", attempt: int = 1, sha: str = "a" * 40, conclusion: str = "failure"
) -> RunRef:
    return RunRef(
        provider="github", repo="acme/app", run_id=run_id, attempt=attempt, workflow="CI",
        head_sha=sha, head_branch="main", conclusion=conclusion, status="completed",
    )  # fmt: skip


def job(run: RunRef, name: str, conclusion: str, job_id: str = "") -> JobRef:
    return JobRef(
        run=run,
        job_id=job_id or f"{run.run_id}{run.attempt}{name}",
        name=name,
        conclusion=conclusion,
    )


def test_schema_is_created_versioned_and_in_wal(tmp_path: Path) -> None:
    path = tmp_path / "new" / "rescue.db"
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "runs",
        "job_outcomes",
        "test_outcomes",
        "incidents",
        "remedy_applications",
        "deliveries",
    } <= tables
    db.close()
    with SQLiteStore(path) as reopened:  # opening again migrates nothing and loses nothing
        assert reopened.schema_version == SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rescue.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)


def test_an_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open store"):
        SQLiteStore(tmp_path / "dir.db")


def test_history_by_sha_and_job(store: SQLiteStore) -> None:
    first = run_ref("1", conclusion="success")
    store.record_run(first, [job(first, "test (3.11)", "success"), job(first, "lint", "success")])
    second = run_ref("2")
    store.record_run(
        second,
        [job(second, "test (3.11)", "failure"), job(second, "lint", "success")],
        fingerprints={"test (3.11)": "fp1"},
        tests=[("test (3.11)", "tests/test_a.py::test_x", "fail", "fp1")],
    )
    other_sha = run_ref("3", sha="b" * 40)
    store.record_run(other_sha, [job(other_sha, "test (3.11)", "failure")])

    outcomes = store.job_outcomes("acme/app", sha="a" * 40, job_name="test (3.11)")
    assert [(o.run_id, o.conclusion, o.fingerprint) for o in outcomes] == [
        ("2", "failure", "fp1"),
        ("1", "success", None),
    ]
    assert outcomes[1].passed and not outcomes[0].passed
    assert store.has_sha("acme/app", "b" * 40)
    assert not store.has_sha("acme/app", "c" * 40)
    assert store.job_outcomes("other/repo") == []


def test_recording_a_run_twice_replaces_it(store: SQLiteStore) -> None:
    run = run_ref()
    store.record_run(run, [job(run, "t", "failure")])
    store.record_run(run, [job(run, "t", "failure")], fingerprints={"t": "fp"})
    assert [o.fingerprint for o in store.job_outcomes("acme/app")] == ["fp"]


def test_a_failed_write_leaves_nothing_half_written(store: SQLiteStore) -> None:
    run = run_ref()
    bad_job = attrs.evolve(job(run, "t", "failure"), name=None)  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        store.record_run(run, [job(run, "ok", "success"), bad_job])
    assert not store.has_sha("acme/app", run.head_sha)  # the run row was rolled back too
    assert store.job_outcomes("acme/app") == []


def test_incidents_are_found_by_repo_and_key_while_open(store: SQLiteStore) -> None:
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    incident = open_incident(
        incident_id="inc-1", run=run_ref(), key="k1", now=now, severity=Severity.FLAKY
    )
    store.save_incident(incident)
    assert store.find_open_incident("acme/app", "k1") == incident
    assert store.find_open_incident("acme/app", "k2") is None
    assert store.get_incident("inc-1") == incident
    resolved = attrs.evolve(incident, status=IncidentStatus.RESOLVED, resolved_at=now)
    store.save_incident(resolved)
    assert store.find_open_incident("acme/app", "k1") is None
    assert store.open_incidents("acme/app") == []
    assert store.list_incidents() == [resolved]


def test_remedy_claims_are_at_most_once_unless_they_failed(store: SQLiteStore) -> None:
    assert store.claim_remedy("run:1", "retry_cells", "j1", "inc-1")
    assert not store.claim_remedy("run:1", "retry_cells", "j1", "inc-1")  # pending: not again
    store.finish_remedy("run:1", "retry_cells", "j1", status="failed", error="500")
    assert store.claim_remedy("run:1", "retry_cells", "j1", "inc-1")  # a failure may be retried
    store.finish_remedy("run:1", "retry_cells", "j1", status="applied", link="http://x")
    assert not store.claim_remedy("run:1", "retry_cells", "j1", "inc-1")
    assert store.claim_remedy("run:2", "retry_cells", "j1", "inc-1")  # another attempt is fresh
    rows = store.remedy_applications("inc-1")
    assert [(r["run_key"], r["status"]) for r in rows] == [
        ("run:1", "applied"),
        ("run:2", "pending"),
    ]


def test_deliveries_are_claimed_once_and_can_be_released(store: SQLiteStore) -> None:
    assert store.claim_delivery("github", "d-1")
    assert not store.claim_delivery("github", "d-1")
    assert store.claim_delivery("gitlab", "d-1")
    store.release_delivery("github", "d-1")
    assert store.claim_delivery("github", "d-1")


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from ci_rescue_core.store import SQLiteStore
    from ci_rescue_core.models import RunRef, JobRef, Severity
    from ci_rescue_core.incidents import open_incident, note
    store = SQLiteStore(sys.argv[1])
    i = 0
    while True:
        i += 1
        run = RunRef(provider="github", repo="acme/app", run_id=str(i), head_sha="a" * 40)
        jobs = [JobRef(run=run, job_id=str(n), name=f"job {n}") for n in range(20)]
        store.record_run(run, jobs)
        now = datetime.now(timezone.utc)
        inc = open_incident(
            incident_id=f"inc-{i}", run=run, key=str(i), now=now, severity=Severity.FLAKY
        )
        for n in range(30):
            inc = note(inc, "sentinel", "x" * 200, datetime.now(timezone.utc))
        store.save_incident(inc)
        if i == 3:
            print("ready", flush=True)
    """
)


def test_killing_the_process_mid_write_leaves_a_consistent_store(tmp_path: Path) -> None:
    path = tmp_path / "rescue.db"
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    ) as writer:
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
            time.sleep(0.3)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with SQLiteStore(path) as store:
        incidents = store.list_incidents(limit=100000)
        assert len(incidents) >= 3
        for incident in incidents:  # every stored incident is whole
            assert len(incident.timeline) == 30
        outcomes = store.job_outcomes("acme/app", limit=10**6)
        for run_id in {o.run_id for o in outcomes}:  # every stored run has all its jobs
            assert sum(1 for o in outcomes if o.run_id == run_id) == 20
