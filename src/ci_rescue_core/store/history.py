"""Job and test history in the SQLite store: how the pipeline records it, what FlakeHunter reads.

Kept beside :class:`~ci_rescue_core.store.sqlite.SQLiteStore` (whose tables it shares) and
written through its transactions, one per recorded run attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import attrs

from ci_rescue_core.flake.history import JobOutcome, outcome_time, outside, utc_text
from ci_rescue_core.flake.mass import MassRule, is_mass
from ci_rescue_core.flake.observations import Observation
from ci_rescue_core.models import JobRef, RunRef
from ci_rescue_core.store.quarantine import QuarantineStore

if TYPE_CHECKING:
    import sqlite3

    from ci_rescue_core.store.sqlite import SQLiteStore

OUTCOMES = ("pass", "fail")


@attrs.frozen(kw_only=True)
class TestRecord:
    """One test outcome to record.

    :ivar outcome: ``pass`` or ``fail``.
    :ivar fingerprint: the failure's own fingerprint (``None`` for passes and generic errors).
    :ivar source: where it came from: ``log`` (log analysis), ``report`` (the provider's test
        report), ``quarantine`` (the quarantine plugin's summary lines).
    """

    __test__ = False  # not a pytest test class

    job: str
    test: str
    outcome: str = attrs.field(validator=attrs.validators.in_(OUTCOMES))
    fingerprint: str | None = None
    source: str = "log"


class HistoryStore:
    """Recording and reading job and test outcomes (implements
    :class:`~ci_rescue_core.flake.history.PerTestHistory`).

    :param store: the SQLite store whose tables and transactions it uses.
    """

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    # -- History / PerTestHistory ---------------------------------------------------------------

    def job_outcomes(
        self,
        repo: str,
        *,
        sha: str | None = None,
        job_name: str | None = None,
        branch: str | None = None,
        limit: int = 200,
    ) -> list[JobOutcome]:
        """Recorded outcomes of *repo*'s jobs, newest first (see ``SQLiteStore.job_outcomes``)."""
        return self.store.job_outcomes(repo, sha=sha, job_name=job_name, branch=branch, limit=limit)

    def test_observations(
        self,
        repo: str,
        test_id: str,
        *,
        since: datetime,
        limit: int = 500,
        implied: bool = True,
    ) -> list[Observation]:
        """The test's outcomes since *since* (mass failures left out), newest first, plus —
        with *implied* — the passes of the jobs it ran in (``implied=True``; see
        :meth:`job_passes`)."""
        rows = self.store.read(
            "SELECT run_id, attempt, job_name, head_sha, head_branch, outcome, fingerprint, "
            "run_at FROM test_outcomes WHERE repo = ? AND test_id = ? AND run_at >= ? "
            "AND excluded = 0 ORDER BY run_at DESC LIMIT ?",
            (repo, test_id, utc_text(since), limit),
        )
        parse = datetime.fromisoformat
        observations = [
            Observation(
                test=test_id,
                sha=sha,
                failed=outcome == "fail",
                run=run_id,
                attempt=attempt,
                time=parse(run_at),
                job=job,
                branch=branch,
                fingerprint=fingerprint if outcome == "fail" else None,
            )
            for run_id, attempt, job, sha, branch, outcome, fingerprint, run_at in rows
        ]
        if implied:
            passes = [
                o
                for job in sorted({o.job for o in observations})
                for o in self.job_passes(repo, job, since=since, limit=limit)
            ]
            observations.extend(outside(passes, self.quarantine_windows(repo, test_id)))
        return observations

    def quarantine_windows(self, repo: str, test_id: str) -> list[tuple[datetime, datetime]]:
        """The periods in which a quarantine may have hidden the test's failures from its job's
        result (see :meth:`QuarantineStore.windows`): no pass is implied from the job then."""
        return QuarantineStore(self.store).windows(repo, test_id)

    def job_passes(
        self, repo: str, job: str, *, since: datetime, limit: int = 500
    ) -> list[Observation]:
        """Passes of *job* since *since*, newest first, as implied passes of any test of the
        job (``implied=True``, ``test`` empty: the model does not look at it)."""
        rows = self.store.read(
            "SELECT run_id, attempt, head_sha, head_branch, run_at FROM job_outcomes "
            "WHERE repo = ? AND job_name = ? AND run_at >= ? AND conclusion = 'success' "
            "ORDER BY run_at DESC LIMIT ?",
            (repo, job, utc_text(since), limit),
        )
        return [
            Observation(
                test="",
                sha=row["head_sha"],
                failed=False,
                run=row["run_id"],
                attempt=row["attempt"],
                time=datetime.fromisoformat(row["run_at"]),
                job=job,
                branch=row["head_branch"],
                implied=True,
            )
            for row in rows
        ]

    # -- recording --------------------------------------------------------------------------

    def record(
        self,
        run: RunRef,
        jobs: Sequence[JobRef],
        *,
        fingerprints: Mapping[str, str] | None = None,
        tests: Sequence[TestRecord] = (),
        rule: MassRule | None = None,
        sizes: Mapping[str, int] | None = None,
    ) -> set[str]:
        """Record a run attempt, its jobs and test outcomes in one transaction (idempotent).

        Each job's failing tests are checked against the mass-failure *rule* (and its previous
        attempt is checked again now that this one shows whether it recovered); the outcomes
        of a mass failure are kept but marked so that they do not feed the scores.

        :param fingerprints: job name → fingerprint hash of its analysed failure.
        :param sizes: job name → number of tests it ran, when a report says; otherwise the
            tests known for the job from its history.
        :returns: the names of the jobs whose attempt was a mass failure.
        """
        rule = rule or MassRule()
        recorded_at = utc_text(datetime.now(timezone.utc))
        by_job: dict[str, list[TestRecord]] = {}
        for record in tests:
            by_job.setdefault(record.job, []).append(record)
        times = {job.name: outcome_time(run, job, recorded_at) for job in jobs}
        default_time = outcome_time(run, None, recorded_at)
        mass_jobs: set[str] = set()
        with self.store.transaction() as db:
            _insert_run(db, run, recorded_at)
            db.executemany(
                "INSERT OR REPLACE INTO job_outcomes (provider, repo, run_id, attempt, job_id, "
                "job_name, head_sha, head_branch, conclusion, fingerprint, recorded_at, "
                "workflow, run_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        run.provider, run.repo, run.run_id, run.attempt, job.job_id, job.name,
                        run.head_sha, run.head_branch, job.conclusion,
                        (fingerprints or {}).get(job.name), recorded_at, run.workflow,
                        times[job.name],
                    )
                    for job in jobs
                ],
            )  # fmt: skip
            for job_name, records in by_job.items():
                at = times.get(job_name, default_time)
                size = max((sizes or {}).get(job_name, 0), _known_tests(db, run.repo, job_name))
                if _check_mass(db, run, job_name, records, at, size, rule):
                    mass_jobs.add(job_name)
                db.executemany(
                    "INSERT OR REPLACE INTO test_outcomes (provider, repo, run_id, attempt, "
                    "job_name, test_id, head_sha, head_branch, outcome, fingerprint, "
                    "recorded_at, workflow, run_at, excluded, source) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            run.provider, run.repo, run.run_id, run.attempt, job_name,
                            r.test, run.head_sha, run.head_branch, r.outcome,
                            r.fingerprint if r.outcome == "fail" else None, recorded_at,
                            run.workflow, at, int(job_name in mass_jobs), r.source,
                        )
                        for r in records
                    ],
                )  # fmt: skip
                db.executemany(
                    "INSERT OR REPLACE INTO known_tests VALUES (?,?,?,?)",
                    [(run.repo, job_name, r.test, at) for r in records],
                )
        return mass_jobs

    # -- quarantine support -----------------------------------------------------------------

    def consecutive_passes(self, repo: str, test_id: str, *, since: datetime) -> int:
        """How many job attempts in a row, newest first, since *since*, the test passed in
        (explicit outcomes only: a quarantined test's failure does not fail its job).  A
        function id (no ``[...]``) covers its parametrisations: an attempt passes when every
        parametrisation recorded in it passed."""
        query = (
            "SELECT run_id, attempt, job_name, outcome FROM test_outcomes WHERE repo = ? "
            "AND {match} AND run_at >= ? AND excluded = 0 "
            "ORDER BY run_at DESC, attempt DESC, run_id, job_name LIMIT 5000"
        )
        if "[" in test_id:
            match, params = "test_id = ?", [test_id]
        else:  # the id itself, or test_id[...]: the range of ids starting with "test_id["
            match = "(test_id = ? OR (test_id >= ? AND test_id < ?))"
            params = [test_id, test_id + "[", test_id + "\\"]
        rows = self.store.read(query.format(match=match), (repo, *params, utc_text(since)))
        streak = 0
        attempt: tuple[str, int, str] | None = None
        for row in rows:
            key = (row["run_id"], row["attempt"], row["job_name"])
            if row["outcome"] != "pass":
                return streak - (1 if key == attempt else 0)
            if key != attempt:
                streak += 1
                attempt = key
        return streak

    def known_test_count(self, repo: str, job_name: str) -> int:
        """How many distinct tests were ever recorded for *job_name*."""
        rows = self.store.read(
            "SELECT COUNT(*) AS n FROM known_tests WHERE repo = ? AND job_name = ?",
            (repo, job_name),
        )
        return int(rows[0]["n"])


def _insert_run(db: sqlite3.Connection, run: RunRef, recorded_at: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO runs (provider, repo, run_id, attempt, workflow, head_sha, "
        "head_branch, event, conclusion, url, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            run.provider, run.repo, run.run_id, run.attempt, run.workflow, run.head_sha,
            run.head_branch, run.event, run.conclusion, run.url, recorded_at,
        ),
    )  # fmt: skip


def _known_tests(db: sqlite3.Connection, repo: str, job_name: str) -> int:
    row = db.execute(
        "SELECT COUNT(*) FROM known_tests WHERE repo = ? AND job_name = ?", (repo, job_name)
    ).fetchone()
    return int(row[0])


def _failing(db: sqlite3.Connection, repo: str, job: str, run_id: str, attempt: int) -> set[str]:
    rows = db.execute(
        "SELECT test_id FROM test_outcomes WHERE repo = ? AND job_name = ? AND run_id = ? "
        "AND attempt = ? AND outcome = 'fail'",
        (repo, job, run_id, attempt),
    ).fetchall()
    return {row[0] for row in rows}


def _check_mass(
    db: sqlite3.Connection,
    run: RunRef,
    job: str,
    records: Sequence[TestRecord],
    at: str,
    size: int,
    rule: MassRule,
) -> bool:
    """Whether this job attempt is a mass failure next to the job's previous recorded attempt;
    marks that previous attempt too when this one shows it was (its tests recovered)."""
    failing = {r.test for r in records if r.outcome == "fail"}
    size = max(size, len({r.test for r in records}))
    previous = db.execute(
        "SELECT run_id, attempt FROM job_outcomes WHERE repo = ? AND job_name = ? "
        "AND run_at <= ? AND NOT (run_id = ? AND attempt = ?) "
        "ORDER BY run_at DESC, attempt DESC LIMIT 1",
        (run.repo, job, at, run.run_id, run.attempt),
    ).fetchone()
    before = set() if previous is None else _failing(db, run.repo, job, *previous)
    if (
        previous is not None
        and len(before) >= rule.min_tests
        and is_mass(before, [failing], size, rule)
    ):
        db.execute(
            "UPDATE test_outcomes SET excluded = 1 WHERE repo = ? AND job_name = ? "
            "AND run_id = ? AND attempt = ?",
            (run.repo, job, previous[0], previous[1]),
        )
    return len(failing) >= rule.min_tests and is_mass(failing, [before], size, rule)
