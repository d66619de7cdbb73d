"""How long scoring one failing run's tests takes with 1,000,000 recorded test outcomes.

Run from the repository root::

    .venv/bin/python -m benchmarks.flake_scale                  # 1,000,000 outcomes
    .venv/bin/python -m benchmarks.flake_scale --outcomes 200000 --keep /tmp/flake.db

The store is filled the way the pipeline fills it (``HistoryStore.record``'s tables and
columns, one transaction per thousand runs): 2,000 tests of one job run at every commit of
``main`` — passes and failures, as a provider with test reports records them — 5% of the
tests flaky with rates from 1% to 30%, failures re-run once.  Then, for runs failing 1, 5 and
20 tests, it times what the pipeline does to judge one failed job: every
``rescue_flake_evidence`` plugin (the history model reads each test's outcomes from SQLite)
and the per-test verdicts.  It prints the median and 95th percentile of wall time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ci_rescue_core.flake.fingerprint import message_fingerprint
from ci_rescue_core.flake.hunter import FlakeHunter
from ci_rescue_core.flake.recording import log_records
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Category, Diagnosis, Fingerprint, JobRef, RunRef, TestFailure
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.store import SQLiteStore

REPO = "acme/app"
JOB = "test (3.11)"
T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
MESSAGE = "TimeoutError: no reply within 2.0s"


def fill(store: SQLiteStore, *, outcomes: int, tests: int, seed: int = 1) -> int:
    """Record about *outcomes* test outcomes; returns the number of runs."""
    rng = random.Random(seed)
    names = [f"tests/test_mod{i // 50:03d}.py::test_case_{i:04d}" for i in range(tests)]
    rates = {name: rng.uniform(0.01, 0.3) for name in rng.sample(names, tests // 20)}
    fingerprint = message_fingerprint(MESSAGE)
    runs = max(outcomes // tests, 1)
    minutes = 60 * 24 * 60 / runs  # spread over 60 days, inside the 90-day window
    rows: list[tuple[object, ...]] = []
    jobs: list[tuple[object, ...]] = []
    for run in range(runs):
        at = (T0 + timedelta(minutes=minutes * run)).isoformat()
        sha = f"{run:040x}"
        failed = [name for name, rate in rates.items() if rng.random() < rate]
        for attempt in (1, 2) if failed else (1,):
            down = set(failed) if attempt == 1 else set()
            for name in names if attempt == 1 else failed:
                outcome = "fail" if name in down else "pass"
                rows.append(
                    ("github", REPO, str(run), attempt, JOB, name, sha, "main", outcome,
                     fingerprint if outcome == "fail" else None, at, "CI", at, 0, "report")
                )  # fmt: skip
            jobs.append(
                ("github", REPO, str(run), attempt, f"{run}-{attempt}", JOB, sha, "main",
                 "failure" if down else "success", None, at, "CI", at)
            )  # fmt: skip
        if len(rows) >= 200_000 or run == runs - 1:
            with store.transaction() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO test_outcomes (provider, repo, run_id, attempt, "
                    "job_name, test_id, head_sha, head_branch, outcome, fingerprint, recorded_at,"
                    " workflow, run_at, excluded, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                db.executemany(
                    "INSERT OR REPLACE INTO job_outcomes (provider, repo, run_id, attempt, job_id,"
                    " job_name, head_sha, head_branch, conclusion, fingerprint, recorded_at, "
                    "workflow, run_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    jobs,
                )
            rows, jobs = [], []
    with store.transaction() as db:
        db.executemany(
            "INSERT OR REPLACE INTO known_tests VALUES (?,?,?,?)",
            [(REPO, JOB, name, T0.isoformat()) for name in names],
        )
        db.execute("ANALYZE")
    return runs


def failing_run(
    store: SQLiteStore, hunter: FlakeHunter, runs: int, failing: list[str]
) -> Diagnosis:
    """Record a new failing run of *failing* tests and return its diagnosis."""
    run = RunRef(provider="github", repo=REPO, run_id=str(runs + len(failing)), workflow="CI",
                 head_sha="f" * 40, head_branch="main", conclusion="failure",
                 created_at=T0 + timedelta(days=61))  # fmt: skip
    job = JobRef(run=run, job_id="new", name=JOB, conclusion="failure")
    failures = tuple(TestFailure(test_id=name, message=MESSAGE) for name in failing)
    fingerprint = Fingerprint(category=Category.TEST_FAILURE, failing_tests=tuple(failing),
                              hash=f"fp-{len(failing)}")  # fmt: skip
    diagnosis = Diagnosis(job=job, fingerprint=fingerprint, failures=failures)
    hunter.history.record(run, [job], tests=log_records([diagnosis]))
    return diagnosis


def main(argv: list[str] | None = None) -> int:
    """Fill a store, then time the judging of failing runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outcomes", type=int, default=1_000_000)
    parser.add_argument("--tests", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", type=Path, default=None, help="keep the database here")
    parser.add_argument(
        "--history-limit",
        type=int,
        default=Policy().flake_history_limit,
        help="policy flake_history_limit: recent outcomes read per test (default: the policy's)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep or Path(scratch) / "flake.db"
        reuse = path.exists()
        with SQLiteStore(path) as store:
            started = time.perf_counter()
            if reuse:
                runs = int(
                    store.read("SELECT COUNT(DISTINCT run_id) AS n FROM job_outcomes")[0]["n"]
                )
            else:
                runs = fill(store, outcomes=args.outcomes, tests=args.tests)
            [count] = store.read("SELECT COUNT(*) AS n FROM test_outcomes")
            how = "reused" if reuse else f"recorded in {time.perf_counter() - started:.1f} s"
            print(
                f"{count['n']:,} test outcomes ({runs} runs) {how}; "
                f"database {path.stat().st_size / 1e6:.0f} MB"
            )
            hooks = Hooks(make_plugin_manager())
            # judging reads only the store: no provider is called
            hunter = FlakeHunter(store=store, provider=None, hooks=hooks)  # type: ignore[arg-type]
            policy = Policy(flake_history_limit=args.history_limit)
            print(f"flake_history_limit: {args.history_limit} outcomes per test")
            rng = random.Random(7)
            names = [row["test_id"] for row in store.read("SELECT test_id FROM known_tests")]
            print("| failing tests in the run | median | p95 | per test (median) |")
            print("|---|---|---|---|")
            for size in (1, 5, 20):
                timings = []
                for _ in range(args.repeat):
                    diagnosis = failing_run(store, hunter, runs, rng.sample(names, size))
                    started = time.perf_counter()
                    hunter.judge([diagnosis], policy)
                    timings.append(time.perf_counter() - started)
                timings.sort()
                median = statistics.median(timings) * 1000
                p95 = timings[int(0.95 * (len(timings) - 1))] * 1000
                print(f"| {size} | {median:.1f} ms | {p95:.1f} ms | {median / size:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
