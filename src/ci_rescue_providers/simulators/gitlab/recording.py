"""GitLab's fault answers (recording and faults are ``common.recording``)."""

from __future__ import annotations

from typing import Any

from ..common.recording import (
    Fault,
    FaultBody,
    FaultBook,
    RecordedRequest,
    RequestLog,
    status_phrase,
)
from ..common.recording import fault_response as canned_response
from ..common.router import ApiResponse

__all__ = ["Fault", "FaultBody", "FaultBook", "RecordedRequest", "RequestLog", "fault_response"]


def _error_body(status: int) -> dict[str, Any]:
    return {"message": f"{status} {status_phrase(status, 'Error')}"}


def fault_response(fault: Fault) -> ApiResponse:
    """The canned response of ``fault``: GitLab's ``{"message": "<status> <reason>"}`` unless it
    has a body of its own."""
    return canned_response(fault, default_body=_error_body)
