"""Translating python-gitlab and requests exceptions into ci-rescue's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gitlab.exceptions as glexc
import requests

from ci_rescue_core.errors import (
    AuthenticationError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ci_rescue_providers.common.status import StatusWording, error_for_status

PROVIDER = "gitlab"


class RetryAfterTooLong(Exception):
    """GitLab asked us to wait longer than the configured ``max_wait`` (raised by the client's
    transport before python-gitlab would sleep)."""

    def __init__(self, wait: float, max_wait: float) -> None:
        super().__init__(f"GitLab asked to wait {wait:.0f}s, more than max_wait {max_wait:.0f}s")
        self.wait = wait
        self.max_wait = max_wait


class UnconfirmedWrite(glexc.GitlabHttpError):
    """A write (``POST``, ``PUT``, ``DELETE``) answered with a 5xx, or whose answer never came
    (read timeout): GitLab may have carried it out, so it is not sent again.

    Raised by the client the factory builds; python-gitlab's managers wrap it (their
    ``GitlabCreateError`` and the like keep it as ``__cause__``), see :func:`unconfirmed_write`.

    :ivar method: the HTTP method.
    :ivar path: the API path or URL of the write.
    """

    def __init__(
        self,
        method: str,
        path: str,
        *,
        error_message: str | bytes = "",
        response_code: int | None = None,
        response_body: bytes | None = None,
    ) -> None:
        super().__init__(error_message, response_code, response_body)
        self.method = method.upper()
        self.path = path


def unconfirmed_write(exc: BaseException) -> UnconfirmedWrite | None:
    """The :class:`UnconfirmedWrite` behind *exc* (itself or its chain of causes), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UnconfirmedWrite):
            return current
        seen.add(id(current))
        current = current.__cause__
    return None


def may_have_happened(exc: BaseException) -> bool:
    """Whether a write that raised *exc* may have been carried out all the same: a 5xx, a lost
    answer, or a connection that broke (a look-up can tell)."""
    if unconfirmed_write(exc) is not None:
        return True
    return isinstance(exc, requests.exceptions.RequestException)


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
    except UnconfirmedWrite as exc:
        raise _unconfirmed(exc, resource, base_url) from exc
    except glexc.GitlabParsingError as exc:
        raise ProviderUnavailableError(
            f"{resource}: the GitLab API at {base_url} sent an unreadable answer ({exc})",
            provider=PROVIDER,
            resource=resource,
        ) from exc
    except glexc.GitlabError as exc:
        write = unconfirmed_write(exc)
        if write is not None:
            raise _unconfirmed(write, resource, base_url) from exc
        raise by_status(exc.response_code, _message(exc), resource, token_env) from exc
    except requests.exceptions.RequestException as exc:
        raise ProviderUnavailableError(
            f"cannot reach the GitLab API at {base_url} for {resource}: {exc}",
            provider=PROVIDER,
            resource=resource,
        ) from exc


def _unconfirmed(exc: UnconfirmedWrite, resource: str, base_url: str) -> ProviderUnavailableError:
    answer = _message(exc) if exc.response_code is not None else "no answer in time"
    return ProviderUnavailableError(
        f"{resource}: the GitLab API at {base_url} failed to confirm {exc.method} {exc.path} "
        f"({answer}); it was not sent again because GitLab may have carried it out — check "
        f"{resource} before trying again",
        provider=PROVIDER,
        status=exc.response_code,
        resource=resource,
    )


_WORDING = StatusWording(
    unauthorized="token rejected ({message}) while accessing {resource}; check {token_env}",
    forbidden=(
        "the token in {token_env} may not do this on {resource} ({message}); it needs the "
        "'api' scope (read_api for reading) and the Developer role on the project"
    ),
    not_found=(
        "{resource} not found (404) — it does not exist or the token in {token_env} cannot see it"
    ),
    rate_limited="rate limited while accessing {resource} ({message}) after the retries",
    unavailable="the GitLab API failed on {resource} ({message}) after the retries",
    other="{resource}: {message}",
)


def by_status(status: int | None, message: str, resource: str, token_env: str) -> ProviderError:
    """The most specific ci-rescue error for an HTTP *status*."""
    return error_for_status(
        status, _WORDING, provider=PROVIDER, resource=resource, message=message, token_env=token_env
    )
