"""Thin JSON helpers over the injected ``httpx.Client``: errors, page tokens, v1.1 URLs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from ci_rescue_core.errors import ConfigError, ProviderError
from ci_rescue_providers.circleci.errors import PROVIDER, error_for_response, error_for_transport
from ci_rescue_providers.common.auth import missing_token

__all__ = ["CircleCIClient", "slug_path"]

#: Pages read at most when listing (``items`` + ``next_page_token``), so a list is bounded.
MAX_PAGES = 10


def slug_path(slug: str) -> str:
    """A project slug as a URL path (its slashes stay, other characters are escaped)."""
    return "/".join(quote(part, safe="") for part in slug.split("/"))


class CircleCIClient:
    """JSON calls on an ``httpx.Client`` whose ``base_url`` is the API v2 root.

    :param http: base URL and ``Circle-Token`` header set by the factory; must not follow
        redirects (``httpx`` would carry the token along).
    :param token_env: named in authentication errors.
    :param has_token: False when no token was configured: every call raises an
        :class:`AuthenticationError` naming *token_env* before anything is sent.
    :param api_root: where ``v1.1`` and ``private`` live (default: the v2 root's parent).
    :raises ConfigError: when *api_root* is not given and the client's ``base_url`` does not
        end in ``/v2``, so that the ``v1.1`` URLs cannot be derived from it.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        token_env: str,
        has_token: bool = True,
        api_root: str | None = None,
    ) -> None:
        self.http = http
        self.token_env = token_env
        self.has_token = has_token
        base = str(http.base_url).rstrip("/")
        self.base_url = base
        if api_root is None:
            if not base.endswith("/v2"):
                raise ConfigError(
                    f"the CircleCI client's base_url must be the API v2 root "
                    f"(https://circleci.com/api/v2), got {base!r}",
                    key="providers.circleci.base_url",
                )
            api_root = base.removesuffix("/v2")
        self.api_root = api_root.rstrip("/")

    def v1_url(self, path: str) -> str:
        """An absolute API v1.1 URL."""
        return f"{self.api_root}/v1.1/{path.lstrip('/')}"

    def private_url(self, path: str) -> str:
        """An absolute URL of CircleCI's private API (step output as plain text)."""
        return f"{self.api_root}/private/{path.lstrip('/')}"

    def _check_token(self, resource: str) -> None:
        if not self.has_token:
            raise missing_token(
                resource,
                provider=PROVIDER,
                provider_label="CircleCI",
                token_env=self.token_env,
                kind="a personal API token",
            )

    def request_json(
        self,
        method: str,
        url: str,
        *,
        resource: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request and decode its JSON answer; errors are ours, never httpx's."""
        self._check_token(resource)
        try:
            response = self.http.request(
                method, url, params=dict(params or {}), json=body, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, resource, self.base_url) from exc
        if not response.is_success:
            raise error_for_response(response, resource, self.token_env)
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProviderError(
                f"{resource}: the API answered {response.status_code} with a body that is not "
                f"JSON ({response.headers.get('content-type', 'no content type')})",
                provider=PROVIDER,
                status=response.status_code,
                resource=resource,
            ) from exc

    def get(self, url: str, *, resource: str, params: Mapping[str, str] | None = None) -> Any:
        """``GET`` *url* (relative to the v2 root, or absolute)."""
        return self.request_json("GET", url, resource=resource, params=params)

    def post(self, url: str, body: Mapping[str, Any], *, resource: str) -> Any:
        """``POST`` a JSON *body* to *url*."""
        return self.request_json("POST", url, resource=resource, body=body)

    def get_object(
        self, url: str, *, resource: str, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """``GET`` an answer that must be a JSON object."""
        data = self.get(url, resource=resource, params=params)
        if not isinstance(data, dict):
            raise ProviderError(
                f"{resource}: expected a JSON object, got {type(data).__name__}",
                provider=PROVIDER,
                resource=resource,
            )
        return data

    def items(
        self,
        url: str,
        *,
        resource: str,
        params: Mapping[str, str] | None = None,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following ``next_page_token`` (at most *max_pages*)."""
        query = dict(params or {})
        for _ in range(max_pages):
            data = self.get_object(url, resource=resource, params=query)
            items = data.get("items")
            if not isinstance(items, list):
                raise ProviderError(
                    f"{resource}: the answer has no 'items' list",
                    provider=PROVIDER,
                    resource=resource,
                )
            yield from (item for item in items if isinstance(item, dict))
            token = data.get("next_page_token")
            if not token:
                return
            query["page-token"] = str(token)

    @contextmanager
    def stream(self, url: str, *, resource: str) -> Iterator[httpx.Response]:
        """A streamed ``GET`` with the token (plain-text step output); errors are ours."""
        self._check_token(resource)
        try:
            with self.http.stream("GET", url, follow_redirects=False) as response:
                if not response.is_success:
                    response.read()
                    raise error_for_response(response, resource, self.token_env)
                yield response
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, resource, self.base_url) from exc

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()
