"""Quarantines in the SQLite store: which tests are quarantined, why, and until when.

A quarantine is *active* from the moment ci-rescue opened the change request that adds the test
to ``.ci-rescue/quarantine.yaml`` until it is *expired* (its TTL ran out) or *lifted* (the test
earned its release with consecutive passes).  Ending one is atomic: two workers expiring the
same quarantine report it once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ci_rescue_core.flake.history import utc_text

if TYPE_CHECKING:
    import sqlite3

    from ci_rescue_core.store.sqlite import SQLiteStore

ACTIVE = "active"
EXPIRED = "expired"
LIFTED = "lifted"


@attrs.frozen(kw_only=True)
class Quarantine:
    """One quarantine of one test.

    :ivar status: ``active``, ``expired`` (TTL ran out) or ``lifted`` (released early).
    :ivar evidence: the sentences that justified it.
    :ivar link: the change request that applied it.
    :ivar end_reason: why it ended, once it has.
    """

    id: int
    provider: str
    repo: str
    test_id: str
    status: str
    reason: str
    score: float
    evidence: tuple[str, ...] = ()
    incident_id: str | None = None
    link: str | None = None
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None

    def is_due(self, now: datetime) -> bool:
        """True when it is active and its TTL has run out at *now*."""
        return self.status == ACTIVE and self.expires_at <= now


def _row(row: sqlite3.Row) -> Quarantine:
    return Quarantine(
        id=row["id"],
        provider=row["provider"],
        repo=row["repo"],
        test_id=row["test_id"],
        status=row["status"],
        reason=row["reason"],
        score=row["score"],
        evidence=tuple(json.loads(row["evidence"])),
        incident_id=row["incident_id"],
        link=row["link"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        ended_at=datetime.fromisoformat(row["ended_at"]) if row["ended_at"] else None,
        end_reason=row["end_reason"],
    )


class QuarantineStore:
    """Reading and writing quarantines.

    :param store: the SQLite store whose ``quarantines`` table and transactions it uses.
    """

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def add(
        self,
        *,
        provider: str,
        repo: str,
        test_id: str,
        reason: str,
        score: float,
        evidence: Sequence[str],
        incident_id: str | None,
        link: str | None,
        created_at: datetime,
        expires_at: datetime,
    ) -> Quarantine:
        """Start a quarantine, or renew the test's active one (new reason, link and expiry)."""
        values = (reason, score, json.dumps(list(evidence)), incident_id, link, expires_at)
        with self.store.transaction() as db:
            existing = db.execute(
                "SELECT id FROM quarantines WHERE repo = ? AND test_id = ? AND status = ?",
                (repo, test_id, ACTIVE),
            ).fetchone()
            if existing is None:
                cursor = db.execute(
                    "INSERT INTO quarantines (provider, repo, test_id, status, reason, score, "
                    "evidence, incident_id, link, created_at, expires_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        provider, repo, test_id, ACTIVE, *values[:5],
                        utc_text(created_at), utc_text(expires_at),
                    ),
                )  # fmt: skip
                ident = int(cursor.lastrowid or 0)
            else:
                ident = int(existing["id"])
                db.execute(
                    "UPDATE quarantines SET reason = ?, score = ?, evidence = ?, incident_id = ?, "
                    "link = ?, expires_at = ? WHERE id = ?",
                    (*values[:5], utc_text(expires_at), ident),
                )
            row = db.execute("SELECT * FROM quarantines WHERE id = ?", (ident,)).fetchone()
        return _row(row)

    def get(self, ident: int) -> Quarantine | None:
        """The quarantine with this id."""
        rows = self.store.read("SELECT * FROM quarantines WHERE id = ?", (ident,))
        return _row(rows[0]) if rows else None

    def find(
        self, repo: str | None = None, *, status: str | None = ACTIVE, limit: int = 1000
    ) -> list[Quarantine]:
        """Quarantines, oldest first; *status* ``None`` lists every status."""
        clauses, params = [], []
        for column, value in (("repo", repo), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.store.read(
            f"SELECT * FROM quarantines{where} ORDER BY created_at, id LIMIT ?", (*params, limit)
        )
        return [_row(row) for row in rows]

    def due(self, now: datetime, repo: str | None = None) -> list[Quarantine]:
        """Active quarantines whose TTL has run out at *now*."""
        query = "SELECT * FROM quarantines WHERE status = ? AND expires_at <= ?"
        params: list[object] = [ACTIVE, utc_text(now)]
        if repo is not None:
            query += " AND repo = ?"
            params.append(repo)
        return [_row(row) for row in self.store.read(query + " ORDER BY expires_at", params)]

    def end(self, ident: int, *, status: str, reason: str, now: datetime) -> Quarantine | None:
        """End an active quarantine (``expired`` or ``lifted``); ``None`` when it was not
        active any more (someone else ended it)."""
        if status not in (EXPIRED, LIFTED):
            raise ValueError(f"a quarantine ends as {EXPIRED!r} or {LIFTED!r}, not {status!r}")
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE quarantines SET status = ?, ended_at = ?, end_reason = ? "
                "WHERE id = ? AND status = ?",
                (status, utc_text(now), reason, ident, ACTIVE),
            )
            if cursor.rowcount != 1:
                return None
            row = db.execute("SELECT * FROM quarantines WHERE id = ?", (ident,)).fetchone()
        return _row(row)
