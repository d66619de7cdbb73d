"""Incidents: one CI failure (possibly over several runs) and everything done about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ci_rescue_core.models.enums import IncidentStatus, Severity
from ci_rescue_core.models.fingerprint import Fingerprint
from ci_rescue_core.models.flake import FlakeVerdict
from ci_rescue_core.models.refs import RunRef
from ci_rescue_core.models.remedy import Outcome, Remedy


@attrs.frozen(kw_only=True)
class TimelineEntry:
    """One step the pipeline took on an incident.

    :ivar step: pipeline stage (``sentinel``, ``logs``, ``flake``, ``policy``, ``apply``,
        ``notify``, ``resolve``).
    :ivar message: one human sentence.
    :ivar data: JSON-safe details for machines.
    """

    at: datetime
    step: str
    message: str
    data: dict[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class Incident:
    """A failure of one repository, keyed by its fingerprints, with its whole history.

    Runs that fail with the same fingerprints while an incident is open join that incident
    instead of opening a new one.

    :ivar key: digest of the sorted fingerprint hashes; with ``repo``, the identity used to
        find the open incident a new failure belongs to.
    :ivar tracking_issue: URL of the issue tracking it, once opened.
    """

    id: str
    provider: str
    repo: str
    key: str
    branch: str | None = None
    workflow: str = ""
    severity: Severity
    status: IncidentStatus = IncidentStatus.OPEN
    fingerprints: tuple[Fingerprint, ...] = ()
    runs: tuple[RunRef, ...] = ()
    verdicts: tuple[FlakeVerdict, ...] = ()
    remedies: tuple[Remedy, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    owner: str | None = None
    tracking_issue: str | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None

    @property
    def latest_run(self) -> RunRef | None:
        """The most recent run attempt that joined this incident."""
        return self.runs[-1] if self.runs else None
