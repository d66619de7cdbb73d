"""Translating CircleCI answers and httpx exceptions into ci-rescue's errors."""

from __future__ import annotations

import httpx

from ci_rescue_core.errors import ProviderError, ProviderUnavailableError
from ci_rescue_providers.circleci.transport import retry_after_seconds
from ci_rescue_providers.common.status import StatusWording, error_for_status

PROVIDER = "circleci"

__all__ = ["PROVIDER", "error_for_response", "error_for_transport", "message_of"]


def message_of(response: httpx.Response) -> str:
    """CircleCI's ``{"message": ...}`` (or the reason phrase) of an error answer."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError, httpx.ResponseNotRead):
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"]:
        return str(data["message"])
    return response.reason_phrase or f"HTTP {response.status_code}"


_WORDING = StatusWording(
    unauthorized=(
        "token rejected (401 {message}) while reading {resource}; check the personal API "
        "token in {token_env} (project tokens do not work with API v2)"
    ),
    forbidden=(
        "the token in {token_env} may not access {resource} (403 {message}); "
        "its user needs write access to the project"
    ),
    not_found=(
        "{resource} not found (404 {message}) — it does not exist or the token in "
        "{token_env} cannot see it"
    ),
    rate_limited=(
        "rate limited while accessing {resource} (429 {message}){waited}; "
        "raise max_wait or try again later"
    ),
    unavailable="the CircleCI API kept failing on {resource} ({status} {message})",
    other="{resource}: {status} {message}",
)


def error_for_response(response: httpx.Response, resource: str, token_env: str) -> ProviderError:
    """The most specific error for an unsuccessful answer about *resource*.

    :param token_env: the variable the token came from, named in 401/403 errors.
    """
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("location", "?")
        return ProviderError(
            f"{resource}: the API redirected to {location}; ci-rescue does not follow "
            "redirects with the token attached (point base_url at the API itself)",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    retry_after = retry_after_seconds(response) if status == 429 else None
    return error_for_status(
        status,
        _WORDING,
        provider=PROVIDER,
        resource=resource,
        message=message_of(response),
        retry_after=retry_after,
        token_env=token_env,
        waited=f"; it asked to wait {retry_after:.0f}s" if retry_after is not None else "",
    )


def error_for_transport(exc: httpx.HTTPError, resource: str, base_url: str) -> ProviderError:
    """A connection failure, timeout or broken answer that outlasted the retries."""
    return ProviderUnavailableError(
        f"cannot reach the CircleCI API at {base_url} for {resource}: {type(exc).__name__}: {exc}",
        provider=PROVIDER,
        resource=resource,
    )
