"""ci-rescue core: the public API (nothing outside ``__all__`` is promised)."""

from __future__ import annotations

from typing import Any

from ci_rescue_core.config import RescueConfig, load_config, load_policy
from ci_rescue_core.errors import (
    AuthenticationError,
    ConfigError,
    LogReadError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    PluginError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    RescueError,
    SignatureError,
    StoreError,
    UnknownProviderError,
    WriteRefusedError,
)
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs import LogAnalysis, analyze_log
from ci_rescue_core.models import (
    Category,
    CIEvent,
    Diagnosis,
    ErrorLine,
    Evidence,
    Fingerprint,
    FlakeVerdict,
    Incident,
    IncidentStatus,
    JobRef,
    Mode,
    Outcome,
    OutcomeStatus,
    Remedy,
    RemedyKind,
    RunRef,
    Severity,
    TestFailure,
    TimelineEntry,
    Verdict,
)
from ci_rescue_core.orchestrator import HandleResult, HandleStatus, Rescuer
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import (
    Capability,
    IssueRef,
    Provider,
    ProviderFactory,
    ProviderSettings,
)
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.store import SQLiteStore

__all__ = [
    "AuthenticationError",
    "CIEvent",
    "Capability",
    "Category",
    "ConfigError",
    "Diagnosis",
    "ErrorLine",
    "Evidence",
    "Fingerprint",
    "FlakeVerdict",
    "HandleResult",
    "HandleStatus",
    "Hooks",
    "Incident",
    "IncidentStatus",
    "IssueRef",
    "JobRef",
    "LogAnalysis",
    "LogReadError",
    "Mode",
    "NotFoundError",
    "Outcome",
    "OutcomeStatus",
    "PayloadError",
    "PermissionDeniedError",
    "PluginError",
    "Policy",
    "Provider",
    "ProviderError",
    "ProviderFactory",
    "ProviderSettings",
    "ProviderUnavailableError",
    "RateLimitedError",
    "Remedy",
    "RemedyKind",
    "RescueConfig",
    "RescueError",
    "Rescuer",
    "RunRef",
    "Runtime",
    "SQLiteStore",
    "Severity",
    "SignatureError",
    "StoreError",
    "TestFailure",
    "TimelineEntry",
    "UnknownProviderError",
    "Verdict",
    "WriteRefusedError",
    "__version__",
    "analyze_log",
    "hookimpl",
    "load_config",
    "load_policy",
    "make_plugin_manager",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("ci-rescue")
        except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
            return "0+unknown"
    raise AttributeError(f"module 'ci_rescue_core' has no attribute {name!r}")
