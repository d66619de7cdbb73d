"""Building the httpx clients and the adapter from settings (the only place that does).

``base_url`` may name the CircleCI host (``https://circleci.example.com``, the natural value for
CircleCI Server) or its API (``…/api``, ``…/api/v2``, ``…/api/v1.1``), with or without a
trailing slash: the API v2 root and the root of ``v1.1``/``private`` are derived from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ci_rescue_core.errors import ConfigError
from ci_rescue_core.provider import Provider, ProviderSettings
from ci_rescue_providers.circleci.adapter import CircleCIProvider
from ci_rescue_providers.circleci.transport import RetryTransport

__all__ = ["PUBLIC_API", "api_urls", "build_clients", "build_provider"]

PUBLIC_API = "https://circleci.com/api/v2"
USER_AGENT = "ci-rescue (+https://github.com/ci-rescue/ci-rescue)"
_API_SUFFIX = re.compile(r"/api(?:/v2|/v1\.1)?$")


def api_urls(base_url: str | None, *, name: str = "circleci") -> tuple[str, str]:
    """The API v2 root and the API root (where ``v1.1`` and ``private`` live) of *base_url*.

    ``https://circleci.com``, ``https://circleci.com/api``, ``…/api/v2`` and ``…/api/v1.1`` (any
    of them with a trailing slash) all give ``("https://circleci.com/api/v2",
    "https://circleci.com/api")``; ``None`` is CircleCI cloud.

    :param name: the provider's name in ``rescue.yaml``, for the error's key.
    :raises ConfigError: when *base_url* is not an http(s) URL without query or fragment.
    """
    url = (base_url or PUBLIC_API).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"base_url must be an http(s) URL like {PUBLIC_API} or the CircleCI Server host "
            f"(https://circleci.example.com), got {url!r}",
            key=f"providers.{name}.base_url",
        )
    root = _API_SUFFIX.sub("", url.rstrip("/")).rstrip("/")
    return f"{root}/api/v2", f"{root}/api"


def _retry_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "max_retries": int(options.get("max_retries", 3)),
        "max_wait": float(options.get("max_wait", 60.0)),
        "backoff_factor": float(options.get("backoff_factor", 0.5)),
    }


def build_clients(settings: ProviderSettings) -> tuple[httpx.Client, httpx.Client]:
    """The API client (``Circle-Token``, retries, **no** redirects) and the credential-free
    client for pre-signed step output URLs (redirects allowed: it carries no secret).

    :raises ConfigError: when ``base_url`` is not an http(s) URL (see :func:`api_urls`).
    """
    base_url, _ = api_urls(settings.base_url, name=settings.name)
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
    _, api_root = api_urls(settings.base_url, name=settings.name)
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
        api_root=api_root,
    )
