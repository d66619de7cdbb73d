"""Where the adapter gets its PyGithub client for a repository: one token, or a GitHub App.

With a token every repository shares one ``github.Github``. With a GitHub App
(``Auth.AppAuth(app_id, private_key)``) the repository's installation is looked up
(``GET /repos/{o}/{r}/installation``) once per owner, and each installation gets its own client
whose installation token is fetched, and refreshed shortly before it expires, on demand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Protocol

import github
from github import Auth
from github.InstallationAuthorization import InstallationAuthorization

from ci_rescue_core.errors import NotFoundError

__all__ = ["AppClients", "ClientSource", "TokenClient"]

PROVIDER = "github"
_REFRESH_BEFORE = timedelta(seconds=60)


class ClientSource(Protocol):
    """Gives the adapter a ready PyGithub client per repository."""

    #: How the credentials are named in errors (``the token in CI_RESCUE_GITHUB_TOKEN``).
    credentials: str

    def for_repo(self, full_name: str) -> github.Github:
        """The client that may act on *full_name*."""

    def may_write_workflows(self, full_name: str) -> bool | None:
        """Whether the credentials may change ``.github/workflows/**`` of *full_name*;
        ``None`` when that cannot be known before trying."""

    def close(self) -> None:
        """Close every client's connections."""


class TokenClient:
    """One client with a personal access token (or any fixed token) for every repository.

    :param client: the configured ``github.Github``.
    :param credentials: how the token is named in errors.
    """

    def __init__(self, client: github.Github, *, credentials: str = "the GitHub token") -> None:
        self._client = client
        self.credentials = credentials

    def for_repo(self, full_name: str) -> github.Github:
        """The one client."""
        return self._client

    def may_write_workflows(self, full_name: str) -> bool | None:
        """From the ``X-OAuth-Scopes`` of the latest answer: classic tokens need the ``workflow``
        scope; other tokens do not say (``None``)."""
        scopes = self._client.oauth_scopes
        if scopes is None:
            return None
        return "workflow" in {scope.strip() for scope in scopes}

    def close(self) -> None:
        """Close the client."""
        self._client.close()


class _InstallationToken(Auth.Auth):
    """An installation token, fetched with the app's JWT and refreshed before it expires."""

    def __init__(self, integration: github.GithubIntegration, installation_id: int) -> None:
        self._integration = integration
        self._installation_id = installation_id
        self._current: InstallationAuthorization | None = None
        self._lock = threading.Lock()

    @property
    def token_type(self) -> str:
        """``token``, as GitHub expects for installation tokens."""
        return "token"

    @property
    def token(self) -> str:
        """The current installation token, fetched again shortly before it expires."""
        with self._lock:
            current = self._current
            now = datetime.now(timezone.utc)
            if current is None or current.expires_at - _REFRESH_BEFORE <= now:
                current = self._integration.get_access_token(self._installation_id)
                self._current = current
            return current.token

    @property
    def _masked_token(self) -> str:
        return "token (installation token removed)"


class AppClients:
    """GitHub App authentication: one client per installation, found per repository owner.

    :param integration: a ``github.GithubIntegration`` authenticated with ``Auth.AppAuth``.
    :param make_client: builds a ``github.Github`` (base URL, retries, throttling) for an auth.
    :param credentials: how the app's credentials are named in errors.
    """

    def __init__(
        self,
        integration: github.GithubIntegration,
        make_client: Callable[[Auth.Auth], github.Github],
        *,
        credentials: str = "the GitHub App credentials",
    ) -> None:
        self._integration = integration
        self._make_client = make_client
        self.credentials = credentials
        self._lock = threading.Lock()
        self._installations: dict[str, tuple[int, Mapping[str, str]]] = {}
        self._clients: dict[int, github.Github] = {}

    def installation(self, full_name: str) -> tuple[int, Mapping[str, str]]:
        """The id and permissions of the app's installation that covers *full_name*.

        :raises NotFoundError: when the app is not installed there.
        """
        owner, _, name = full_name.partition("/")
        key = owner.lower()
        with self._lock:
            known = self._installations.get(key)
        if known is not None:
            return known
        try:
            found = self._integration.get_repo_installation(owner, name)
        except github.UnknownObjectException as exc:
            raise NotFoundError(
                f"the GitHub App is not installed on {full_name} (404 from "
                "/repos/{owner}/{repo}/installation); install it there or fix the repository name",
                provider=PROVIDER,
                status=404,
                resource=f"installation of the GitHub App on {full_name}",
            ) from exc
        permissions = found.raw_data.get("permissions") or {}
        result = (int(found.id), {str(k): str(v) for k, v in dict(permissions).items()})
        with self._lock:
            self._installations[key] = result
        return result

    def for_repo(self, full_name: str) -> github.Github:
        """The client of the installation that covers *full_name*."""
        installation_id, _ = self.installation(full_name)
        with self._lock:
            client = self._clients.get(installation_id)
            if client is None:
                auth = _InstallationToken(self._integration, installation_id)
                client = self._make_client(auth)
                self._clients[installation_id] = client
            return client

    def may_write_workflows(self, full_name: str) -> bool | None:
        """Whether the installation has ``workflows: write``."""
        _, permissions = self.installation(full_name)
        return permissions.get("workflows") == "write"

    def close(self) -> None:
        """Close every installation's client and the app's own."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
        self._integration.close()
