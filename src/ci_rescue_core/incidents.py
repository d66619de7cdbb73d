"""Pure functions that build and evolve incidents (no I/O)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from ci_rescue_core.models import (
    Category,
    Diagnosis,
    FlakeVerdict,
    Incident,
    IncidentStatus,
    Outcome,
    OutcomeStatus,
    RemedyKind,
    RunRef,
    Severity,
    TimelineEntry,
    Verdict,
)
from ci_rescue_core.policy.rules import Policy


def new_incident_id() -> str:
    """A fresh incident id (``inc-`` and 12 hex digits)."""
    return f"inc-{uuid.uuid4().hex[:12]}"


def incident_key(diagnoses: Sequence[Diagnosis]) -> str:
    """The identity of a failure across runs: a digest of its distinct fingerprint hashes.

    Matrix cells failing the same way share a fingerprint, so they count once.
    """
    hashes = sorted({d.fingerprint.hash for d in diagnoses})
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:16]


def open_incident(
    *, incident_id: str, run: RunRef, key: str, now: datetime, severity: Severity
) -> Incident:
    """A new, empty incident for a failure of *run*."""
    return Incident(
        id=incident_id,
        provider=run.provider,
        repo=run.repo,
        key=key,
        branch=run.head_branch,
        workflow=run.workflow,
        severity=severity,
        opened_at=now,
        updated_at=now,
    )


def note(incident: Incident, step: str, message: str, now: datetime, **data: Any) -> Incident:
    """*incident* with one more timeline entry."""
    entry = TimelineEntry(at=now, step=step, message=message, data=data)
    return attrs.evolve(incident, timeline=(*incident.timeline, entry), updated_at=now)


def join_run(incident: Incident, run: RunRef, diagnoses: Sequence[Diagnosis]) -> Incident:
    """*incident* with *run* and any fingerprints it has not seen yet."""
    known = {fp.hash for fp in incident.fingerprints}
    added = []
    for diagnosis in diagnoses:
        if diagnosis.fingerprint.hash not in known:
            known.add(diagnosis.fingerprint.hash)
            added.append(diagnosis.fingerprint)
    runs = incident.runs if run in incident.runs else (*incident.runs, run)
    return attrs.evolve(incident, runs=runs, fingerprints=(*incident.fingerprints, *added))


def severity_of(
    diagnoses: Sequence[Diagnosis], verdicts: Sequence[FlakeVerdict], policy: Policy
) -> Severity:
    """Blocker when anything is broken or never-retry; transient when all failures are the
    machinery's; flaky otherwise."""
    categories = [d.fingerprint.category for d in diagnoses]
    if any(c in policy.never_retry for c in categories):
        return Severity.BLOCKER
    if any(v.verdict in (Verdict.BROKEN, Verdict.UNKNOWN) for v in verdicts) and not all(
        c in policy.retry_categories for c in categories
    ):
        return Severity.BLOCKER
    if categories and all(c.is_transient or c in policy.retry_categories for c in categories):
        return Severity.TRANSIENT
    return Severity.FLAKY


def status_after(incident: Incident, outcomes: Iterable[Outcome]) -> IncidentStatus:
    """The status an incident moves to after this round of outcomes."""
    underway = [o for o in outcomes if o.status in (OutcomeStatus.APPLIED, OutcomeStatus.SCHEDULED)]
    if any(o.remedy.kind in RemedyKind.RETRIES for o in underway):
        return IncidentStatus.MITIGATING
    if incident.tracking_issue is not None:
        return IncidentStatus.ESCALATED
    return (
        incident.status if incident.status is not IncidentStatus.RESOLVED else IncidentStatus.OPEN
    )


def headline(incident: Incident, run: RunRef, outcomes: Sequence[Outcome]) -> str:
    """One line for notifications: ``repo@sha failed — remedies``."""
    done = [o.remedy.kind for o in outcomes if o.status is OutcomeStatus.APPLIED]
    scheduled = [o.remedy.kind for o in outcomes if o.status is OutcomeStatus.SCHEDULED]
    planned = [o.remedy.kind for o in outcomes if o.status is OutcomeStatus.PLANNED]
    if done:
        action = f"{', '.join(done)} applied"
    elif scheduled:
        action = f"{', '.join(scheduled)} scheduled"
    elif planned:
        action = f"{', '.join(planned)} planned"
    else:
        action = "no remedy applied"
    categories = sorted({fp.category.value for fp in incident.fingerprints}) or [
        Category.OTHER.value
    ]
    return (
        f"{run.repo}@{run.head_sha[:7]} {run.workflow or 'run'} failed "
        f"({', '.join(categories)}) — {action}"
    )


def greens(run: RunRef, incident: Incident) -> bool:
    """True when passing *run* shows *incident* fixed: a re-run of one of its runs passed, or a
    run of the same workflow and branch started after its latest failure passed."""
    if any(failed.run_id == run.run_id for failed in incident.runs):
        return True
    latest = incident.latest_run
    return (
        latest is not None
        and latest.created_at is not None
        and run.created_at is not None
        and run.created_at > latest.created_at
    )
