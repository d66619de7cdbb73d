"""The webhook inbox: accepted deliveries, stored before they are acknowledged.

A delivery is written to the store in the same request that answers ``202``, so a crash after
the answer loses nothing: the worker picks up whatever is pending (or was being worked on when
the process died) when it starts again.  Transient failures (provider unavailable, rate limited)
are retried with back-off; other failures are kept with their error for a human.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import attrs

from ci_rescue_core.flake.history import utc_text
from ci_rescue_core.store import SQLiteStore, utc_now

PENDING = "pending"
WORKING = "working"
DONE = "done"
FAILED = "failed"

MAX_ATTEMPTS = 5


@attrs.frozen(kw_only=True)
class InboxItem:
    """One accepted delivery."""

    id: int
    provider: str
    event_type: str
    delivery_id: str | None
    headers: Mapping[str, str]
    body: bytes
    attempts: int


class Inbox:
    """Deliveries waiting for the worker, kept in the store's ``webhook_inbox`` table."""

    def __init__(self, store: SQLiteStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    def put(
        self,
        provider: str,
        event_type: str,
        delivery_id: str | None,
        headers: Mapping[str, str],
        body: bytes,
    ) -> bool:
        """Store a delivery; False when this delivery id of this provider is already in."""
        with self._store.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO webhook_inbox (provider, event_type, delivery_id, headers,"
                " body, received_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    provider,
                    event_type,
                    delivery_id,
                    json.dumps(dict(headers)),
                    body,
                    utc_text(self._clock()),
                    PENDING,
                ),
            )
            return cursor.rowcount == 1

    def take(self) -> InboxItem | None:
        """The oldest delivery that is due, marked as being worked on; ``None`` when idle."""
        now = utc_text(self._clock())
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT * FROM webhook_inbox WHERE status = ? AND (not_before IS NULL OR "
                "not_before <= ?) ORDER BY id LIMIT 1",
                (PENDING, now),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE webhook_inbox SET status = ?, attempts = attempts + 1 WHERE id = ?",
                (WORKING, row["id"]),
            )
        return InboxItem(
            id=row["id"],
            provider=row["provider"],
            event_type=row["event_type"],
            delivery_id=row["delivery_id"],
            headers=json.loads(row["headers"]),
            body=bytes(row["body"]),
            attempts=row["attempts"] + 1,
        )

    def done(self, item: InboxItem) -> None:
        """Mark a delivery handled."""
        self._finish(item, DONE, None)

    def failed(self, item: InboxItem, error: str, *, retry: bool) -> None:
        """Record a failure: back to pending with back-off when *retry* and attempts remain."""
        if retry and item.attempts < MAX_ATTEMPTS:
            delay = timedelta(seconds=min(2**item.attempts, 300))
            with self._store.transaction() as db:
                db.execute(
                    "UPDATE webhook_inbox SET status = ?, error = ?, not_before = ? WHERE id = ?",
                    (PENDING, error, utc_text(self._clock() + delay), item.id),
                )
            return
        self._finish(item, FAILED, error)

    def recover(self) -> int:
        """Put deliveries left ``working`` by a dead process back in line; how many."""
        with self._store.transaction() as db:
            return db.execute(
                "UPDATE webhook_inbox SET status = ? WHERE status = ?", (PENDING, WORKING)
            ).rowcount

    def pending_count(self) -> int:
        """Deliveries waiting or being worked on."""
        rows = self._store.read(
            "SELECT COUNT(*) FROM webhook_inbox WHERE status IN (?, ?)", (PENDING, WORKING)
        )
        return int(rows[0][0])

    def items(self, status: str | None = None) -> list[dict[str, object]]:
        """Rows (without bodies) for inspection, oldest first."""
        query = (
            "SELECT id, provider, event_type, delivery_id, status, attempts, error "
            "FROM webhook_inbox"
        )
        params: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            params = (status,)
        return [dict(row) for row in self._store.read(query + " ORDER BY id", params)]

    def _finish(self, item: InboxItem, status: str, error: str | None) -> None:
        with self._store.transaction() as db:
            db.execute(
                "UPDATE webhook_inbox SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (status, error, utc_text(self._clock()), item.id),
            )
