"""Building the python-gitlab client and the adapter from settings (the only place that does).

Retries stay python-gitlab's: 429 always (``Retry-After``, else ``RateLimit-Reset``, else
``0.1·2ⁿ`` s) and, for reads (``GET``, ``HEAD``), 5xx, ``409 Resource lock`` and connection
errors too.  Writes are never sent again after a 5xx or a lost answer — GitLab may have carried
them out (a second issue, a second merge request, a retry that eats the retry budget): they fail
at once as :class:`~ci_rescue_providers.gitlab.errors.UnconfirmedWrite`, and the steps that
create something look it up before giving up (see :mod:`ci_rescue_providers.gitlab.writes`).
ci-rescue bounds the retries: at most ``max_retries`` per request, and a 429 that asks to wait
longer than ``max_wait`` seconds is not slept on — it fails at once as a
:class:`~ci_rescue_core.errors.RateLimitedError` carrying the wait.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Mapping
from typing import Any

import gitlab
import gitlab.exceptions as glexc
import requests
from gitlab._backends import DefaultBackend, DefaultResponse

from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.gitlab.adapter import GitLabProvider
from ci_rescue_providers.gitlab.errors import RetryAfterTooLong, UnconfirmedWrite

PUBLIC_URL = "https://gitlab.com"
USER_AGENT = "ci-rescue"
_API_SUFFIX = re.compile(r"/api/v4/?$")
#: Methods python-gitlab may send again after a 5xx or a lost answer.
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def announced_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a 429 asks to wait: ``Retry-After``, else ``RateLimit-Reset`` minus now."""
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    reset = headers.get("RateLimit-Reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


class CappedBackend(DefaultBackend):
    """python-gitlab's requests backend, refusing 429 waits longer than *max_wait*."""

    def __init__(self, session: requests.Session | None = None, *, max_wait: float) -> None:
        super().__init__(session)
        self.max_wait = max_wait

    def http_request(
        self,
        method: str,
        url: str,
        json: dict[str, Any] | bytes | None = None,
        data: Any = None,
        params: Any | None = None,
        timeout: float | None = None,
        verify: bool | str | None = True,
        stream: bool | None = False,
        **kwargs: Any,
    ) -> DefaultResponse:
        """Send the request; a 429 with a too-long wait raises :class:`RetryAfterTooLong`."""
        result = super().http_request(
            method,
            url,
            json=json,
            data=data,
            params=params,
            timeout=timeout,
            verify=verify,
            stream=stream,
            **kwargs,
        )
        if result.status_code == 429:
            wait = announced_wait(result.headers, time.time())
            if wait is not None and wait > self.max_wait:
                result.response.close()
                raise RetryAfterTooLong(wait, self.max_wait)
        return result


class BoundedGitlab(gitlab.Gitlab):
    """A ``gitlab.Gitlab`` whose requests retry at most *max_retries* times by default, and
    whose writes are never sent again after a 5xx or a lost answer."""

    def __init__(self, url: str, *, max_retries: int, max_wait: float, **kwargs: Any) -> None:
        self.max_retries = max_retries
        super().__init__(url, backend=functools.partial(CappedBackend, max_wait=max_wait), **kwargs)

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> requests.Response:
        """python-gitlab's request loop, with our ``max_retries`` unless the caller set one.

        Reads retry transient errors (5xx, timeouts, broken connections); writes retry only
        what GitLab refused (429), and a write's 5xx or read timeout raises
        :class:`UnconfirmedWrite`.
        """
        kwargs.setdefault("max_retries", self.max_retries)
        if verb.upper() in _SAFE_METHODS:
            kwargs.setdefault("retry_transient_errors", True)
            return super().http_request(verb, path, *args, **kwargs)
        kwargs["retry_transient_errors"] = False
        try:
            return super().http_request(verb, path, *args, **kwargs)
        except glexc.GitlabHttpError as exc:
            if exc.response_code is None or exc.response_code < 500:
                raise
            raise UnconfirmedWrite(
                verb,
                path,
                error_message=exc.error_message,
                response_code=exc.response_code,
                response_body=exc.response_body,
            ) from exc
        except requests.exceptions.ReadTimeout as exc:
            raise UnconfirmedWrite(verb, path, error_message=f"no answer in time ({exc})") from exc


def instance_url(base_url: str | None) -> str:
    """The instance root python-gitlab wants: a trailing ``/api/v4`` or ``/`` is dropped."""
    url = (base_url or PUBLIC_URL).strip().rstrip("/")
    return _API_SUFFIX.sub("", url).rstrip("/") or PUBLIC_URL


def build_client(settings: ProviderSettings) -> gitlab.Gitlab:
    """A ``gitlab.Gitlab`` for *settings*: any self-managed URL, token, bounded retries."""
    options = settings.options
    return BoundedGitlab(
        instance_url(settings.base_url),
        private_token=settings.token or None,
        timeout=float(options.get("timeout", 15)),
        keep_base_url=True,
        per_page=100,
        user_agent=USER_AGENT,
        max_retries=int(options.get("max_retries", 3)),
        max_wait=float(options.get("max_wait", 60.0)),
    )


def build_provider(settings: ProviderSettings) -> GitLabProvider:
    """The GitLab adapter for *settings* (client, webhook secret, token variable)."""
    return GitLabProvider(
        build_client(settings),
        webhook_secret=settings.webhook_secret,
        token_env=settings.token_env or "CI_RESCUE_GITLAB_TOKEN",
        webhook_secret_env=str(
            settings.options.get("webhook_secret_env") or "CI_RESCUE_WEBHOOK_SECRET"
        ),
        has_token=bool(settings.token),
    )
