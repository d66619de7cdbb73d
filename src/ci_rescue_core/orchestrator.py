"""The orchestrator: one CI event through the whole pipeline.

Sentinel (incident create / update) → LogWhisperer (logs → fingerprints) → FlakeHunter (history
→ verdicts) → policy (proposals → decisions) → FixProposer (apply) → Notifier.  Every step is
recorded on the incident's timeline and persisted before the next one starts, so a process
killed half-way leaves a consistent incident and a replayed event never writes twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from ci_rescue_core import incidents
from ci_rescue_core.diagnose import Diagnostician
from ci_rescue_core.errors import PayloadError
from ci_rescue_core.fix_proposer import FixProposer
from ci_rescue_core.flake.hunter import FlakeHunter, flake_summary
from ci_rescue_core.flake.keeper import QuarantineKeeper
from ci_rescue_core.guard import WriteGuard
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import (
    CIEvent,
    Diagnosis,
    FlakeVerdict,
    Incident,
    IncidentStatus,
    JobRef,
    Mode,
    RunRef,
)
from ci_rescue_core.policy.engine import Decision, decide
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Provider
from ci_rescue_core.results import HandleResult, HandleStatus
from ci_rescue_core.store import SQLiteStore, utc_now

__all__ = ["HandleResult", "HandleStatus", "PolicyLoader", "Rescuer", "parse_json_body"]

PolicyLoader = Callable[[str], Policy]


class Rescuer:
    """Runs the rescue pipeline for events of one provider.

    :param provider: the adapter to read from and (mode permitting) write to.
    :param hooks: the typed hook facade (plugins: extractors, evidence, strategies, notifiers).
    :param store: history and incidents.
    :param policy_for: the effective policy of a repository (``owner/name``).
    :param mode: ``observe`` writes nothing to the provider; ``propose`` never retries.
    :param known_secrets: values redacted from every log.
    :param use_baseline: compare each failed job's log with its last passing log.
    :param defer_delayed: schedule remedies that carry a back-off (``delay_seconds``) for the
        :class:`~ci_rescue_core.scheduler.RemedyScheduler` instead of applying them at once;
        for long-running processes that run one.
    :param lock: held while an event is handled; the rescuers of one runtime and its
        scheduler share it, so that they never update an incident at the same time.
    """

    def __init__(
        self,
        *,
        provider: Provider,
        hooks: Hooks,
        store: SQLiteStore,
        policy_for: PolicyLoader,
        mode: Mode = Mode.ACT,
        known_secrets: Sequence[str] = (),
        use_baseline: bool = True,
        defer_delayed: bool = False,
        lock: threading.RLock | None = None,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = incidents.new_incident_id,
    ) -> None:
        self.provider = provider
        self.hooks = hooks
        self.store = store
        self.policy_for = policy_for
        self.mode = mode
        self.known_secrets = tuple(known_secrets)
        self.lock = lock if lock is not None else threading.RLock()
        self._clock = clock
        self._new_id = new_id
        self._writer: Provider = provider if mode is not Mode.OBSERVE else WriteGuard(provider)
        self.diagnostician = Diagnostician(
            provider=provider,
            hooks=hooks,
            store=store,
            known_secrets=self.known_secrets,
            use_baseline=use_baseline,
        )
        self.flakes = FlakeHunter(store=store, provider=provider, hooks=hooks)
        self.quarantines = QuarantineKeeper(store=store, hooks=hooks, clock=clock)
        self.fixer = FixProposer(
            store=store,
            hooks=hooks,
            writer=self._writer,
            save=self._save,
            clock=clock,
            defer=defer_delayed,
        )

    # -- entry points ----------------------------------------------------------------------

    def handle_webhook(
        self, event_type: str, headers: Mapping[str, str], body: bytes
    ) -> HandleResult:
        """Verify, parse and handle one webhook delivery (raw body bytes)."""
        self.provider.verify_webhook(headers, body)
        return self.handle_verified(event_type, headers, body)

    def handle_verified(
        self, event_type: str, headers: Mapping[str, str], body: bytes
    ) -> HandleResult:
        """Parse and handle a delivery whose signature was checked when it was accepted (the
        webhook inbox's: a secret rotated since must not fail it)."""
        payload = parse_json_body(body)
        delivery = self.provider.delivery_id(headers, payload)
        return self.handle_payload(event_type, payload, delivery_id=delivery)

    def handle_payload(
        self, event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
    ) -> HandleResult:
        """Parse and handle one (already verified) payload."""
        event = self.provider.parse_event(event_type, payload, delivery_id=delivery_id)
        if event is None:
            return HandleResult(
                status=HandleStatus.IGNORED,
                reason=f"{self.provider.name} {event_type!r} events are not acted on",
            )
        return self.handle_event(event)

    def handle_event(self, event: CIEvent) -> HandleResult:
        """Handle one normalised event; replayed deliveries are recognised and skipped."""
        delivery = event.delivery_id
        if delivery is not None and not self.store.claim_delivery(self.provider.name, delivery):
            return HandleResult(
                status=HandleStatus.DUPLICATE, reason=f"delivery {delivery} was already handled"
            )
        try:
            with self.lock:
                return self._handle(event)
        except BaseException:
            if delivery is not None:
                self.store.release_delivery(self.provider.name, delivery)
            raise

    # -- the pipeline ----------------------------------------------------------------------

    def _handle(self, event: CIEvent) -> HandleResult:
        if not event.is_completed:
            return HandleResult(
                status=HandleStatus.IGNORED,
                reason=f"{event.kind} {event.action or event.run.status}: not finished yet",
            )
        run = self.provider.get_run(event.run.repo, event.run.run_id)
        if run.attempt > event.run.attempt:
            return HandleResult(
                status=HandleStatus.IGNORED,
                reason=f"attempt {event.run.attempt} of run {run.run_id} was superseded by "
                f"attempt {run.attempt}",
            )
        self._backfill_sha(run)
        jobs = self.provider.list_jobs(run)
        finished = run.status in ("completed", "")
        if event.job is not None:  # a job event is about that job (the run has its own event)
            failed = [job for job in jobs if job.failed and job.name == event.job.name]
        else:
            failed = [job for job in jobs if job.failed]
        if not failed:
            self._record(run, jobs)
            if finished and run.conclusion == "success":
                return self._resolve(run)
            return HandleResult(
                status=HandleStatus.RECORDED,
                reason=f"run {run.run_id} is {run.conclusion or run.status}; no job failed",
            )
        return self._rescue(run, jobs, failed)

    def _rescue(self, run: RunRef, jobs: list[JobRef], failed: list[JobRef]) -> HandleResult:
        policy = self.policy_for(run.repo)
        diagnoses = tuple(self.diagnostician.diagnose(job) for job in failed)
        mass_jobs = self._record(run, jobs, diagnoses)
        incident = self._sentinel(run, diagnoses, policy)
        incident, verdicts = self._hunt_flakes(incident, diagnoses, policy, mass_jobs)
        incident, decisions = self._choose(
            incident,
            run,
            diagnoses,
            verdicts,
            policy,
            frozenset(job.job_id for job in jobs if job.failed),
        )
        incident, outcomes = self.fixer.apply(incident, run, decisions, policy)
        self.quarantines.record_applied(incident, outcomes, run.provider)
        self.notify(incident, incidents.headline(incident, run, outcomes))
        return HandleResult(
            status=HandleStatus.HANDLED,
            incident=incident,
            decisions=tuple(decisions),
            reason=incidents.headline(incident, run, outcomes),
        )

    def _sentinel(self, run: RunRef, diagnoses: Sequence[Diagnosis], policy: Policy) -> Incident:
        now = self._clock()
        key = incidents.incident_key(diagnoses)
        existing = self.store.find_open_incident(run.repo, key)
        names = ", ".join(d.job.name for d in diagnoses)
        if existing is None:
            incident = incidents.open_incident(
                incident_id=self._new_id(),
                run=run,
                key=key,
                now=now,
                severity=incidents.severity_of(diagnoses, (), policy),
            )
            message = f"opened for run {run.run_id} attempt {run.attempt}: {names} failed"
        else:
            incident = existing
            message = f"run {run.run_id} attempt {run.attempt} failed the same way: {names}"
        incident = incidents.join_run(incident, run, diagnoses)
        incident = incidents.note(
            incident,
            "sentinel",
            message,
            now,
            run=run.key,
            jobs=[d.job.name for d in diagnoses],
            fingerprints=[d.fingerprint.hash for d in diagnoses],
        )
        for diagnosis in diagnoses:
            for text in diagnosis.notes:
                incident = incidents.note(incident, "logs", f"{diagnosis.job.name}: {text}", now)
        return self._save(incident, "sentinel")

    def _record(
        self, run: RunRef, jobs: Sequence[JobRef], diagnoses: Sequence[Diagnosis] = ()
    ) -> set[str]:
        """Record the attempt's job and test outcomes, then end the repository's quarantines
        that expired or earned their release (opening the change requests that remove their
        file entries).  Returns the jobs that were mass failures."""
        mass_jobs = self.flakes.record(run, jobs, self.policy_for(run.repo), diagnoses)
        self.quarantines.lift(self.policy_for, repo=run.repo, providers=self._provider_named)
        return mass_jobs

    def _provider_named(self, name: str) -> Provider | None:
        """This rescuer's (write-guarded) provider when *name* is its name."""
        return self._writer if name == self.provider.name else None

    def _hunt_flakes(
        self,
        incident: Incident,
        diagnoses: Sequence[Diagnosis],
        policy: Policy,
        mass_jobs: Collection[str] = (),
    ) -> tuple[Incident, tuple[FlakeVerdict, ...]]:
        verdict_tuple = self.flakes.judge(diagnoses, policy, mass_jobs)
        for diagnosis, verdict in zip(diagnoses, verdict_tuple, strict=True):
            incident = incidents.note(
                incident,
                "flake",
                flake_summary(verdict),
                self._clock(),
                job=diagnosis.job.name,
                verdict=verdict.verdict.value,
                score=verdict.score,
                tests={t.subject: [t.verdict.value, t.score] for t in verdict.tests},
            )
        incident = attrs.evolve(
            incident,
            verdicts=verdict_tuple,
            severity=incidents.severity_of(diagnoses, verdict_tuple, policy),
        )
        return self._save(incident, "flake"), verdict_tuple

    def _choose(
        self,
        incident: Incident,
        run: RunRef,
        diagnoses: tuple[Diagnosis, ...],
        verdicts: tuple[FlakeVerdict, ...],
        policy: Policy,
        failed_job_ids: frozenset[str],
    ) -> tuple[Incident, list[Decision]]:
        proposals = self.hooks.propose_remedies(
            incident=incident,
            run=run,
            diagnoses=diagnoses,
            verdicts=verdicts,
            policy=policy,
            capabilities=self.provider.capabilities,
        )
        decisions = decide(
            proposals,
            run=run,
            diagnoses=diagnoses,
            policy=policy,
            mode=self.mode,
            capabilities=self.provider.capabilities,
            failed_job_ids=failed_job_ids,
        )
        now = self._clock()
        for decision in decisions:
            incident = incidents.note(
                incident,
                "policy",
                f"{decision.remedy.kind} ({decision.remedy.reason}): {decision.action.value} — "
                f"{decision.reason}",
                now,
                kind=decision.remedy.kind,
                action=decision.action.value,
                jobs=list(decision.remedy.job_ids),
            )
        if not decisions:
            incident = incidents.note(incident, "policy", "no strategy proposed a remedy", now)
        return self._save(incident, "policy"), decisions

    def _resolve(self, run: RunRef) -> HandleResult:
        now = self._clock()
        resolved = []
        for incident in self.store.open_incidents(
            run.repo, workflow=run.workflow, branch=run.head_branch
        ):
            if not incidents.greens(run, incident):
                continue
            closed = attrs.evolve(incident, status=IncidentStatus.RESOLVED, resolved_at=now)
            closed = incidents.note(
                closed,
                "resolve",
                f"run {run.run_id} attempt {run.attempt} passed: {run.workflow} is green on "
                f"{run.head_branch}",
                now,
                run=run.key,
            )
            resolved.append(self._save(closed, "resolve"))
            self.notify(closed, f"{run.repo}@{run.head_sha[:7]} {run.workflow} is green again")
        if not resolved:
            return HandleResult(
                status=HandleStatus.RECORDED, reason=f"run {run.run_id} passed; recorded"
            )
        return HandleResult(
            status=HandleStatus.RESOLVED,
            resolved=tuple(resolved),
            reason=f"run {run.run_id} passed; {len(resolved)} incident(s) resolved",
        )

    # -- helpers ---------------------------------------------------------------------------

    def _backfill_sha(self, run: RunRef) -> None:
        """Record the provider's other runs (and earlier attempts) of this sha, once."""
        if not run.head_sha or self.store.has_sha(run.repo, run.head_sha):
            return
        for other in self.provider.list_runs(run.repo, sha=run.head_sha):
            attempts = range(1, other.attempt + (0 if other.run_id == run.run_id else 1))
            for attempt in attempts:
                earlier = attrs.evolve(other, attempt=attempt)
                self.store.record_run(earlier, self.provider.list_jobs(earlier))

    def _save(self, incident: Incident, step: str) -> Incident:
        self.store.save_incident(incident)
        for plugin, error in self.hooks.incident_updated(incident=incident, step=step):
            incident = incidents.note(
                incident, step, f"observer {plugin} failed: {error}", self._clock()
            )
            self.store.save_incident(incident)
        return incident

    def notify(self, incident: Incident, headline: str) -> None:
        """Tell the notifiers; a failing notifier is noted on the incident, never raised."""
        for plugin, error in self.hooks.notify(incident=incident, headline=headline):
            incident = incidents.note(
                incident, "notify", f"notifier {plugin} failed: {error}", self._clock()
            )
            self.store.save_incident(incident)


def parse_json_body(body: bytes) -> Mapping[str, Any]:
    """Decode a webhook body as a JSON object.

    :raises PayloadError: when it is not UTF-8 JSON or not an object.
    """
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"webhook body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError(f"webhook body is a JSON {type(payload).__name__}, not an object")
    return payload
