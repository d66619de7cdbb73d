"""The policy engine: which proposed remedies may be applied, in which order.

Strategies propose; this module enforces the rules no plugin may bend (DESIGN "Safety"):

- retries target failed jobs only, by id: never the whole matrix;
- never retry a category in ``never_retry`` (missing secrets, permissions);
- never retry past ``retry_max`` retries of a run;
- never retry a run that has not finished;
- never pick a remedy the provider cannot carry out;
- ``observe`` mode writes nothing, ``propose`` mode opens issues and change requests but
  never retries.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

import attrs

from ci_rescue_core.models import Category, Diagnosis, Mode, Remedy, RemedyKind, RunRef
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability


class Action(str, enum.Enum):
    """What the engine decided for one proposal."""

    APPLY = "apply"
    PLAN = "plan"
    """Allowed by policy but not by the mode: recorded as planned, nothing written."""
    REJECT = "reject"


@attrs.frozen(kw_only=True)
class Decision:
    """The engine's decision on one proposed remedy, with the reason."""

    remedy: Remedy
    action: Action
    reason: str


_REQUIRED_CAPABILITY: dict[str, tuple[Capability, ...]] = {
    RemedyKind.ISSUE: (Capability.ISSUES,),
}

#: Order in which approved remedies are applied: cheap and reversible first.
_ORDER: dict[str, int] = {
    RemedyKind.RETRY_CELLS: 0,
    RemedyKind.RETRY: 0,
    RemedyKind.QUARANTINE: 1,
    RemedyKind.PIN: 2,
    RemedyKind.REVERT: 3,
    RemedyKind.ISSUE: 4,
}


def retries_used(run: RunRef) -> int:
    """Retries already spent on *run*: attempts beyond the first."""
    return run.attempt - 1


def decide(
    proposals: Sequence[Remedy],
    *,
    run: RunRef,
    diagnoses: Sequence[Diagnosis],
    policy: Policy,
    mode: Mode,
    capabilities: frozenset[Capability],
    failed_job_ids: frozenset[str] | None = None,
) -> list[Decision]:
    """Decide on every proposal; duplicates (same kind and jobs) are dropped.

    :param failed_job_ids: every failed job of the run attempt (default: the diagnosed ones);
        a retry of fewer than all of them needs a provider that re-runs chosen jobs.
    :returns: one decision per distinct proposal; approved ones first, in application order.
    """
    judged_ids = {d.job.job_id for d in diagnoses}
    failed_ids = set(failed_job_ids) if failed_job_ids is not None else judged_ids
    category_of = {d.job.job_id: d.fingerprint.category for d in diagnoses}
    decisions: list[Decision] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for remedy in proposals:
        identity = (remedy.kind, tuple(sorted(remedy.job_ids)))
        if identity in seen:
            continue
        seen.add(identity)
        refusal = _refusal(remedy, run, judged_ids, failed_ids, category_of, policy, capabilities)
        if refusal is not None:
            decisions.append(Decision(remedy=remedy, action=Action.REJECT, reason=refusal))
            continue
        decisions.append(_mode_decision(remedy, mode))
    rank = {Action.APPLY: 0, Action.PLAN: 0, Action.REJECT: 1}
    decisions.sort(key=lambda d: (rank[d.action], _ORDER.get(d.remedy.kind, 5)))
    return decisions


def _refusal(
    remedy: Remedy,
    run: RunRef,
    judged_ids: set[str],
    failed_ids: set[str],
    category_of: Mapping[str, Category],
    policy: Policy,
    capabilities: frozenset[Capability],
) -> str | None:
    if remedy.kind in RemedyKind.RETRIES:
        return _retry_refusal(
            remedy, run, judged_ids, failed_ids, category_of, policy, capabilities
        )
    needed = {c.value for c in _REQUIRED_CAPABILITY.get(remedy.kind, ())} | set(remedy.requires)
    missing = sorted(needed - {c.value for c in capabilities})
    if missing:
        return f"the {run.provider} provider cannot {', '.join(missing).replace('_', ' ')}"
    return None


def _retry_refusal(
    remedy: Remedy,
    run: RunRef,
    judged_ids: set[str],
    failed_ids: set[str],
    category_of: Mapping[str, Category],
    policy: Policy,
    capabilities: frozenset[Capability],
) -> str | None:
    if not remedy.job_ids:
        return "a retry must name the failed jobs it re-runs (never the whole matrix)"
    outside = sorted(set(remedy.job_ids) - judged_ids)
    if outside:
        return f"jobs {', '.join(outside)} were not judged failed here; only those are re-run"
    blocked = sorted(
        {
            category_of[job_id].value
            for job_id in remedy.job_ids
            if category_of[job_id] in policy.never_retry
        }
    )
    if blocked:
        return f"{', '.join(blocked)} failures are never retried"
    if retries_used(run) >= policy.retry_max:
        return (
            f"retry budget spent: run {run.run_id} is on attempt {run.attempt} "
            f"and retry_max is {policy.retry_max}"
        )
    if run.status not in ("completed", ""):
        return f"run {run.run_id} has not finished (status {run.status})"
    if set(remedy.job_ids) == failed_ids:
        needed = Capability.RERUN_FAILED_JOBS
    elif len(remedy.job_ids) == 1 and Capability.RERUN_ONE_JOB in capabilities:
        return None
    else:
        needed = Capability.RERUN_JOBS
    if needed not in capabilities:
        return f"the {run.provider} provider cannot {needed.value.replace('_', ' ')}"
    return None


def _mode_decision(remedy: Remedy, mode: Mode) -> Decision:
    if mode is Mode.OBSERVE and remedy.writes:
        return Decision(remedy=remedy, action=Action.PLAN, reason="observe mode writes nothing")
    if mode is Mode.PROPOSE and remedy.kind in RemedyKind.RETRIES:
        return Decision(remedy=remedy, action=Action.PLAN, reason="propose mode never retries")
    return Decision(remedy=remedy, action=Action.APPLY, reason="allowed by policy")
