"""Quarantines after they are applied: stored, expired on time, released when earned.

- When a ``quarantine`` remedy is applied (its change request opened), each test it names is
  stored as an active quarantine with the TTL the remedy carries.
- Every pipeline run (and ``ci-rescue quarantine expire``) ends the quarantines whose TTL ran
  out (*expired*) and those whose test passed ``quarantine_release_passes`` times in a row since
  (*lifted*: release is earned by evidence).  Each ending is written on the timeline of the
  incident that proposed it and sent to the notifiers (``rescue.log``...) — reported, never
  silently forgotten.  The quarantine file carries the same expiry, so the test runner stops
  honouring an entry on time even when ci-rescue is not running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from ci_rescue_core import incidents
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Incident, Outcome, OutcomeStatus, RemedyKind
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.history import HistoryStore
from ci_rescue_core.store.quarantine import EXPIRED, LIFTED, Quarantine, QuarantineStore

PolicyFor = Callable[[str], Policy]


class QuarantineKeeper:
    """Stores, expires and releases quarantines, and reports every one that ends.

    :param store: where quarantines, history and incidents live.
    :param hooks: the notifiers and observers to tell.
    :param clock: the time source.
    """

    def __init__(self, *, store: SQLiteStore, hooks: Hooks, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.quarantines = QuarantineStore(store)
        self.history = HistoryStore(store)
        self.hooks = hooks
        self.clock = clock

    def record_applied(
        self, incident: Incident, outcomes: Iterable[Outcome], provider: str
    ) -> list[Quarantine]:
        """Store the quarantines of every applied ``quarantine`` remedy in *outcomes*."""
        stored = []
        for outcome in outcomes:
            remedy = outcome.remedy
            if remedy.kind != RemedyKind.QUARANTINE or outcome.status is not OutcomeStatus.APPLIED:
                continue
            since = datetime.fromisoformat(str(remedy.params["since"]))
            expires = datetime.fromisoformat(str(remedy.params["expires"]))
            for test in remedy.params.get("tests", ()):
                stored.append(
                    self.quarantines.add(
                        provider=provider,
                        repo=incident.repo,
                        test_id=str(test["test"]),
                        reason=str(test["reason"]),
                        score=float(test["score"]),
                        evidence=[str(item) for item in test.get("evidence", ())],
                        incident_id=incident.id,
                        link=outcome.link,
                        created_at=since,
                        expires_at=expires,
                    )
                )
        return stored

    def lift(self, policy_for: PolicyFor, *, repo: str | None = None) -> list[Quarantine]:
        """End the quarantines that expired or earned their release; report each one.

        :param repo: only this repository's (default: every repository's).
        :returns: the quarantines ended now, oldest first.
        """
        now = self.clock()
        ended: list[Quarantine] = []
        for quarantine in self.quarantines.due(now, repo):
            done = self.quarantines.end(
                quarantine.id,
                status=EXPIRED,
                reason=f"its TTL ran out at {quarantine.expires_at:%Y-%m-%d %H:%M} UTC",
                now=now,
            )
            if done is not None:
                ended.append(done)
        for quarantine in self.quarantines.find(repo):
            needed = policy_for(quarantine.repo).quarantine_release_passes
            streak = self.history.consecutive_passes(
                quarantine.repo, quarantine.test_id, since=quarantine.created_at
            )
            if streak < needed:
                continue
            done = self.quarantines.end(
                quarantine.id,
                status=LIFTED,
                reason=f"it passed {streak} times in a row while quarantined "
                f"(quarantine_release_passes is {needed})",
                now=now,
            )
            if done is not None:
                ended.append(done)
        self.report(ended)
        return ended

    def report(self, ended: Sequence[Quarantine]) -> None:
        """Note each ended quarantine on its incident's timeline and tell the notifiers."""
        now = self.clock()
        for quarantine in ended:
            if quarantine.incident_id is None:
                continue
            incident = self.store.get_incident(quarantine.incident_id)
            if incident is None:
                continue
            message = (
                f"quarantine of {quarantine.test_id} {quarantine.status}: {quarantine.end_reason}"
            )
            incident = incidents.note(
                incident,
                "quarantine",
                message,
                now,
                test=quarantine.test_id,
                status=quarantine.status,
                link=quarantine.link,
            )
            self.store.save_incident(incident)
            self.hooks.incident_updated(incident=incident, step="quarantine")
            self.hooks.notify(incident=incident, headline=f"{quarantine.repo}: {message}")


def expiry(now: datetime, ttl_days: int) -> datetime:
    """When a quarantine started at *now* with a TTL of *ttl_days* ends."""
    return now + timedelta(days=ttl_days)
