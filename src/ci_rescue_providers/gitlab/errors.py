"""Translating python-gitlab and requests exceptions into ci-rescue's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gitlab.exceptions as glexc
import requests

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)

PROVIDER = "gitlab"


class RetryAfterTooLong(Exception):
    """GitLab asked us to wait longer than the configured ``max_wait`` (raised by the client's
    transport before python-gitlab would sleep)."""

    def __init__(self, wait: float, max_wait: float) -> None:
        super().__init__(f"GitLab asked to wait {wait:.0f}s, more than max_wait {max_wait:.0f}s")
        self.wait = wait
        self.max_wait = max_wait


def _message(exc: glexc.GitlabError) -> str:
    text = str(exc.error_message or "").strip()
    code = exc.response_code
    if code is not None and text.startswith(str(code)):
        return text
    return f"{code} {text}".strip() if code is not None else text or type(exc).__name__


@contextmanager
def translated(resource: str, *, token_env: str, base_url: str) -> Iterator[None]:
    """Re-raise client exceptions met while accessing *resource* as ci-rescue errors.

    :param token_env: named in authentication and permission errors.
    :param base_url: named when the instance cannot be reached.
    """
    try:
        yield
    except RetryAfterTooLong as exc:
        raise RateLimitedError(
            f"rate limited while accessing {resource}: {exc}",
            provider=PROVIDER,
            status=429,
            resource=resource,
            retry_after=exc.wait,
        ) from exc
    except glexc.GitlabAuthenticationError as exc:
        raise AuthenticationError(
            f"token rejected ({_message(exc)}) while accessing {resource}; "
            f"check the token in {token_env}",
            provider=PROVIDER,
            status=401,
            resource=resource,
        ) from exc
    except glexc.RedirectError as exc:
        raise ProviderError(
            f"{resource}: the GitLab API at {base_url} redirected a write ({exc}); "
            "set base_url to the instance root (https://gitlab.example.com)",
            provider=PROVIDER,
            resource=resource,
        ) from exc
    except glexc.GitlabParsingError as exc:
        raise ProviderUnavailableError(
            f"{resource}: the GitLab API at {base_url} sent an unreadable answer ({exc})",
            provider=PROVIDER,
            resource=resource,
        ) from exc
    except glexc.GitlabError as exc:
        raise by_status(exc.response_code, _message(exc), resource, token_env) from exc
    except requests.exceptions.RequestException as exc:
        raise ProviderUnavailableError(
            f"cannot reach the GitLab API at {base_url} for {resource}: {exc}",
            provider=PROVIDER,
            resource=resource,
        ) from exc


def by_status(status: int | None, message: str, resource: str, token_env: str) -> ProviderError:
    """The most specific ci-rescue error for an HTTP *status*."""
    if status == 401:
        return AuthenticationError(
            f"token rejected ({message}) while accessing {resource}; check {token_env}",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    if status == 403:
        return PermissionDeniedError(
            f"the token in {token_env} may not do this on {resource} ({message}); it needs the "
            "'api' scope (read_api for reading) and the Developer role on the project",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    if status == 404:
        return NotFoundError(
            f"{resource} not found (404) — it does not exist or the token in {token_env} "
            "cannot see it",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    if status == 429:
        return RateLimitedError(
            f"rate limited while accessing {resource} ({message}) after the retries",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    if status is not None and status >= 500:
        return ProviderUnavailableError(
            f"the GitLab API failed on {resource} ({message}) after the retries",
            provider=PROVIDER,
            status=status,
            resource=resource,
        )
    return ProviderError(
        f"{resource}: {message}", provider=PROVIDER, status=status, resource=resource
    )
