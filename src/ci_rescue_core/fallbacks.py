"""Built-in fallbacks for single-answer hooks, so callers never have to guess what None means."""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Incident, Outcome, OutcomeStatus, Remedy


@hookimpl(trylast=True)
def rescue_apply_remedy(remedy: Remedy, incident: Incident) -> Outcome:
    """No plugin owns this remedy kind: report it as unsupported."""
    return Outcome(
        remedy=remedy,
        status=OutcomeStatus.UNSUPPORTED,
        detail=f"no plugin applies remedies of kind {remedy.kind!r} (incident {incident.id})",
    )
