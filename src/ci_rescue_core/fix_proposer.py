"""FixProposer: apply the remedies policy allowed, each at most once per run.

The orchestrator hands over the decisions of one incident; each one policy approved is applied
by the plugin that owns its kind (``rescue_apply_remedy``) through the (mode-guarded) provider,
after a claim in the store makes sure a replayed event never applies it twice.  Every outcome is
put on the incident's timeline and saved before the next remedy starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from ci_rescue_core import incidents
from ci_rescue_core.errors import RescueError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Incident, Outcome, OutcomeStatus, RunRef
from ci_rescue_core.policy.engine import Action, Decision
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Provider
from ci_rescue_core.store import SQLiteStore

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
    """

    store: SQLiteStore
    hooks: Hooks
    writer: Provider
    save: SaveIncident
    clock: Callable[[], datetime]

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
            else:
                outcome = self.apply_once(incident, run, decision, policy)
            outcomes.append(outcome)
            incident = self._record_outcome(incident, outcome)
        incident = attrs.evolve(incident, status=incidents.status_after(incident, outcomes))
        return self.save(incident, "apply"), outcomes

    def apply_once(
        self, incident: Incident, run: RunRef, decision: Decision, policy: Policy
    ) -> Outcome:
        """Apply one approved remedy unless it was already claimed for this run.

        A :class:`RescueError` from the plugin or provider becomes a ``failed`` outcome; any
        other exception marks the claim failed ("aborted") and propagates.
        """
        remedy = decision.remedy
        target = ",".join(sorted(remedy.job_ids)) or remedy.kind
        if not self.store.claim_remedy(run.key, remedy.kind, target, incident.id):
            return Outcome(
                remedy=remedy,
                status=OutcomeStatus.SKIPPED,
                detail=f"already applied to {run.key}",
            )
        try:
            outcome = self.hooks.apply_remedy(
                remedy=remedy, incident=incident, run=run, provider=self.writer, policy=policy
            )
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

    def _record_outcome(self, incident: Incident, outcome: Outcome) -> Incident:
        """Add *outcome* (and its remedy) to the incident, note it on the timeline, save."""
        remedy = outcome.remedy
        incident = attrs.evolve(
            incident,
            remedies=(*incident.remedies, remedy),
            outcomes=(*incident.outcomes, outcome),
            tracking_issue=outcome.link
            if remedy.escalates and outcome.status is OutcomeStatus.APPLIED and outcome.link
            else incident.tracking_issue,
        )
        incident = incidents.note(
            incident,
            "apply",
            f"{remedy.kind}: {outcome.status.value}"
            + (f" — {outcome.link}" if outcome.link else "")
            + (f" — {outcome.error}" if outcome.error else "")
            + (f" — {outcome.detail}" if outcome.detail and not outcome.error else ""),
            self.clock(),
            kind=remedy.kind,
            status=outcome.status.value,
            link=outcome.link,
        )
        return self.save(incident, "apply")
