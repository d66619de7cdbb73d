"""Translating PyGithub, requests and httpx exceptions into ci-rescue's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import github
import httpx
import requests

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)

PROVIDER = "github"


def _message(exc: github.GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data) if data else f"HTTP {exc.status}"


@contextmanager
def translated(resource: str, *, token_env: str, base_url: str) -> Iterator[None]:
    """Re-raise client exceptions met while accessing *resource* as ci-rescue errors.

    :param token_env: named in authentication errors, so the user knows which token to fix.
    """
    try:
        yield
    except github.BadCredentialsException as exc:
        raise AuthenticationError(
            f"token rejected (401 {_message(exc)}) while reading {resource}; "
            f"check the token in {token_env}",
            provider=PROVIDER,
            status=401,
            resource=resource,
        ) from exc
    except github.UnknownObjectException as exc:
        raise NotFoundError(
            f"{resource} not found (404) — it does not exist or the token cannot see it",
            provider=PROVIDER,
            status=404,
            resource=resource,
        ) from exc
    except (github.RateLimitExceededException, github.RateLimitExceededExceedsMaxWait) as exc:
        raise RateLimitedError(
            f"rate limited while accessing {resource}: {_message(exc)}",
            provider=PROVIDER,
            status=exc.status,
            resource=resource,
            retry_after=_retry_after(exc.headers),
        ) from exc
    except github.GithubException as exc:
        raise _by_status(exc.status, _message(exc), resource, token_env, exc.headers) from exc
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
        raise _by_status(status, exc.response.reason_phrase, resource, token_env, None) from exc
    except httpx.HTTPError as exc:
        raise ProviderUnavailableError(
            f"cannot download {resource}: {exc}", provider=PROVIDER, resource=resource
        ) from exc


def _by_status(
    status: int,
    message: str,
    resource: str,
    token_env: str,
    headers: dict[str, str] | None,
) -> ProviderError:
    if status == 401:
        return AuthenticationError(
            f"token rejected (401 {message}); check {token_env}",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    if status == 403:
        return PermissionDeniedError(
            f"the token in {token_env} may not access {resource} (403 {message}); "
            "it needs the actions: write and issues: write permissions",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    if status == 404:
        return NotFoundError(
            f"{resource} not found (404)", provider=PROVIDER, status=status, resource=resource
        )
    if status == 429:
        return RateLimitedError(
            f"rate limited while accessing {resource} (429 {message})",
            provider=PROVIDER,
            status=status,
            resource=resource,
            retry_after=_retry_after(headers),
        )
    if status >= 500:
        return ProviderUnavailableError(
            f"the GitHub API failed on {resource} ({status} {message})",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    return ProviderError(
        f"{resource}: {status} {message}", provider=PROVIDER, status=status, resource=resource
    )


def _retry_after(headers: dict[str, str] | None) -> float | None:
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        return float(lowered["retry-after"])
    except (KeyError, ValueError):
        return None
