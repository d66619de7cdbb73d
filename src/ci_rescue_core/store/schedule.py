"""Remedies due later, in the SQLite store: a retry waiting out its back-off.

A remedy is scheduled together with its claim (``remedy_applications``, status
``scheduled``), in one transaction: a replayed event finds the claim and schedules nothing.
A scheduled remedy is **due** from its ``due_at``; a scheduler takes it (**working**, with a
lease: no other scheduler, in this process or another, takes it while the lease lasts), then
ends it **done** (applied, or failed for good) or **dropped** (the run moved on: a newer
attempt, or it passed).  A transient provider error puts it back to due a little later.  A
process killed while one was working leaves it working until its lease runs out; then any
scheduler takes it again (the claim tells whether the provider write already happened).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import attrs

from ci_rescue_core.convert import from_json_dict, to_json_dict
from ci_rescue_core.flake.history import utc_text
from ci_rescue_core.models import Remedy, RunRef
from ci_rescue_core.store.sqlite import CLAIM_SCHEDULED, SQLiteStore, claim_in

DUE = "due"
WORKING = "working"
DONE = "done"
DROPPED = "dropped"

LEASE = timedelta(minutes=10)
"""How long a taken remedy is left to its scheduler before another may take it."""


@attrs.frozen(kw_only=True)
class ScheduledRemedy:
    """One remedy waiting for its time.

    :ivar run: the run attempt it was decided for (as it was then).
    :ivar status: ``due``, ``working``, ``done`` or ``dropped``.
    :ivar attempts: how many times applying it was tried.
    :ivar taken_at: when a scheduler last took it (the start of its lease).
    :ivar detail: how it ended, or the last transient error.
    """

    id: int
    provider: str
    incident_id: str
    run: RunRef
    remedy: Remedy
    due_at: datetime
    status: str
    attempts: int
    created_at: datetime
    taken_at: datetime | None = None
    finished_at: datetime | None = None
    detail: str | None = None


def _row(row: sqlite3.Row) -> ScheduledRemedy:
    return ScheduledRemedy(
        id=row["id"],
        provider=row["provider"],
        incident_id=row["incident_id"],
        run=from_json_dict(json.loads(row["run"]), RunRef),
        remedy=from_json_dict(json.loads(row["remedy"]), Remedy),
        due_at=datetime.fromisoformat(row["due_at"]),
        status=row["status"],
        attempts=row["attempts"],
        created_at=datetime.fromisoformat(row["created_at"]),
        taken_at=datetime.fromisoformat(row["taken_at"]) if row["taken_at"] else None,
        finished_at=datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None,
        detail=row["detail"],
    )


class ScheduleStore:
    """Reading and writing scheduled remedies.

    :param store: the SQLite store whose ``scheduled_remedies`` table and transactions it uses.
    """

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def add_claimed(
        self,
        *,
        provider: str,
        incident_id: str,
        run: RunRef,
        remedy: Remedy,
        target: str,
        due_at: datetime,
        created_at: datetime,
    ) -> ScheduledRemedy | None:
        """Claim *remedy* for *run* (status ``scheduled``) and schedule it due at *due_at*, in
        one transaction; ``None`` (nothing written) when it was already claimed."""
        with self.store.transaction() as db:
            created = utc_text(created_at)
            if not claim_in(
                db, run.key, remedy.kind, target, incident_id, CLAIM_SCHEDULED, created
            ):
                return None
            cursor = db.execute(
                "INSERT INTO scheduled_remedies (provider, repo, run_key, incident_id, run, "
                "remedy, due_at, status, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    provider,
                    run.repo,
                    run.key,
                    incident_id,
                    json.dumps(to_json_dict(run)),
                    json.dumps(to_json_dict(remedy)),
                    utc_text(due_at),
                    DUE,
                    created,
                ),
            )
            row = db.execute(
                "SELECT * FROM scheduled_remedies WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _row(row)

    def take_due(self, now: datetime, *, lease: timedelta = LEASE) -> ScheduledRemedy | None:
        """The earliest remedy due at *now* — or taken longer than *lease* ago by a scheduler
        that never finished it — marked ``working`` (atomically), or ``None``."""
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT * FROM scheduled_remedies WHERE (status = ? AND due_at <= ?) "
                "OR (status = ? AND taken_at <= ?) ORDER BY due_at, id LIMIT 1",
                (DUE, utc_text(now), WORKING, utc_text(now - lease)),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE scheduled_remedies SET status = ?, taken_at = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                (WORKING, utc_text(now), row["id"]),
            )
            row = db.execute(
                "SELECT * FROM scheduled_remedies WHERE id = ?", (row["id"],)
            ).fetchone()
        return _row(row)

    def finish(self, item: ScheduledRemedy, status: str, detail: str, at: datetime) -> bool:
        """End a taken remedy: ``done`` or ``dropped``, with what happened.  Only while *item*
        is still taken as it was (its lease not taken over by another scheduler); returns
        whether it was."""
        if status not in (DONE, DROPPED):
            raise ValueError(f"a scheduled remedy ends done or dropped, not {status!r}")
        return self._update_taken(
            item, "status = ?, detail = ?, finished_at = ?", (status, detail, utc_text(at))
        )

    def postpone(self, item: ScheduledRemedy, due_at: datetime, detail: str) -> bool:
        """Put a taken remedy back, due at *due_at* (after a transient error); only while it
        is still taken as it was."""
        return self._update_taken(
            item, "status = ?, due_at = ?, detail = ?", (DUE, utc_text(due_at), detail)
        )

    def _update_taken(
        self, item: ScheduledRemedy, assignments: str, values: tuple[str, ...]
    ) -> bool:
        with self.store.transaction() as db:
            cursor = db.execute(
                f"UPDATE scheduled_remedies SET {assignments} "
                "WHERE id = ? AND status = ? AND taken_at IS ?",
                (*values, item.id, WORKING, utc_text(item.taken_at) if item.taken_at else None),
            )
            return cursor.rowcount == 1

    def find(
        self, *, status: str | None = None, incident_id: str | None = None
    ) -> list[ScheduledRemedy]:
        """Scheduled remedies, oldest first, optionally of one *status* or incident."""
        query = "SELECT * FROM scheduled_remedies WHERE 1 = 1"
        params: list[str] = []
        if status is not None:
            query += " AND status = ?"
            params.append(status)
        if incident_id is not None:
            query += " AND incident_id = ?"
            params.append(incident_id)
        return [_row(row) for row in self.store.read(query + " ORDER BY id", params)]
