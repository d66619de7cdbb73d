"""The default store: one SQLite file in WAL mode.

Every public write is one transaction, so killing the process at any point leaves either the
old or the new state, never a half-written one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ci_rescue_core.convert import from_json_dict, to_json_dict
from ci_rescue_core.errors import StoreError
from ci_rescue_core.flake.history import JobOutcome, outcome_time
from ci_rescue_core.models import Incident, IncidentStatus, JobRef, RunRef
from ci_rescue_core.store.schema import MIGRATIONS, SCHEMA_VERSION

Clock = Callable[[], datetime]

OPEN_STATUSES: tuple[str, ...] = (
    IncidentStatus.OPEN.value,
    IncidentStatus.MITIGATING.value,
    IncidentStatus.ESCALATED.value,
)


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(timezone.utc)


class SQLiteStore:
    """Runs, job and test outcomes, incidents, remedy applications and webhook deliveries.

    :param path: the database file (created with its parent directory on first use), or
        ``":memory:"``.
    :param clock: time source (injected by tests).
    :raises StoreError: when the file cannot be opened or was written by a newer ci-rescue.
    """

    def __init__(self, path: str | Path, *, clock: Clock = utc_now) -> None:
        self.path = str(path)
        self._clock = clock
        self._lock = threading.RLock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema version {current}, newer than this ci-rescue "
                f"understands ({SCHEMA_VERSION}); upgrade ci-rescue"
            )
        for version in range(current, SCHEMA_VERSION):
            with self._transaction() as db:
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error), for
        modules that keep their own tables in the store (the webhook inbox)."""
        return self._transaction()

    def read(self, query: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Rows of one read-only query (thread-safe)."""
        with self._lock:
            return self._db.execute(query, params).fetchall()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _now(self) -> str:
        return self._clock().isoformat()

    # -- deliveries ------------------------------------------------------------------------

    def claim_delivery(self, provider: str, delivery_id: str) -> bool:
        """Record a webhook delivery id; False when it was already seen (a replay)."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?)",
                (provider, delivery_id, self._now()),
            )
            return cursor.rowcount == 1

    def release_delivery(self, provider: str, delivery_id: str) -> None:
        """Forget a delivery whose handling failed, so that a redelivery is processed."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM deliveries WHERE provider = ? AND delivery_id = ?",
                (provider, delivery_id),
            )

    # -- history ---------------------------------------------------------------------------

    def record_run(
        self,
        run: RunRef,
        jobs: Sequence[JobRef] = (),
        fingerprints: dict[str, str] | None = None,
        tests: Sequence[tuple[str, str, str, str | None]] = (),
    ) -> None:
        """Record a run attempt, its jobs and test outcomes (replaces an earlier record).

        :param fingerprints: job name → fingerprint hash, for failed jobs analysed.
        :param tests: ``(job_name, test_id, outcome, fingerprint)`` rows.
        """
        now = self._now()
        fingerprints = fingerprints or {}
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run.provider,
                    run.repo,
                    run.run_id,
                    run.attempt,
                    run.workflow,
                    run.head_sha,
                    run.head_branch,
                    run.event,
                    run.conclusion,
                    run.url,
                    now,
                ),
            )
            db.executemany(
                "INSERT OR REPLACE INTO job_outcomes (provider, repo, run_id, attempt, job_id, "
                "job_name, head_sha, head_branch, conclusion, fingerprint, recorded_at, workflow, "
                "run_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        run.provider,
                        run.repo,
                        run.run_id,
                        run.attempt,
                        job.job_id,
                        job.name,
                        run.head_sha,
                        run.head_branch,
                        job.conclusion,
                        fingerprints.get(job.name),
                        now,
                        run.workflow,
                        outcome_time(run, job, now),
                    )
                    for job in jobs
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO test_outcomes (provider, repo, run_id, attempt, job_name, "
                "test_id, head_sha, head_branch, outcome, fingerprint, recorded_at, workflow, "
                "run_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        run.provider,
                        run.repo,
                        run.run_id,
                        run.attempt,
                        job_name,
                        test_id,
                        run.head_sha,
                        run.head_branch,
                        outcome,
                        fingerprint,
                        now,
                        run.workflow,
                        outcome_time(run, None, now),
                    )
                    for job_name, test_id, outcome, fingerprint in tests
                ],
            )

    def has_sha(self, repo: str, sha: str) -> bool:
        """True when any run of *sha* in *repo* has been recorded."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM runs WHERE repo = ? AND head_sha = ? LIMIT 1", (repo, sha)
            ).fetchone()
        return row is not None

    def job_outcomes(
        self,
        repo: str,
        *,
        sha: str | None = None,
        job_name: str | None = None,
        branch: str | None = None,
        limit: int = 200,
    ) -> list[JobOutcome]:
        """Recorded outcomes of *repo*'s jobs, newest first (implements ``History``)."""
        clauses = ["repo = ?"]
        params: list[object] = [repo]
        for column, value in (("head_sha", sha), ("job_name", job_name), ("head_branch", branch)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        params.append(limit)
        query = (
            "SELECT * FROM job_outcomes WHERE "
            + " AND ".join(clauses)
            + " ORDER BY recorded_at DESC, CAST(run_id AS INTEGER) DESC, attempt DESC LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [
            JobOutcome(
                provider=row["provider"],
                repo=row["repo"],
                run_id=row["run_id"],
                attempt=row["attempt"],
                job_name=row["job_name"],
                head_sha=row["head_sha"],
                head_branch=row["head_branch"],
                conclusion=row["conclusion"],
                fingerprint=row["fingerprint"],
                recorded_at=datetime.fromisoformat(row["recorded_at"]),
            )
            for row in rows
        ]

    # -- incidents -------------------------------------------------------------------------

    def save_incident(self, incident: Incident) -> None:
        """Insert or replace an incident (one transaction)."""
        body = json.dumps(to_json_dict(incident), sort_keys=True)
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    incident.id,
                    incident.provider,
                    incident.repo,
                    incident.key,
                    incident.status.value,
                    incident.severity.value,
                    incident.workflow,
                    incident.branch,
                    incident.opened_at.isoformat(),
                    incident.updated_at.isoformat(),
                    incident.resolved_at.isoformat() if incident.resolved_at else None,
                    body,
                ),
            )

    def get_incident(self, incident_id: str) -> Incident | None:
        """The incident with this id, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM incidents WHERE id = ?", (incident_id,)
            ).fetchone()
        return None if row is None else from_json_dict(json.loads(row["body"]), Incident)

    def find_open_incident(self, repo: str, key: str) -> Incident | None:
        """The newest unresolved incident of *repo* with this fingerprint key, if any."""
        marks = ",".join("?" * len(OPEN_STATUSES))
        with self._lock:
            row = self._db.execute(
                f"SELECT body FROM incidents WHERE repo = ? AND incident_key = ? "
                f"AND status IN ({marks}) ORDER BY opened_at DESC LIMIT 1",
                (repo, key, *OPEN_STATUSES),
            ).fetchone()
        return None if row is None else from_json_dict(json.loads(row["body"]), Incident)

    def open_incidents(
        self, repo: str | None = None, *, workflow: str | None = None, branch: str | None = None
    ) -> list[Incident]:
        """Unresolved incidents, oldest first, optionally of one repo / workflow / branch."""
        marks = ",".join("?" * len(OPEN_STATUSES))
        clauses = [f"status IN ({marks})"]
        params: list[object] = list(OPEN_STATUSES)
        for column, value in (("repo", repo), ("workflow", workflow), ("branch", branch)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM incidents WHERE " + " AND ".join(clauses) + " ORDER BY opened_at",
                params,
            ).fetchall()
        return [from_json_dict(json.loads(row["body"]), Incident) for row in rows]

    def list_incidents(self, limit: int = 100) -> list[Incident]:
        """The most recently updated incidents, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM incidents ORDER BY updated_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [from_json_dict(json.loads(row["body"]), Incident) for row in rows]

    # -- remedy applications (at-most-once writes) ------------------------------------------

    def claim_remedy(self, run_key: str, kind: str, target: str, incident_id: str) -> bool:
        """Claim the right to apply a remedy to one run attempt, before calling the provider
        (claim ``pending``; a remedy due later is claimed ``scheduled`` with :func:`claim_in`).

        Returns False when the same remedy was already claimed for this run attempt and did
        not fail, so that a replayed or concurrent event never writes twice.  A claim whose
        earlier application failed, or that was scheduled and then dropped without writing,
        may be claimed again.
        """
        with self._transaction() as db:
            return claim_in(db, run_key, kind, target, incident_id, CLAIM_PENDING, self._now())

    def remedy_claim(self, run_key: str, kind: str, target: str) -> str | None:
        """The status of a remedy's claim for one run attempt, or ``None`` when unclaimed."""
        rows = self.read(
            "SELECT status FROM remedy_applications WHERE run_key=? AND kind=? AND target=?",
            (run_key, kind, target),
        )
        return str(rows[0]["status"]) if rows else None

    def finish_remedy(
        self,
        run_key: str,
        kind: str,
        target: str,
        *,
        status: str,
        link: str | None = None,
        error: str | None = None,
        only_from: Collection[str] = (),
    ) -> bool:
        """Record how a claimed remedy ended (``applied`` or ``failed``...); with *only_from*,
        only when its status is one of those.  Returns whether the claim was updated."""
        query = (
            "UPDATE remedy_applications SET status=?, link=?, error=?, finished_at=? "
            "WHERE run_key=? AND kind=? AND target=?"
        )
        params: list[object] = [status, link, error, self._now(), run_key, kind, target]
        if only_from:
            query += f" AND status IN ({', '.join('?' * len(only_from))})"
            params += list(only_from)
        with self._transaction() as db:
            return db.execute(query, params).rowcount > 0

    def remedy_applications(self, incident_id: str | None = None) -> list[dict[str, str | None]]:
        """Remedy application rows (for metrics and tests), oldest first."""
        query = "SELECT * FROM remedy_applications"
        params: tuple[str, ...] = ()
        if incident_id is not None:
            query += " WHERE incident_id = ?"
            params = (incident_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY claimed_at", params).fetchall()
        return [dict(row) for row in rows]


#: The claim of a remedy about to be applied.
CLAIM_PENDING = "pending"
#: The claim of a remedy waiting for its time (see :mod:`ci_rescue_core.store.schedule`).
CLAIM_SCHEDULED = "scheduled"
#: The claim while a scheduler calls the provider: a takeover never writes again.
CLAIM_APPLYING = "applying"
#: Claim statuses that leave the remedy free to be claimed again (nothing was written).
RECLAIMABLE: tuple[str, ...] = ("failed", "dropped")


def claim_in(
    db: sqlite3.Connection,
    run_key: str,
    kind: str,
    target: str,
    incident_id: str,
    status: str,
    now: str,
) -> bool:
    """:meth:`SQLiteStore.claim_remedy` inside the caller's transaction *db*."""
    row = db.execute(
        "SELECT status FROM remedy_applications WHERE run_key=? AND kind=? AND target=?",
        (run_key, kind, target),
    ).fetchone()
    if row is not None and row["status"] not in RECLAIMABLE:
        return False
    db.execute(
        "INSERT OR REPLACE INTO remedy_applications VALUES (?,?,?,?,?,?,?,?,?)",
        (run_key, kind, target, incident_id, status, None, None, now, None),
    )
    return True
