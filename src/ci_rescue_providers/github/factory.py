"""Building the PyGithub client and the adapter from settings (the only place that does)."""

from __future__ import annotations

from typing import Any

import github
import httpx
from github import Auth
from urllib3.response import BaseHTTPResponse

from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.github.adapter import GitHubProvider

PUBLIC_API = "https://api.github.com"
API_VERSION = "2022-11-28"


class BoundedRetry(github.GithubRetry):
    """PyGithub's retry (5xx, rate-limit 403) plus 429, with every wait capped at *max_wait*.

    A ``Retry-After`` longer than *max_wait* raises instead of sleeping for it.
    """

    def __init__(self, *, max_wait: float, **kwargs: Any) -> None:
        self.max_wait = max_wait
        kwargs.setdefault("status_forcelist", [429, *range(500, 600)])
        super().__init__(
            max_rate_limit_wait=max_wait, secondary_rate_wait=min(60.0, max_wait), **kwargs
        )

    def new(self, **kw: Any) -> BoundedRetry:
        kw.setdefault("max_wait", self.max_wait)
        kw.pop("max_rate_limit_wait", None)
        kw.pop("secondary_rate_wait", None)
        return BoundedRetry(**kw)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """The server's ``Retry-After``, refused when it exceeds *max_wait*."""
        wait = super().get_retry_after(response)
        if wait is not None and wait > self.max_wait:
            raise github.RateLimitExceededExceedsMaxWait(
                response.status,
                {
                    "message": f"Retry-After {wait:.0f}s exceeds the configured "
                    f"max_wait {self.max_wait:.0f}s"
                },
                dict(response.headers),
                wait=wait,
            )
        return wait


def build_client(settings: ProviderSettings) -> github.Github:
    """A ``github.Github`` for *settings*: base URL, token auth, bounded retries, timeouts.

    Without a token the client is anonymous; the adapter refuses to use it (see
    :class:`GitHubProvider`), so a missing token is reported once, naming its variable.
    """
    options = settings.options
    retry = BoundedRetry(
        total=int(options.get("max_retries", 3)),
        backoff_factor=float(options.get("backoff_factor", 0.5)),
        max_wait=float(options.get("max_wait", 60.0)),
    )
    return github.Github(
        base_url=(settings.base_url or PUBLIC_API).rstrip("/"),
        auth=Auth.Token(settings.token) if settings.token else None,
        timeout=int(options.get("timeout", 15)),
        retry=retry,
        per_page=100,
        seconds_between_requests=float(options.get("seconds_between_requests", 0.25)),
        seconds_between_writes=float(options.get("seconds_between_writes", 1.0)),
        api_version=API_VERSION,
        lazy=True,
    )


def build_provider(settings: ProviderSettings) -> GitHubProvider:
    """The GitHub adapter for *settings* (client, credential-free log client, webhook secret)."""
    timeout = float(settings.options.get("timeout", 15))
    return GitHubProvider(
        build_client(settings),
        blob_client=httpx.Client(timeout=timeout, follow_redirects=True),
        webhook_secret=settings.webhook_secret,
        token_env=settings.token_env,
        base_url=settings.base_url or PUBLIC_API,
        has_token=bool(settings.token),
    )
