"""Translating PyGithub, requests and httpx exceptions into ci-rescue's errors."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import github
import httpx
import requests

from ci_rescue_core.errors import ProviderError, ProviderUnavailableError, RateLimitedError
from ci_rescue_providers.common.status import StatusWording, error_for_status

PROVIDER = "github"


def may_have_happened(exc: BaseException) -> bool:
    """Whether a write that raised *exc* may have been carried out all the same: a 5xx, or an
    answer that never came (a look-up can tell)."""
    if isinstance(exc, github.GithubException):
        return exc.status >= 500
    return isinstance(exc, requests.exceptions.RequestException)


def _message(exc: github.GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data) if data else f"HTTP {exc.status}"


@contextmanager
def translated(
    resource: str, *, credentials: str, base_url: str, needs: str | None = None
) -> Iterator[None]:
    """Re-raise client exceptions met while accessing *resource* as ci-rescue errors.

    :param credentials: how the credentials are named (``the token in CI_RESCUE_GITHUB_TOKEN``),
        so the user knows what to fix.
    :param needs: the permission the call needs (``pull_requests: write``), named in 403s.
    """
    try:
        yield
    except github.BadCredentialsException as exc:
        advice = "; check that it is set, valid and not expired"
        error = _status_error(401, _message(exc), resource, credentials, needs, None, advice=advice)
        raise error from exc
    except github.UnknownObjectException as exc:
        raise _status_error(404, _message(exc), resource, credentials, needs, None) from exc
    except github.RateLimitExceededException as exc:
        raise RateLimitedError(
            f"rate limited while accessing {resource}: {_message(exc)}",
            provider=PROVIDER,
            status=exc.status,
            resource=resource,
            retry_after=_wait(exc),
        ) from exc
    except github.GithubException as exc:
        raise _by_status(exc, resource, credentials, needs) from exc
    except requests.exceptions.RetryError as exc:
        raise ProviderUnavailableError(
            f"{resource}: the GitHub API kept failing after the retries ({exc})",
            provider=PROVIDER,
            resource=resource,
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise ProviderUnavailableError(
            f"cannot reach the GitHub API at {base_url} for {resource}: {exc}",
            provider=PROVIDER,
            resource=resource,
        ) from exc
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        raise _status_error(
            status, exc.response.reason_phrase, resource, credentials, needs, None
        ) from exc
    except httpx.HTTPError as exc:
        raise ProviderUnavailableError(
            f"cannot download {resource}: {exc}", provider=PROVIDER, resource=resource
        ) from exc


def _by_status(
    exc: github.GithubException, resource: str, credentials: str, needs: str | None
) -> ProviderError:
    return _status_error(exc.status, _message(exc), resource, credentials, needs, exc.headers)


_WORDING = StatusWording(
    unauthorized="{credentials} was rejected (401 {message}) while accessing {resource}{advice}",
    forbidden="{credentials} may not access {resource} (403 {message}){hint}",
    not_found="{resource} not found (404) — it does not exist or {credentials} cannot see it",
    rate_limited="rate limited while accessing {resource} (429 {message})",
    unavailable=(
        "the GitHub API failed on {resource} ({status} {message}), also after the retries"
    ),
    other="{resource}: {status} {message}",
)


def _status_error(
    status: int,
    message: str,
    resource: str,
    credentials: str,
    needs: str | None,
    headers: Mapping[str, str] | None,
    *,
    advice: str = "",
) -> ProviderError:
    return error_for_status(
        status,
        _WORDING,
        provider=PROVIDER,
        resource=resource,
        message=message,
        retry_after=_header_wait(headers) if status == 429 else None,
        credentials=credentials,
        hint=f"; it needs {needs}" if needs else "",
        advice=advice,
    )


def _wait(exc: github.RateLimitExceededException) -> float | None:
    wait = getattr(exc, "wait", None)
    if isinstance(wait, (int, float)):
        return float(wait)
    return _header_wait(exc.headers)


def _header_wait(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``Retry-After``, else from ``X-RateLimit-Reset`` when the quota is
    spent; ``None`` when the answer does not say."""
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        return float(lowered["retry-after"])
    except (KeyError, ValueError):
        pass
    if lowered.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(lowered["x-ratelimit-reset"]) - time.time())
        except (KeyError, ValueError):
            return None
    return None
