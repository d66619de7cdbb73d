"""Typed, frozen models that every pipeline step passes along."""

from ci_rescue_core.models.enums import (
    Category,
    IncidentStatus,
    Mode,
    OutcomeStatus,
    RemedyKind,
    Severity,
    Verdict,
)
from ci_rescue_core.models.fingerprint import Diagnosis, ErrorLine, Fingerprint, TestFailure
from ci_rescue_core.models.flake import Evidence, FlakeVerdict
from ci_rescue_core.models.incident import Incident, TimelineEntry
from ci_rescue_core.models.refs import FAILED_CONCLUSIONS, CIEvent, JobRef, RunRef
from ci_rescue_core.models.remedy import Outcome, Remedy

__all__ = [
    "FAILED_CONCLUSIONS",
    "CIEvent",
    "Category",
    "Diagnosis",
    "ErrorLine",
    "Evidence",
    "Fingerprint",
    "FlakeVerdict",
    "Incident",
    "IncidentStatus",
    "JobRef",
    "Mode",
    "Outcome",
    "OutcomeStatus",
    "Remedy",
    "RemedyKind",
    "RunRef",
    "Severity",
    "TestFailure",
    "TimelineEntry",
    "Verdict",
]
