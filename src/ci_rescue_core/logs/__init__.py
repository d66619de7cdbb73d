"""LogWhisperer: streaming log analysis (read, clean, redact, extract, fingerprint)."""

from ci_rescue_core.logs.analyze import LogAnalysis, analyze_log
from ci_rescue_core.logs.fingerprint import normalise
from ci_rescue_core.logs.redact import Redactor

__all__ = ["LogAnalysis", "Redactor", "analyze_log", "normalise"]
