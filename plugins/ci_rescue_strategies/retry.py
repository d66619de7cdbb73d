"""Retry only the failed matrix cells whose failure is flaky or the machinery's.

Proposes one ``retry_cells`` remedy naming the failed jobs worth re-running.  Core's policy
engine enforces the retry budget and the never-retry categories; this strategy only chooses
*which* cells deserve a retry.
"""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import (
    Diagnosis,
    FlakeVerdict,
    Incident,
    Outcome,
    OutcomeStatus,
    Remedy,
    RemedyKind,
    RunRef,
    Verdict,
)
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability, Provider


def _worth_retrying(diagnosis: Diagnosis, verdict: FlakeVerdict, policy: Policy) -> str | None:
    category = diagnosis.fingerprint.category
    if category in policy.never_retry:
        return None
    if verdict.verdict is Verdict.FLAKY:
        return f"{diagnosis.job.name} is flaky (score {verdict.score:.2f})"
    if category in policy.retry_categories and verdict.verdict is not Verdict.BROKEN:
        return f"{diagnosis.job.name} failed on {category.value}"
    return None


@hookimpl
def rescue_propose_remedies(
    run: RunRef,
    diagnoses: tuple[Diagnosis, ...],
    verdicts: tuple[FlakeVerdict, ...],
    policy: Policy,
    capabilities: frozenset[Capability],
) -> list[Remedy]:
    """Propose re-running the failed cells that are flaky or hit a transient failure.

    When only some failed cells deserve a retry and the provider re-runs one chosen job at a
    time (GitHub), the first is re-run now and the others on the following attempts: re-running
    every failed job would re-run the broken cells too.
    """
    reasons = []
    job_ids = []
    for diagnosis, verdict in zip(diagnoses, verdicts, strict=True):
        reason = _worth_retrying(diagnosis, verdict, policy)
        if reason is not None:
            reasons.append(reason)
            job_ids.append(diagnosis.job.job_id)
    if not job_ids:
        return []
    partial = len(job_ids) < len(diagnoses)
    if partial and len(job_ids) > 1 and Capability.RERUN_JOBS not in capabilities:
        later = len(job_ids) - 1
        job_ids = job_ids[:1]
        reasons = [*reasons[:1], f"{later} more cell(s) follow on the next attempts"]
    retry_number = run.attempt  # attempt 1 failed -> this is retry 1
    backoff = policy.backoff_for(retry_number)
    return [
        Remedy(
            kind=RemedyKind.RETRY_CELLS,
            reason="; ".join(reasons),
            job_ids=tuple(job_ids),
            params={
                "retry_number": retry_number,
                "backoff_seconds": backoff,
            },
            reversible=True,
            needs_review=False,
            source="retry",
            delay_seconds=backoff,
        )
    ]


@hookimpl
def rescue_apply_remedy(
    remedy: Remedy, incident: Incident, run: RunRef, provider: Provider
) -> Outcome | None:
    """Re-run the named cells: every failed job in one call when they are all of the run's
    failed jobs (asked of the provider now, not assumed), else only the chosen cells."""
    if remedy.kind not in RemedyKind.RETRIES:
        return None
    failed_now = {job.job_id for job in provider.list_jobs(run) if job.failed}
    if set(remedy.job_ids) == failed_now:
        link = provider.rerun_failed_jobs(run)
        detail = f"re-ran the failed jobs of run {run.run_id} (incident {incident.id})"
    else:
        link = provider.rerun_jobs(run, remedy.job_ids)
        detail = f"re-ran jobs {', '.join(remedy.job_ids)} of run {run.run_id}"
    return Outcome(remedy=remedy, status=OutcomeStatus.APPLIED, link=link, detail=detail)
