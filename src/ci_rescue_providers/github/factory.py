"""Building the PyGithub clients and the adapter from settings (the only place that does).

Credentials: a token (``token_env``), or a GitHub App — ``options["app_id"]`` and
``options["private_key"]`` (PEM text, or the path of a PEM file), read from the variables
``app_id_env`` and ``private_key_env`` name. When both are configured the App wins.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import github
import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github import Auth
from urllib3 import Retry
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.response import BaseHTTPResponse, HTTPResponse

from ci_rescue_core.errors import ConfigError
from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.github.adapter import GitHubProvider
from ci_rescue_providers.github.clients import AppClients, ClientSource, TokenClient

PUBLIC_API = "https://api.github.com"
API_VERSION = "2022-11-28"
_WRITES = frozenset({"POST", "PATCH"})


class BoundedRetry(github.GithubRetry):
    """PyGithub's retry (5xx, rate-limit 403) plus 429, with every wait capped at *max_wait*.

    Waits: ``Retry-After`` when the answer has one; else, for a 429, until ``X-RateLimit-Reset``
    when the quota is spent, or the secondary-limit pause; a primary-limit 403 waits until the
    reset (PyGithub). A wait longer than *max_wait* raises
    ``RateLimitExceededExceedsMaxWait`` instead of sleeping. When the retries run out the last
    answer is returned (``raise_on_status=False``), so its status picks the error.

    Writes (``POST``, ``PATCH``) are re-sent only when GitHub refused them (rate limits) or they
    never left (connection errors) — never after a 5xx or a read timeout, when they may have
    been carried out already (a second pull request, a second issue).
    """

    def __init__(self, *, max_wait: float, **kwargs: Any) -> None:
        self.max_wait = max_wait
        kwargs.setdefault("status_forcelist", [429, *range(500, 600)])
        kwargs.setdefault("raise_on_status", False)
        super().__init__(
            max_rate_limit_wait=max_wait, secondary_rate_wait=min(60.0, max_wait), **kwargs
        )

    def new(self, **kw: Any) -> BoundedRetry:
        """The next retry state (urllib3 makes one per attempt), keeping *max_wait*."""
        kw.setdefault("max_wait", self.max_wait)
        kw.pop("max_rate_limit_wait", None)
        kw.pop("secondary_rate_wait", None)
        return BoundedRetry(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether an answer with *status_code* is retried (never a write's 5xx)."""
        if method.upper() in _WRITES and status_code >= 500:
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        """Count one retry; a write whose answer was lost (read timeout) is not re-sent."""
        if (
            error is not None
            and response is None
            and (method or "").upper() in _WRITES
            and isinstance(error, (ReadTimeoutError, ProtocolError))
        ):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """How long to wait before retrying *response*, refused past *max_wait*."""
        wait = super().get_retry_after(response)
        if wait is None and response.status == 429:
            wait = self._quota_wait(response)
        if wait is not None and wait > self.max_wait:
            raise github.RateLimitExceededExceedsMaxWait(
                response.status,
                {
                    "message": f"the GitHub API asks to wait {wait:.0f}s, more than the "
                    f"configured max_wait of {self.max_wait:g}s"
                },
                dict(response.headers),
                wait=wait,
            )
        return wait

    def _quota_wait(self, response: BaseHTTPResponse) -> float:
        headers = response.headers
        reset = headers.get("X-RateLimit-Reset", "")
        if headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
            return max(0.0, int(reset) - time.time()) + 1.0
        return float(self.secondary_rate_wait)


def _retry(settings: ProviderSettings) -> BoundedRetry:
    options = settings.options
    return BoundedRetry(
        total=int(options.get("max_retries", 3)),
        backoff_factor=float(options.get("backoff_factor", 0.5)),
        max_wait=float(options.get("max_wait", 60.0)),
    )


def _client_options(settings: ProviderSettings) -> dict[str, Any]:
    options = settings.options
    return {
        "base_url": (settings.base_url or PUBLIC_API).rstrip("/"),
        "timeout": int(options.get("timeout", 15)),
        "retry": _retry(settings),
        "seconds_between_requests": float(options.get("seconds_between_requests", 0.25)),
        "seconds_between_writes": float(options.get("seconds_between_writes", 1.0)),
        "lazy": True,
    }


def build_client(settings: ProviderSettings, auth: Auth.Auth | None = None) -> github.Github:
    """A ``github.Github`` for *settings*: base URL, auth (default: the token), bounded retries,
    timeouts, throttling.

    Without a token the client is anonymous; the adapter refuses to use it (see
    :class:`GitHubProvider`), so a missing token is reported once, naming its variable.
    """
    if auth is None and settings.token:
        auth = Auth.Token(settings.token)
    return github.Github(
        auth=auth, per_page=100, api_version=API_VERSION, **_client_options(settings)
    )


def _private_key(value: str, variable: str) -> str:
    text = value
    if not value.lstrip().startswith("-----BEGIN"):
        path = Path(value).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"{variable} must hold the GitHub App's private key (PEM text) or the path of a "
                "PEM file; it holds neither",
                key=variable,
            )
        text = path.read_text(encoding="utf-8")
    try:
        key = load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"the GitHub App private key from {variable} is not an unencrypted PEM private key "
            f"({exc})",
            key=variable,
        ) from exc
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError(
            f"the GitHub App private key from {variable} must be an RSA key", key=variable
        )
    return text


def build_clients(settings: ProviderSettings) -> ClientSource:
    """The client source for *settings*: a GitHub App when ``app_id`` is configured, else the
    token.

    :raises ConfigError: when the App's id or private key is missing or unusable.
    """
    options = settings.options
    app_id = str(options.get("app_id") or "").strip()
    key_env = str(options.get("private_key_env") or "CI_RESCUE_GITHUB_APP_PRIVATE_KEY")
    id_env = str(options.get("app_id_env") or "CI_RESCUE_GITHUB_APP_ID")
    if not app_id:
        return TokenClient(build_client(settings), credentials=f"the token in {settings.token_env}")
    raw_key = str(options.get("private_key") or "")
    if not raw_key:
        raise ConfigError(
            f"GitHub App {app_id} (from {id_env}) has no private key: set {key_env}", key=key_env
        )
    app = Auth.AppAuth(app_id, _private_key(raw_key, key_env))
    integration = github.GithubIntegration(auth=app, **_client_options(settings))
    return AppClients(
        integration,
        lambda auth: build_client(settings, auth),
        credentials=f"GitHub App {app_id} (id from {id_env}, private key from {key_env})",
    )


def build_provider(settings: ProviderSettings) -> GitHubProvider:
    """The GitHub adapter for *settings* (clients, credential-free log client, webhook secret)."""
    timeout = float(settings.options.get("timeout", 15))
    clients = build_clients(settings)
    return GitHubProvider(
        clients,
        blob_client=httpx.Client(timeout=timeout, follow_redirects=True),
        webhook_secret=settings.webhook_secret,
        token_env=settings.token_env,
        base_url=settings.base_url or PUBLIC_API,
        has_token=bool(settings.token) or isinstance(clients, AppClients),
        webhook_secret_env=str(
            settings.options.get("webhook_secret_env") or "CI_RESCUE_WEBHOOK_SECRET"
        ),
    )
