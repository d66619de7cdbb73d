"""GitHub's fault answers and rate-limit messages (recording and faults are
``common.recording``)."""

from __future__ import annotations

from collections.abc import Mapping
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

__all__ = [
    "PRIMARY_LIMIT_MESSAGE",
    "SECONDARY_LIMIT_MESSAGE",
    "Fault",
    "FaultBody",
    "FaultBook",
    "RecordedRequest",
    "RequestLog",
    "fault_response",
]

PRIMARY_LIMIT_MESSAGE = (
    "API rate limit exceeded for user ID {user_id}. If you reach out to GitHub Support for help, "
    "please include the request ID."
)
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)
_DEFAULT_MESSAGES = {401: "Bad credentials", 404: "Not Found", 429: SECONDARY_LIMIT_MESSAGE}


def _error_body(status: int) -> dict[str, Any]:
    message = _DEFAULT_MESSAGES.get(status) or status_phrase(status, f"HTTP {status}")
    return {"message": message, "documentation_url": "https://docs.github.com/rest"}


def fault_response(fault: Fault, rate_headers: Mapping[str, str]) -> ApiResponse:
    """The canned response of ``fault`` (``{"message": <reason>}`` unless it has a body), with
    the ``X-RateLimit-*`` headers."""
    response = canned_response(
        fault, default_body=_error_body, content_type="application/json; charset=utf-8"
    )
    response.headers.update(rate_headers)
    return response
