"""Building the httpx clients and the adapter from settings (the only place that does)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ci_rescue_core.errors import ConfigError
from ci_rescue_core.provider import Provider, ProviderSettings
from ci_rescue_providers.circleci.adapter import CircleCIProvider
from ci_rescue_providers.circleci.transport import RetryTransport

__all__ = ["PUBLIC_API", "build_clients", "build_provider"]

PUBLIC_API = "https://circleci.com/api/v2"
USER_AGENT = "ci-rescue (+https://github.com/ci-rescue/ci-rescue)"


def _retry_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "max_retries": int(options.get("max_retries", 3)),
        "max_wait": float(options.get("max_wait", 60.0)),
        "backoff_factor": float(options.get("backoff_factor", 0.5)),
    }


def build_clients(settings: ProviderSettings) -> tuple[httpx.Client, httpx.Client]:
    """The API client (``Circle-Token``, retries, **no** redirects) and the credential-free
    client for pre-signed step output URLs (redirects allowed: it carries no secret).

    :raises ConfigError: when ``base_url`` is not an http(s) URL.
    """
    base_url = (settings.base_url or PUBLIC_API).rstrip("/")
    if not base_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"base_url must be an http(s) URL like {PUBLIC_API}, got {base_url!r}",
            key=f"providers.{settings.name}.base_url",
        )
    options = settings.options
    timeout = float(options.get("timeout", 15.0))
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if settings.token:
        headers["Circle-Token"] = settings.token
    api = httpx.Client(
        base_url=base_url,
        headers=headers,
        timeout=timeout,
        follow_redirects=False,
        transport=RetryTransport(httpx.HTTPTransport(), **_retry_options(options)),
    )
    blobs = httpx.Client(
        headers={"User-Agent": USER_AGENT},
        timeout=timeout,
        follow_redirects=True,
        transport=RetryTransport(
            httpx.HTTPTransport(), buffer_json=False, **_retry_options(options)
        ),
    )
    return api, blobs


def companion_of(settings: ProviderSettings) -> Provider | None:
    """The VCS provider ``options["vcs"]`` names, from ``settings.companions``.

    :raises ConfigError: when ``vcs`` names CircleCI itself or a provider that was not built.
    """
    vcs = settings.options.get("vcs")
    if not vcs:
        return None
    key = f"providers.{settings.name}.vcs"
    if vcs == settings.name:
        raise ConfigError(
            f"{settings.name} cannot be its own VCS provider; use github or gitlab", key=key
        )
    companion = settings.companions.get(str(vcs))
    if companion is None:
        raise ConfigError(
            f"vcs is {vcs!r} but no {vcs} provider was configured to go with it; add a "
            f"providers.{vcs} section (base_url, token_env) to rescue.yaml",
            key=key,
        )
    return companion


def build_provider(settings: ProviderSettings) -> CircleCIProvider:
    """The CircleCI adapter for *settings*: clients, webhook secret, VCS companion."""
    companion = companion_of(settings)
    api, blobs = build_clients(settings)
    options = settings.options
    return CircleCIProvider(
        api,
        blob_client=blobs,
        vcs=companion,
        vcs_repos=options.get("vcs_repos") or None,
        webhook_secret=settings.webhook_secret,
        webhook_secret_env=str(options.get("webhook_secret_env") or "CI_RESCUE_WEBHOOK_SECRET"),
        token_env=settings.token_env or "CI_RESCUE_CIRCLECI_TOKEN",
        has_token=bool(settings.token),
        app_url=str(options.get("app_url") or "https://app.circleci.com"),
    )
