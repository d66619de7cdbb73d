"""Applying remedies when they are due: a retry's back-off, waited for real.

``serve`` and ``watch`` build their rescuers with ``defer_delayed=True``: a remedy carrying a
``delay_seconds`` (the retry strategy sets it from the policy's ``retry_backoff_seconds``) is
claimed and stored as *scheduled* instead of being applied at once.  :class:`RemedyScheduler`
runs on a daemon thread beside them (``watch --once`` runs one pass) and, when one is due,
holds the runtime's pipeline lock (no event is handled meanwhile) and looks again first:

- its claim already ended, or a scheduler stopped while calling the provider (claim
  ``applying``: the write may have happened) → **done**, nothing written again;
- a newer attempt exists, the run is running again or it passed, the incident was resolved, or
  the deployment no longer acts (``observe`` / ``propose``) → **dropped**: nothing written, a
  ``skipped`` outcome with the reason goes on the incident, and the claim is freed;
- otherwise the remedy is applied through the same plugin hook as any other, its outcome goes on
  the incident's timeline and the notifiers hear of it.  A transient provider error (5xx, rate
  limit) puts it back for a later try (at least as long as the provider asked), up to
  :data:`MAX_ATTEMPTS`; then, like any other error, it is a ``failed`` outcome.

Scheduled remedies live in the store, taken under a lease (see
:mod:`ci_rescue_core.store.schedule`), so a restart loses none and two processes sharing a store
never apply one twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from ci_rescue_core.errors import TRANSIENT_ERRORS, RescueError
from ci_rescue_core.fix_proposer import claim_target, settle
from ci_rescue_core.models import Incident, IncidentStatus, Mode, Outcome, OutcomeStatus
from ci_rescue_core.periodic import Periodic
from ci_rescue_core.store import SQLiteStore, utc_now
from ci_rescue_core.store.schedule import DONE, DROPPED, DUE, ScheduledRemedy, ScheduleStore
from ci_rescue_core.store.sqlite import CLAIM_APPLYING, CLAIM_PENDING, CLAIM_SCHEDULED

if TYPE_CHECKING:
    from ci_rescue_core.orchestrator import Rescuer
    from ci_rescue_core.runtime import Runtime

log = logging.getLogger(__name__)

INTERVAL = 5.0
"""Seconds between two looks at the schedule."""

MAX_ATTEMPTS = 5
"""Tries of one scheduled remedy before a transient error is taken as final."""

RETRY_DELAY = timedelta(seconds=60)
"""How long a remedy waits again after a transient error."""


@attrs.frozen(kw_only=True)
class ScheduledResult:
    """What became of one due remedy: ``done`` (with the outcome), ``dropped`` (with why) or
    ``due`` again (a transient error)."""

    item: ScheduledRemedy
    status: str
    detail: str
    outcome: Outcome | None = None
    retry_after: float | None = None


class RemedyScheduler:
    """Applies scheduled remedies when due, once at :meth:`start` and then every *interval*
    seconds until :meth:`stop` (or on demand with :meth:`run_due`).

    :param store: where scheduled remedies and incidents are.
    :param rescuer_for: the rescuer of a provider name (its provider, fix proposer, policy,
        mode and notifiers are used).
    :param clock: the current time (injected by tests).
    :param interval: seconds between two looks at the schedule.
    :param lock: held while one remedy is taken and applied: the runtime's pipeline lock, so
        that no event of the same runtime is handled meanwhile.
    """

    def __init__(
        self,
        store: SQLiteStore,
        rescuer_for: Callable[[str], Rescuer],
        *,
        clock: Callable[[], datetime] = utc_now,
        interval: float = INTERVAL,
        lock: threading.RLock | None = None,
    ) -> None:
        self.store = store
        self.schedule = ScheduleStore(store)
        self.rescuer_for = rescuer_for
        self.clock = clock
        self.lock = lock if lock is not None else threading.RLock()
        self._periodic = Periodic(
            self.run_due, interval=interval, name="ci-rescue-remedy-scheduler"
        )

    @classmethod
    def for_runtime(
        cls,
        runtime: Runtime,
        *,
        interval: float = INTERVAL,
        clock: Callable[[], datetime] = utc_now,
    ) -> RemedyScheduler:
        """A scheduler over *runtime*'s store and rescuers, sharing its pipeline lock."""
        return cls(
            runtime.store, runtime.rescuer, clock=clock, interval=interval, lock=runtime.lock
        )

    # -- one pass --------------------------------------------------------------------------

    def run_due(self) -> list[ScheduledResult]:
        """Apply (or drop) every remedy due now; returns what became of each."""
        results = []
        while not self._periodic.stopping.is_set():
            with self.lock:  # no event is handled meanwhile; the lease starts under the lock
                item = self.schedule.take_due(self.clock())
                if item is None:
                    break
                results.append(self._run_one(item))
        return results

    def _run_one(self, item: ScheduledRemedy) -> ScheduledResult:
        """Apply one taken item and end it; whatever happens, the item does not stay taken
        (but for a store that fails, when its lease lets another pass take it again)."""
        result = ScheduledResult(item=item, status=DONE, detail="internal error")
        try:
            result = self._attempt(item)
        except Exception as exc:  # a bug must not stop the schedule: record it, keep going
            log.exception("scheduled %s for %s crashed", item.remedy.kind, item.run.key)
            result = ScheduledResult(item=item, status=DONE, detail=f"internal error: {exc!r}")
            self._release(item, status="failed", error=result.detail)
        finally:
            if result.status == DUE:
                ended = self.schedule.postpone(
                    item, self.clock() + self._wait(result), result.detail
                )
            else:
                ended = self.schedule.finish(item, result.status, result.detail, self.clock())
            if not ended:
                log.warning("scheduled %s for %s was taken over", item.remedy.kind, item.run.key)
        return result

    def _attempt(self, item: ScheduledRemedy) -> ScheduledResult:
        try:
            rescuer = self.rescuer_for(item.provider)
        except RescueError as exc:  # not configured, or not buildable right now
            return self._again_or_failed(item, exc, None)
        try:
            return self._apply(item, rescuer)
        except TRANSIENT_ERRORS as exc:
            return self._again_or_failed(item, exc, rescuer)
        except RescueError as exc:
            return self._failed(item, exc, rescuer)

    def _again_or_failed(
        self, item: ScheduledRemedy, exc: RescueError, rescuer: Rescuer | None
    ) -> ScheduledResult:
        """Try again later, up to :data:`MAX_ATTEMPTS`; then it has failed."""
        if item.attempts >= MAX_ATTEMPTS:
            return self._failed(item, exc, rescuer)
        detail = f"will try again: {exc}"
        log.warning("scheduled %s for %s %s", item.remedy.kind, item.run.key, detail)
        retry_after = getattr(exc, "retry_after", None)
        return ScheduledResult(item=item, status=DUE, detail=detail, retry_after=retry_after)

    def _wait(self, result: ScheduledResult) -> timedelta:
        """How long a postponed item waits: :data:`RETRY_DELAY`, or longer when the provider
        asked for it."""
        if result.retry_after:
            return max(RETRY_DELAY, timedelta(seconds=result.retry_after))
        return RETRY_DELAY

    def _apply(self, item: ScheduledRemedy, rescuer: Rescuer) -> ScheduledResult:
        run, remedy = item.run, item.remedy
        target = claim_target(remedy)
        claim = self.store.remedy_claim(run.key, remedy.kind, target)
        if claim == CLAIM_APPLYING:  # a scheduler stopped between provider write and answer
            return self._unknown(item, rescuer)
        if claim != CLAIM_SCHEDULED:  # it ended (applied by a scheduler that then died...)
            return ScheduledResult(item=item, status=DONE, detail=f"already {claim}")
        incident = self.store.get_incident(item.incident_id)
        why_not, underway = self._moot(item, rescuer, incident)
        if why_not is not None or incident is None:
            return self._drop(item, rescuer, incident, why_not, underway)
        if not self.store.finish_remedy(
            run.key, remedy.kind, target, status=CLAIM_APPLYING, only_from=(CLAIM_SCHEDULED,)
        ):
            return ScheduledResult(item=item, status=DONE, detail="taken by another scheduler")
        try:
            outcome = rescuer.fixer.apply_claimed(
                incident, run, remedy, rescuer.policy_for(run.repo), reraise=TRANSIENT_ERRORS
            )
        except TRANSIENT_ERRORS:  # not applied: back to scheduled for the next try
            self.store.finish_remedy(
                run.key, remedy.kind, target, status=CLAIM_SCHEDULED, only_from=(CLAIM_APPLYING,)
            )
            raise
        incident = rescuer.fixer.record(incident, outcome)
        rescuer.quarantines.record_applied(incident, [outcome], run.provider)
        self._tell(rescuer, item, outcome, incident)
        detail = outcome.error or outcome.link or outcome.detail or outcome.status.value
        return ScheduledResult(item=item, status=DONE, detail=detail, outcome=outcome)

    def _drop(
        self,
        item: ScheduledRemedy,
        rescuer: Rescuer,
        incident: Incident | None,
        why_not: str | None,
        underway: bool,
    ) -> ScheduledResult:
        """Nothing written: free the claim and put a ``skipped`` outcome on the incident."""
        reason = why_not or f"incident {item.incident_id} is gone"
        self._release(item, status=DROPPED)
        if incident is not None:
            skipped = Outcome(remedy=item.remedy, status=OutcomeStatus.SKIPPED, detail=reason)
            rescuer.fixer.record(
                incident, skipped, still_underway=underway or self._others_due(item)
            )
        log.info("scheduled %s for %s dropped: %s", item.remedy.kind, item.run.key, reason)
        return ScheduledResult(item=item, status=DROPPED, detail=reason)

    def _unknown(self, item: ScheduledRemedy, rescuer: Rescuer) -> ScheduledResult:
        """A takeover of a remedy whose provider write may or may not have happened: never
        written again (its claim stays ``applying``, so no event applies it either)."""
        detail = "outcome unknown: a scheduler stopped while applying it; not applied again"
        incident = self.store.get_incident(item.incident_id)
        if incident is not None:
            unknown = Outcome(remedy=item.remedy, status=OutcomeStatus.SKIPPED, detail=detail)
            rescuer.fixer.record(incident, unknown, still_underway=True)
        return ScheduledResult(item=item, status=DONE, detail=detail)

    def _failed(
        self, item: ScheduledRemedy, exc: RescueError, rescuer: Rescuer | None
    ) -> ScheduledResult:
        """A final error before the remedy could be applied: its claim is released (a later
        event may try again), the incident and the notifiers hear of it."""
        outcome = Outcome(remedy=item.remedy, status=OutcomeStatus.FAILED, error=str(exc))
        self._release(item, status="failed", error=str(exc))
        incident = self.store.get_incident(item.incident_id)
        underway = self._others_due(item)
        if incident is not None and rescuer is not None:
            incident = rescuer.fixer.record(incident, outcome, still_underway=underway)
            self._tell(rescuer, item, outcome, incident)
        elif incident is not None:  # no rescuer to record through: settle it directly
            self.store.save_incident(settle(incident, outcome, self.clock(), underway))
        return ScheduledResult(item=item, status=DONE, detail=f"failed: {exc}", outcome=outcome)

    def _others_due(self, item: ScheduledRemedy) -> bool:
        """Another remedy of the same incident is still scheduled."""
        return any(
            other.id != item.id
            for other in self.schedule.find(status=DUE, incident_id=item.incident_id)
        )

    @staticmethod
    def _tell(
        rescuer: Rescuer, item: ScheduledRemedy, outcome: Outcome, incident: Incident
    ) -> None:
        run = item.run
        rescuer.notify(
            incident,
            f"{run.repo}@{run.head_sha[:7]} {run.workflow or 'run'}: "
            f"{item.remedy.kind} {outcome.status.value} after its back-off",
        )

    def _moot(
        self, item: ScheduledRemedy, rescuer: Rescuer, incident: Incident | None
    ) -> tuple[str | None, bool]:
        """Why applying *item* now would be wrong (``None`` when it is still wanted), and
        whether the run is being retried anyway (someone else re-ran it)."""
        if rescuer.mode is not Mode.ACT:
            return f"the deployment is in {rescuer.mode.value} mode now", False
        if incident is None:
            return f"incident {item.incident_id} is gone", False
        if incident.status is IncidentStatus.RESOLVED:
            return f"incident {incident.id} was resolved meanwhile", False
        run = item.run
        now = rescuer.provider.get_run(run.repo, run.run_id)
        if now.attempt > run.attempt:
            running = now.status not in ("completed", "")
            return f"run {run.run_id} moved on to attempt {now.attempt} meanwhile", running
        if now.status not in ("completed", ""):
            return f"run {run.run_id} is {now.status} again", True
        if now.conclusion == "success":
            return f"run {run.run_id} passed meanwhile", False
        return None, False

    def _release(self, item: ScheduledRemedy, *, status: str, error: str | None = None) -> None:
        """End the claim of a remedy that was not applied (``dropped`` or ``failed``: it may be
        claimed again), unless it already ended otherwise."""
        remedy = item.remedy
        self.store.finish_remedy(
            item.run.key,
            remedy.kind,
            claim_target(remedy),
            status=status,
            error=error,
            only_from=(CLAIM_PENDING, CLAIM_SCHEDULED),
        )

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> RemedyScheduler:
        """Apply due remedies now and then every *interval* seconds, on a daemon thread
        (remedies a dead process left taken are taken again once their lease ran out)."""
        self._periodic.start()
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Stop (a remedy being applied finishes first)."""
        self._periodic.stop(timeout)
