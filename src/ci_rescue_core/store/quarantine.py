"""Quarantines in the SQLite store: which tests are quarantined, why, until when, and what
became of their entry in the repository's quarantine file.

A quarantine's life:

- **pending** — ci-rescue opened the change request that adds the test to
  ``.ci-rescue/quarantine.yaml``; it takes effect only once that request merges;
- **active** — the test was seen quarantined: the quarantine plugin's lines name it in a run
  outside ci-rescue's own branches, or the default branch's quarantine file lists it;
- **expired** (its TTL ran out), **lifted** (the test earned its release with consecutive
  passes) or **declined** (its change request was closed without merging: it never took
  effect).  Ending one is atomic: two workers ending the same quarantine report it once.

After it ends, its file entry must go too (the *release*): ``needed`` until ci-rescue opens the
change request removing it (``opened``), ``done`` once the entry is known gone (or never was
there), ``manual`` when ci-rescue cannot do it (no change requests, no file reading, observe
mode) — the entry then stops counting at its own expiry.

While a quarantine may be *in force* — from its start until its file entry expires or is known
gone — the test's failures do not fail its job, so its job's result says nothing about it:
:meth:`QuarantineStore.windows` are the periods whose implied passes the flake model drops.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ci_rescue_core.flake.history import utc_text

if TYPE_CHECKING:
    import sqlite3

    from ci_rescue_core.store.sqlite import SQLiteStore

PENDING = "pending"
ACTIVE = "active"
EXPIRED = "expired"
LIFTED = "lifted"
DECLINED = "declined"
OPEN = (PENDING, ACTIVE)
"""Statuses of a quarantine that has not ended."""

RELEASE_NEEDED = "needed"
RELEASE_OPENING = "opening"
RELEASE_OPENED = "opened"
RELEASE_DONE = "done"
RELEASE_MANUAL = "manual"


@attrs.frozen(kw_only=True)
class Quarantine:
    """One quarantine of one test.

    :ivar status: ``pending``, ``active``, ``expired`` (TTL ran out), ``lifted`` (released
        early) or ``declined`` (its change request was closed unmerged).
    :ivar evidence: the sentences that justified it.
    :ivar link: the change request that applied it.
    :ivar change_request: that change request's number at the provider, when known.
    :ivar end_reason: why it ended, once it has.
    :ivar seen_at: when it was first seen in force (``None`` while pending).
    :ivar release: what became of its file entry after it ended (module docstring).
    :ivar release_link: the change request removing the entry.
    :ivar release_note: why the release is manual, or what went wrong last time.
    :ivar released_at: when the entry was known gone from the file.
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
    seen_at: datetime | None = None
    release: str | None = None
    release_link: str | None = None
    release_note: str | None = None
    released_at: datetime | None = None
    change_request: str | None = None

    @property
    def is_open(self) -> bool:
        """True while it has not ended (pending or active)."""
        return self.status in OPEN

    def is_due(self, now: datetime) -> bool:
        """True when it has not ended and its TTL has run out at *now*."""
        return self.is_open and self.expires_at <= now

    def state(self, now: datetime) -> str:
        """What ``quarantine list`` shows: the status, or ``expired (pending lift)`` for an
        open quarantine whose TTL ran out before anything ended it."""
        return "expired (pending lift)" if self.is_due(now) else self.status

    @property
    def in_force_until(self) -> datetime:
        """Until when its file entry may make the test runner hide the test's failures."""
        if self.released_at is not None and self.released_at < self.expires_at:
            return self.released_at
        return self.expires_at


def covers(quarantined: str, test_id: str) -> bool:
    """True when a quarantine of *quarantined* covers *test_id*: the same id, or a function id
    (no ``[...]``) and one of its parametrisations — as the pytest plugin matches them."""
    return test_id == quarantined or (
        "[" not in quarantined and test_id.split("[", 1)[0] == quarantined
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


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
        ended_at=_time(row["ended_at"]),
        end_reason=row["end_reason"],
        seen_at=_time(row["seen_at"]),
        release=row["release"],
        release_link=row["release_link"],
        release_note=row["release_note"],
        released_at=_time(row["released_at"]),
        change_request=row["change_request"],
    )


def _statuses(status: str | Collection[str] | None) -> tuple[str, ...] | None:
    if status is None:
        return None
    return (status,) if isinstance(status, str) else tuple(status)


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
        change_request: str | None = None,
    ) -> Quarantine:
        """Start a (pending) quarantine, or renew the test's open one (new reason, link, change
        request and expiry; an active one stays active)."""
        values = (reason, score, json.dumps(list(evidence)), incident_id, link, change_request)
        with self.store.transaction() as db:
            existing = db.execute(
                "SELECT id FROM quarantines WHERE repo = ? AND test_id = ? AND status IN (?, ?)",
                (repo, test_id, *OPEN),
            ).fetchone()
            if existing is None:
                cursor = db.execute(
                    "INSERT INTO quarantines (provider, repo, test_id, status, reason, score, "
                    "evidence, incident_id, link, change_request, created_at, expires_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        provider, repo, test_id, PENDING, *values,
                        utc_text(created_at), utc_text(expires_at),
                    ),
                )  # fmt: skip
                ident = int(cursor.lastrowid or 0)
            else:
                ident = int(existing["id"])
                db.execute(
                    "UPDATE quarantines SET reason = ?, score = ?, evidence = ?, incident_id = ?, "
                    "link = ?, change_request = COALESCE(?, change_request), expires_at = ? "
                    "WHERE id = ?",
                    (*values, utc_text(expires_at), ident),
                )
            row = db.execute("SELECT * FROM quarantines WHERE id = ?", (ident,)).fetchone()
        return _row(row)

    def _update_one(self, ident: int, update: str, params: Sequence[object]) -> Quarantine | None:
        """Run *update* (a compare-and-set on quarantine *ident*) in one transaction and return
        the quarantine as it now is, or ``None`` when the update matched no row."""
        with self.store.transaction() as db:
            if db.execute(update, params).rowcount != 1:
                return None
            row = db.execute("SELECT * FROM quarantines WHERE id = ?", (ident,)).fetchone()
        return _row(row)

    def _select(
        self, where: str, params: list[object], repo: str | None, order: str
    ) -> list[Quarantine]:
        """The quarantines matching *where* (and *repo*, when given), ordered by *order*."""
        if repo is not None:
            where += " AND repo = ?"
            params = [*params, repo]
        rows = self.store.read(f"SELECT * FROM quarantines WHERE {where} ORDER BY {order}", params)
        return [_row(row) for row in rows]

    def get(self, ident: int) -> Quarantine | None:
        """The quarantine with this id."""
        rows = self.store.read("SELECT * FROM quarantines WHERE id = ?", (ident,))
        return _row(rows[0]) if rows else None

    def find(
        self,
        repo: str | None = None,
        *,
        status: str | Collection[str] | None = OPEN,
        limit: int = 1000,
    ) -> list[Quarantine]:
        """Quarantines, oldest first: by default the open ones (pending and active); *status*
        one status, several, or ``None`` for every one."""
        clauses, params = [], []
        if repo is not None:
            clauses.append("repo = ?")
            params.append(repo)
        statuses = _statuses(status)
        if statuses is not None:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.store.read(
            f"SELECT * FROM quarantines{where} ORDER BY created_at, id LIMIT ?", (*params, limit)
        )
        return [_row(row) for row in rows]

    def due(self, now: datetime, repo: str | None = None) -> list[Quarantine]:
        """Open quarantines whose TTL has run out at *now*."""
        return self._select(
            "status IN (?, ?) AND expires_at <= ?", [*OPEN, utc_text(now)], repo, "expires_at"
        )

    def end(self, ident: int, *, status: str, reason: str, now: datetime) -> Quarantine | None:
        """End an open quarantine (``expired`` or ``lifted``); its file entry's release becomes
        ``needed``.  ``None`` when it had already ended (someone else ended it)."""
        if status not in (EXPIRED, LIFTED):
            raise ValueError(f"a quarantine ends as {EXPIRED!r} or {LIFTED!r}, not {status!r}")
        return self._update_one(
            ident,
            "UPDATE quarantines SET status = ?, ended_at = ?, end_reason = ?, release = ? "
            "WHERE id = ? AND status IN (?, ?)",
            (status, utc_text(now), reason, RELEASE_NEEDED, ident, *OPEN),
        )

    def decline(self, ident: int, *, reason: str, now: datetime) -> Quarantine | None:
        """End a pending quarantine whose change request was closed without merging: it never
        took effect, so it was never in force (its window is empty) and there is no file entry
        to release.  ``None`` when it was not pending any more."""
        return self._update_one(
            ident,
            "UPDATE quarantines SET status = ?, ended_at = ?, end_reason = ?, release = ?, "
            "released_at = created_at WHERE id = ? AND status = ?",
            (DECLINED, utc_text(now), reason, RELEASE_DONE, ident, PENDING),
        )

    def declined_in_term(self, repo: str | None, now: datetime) -> list[Quarantine]:
        """Declined quarantines whose TTL has not run out: their entry could still reach the
        file (a reopened change request, another one listing the test)."""
        return self._select("status = ? AND expires_at > ?", [DECLINED, utc_text(now)], repo, "id")

    def reinstate(self, ident: int, *, at: datetime) -> Quarantine | None:
        """A declined quarantine whose entry reached the file after all: active from *at*
        (seen in force), with its release to come at its end as for any other."""
        return self._update_one(
            ident,
            "UPDATE quarantines SET status = ?, seen_at = ?, ended_at = NULL, "
            "end_reason = NULL, release = NULL, released_at = NULL WHERE id = ? "
            "AND status = ?",
            (ACTIVE, utc_text(at), ident, DECLINED),
        )

    # -- in force: pending → active, and the periods a job's result says nothing -------------

    def seen(self, repo: str, tests: Collection[str], *, at: datetime) -> list[Quarantine]:
        """Mark the pending quarantines of *repo* that cover one of *tests* active: they were
        seen in force at *at*.  Returns the quarantines that became active."""
        if not tests:
            return []
        activated = []
        for quarantine in self.find(repo, status=PENDING):
            if any(covers(quarantine.test_id, test) for test in tests):
                done = self.activate(quarantine.id, at=at)
                if done is not None:
                    activated.append(done)
        return activated

    def activate(self, ident: int, *, at: datetime) -> Quarantine | None:
        """Mark a pending quarantine active (seen in force at *at*); ``None`` when it was not
        pending."""
        return self._update_one(
            ident,
            "UPDATE quarantines SET status = ?, seen_at = ? WHERE id = ? AND status = ?",
            (ACTIVE, utc_text(at), ident, PENDING),
        )

    def in_force(self, repo: str, *, at: datetime) -> bool:
        """True when some quarantine of *repo* may be in force at *at*: its file entry has not
        expired and is not known gone (then quarantined tests' lines must be read)."""
        rows = self.store.read(
            "SELECT 1 FROM quarantines WHERE repo = ? AND expires_at > ? "
            "AND (released_at IS NULL OR released_at > ?) LIMIT 1",
            (repo, utc_text(at), utc_text(at)),
        )
        return bool(rows)

    def windows(self, repo: str, test_id: str) -> list[tuple[datetime, datetime]]:
        """The periods in which a quarantine covering *test_id* may have been in force (from
        its start until :attr:`Quarantine.in_force_until`), oldest first."""
        names = {test_id, test_id.split("[", 1)[0]}
        rows = self.store.read(
            f"SELECT * FROM quarantines WHERE repo = ? AND test_id IN "
            f"({','.join('?' * len(names))}) ORDER BY created_at",
            (repo, *sorted(names)),
        )
        found = [_row(row) for row in rows]
        return [(q.created_at, q.in_force_until) for q in found if covers(q.test_id, test_id)]

    # -- release: the file entry of an ended quarantine ----------------------------------------

    def releases(self, repo: str | None = None, *, state: str = RELEASE_NEEDED) -> list[Quarantine]:
        """Ended quarantines whose release is in *state*, oldest first."""
        return self._select("release = ?", [state], repo, "ended_at, id")

    def claim_release(self, ident: int) -> bool:
        """Take a ``needed`` release to work on it (``opening``); False when someone else has."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE quarantines SET release = ? WHERE id = ? AND release = ?",
                (RELEASE_OPENING, ident, RELEASE_NEEDED),
            )
            return cursor.rowcount == 1

    def set_release(
        self,
        ident: int,
        state: str,
        *,
        link: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Quarantine | None:
        """Record what became of a quarantine's file entry (``done`` also records *at* as
        when the entry was known gone)."""
        released = utc_text(at) if state == RELEASE_DONE and at is not None else None
        with self.store.transaction() as db:
            db.execute(
                "UPDATE quarantines SET release = ?, release_link = COALESCE(?, release_link), "
                "release_note = ?, released_at = COALESCE(released_at, ?) WHERE id = ?",
                (state, link, note, released, ident),
            )
            row = db.execute("SELECT * FROM quarantines WHERE id = ?", (ident,)).fetchone()
        return _row(row) if row is not None else None
