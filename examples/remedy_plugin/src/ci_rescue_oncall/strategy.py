"""The ``oncall_issue`` remedy: a blocker on the default branch pages the on-call person.

Proposes one ``oncall_issue`` remedy per handled blocker on a watched branch (``main`` by
default), naming the person on call that day; applies it by opening an issue assigned to them.
A later failure of the same incident comments on that issue instead of opening another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Incident, Outcome, OutcomeStatus, Remedy, RunRef, Severity
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability, Provider
from ci_rescue_oncall.rota import Rota

ONCALL_ISSUE = "oncall_issue"
ONCALL_LABEL = "ci:oncall"

RotaSource = Callable[[], Rota | None]


def utc_today() -> date:
    """Today's date in UTC."""
    return datetime.now(timezone.utc).date()


def oncall_marker(incident: Incident) -> str:
    """The hidden marker that ties an on-call issue to its incident."""
    return f"<!-- ci-rescue:oncall:{incident.key} -->"


class OnCallStrategy:
    """Page the on-call person with an issue when a watched branch is blocked.

    :param rota: the rota, or a function returning it (``None``: nobody to page, propose nothing).
    :param branches: branches whose blockers page someone.
    :param today: the current date (injectable for tests).
    """

    def __init__(
        self,
        rota: Rota | RotaSource,
        *,
        branches: Iterable[str] = ("main",),
        today: Callable[[], date] = utc_today,
    ) -> None:
        self._rota: RotaSource = _constant(rota) if isinstance(rota, Rota) else rota
        self.branches = frozenset(branches)
        self._today = today

    @hookimpl
    def rescue_propose_remedies(
        self,
        incident: Incident,
        run: RunRef,
        policy: Policy,
        capabilities: frozenset[Capability],
    ) -> list[Remedy]:
        """Propose ``oncall_issue`` for a blocker on a watched branch; nothing otherwise."""
        if incident.severity is not Severity.BLOCKER or run.head_branch not in self.branches:
            return []
        # Core checks the capabilities of its own remedy kinds; ours needs issues.
        if Capability.ISSUES not in capabilities:
            return []
        rota = self._rota()
        if rota is None:
            return []
        person = rota.on_call(self._today())
        return [
            Remedy(
                kind=ONCALL_ISSUE,
                reason=f"{run.head_branch} is blocked and {person} is on call",
                params={"assignee": person, "labels": [policy.labels.managed, ONCALL_LABEL]},
                reversible=True,
                needs_review=False,
                source="oncall",
            )
        ]

    @hookimpl
    def rescue_apply_remedy(
        self, remedy: Remedy, incident: Incident, run: RunRef, provider: Provider
    ) -> Outcome | None:
        """Open (or comment on) the on-call issue; ``None`` for every other kind."""
        if remedy.kind != ONCALL_ISSUE:
            return None
        assignee = str(remedy.params["assignee"])
        issue = provider.open_issue(
            run.repo,
            title=f"CI blocker on {run.head_branch}: {run.workflow or 'workflow'} is red "
            f"(on call: @{assignee})",
            body=issue_body(incident, run, assignee),
            labels=[str(label) for label in remedy.params.get("labels", ())],
            assignees=[assignee],
            marker=oncall_marker(incident),
        )
        action = "opened" if issue.created else "commented on"
        return Outcome(
            remedy=remedy,
            status=OutcomeStatus.APPLIED,
            link=issue.url,
            detail=f"{action} on-call issue #{issue.number} for @{assignee}",
        )


def issue_body(incident: Incident, run: RunRef, assignee: str) -> str:
    """What the on-call person needs first: where, what failed, the incident."""
    lines = [
        f"@{assignee}: **{run.repo}@{run.head_sha[:7]}** on `{run.head_branch}` — workflow "
        f"**{run.workflow}** run [{run.run_id}]({run.url}) attempt {run.attempt} failed.",
        "",
    ]
    for fingerprint in incident.fingerprints:
        tests = ", ".join(f"`{test}`" for test in fingerprint.failing_tests) or "no test named"
        lines.append(f"- {fingerprint.category.value}: {tests} — {fingerprint.message}")
    lines += ["", f"Incident `{incident.id}`.", oncall_marker(incident)]
    return "\n".join(lines)


def _constant(rota: Rota) -> RotaSource:
    return lambda: rota
