"""Open (or update) a tracking issue for failures a retry will not fix.

Proposed when a failure is judged broken (or cannot be judged), when it is a never-retry
category such as a missing secret, or when the retry budget is spent.  One issue per incident:
the issue body carries a marker with the incident key, and a later failure of the same incident
comments on the open issue instead of opening another.  An issue about a failure judged flaky
(its retry budget spent) also carries the ``ci:flake`` label.
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
from ci_rescue_core.provider import Provider

MAX_ERROR_LINES = 8


def issue_marker(incident: Incident) -> str:
    """The hidden marker that ties an issue to an incident."""
    return f"<!-- ci-rescue:incident:{incident.key} -->"


def _why(
    run: RunRef,
    diagnoses: tuple[Diagnosis, ...],
    verdicts: tuple[FlakeVerdict, ...],
    policy: Policy,
) -> list[str]:
    reasons = []
    for diagnosis, verdict in zip(diagnoses, verdicts, strict=True):
        category = diagnosis.fingerprint.category
        if category in policy.never_retry:
            reasons.append(f"{diagnosis.job.name}: {category.value} is never retried")
        elif verdict.verdict in (Verdict.BROKEN, Verdict.UNKNOWN) and (
            category not in policy.retry_categories
        ):
            reasons.append(
                f"{diagnosis.job.name}: {verdict.verdict.value} (flake score {verdict.score:.2f})"
            )
    if not reasons and run.attempt - 1 >= policy.retry_max:
        reasons.append(f"retry budget spent ({policy.retry_max} retries) and still failing")
    return reasons


def _flaky(verdicts: tuple[FlakeVerdict, ...]) -> bool:
    """True when every failing job was judged flaky (a flaky incident whose retry budget is
    spent): the issue is tagged ``ci:flake``.  An issue about a broken job is not, even when
    another job of the run flaked."""
    return bool(verdicts) and all(v.verdict is Verdict.FLAKY for v in verdicts)


@hookimpl
def rescue_propose_remedies(
    incident: Incident,
    run: RunRef,
    diagnoses: tuple[Diagnosis, ...],
    verdicts: tuple[FlakeVerdict, ...],
    policy: Policy,
) -> list[Remedy]:
    """Propose a tracking issue when retrying will not make the run green."""
    reasons = _why(run, diagnoses, verdicts, policy)
    if not reasons:
        return []
    assignees = (policy.default_owner,) if policy.default_owner else ()
    return [
        Remedy(
            kind=RemedyKind.ISSUE,
            reason="; ".join(reasons),
            params={
                "title": issue_title(run, diagnoses),
                "labels": [policy.labels.managed]
                + ([policy.labels.flake] if _flaky(verdicts) else []),
                "assignees": list(assignees),
            },
            reversible=True,
            needs_review=False,
            escalates=True,
            source="tracking_issue",
        )
    ]


def issue_title(run: RunRef, diagnoses: tuple[Diagnosis, ...]) -> str:
    """``CI failure: <workflow> on <branch> — <category>: <first failing test or job>``."""
    first = diagnoses[0]
    subject = (
        first.fingerprint.failing_tests[0] if first.fingerprint.failing_tests else first.job.name
    )
    more = f" (+{len(diagnoses) - 1} more)" if len(diagnoses) > 1 else ""
    return (
        f"CI failure: {run.workflow or 'workflow'} on {run.head_branch or run.head_sha[:7]} — "
        f"{first.fingerprint.category.value}: {subject}{more}"
    )


def issue_body(incident: Incident, run: RunRef, remedy: Remedy) -> str:
    """A one-screen summary: where, what failed, why, what the evidence says."""
    lines = [
        f"**{run.repo}@{run.head_sha[:7]}** — workflow **{run.workflow}** run "
        f"[{run.run_id}]({run.url}) attempt {run.attempt} failed.",
        "",
        f"Why ci-rescue did not retry: {remedy.reason}.",
        "",
    ]
    for fingerprint in incident.fingerprints:
        lines.append(f"### {fingerprint.category.value} (`{fingerprint.hash[:12]}`)")
        if fingerprint.failing_tests:
            lines.append("Failing tests: " + ", ".join(f"`{t}`" for t in fingerprint.failing_tests))
        if fingerprint.exit_code is not None:
            lines.append(f"Exit code: {fingerprint.exit_code}")
        lines.append("```")
        lines.extend(f"{err.line}: {err.text}" for err in fingerprint.error_lines[:MAX_ERROR_LINES])
        lines.append("```")
    for verdict in incident.verdicts:
        lines.append(f"- **{verdict.subject}**: {verdict.verdict.value}, score {verdict.score:.2f}")
        lines.extend(f"  - {item.detail}" for item in verdict.evidence)
    lines += ["", f"Incident `{incident.id}`.", issue_marker(incident)]
    return "\n".join(lines)


@hookimpl
def rescue_apply_remedy(
    remedy: Remedy, incident: Incident, run: RunRef, provider: Provider
) -> Outcome | None:
    """Open the tracking issue, or comment on the incident's open issue."""
    if remedy.kind != RemedyKind.ISSUE:
        return None
    issue = provider.open_issue(
        run.repo,
        title=str(remedy.params.get("title") or f"CI failure in {run.repo}"),
        body=issue_body(incident, run, remedy),
        labels=list(remedy.params.get("labels", ())),
        assignees=list(remedy.params.get("assignees", ())),
        marker=issue_marker(incident),
    )
    detail = "opened tracking issue" if issue.created else "commented on the tracking issue"
    return Outcome(
        remedy=remedy,
        status=OutcomeStatus.APPLIED,
        link=issue.url,
        detail=f"{detail} #{issue.number}",
    )
