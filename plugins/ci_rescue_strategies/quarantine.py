"""Quarantine tests that are flaky with confidence, through a reviewed change request.

Proposed for the failing tests judged flaky with a score of at least ``quarantine_min_score``
on at least ``flake_min_observations`` recorded runs (few observations: low confidence, no
quarantine), and only for a test that flaked before at another commit (never on a first
failure).  A test whose latest failure is a *new* one (new fingerprint, failing on every
attempt, a breakage in progress) is judged broken, never quarantined.

Applying it edits ``.ci-rescue/quarantine.yaml`` — a code edit, so it is a change request from
a new branch (labels ``ci:quarantined`` and ``ci:flake``) that people review; each entry carries
its reason, score, incident and expiry (``quarantine_ttl_days``).  The remedy declares
``requires=("change_requests",)``: the policy engine refuses it where the provider cannot open
change requests.  The quarantined test keeps running (the pytest plugin makes it a non-strict
xfail), so that it can earn its release with passes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from ci_rescue_core.flake.quarantine_file import (
    PATH,
    QuarantineEntry,
    merge_entries,
    parse_quarantine,
    render_quarantine,
)
from ci_rescue_core.flake.verdict import flakes_in
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
from ci_rescue_core.provider import Capability, FileEdit, Provider

MARKER = "<!-- ci-rescue:quarantine -->"
MAX_EVIDENCE = 5


def quarantinable(verdict: FlakeVerdict, policy: Policy) -> bool:
    """True when a test verdict is flaky with enough score and enough observations, and the
    test flaked before at another commit: a first failure is never quarantined, however
    strongly its re-run says flake (a retry is enough for it)."""
    return (
        verdict.verdict is Verdict.FLAKY
        and verdict.score >= policy.quarantine_min_score
        and verdict.observations >= policy.flake_min_observations
        and flakes_in(verdict.evidence) >= 1
    )


def _entry(job: str, verdict: FlakeVerdict) -> dict[str, Any]:
    reasons = [e.detail for e in verdict.evidence if e.supports is Verdict.FLAKY]
    return {
        "test": verdict.subject,
        "job": job,
        "score": verdict.score,
        "reason": f"flaky (score {verdict.score:.2f}, {verdict.observations} runs): "
        + (reasons[0] if reasons else "its history"),
        "evidence": [e.detail for e in verdict.evidence[:MAX_EVIDENCE]],
    }


@hookimpl
def rescue_propose_remedies(
    incident: Incident,
    diagnoses: tuple[Diagnosis, ...],
    verdicts: tuple[FlakeVerdict, ...],
    policy: Policy,
) -> list[Remedy]:
    """Propose one quarantine change request for this failure's confidently flaky tests."""
    tests: dict[str, dict[str, Any]] = {}
    for diagnosis, verdict in zip(diagnoses, verdicts, strict=True):
        for test in verdict.tests:
            if quarantinable(test, policy) and test.subject not in tests:
                tests[test.subject] = _entry(diagnosis.job.name, test)
    if not tests:
        return []
    since = incident.updated_at
    expires = since + timedelta(days=policy.quarantine_ttl_days)
    names = sorted(tests)
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:10]
    shown = ", ".join(names[:3]) + (f" (+{len(names) - 3} more)" if len(names) > 3 else "")
    scores = ", ".join(f"{tests[name]['score']:.2f}" for name in names[:3])
    return [
        Remedy(
            kind=RemedyKind.QUARANTINE,
            reason=f"quarantine {shown} for {policy.quarantine_ttl_days} days: flaky with "
            f"confidence (scores {scores})",
            params={
                "tests": [tests[name] for name in names],
                "ttl_days": policy.quarantine_ttl_days,
                "since": since.isoformat(),
                "expires": expires.isoformat(),
                "incident": incident.id,
                "tracking_issue": incident.tracking_issue,
                "branch": f"ci-rescue/quarantine-{digest}",
            },
            reversible=True,
            needs_review=True,
            requires=(Capability.CHANGE_REQUESTS.value,),
            source="quarantine",
        )
    ]


def change_request_body(remedy: Remedy, incident: Incident) -> str:
    """The change request's description: each test, its score and evidence, the expiry."""
    params = remedy.params
    lines = [
        f"ci-rescue proposes to quarantine {len(params['tests'])} flaky test(s) until "
        f"**{params['expires']}** ({params['ttl_days']} days).",
        "",
        "Quarantined tests keep running, but their failures no longer fail the build "
        "(pytest: `-p ci_rescue_core.quarantine_pytest` marks them non-strict xfail). A "
        "quarantine ends on its own at its expiry, or earlier once the test has passed "
        "enough times in a row; ci-rescue then opens a change request removing the entry.",
        "",
    ]
    for test in params["tests"]:
        lines.append(f"### `{test['test']}` — score {test['score']:.2f} ({test['job']})")
        lines.extend(f"- {detail}" for detail in test["evidence"])
        lines.append("")
    lines.append(f"Incident `{incident.id}`.")
    if params.get("tracking_issue"):
        lines.append(f"Tracking issue: {params['tracking_issue']}")
    lines.append(MARKER)
    return "\n".join(lines)


def quarantine_file(remedy: Remedy, incident: Incident, current: str | None) -> str:
    """The new ``.ci-rescue/quarantine.yaml``: *current* without expired entries, plus (or
    renewing) the remedy's tests.

    :raises ConfigError: when *current* is not a valid quarantine file.
    """
    params = remedy.params
    since = datetime.fromisoformat(params["since"])
    existing = parse_quarantine(current).tests if current else ()
    added = [
        QuarantineEntry(
            id=test["test"],
            reason=test["reason"],
            score=test["score"],
            since=since,
            expires=datetime.fromisoformat(params["expires"]),
            incident=incident.id,
            link=params.get("tracking_issue"),
        )
        for test in params["tests"]
    ]
    return render_quarantine(merge_entries(existing, added, now=since))


@hookimpl
def rescue_apply_remedy(
    remedy: Remedy, incident: Incident, run: RunRef, provider: Provider, policy: Policy
) -> Outcome | None:
    """Open the change request that adds the tests to the quarantine file."""
    if remedy.kind != RemedyKind.QUARANTINE:
        return None
    current = None
    if Capability.READ_FILES in provider.capabilities:
        current = provider.read_file(run.repo, PATH)
    names = [test["test"] for test in remedy.params["tests"]]
    change = provider.open_change_request(
        run.repo,
        branch=str(remedy.params["branch"]),
        title=f"Quarantine flaky test{'s' if len(names) > 1 else ''}: "
        + ", ".join(name.rsplit("::", 1)[-1] for name in names[:3])
        + (f" (+{len(names) - 3} more)" if len(names) > 3 else ""),
        body=change_request_body(remedy, incident),
        edits=[FileEdit(PATH, quarantine_file(remedy, incident, current))],
        labels=[policy.labels.quarantined, policy.labels.flake],
    )
    verb = "opened" if change.created else "found the open"
    return Outcome(
        remedy=remedy,
        status=OutcomeStatus.APPLIED,
        link=change.url,
        detail=f"{verb} change request #{change.number} quarantining {', '.join(names)} "
        f"until {remedy.params['expires']}",
        reference=change.number,
    )
