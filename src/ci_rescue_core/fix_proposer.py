"""FixProposer: apply the remedies policy allowed, each at most once per run.

The orchestrator hands over the decisions of one incident; each one policy approved is applied
by the plugin that owns its kind (``rescue_apply_remedy``) through the (mode-guarded) provider,
after a claim in the store makes sure a replayed event never applies it twice.  Every outcome is
put on the incident's timeline and saved before the next remedy starts.

A remedy with a ``delay_seconds`` (a retry's back-off) is *scheduled* when the proposer may
defer (``serve`` and ``watch``): its claim is taken now, it is stored as due later, and the
:class:`~ci_rescue_core.scheduler.RemedyScheduler` applies it then through
:meth:`FixProposer.apply_claimed`.  A one-shot command applies it at once and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from ci_rescue_core import incidents
from ci_rescue_core.errors import RescueError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Incident, IncidentStatus, Outcome, OutcomeStatus, Remedy, RunRef
from ci_rescue_core.policy.engine import Action, Decision
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Provider
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.schedule import ScheduleStore

SaveIncident = Callable[[Incident, str], Incident]
"""Persists an incident after a pipeline step and returns it (with any observer notes)."""


@attrs.define(kw_only=True)
class FixProposer:
    """Applies approved remedies through *writer*, recording each outcome on the incident.

    :param store: where remedy claims (at most once per run, kind and target) are kept.
    :param hooks: the typed hook facade; ``apply_remedy`` dispatches to the owning plugin.
    :param writer: the provider remedies write through (a ``WriteGuard`` in observe mode).
    :param save: persists the incident after each outcome (the orchestrator's ``_save``).
    :param clock: the time stamped on timeline entries.
    :param defer: schedule remedies that carry a ``delay_seconds`` instead of applying them at
        once (the long-running commands, which run a scheduler).
    """

    store: SQLiteStore
    hooks: Hooks
    writer: Provider
    save: SaveIncident
    clock: Callable[[], datetime]
    defer: bool = False

    def apply(
        self, incident: Incident, run: RunRef, decisions: Sequence[Decision], policy: Policy
    ) -> tuple[Incident, list[Outcome]]:
        """Apply (or plan) every decision that was not rejected; returns the updated incident
        with its new status, and the outcomes in decision order."""
        outcomes: list[Outcome] = []
        for decision in decisions:
            if decision.action is Action.REJECT:
                continue
            remedy = decision.remedy
            if decision.action is Action.PLAN:
                outcome = Outcome(
                    remedy=remedy, status=OutcomeStatus.PLANNED, detail=decision.reason
                )
            elif remedy.delay_seconds > 0 and self.defer:
                outcome = self.schedule(incident, run, remedy)
            else:
                outcome = self.apply_once(incident, run, decision, policy)
                if remedy.delay_seconds > 0 and outcome.status is OutcomeStatus.APPLIED:
                    waived = f"back-off of {remedy.delay_seconds:g} s not waited (one-shot command)"
                    detail = f"{outcome.detail}; {waived}" if outcome.detail else waived
                    outcome = attrs.evolve(outcome, detail=detail)
            outcomes.append(outcome)
            incident = self.save(note_outcome(incident, outcome, self.clock()), "apply")
        incident = attrs.evolve(incident, status=incidents.status_after(incident, outcomes))
        return self.save(incident, "apply"), outcomes

    def schedule(self, incident: Incident, run: RunRef, remedy: Remedy) -> Outcome:
        """Claim *remedy* for *run* and store it as due after its ``delay_seconds`` (one
        transaction); ``skipped`` when it was already claimed."""
        now = self.clock()
        due = now + timedelta(seconds=remedy.delay_seconds)
        scheduled = ScheduleStore(self.store).add_claimed(
            provider=run.provider,
            incident_id=incident.id,
            run=run,
            remedy=remedy,
            target=claim_target(remedy),
            due_at=due,
            created_at=now,
        )
        if scheduled is None:
            return self._already(run, remedy)
        return Outcome(
            remedy=remedy,
            status=OutcomeStatus.SCHEDULED,
            detail=f"due at {due:%H:%M:%S} UTC, after a back-off of {remedy.delay_seconds:g} s",
        )

    def _already(self, run: RunRef, remedy: Remedy) -> Outcome:
        """The ``skipped`` outcome of a remedy whose claim for *run* is held already."""
        status = self.store.remedy_claim(run.key, remedy.kind, claim_target(remedy))
        return Outcome(
            remedy=remedy,
            status=OutcomeStatus.SKIPPED,
            detail=f"already {status or 'applied'} for {run.key}",
        )

    def apply_once(
        self, incident: Incident, run: RunRef, decision: Decision, policy: Policy
    ) -> Outcome:
        """Apply one approved remedy unless it was already claimed for this run.

        A :class:`RescueError` from the plugin or provider becomes a ``failed`` outcome; any
        other exception marks the claim failed ("aborted") and propagates.
        """
        remedy = decision.remedy
        if not self.store.claim_remedy(run.key, remedy.kind, claim_target(remedy), incident.id):
            return self._already(run, remedy)
        return self.apply_claimed(incident, run, remedy, policy)

    def apply_claimed(
        self,
        incident: Incident,
        run: RunRef,
        remedy: Remedy,
        policy: Policy,
        *,
        reraise: tuple[type[RescueError], ...] = (),
    ) -> Outcome:
        """Apply *remedy*, whose claim for *run* is already held, and record how it ended.

        A :class:`RescueError` becomes a ``failed`` outcome, except those in *reraise* (the
        scheduler's transient errors), which propagate with the claim left as it was.
        """
        target = claim_target(remedy)
        try:
            outcome = self.hooks.apply_remedy(
                remedy=remedy, incident=incident, run=run, provider=self.writer, policy=policy
            )
        except reraise:
            raise
        except RescueError as exc:
            outcome = Outcome(remedy=remedy, status=OutcomeStatus.FAILED, error=str(exc))
        except BaseException:
            self.store.finish_remedy(run.key, remedy.kind, target, status="failed", error="aborted")
            raise
        self.store.finish_remedy(
            run.key,
            remedy.kind,
            target,
            status=outcome.status.value,
            link=outcome.link,
            error=outcome.error,
        )
        return outcome

    def record(
        self, incident: Incident, outcome: Outcome, *, still_underway: bool = False
    ) -> Incident:
        """Put a later *outcome* (a scheduled remedy's) on the incident, settle its status
        (:func:`settle`) and save it."""
        return self.save(settle(incident, outcome, self.clock(), still_underway), "apply")


def settle(incident: Incident, outcome: Outcome, now: datetime, still_underway: bool) -> Incident:
    """*incident* with a later *outcome* noted and its status updated.  A resolved incident
    stays resolved; a remedy that did not go through ends the ``mitigating`` status its
    scheduling set, unless *still_underway* (another retry of it is scheduled or running)."""
    incident = note_outcome(incident, outcome, now)
    if incident.status is IncidentStatus.RESOLVED:
        return incident
    base = incident
    went_through = outcome.status in (OutcomeStatus.APPLIED, OutcomeStatus.SCHEDULED)
    if incident.status is IncidentStatus.MITIGATING and not went_through and not still_underway:
        base = attrs.evolve(incident, status=IncidentStatus.OPEN)
    return attrs.evolve(incident, status=incidents.status_after(base, [outcome]))


def note_outcome(incident: Incident, outcome: Outcome, now: datetime) -> Incident:
    """*incident* with *outcome* (and its remedy) added and noted on the timeline."""
    remedy = outcome.remedy
    incident = attrs.evolve(
        incident,
        remedies=(*incident.remedies, remedy),
        outcomes=(*incident.outcomes, outcome),
        tracking_issue=outcome.link
        if remedy.escalates and outcome.status is OutcomeStatus.APPLIED and outcome.link
        else incident.tracking_issue,
    )
    return incidents.note(
        incident,
        "apply",
        f"{remedy.kind}: {outcome.status.value}"
        + (f" — {outcome.link}" if outcome.link else "")
        + (f" — {outcome.error}" if outcome.error else "")
        + (f" — {outcome.detail}" if outcome.detail and not outcome.error else ""),
        now,
        kind=remedy.kind,
        status=outcome.status.value,
        link=outcome.link,
    )


def claim_target(remedy: Remedy) -> str:
    """What a remedy's claim is keyed on besides run and kind: its jobs, or its kind."""
    return ",".join(sorted(remedy.job_ids)) or remedy.kind
