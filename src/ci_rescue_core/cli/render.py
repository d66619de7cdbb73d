"""Readable terminal output: one screen per incident."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ci_rescue_core.models import Incident, OutcomeStatus
from ci_rescue_core.orchestrator import HandleResult, HandleStatus
from ci_rescue_core.policy.engine import Action, Decision

_STATUS_STYLE = {
    OutcomeStatus.APPLIED: "green",
    OutcomeStatus.PLANNED: "yellow",
    OutcomeStatus.SKIPPED: "dim",
    OutcomeStatus.FAILED: "red",
    OutcomeStatus.UNSUPPORTED: "red",
    OutcomeStatus.SCHEDULED: "cyan",
}


def render_result(out: Console, result: HandleResult) -> None:
    """Print what handling an event did."""
    if result.status is HandleStatus.HANDLED and result.incident is not None:
        out.print(incident_panel(result.incident, result.reason, result.decisions))
        return
    out.print(Text(f"{result.status.value}: {result.reason}"))
    for incident in result.resolved:
        out.print(Text(f"  resolved {incident.id} ({incident.repo} {incident.workflow})"))


def incident_panel(incident: Incident, headline: str, decisions: Sequence[Decision] = ()) -> Panel:
    """The one-screen status of an incident."""
    facts = Table.grid(padding=(0, 2))
    facts.add_row(
        "incident", f"{incident.id}  [{incident.status.value}, {incident.severity.value}]"
    )
    run = incident.latest_run
    if run is not None:
        facts.add_row("run", f"{run.repo} #{run.run_id} attempt {run.attempt} — {run.url}")
    if incident.tracking_issue:
        facts.add_row("issue", incident.tracking_issue)

    jobs = Table("job", "category", "verdict", "score", "top error", box=None, pad_edge=False)
    fingerprints = {fp.hash: fp for fp in incident.fingerprints}
    for verdict in incident.verdicts:
        fp = fingerprints.get(verdict.fingerprint)
        jobs.add_row(
            verdict.subject,
            fp.category.value if fp else "",
            verdict.verdict.value,
            f"{verdict.score:.2f}",
            fp.error_lines[0].text[:70] if fp and fp.error_lines else "",
        )

    why = Table.grid(padding=(0, 1))
    for verdict in incident.verdicts:
        for item in verdict.evidence[:2]:
            why.add_row("evidence", Text(item.detail))
    for decision in decisions:
        if decision.action is Action.REJECT:
            why.add_row("not done", Text(f"{decision.remedy.kind}: {decision.reason}"))
        elif decision.action is Action.APPLY:
            why.add_row("why", Text(f"{decision.remedy.kind}: {decision.remedy.reason}"))

    remedies = Table("remedy", "status", "detail", box=None, pad_edge=False)
    for outcome in incident.outcomes[-6:]:
        remedies.add_row(
            outcome.remedy.kind,
            Text(outcome.status.value, style=_STATUS_STYLE[outcome.status]),
            outcome.link or outcome.error or outcome.detail or outcome.remedy.reason,
        )
    return Panel(
        Group(facts, Text(""), jobs, Text(""), why, Text(""), remedies),
        title=Text(headline, style="bold"),
        title_align="left",
    )
