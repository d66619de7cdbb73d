"""``GitHubSimulator``: a stateful GitHub REST API on loopback for tests, demos and plugins."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..common.facade import LostAnswerFacade
from .api import GitHubApi
from .apps import DEFAULT_INSTALLATION_PERMISSIONS, AppRegistry
from .events import WebhookEventsMixin
from .models import SimJob
from .payloads import Urls
from .prefix import ApiPrefix
from .reads import StateReadsMixin
from .recording import (
    PRIMARY_LIMIT_MESSAGE,
    SECONDARY_LIMIT_MESSAGE,
    Fault,
    fault_response,
)
from .repo_content import RepoContentMixin
from .router import ApiRequest, ApiResponse, json_response
from .server import GITHUB_STYLE
from .state import SimState, utcnow

__all__ = ["GitHubSimulator"]


class GitHubSimulator(LostAnswerFacade, StateReadsMixin, RepoContentMixin, WebhookEventsMixin):
    """A stateful fake of the GitHub REST API served over HTTP on loopback.

    Point the real client at it (``github.Github(base_url=sim.base_url, ...)``). ``token=None``
    accepts any non-empty token (``Authorization: token X`` or ``Bearer X``), otherwise exactly
    ``token``; that token acts as a classic personal access token with ``token_scopes``
    (``None``: a fine-grained token, no ``X-OAuth-Scopes`` header). A GitHub App is simulated
    too: any well-formed JWT authenticates as app ``app_id`` (recorded in ``app_jwts``, the
    signature is not checked), whose installation ``installation_id`` covers every repository
    and issues ``ghs_`` tokens with ``installation_permissions``. Check runs need such a token.
    ``push_access=False`` makes every caller a triage-less user: the labels and assignees of
    the issues it opens are dropped silently, as GitHub does. ``api_prefix="/api/v3"`` serves
    the API the way GitHub Enterprise Server does (``base_url`` ends with it; GraphQL is at
    ``/api/graphql``; recorded and faulted paths are the API's own, without the prefix).

    Runs complete immediately; re-runs create new attempts with new job ids. Repositories have
    real git data (each starts with a ``README.md`` commit), pull requests, check runs and
    commit statuses; GraphQL answers the auto-merge and revert mutations. Every request is
    recorded (``requests``) and faults can be injected (``inject_fault``).

    Use as a context manager, or call ``start()``/``stop()``.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        login: str = "ci-rescue-bot",
        rate_limit: int = 5000,
        installation_id: int | None = 1001,
        blob_url_ttl: float = 60.0,
        strict_blobs: bool = False,
        clock: Callable[[], datetime] | None = None,
        token_scopes: Sequence[str] | None = ("repo", "workflow"),
        app_id: int = 424242,
        app_slug: str = "ci-rescue",
        installation_permissions: Mapping[str, str] | None = None,
        push_access: bool = True,
        api_prefix: str = "",
    ) -> None:
        super().__init__(token, host=host, port=port, style=GITHUB_STYLE)
        self.installation_id = installation_id
        self._state = SimState(clock=clock or utcnow, login=login)
        self._state.push_access = push_access
        self._apps = AppRegistry(
            clock=self._state.clock,
            app_id=app_id,
            slug=app_slug,
            installation_id=installation_id,
            permissions=dict(
                DEFAULT_INSTALLATION_PERMISSIONS
                if installation_permissions is None
                else installation_permissions
            ),
        )
        self._prefix = ApiPrefix(api_prefix)
        self._api = GitHubApi(
            self._state,
            base_url=lambda: self.base_url,
            token=token,
            rate_limit=rate_limit,
            blob_ttl=blob_url_ttl,
            strict_blobs=strict_blobs,
            apps=self._apps,
            token_scopes=None if token_scopes is None else tuple(token_scopes),
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (plus ``api_prefix``) — pass it as PyGithub's
        ``base_url``."""
        return self._http.base_url + self._prefix.prefix

    @property
    def login(self) -> str:
        """The login of the authenticated user (author of created issues and comments)."""
        return self._state.login

    # -- setting up state ----------------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        private: bool = False,
        owner_type: str = "Organization",
        description: str | None = None,
        allow_auto_merge: bool = False,
    ) -> None:
        """Create repository ``owner/name`` with a first commit (``README.md``) on
        *default_branch* (``ValueError`` if it exists). *allow_auto_merge* is the repository
        setting the auto-merge mutation needs."""
        self._state.add_repo(
            full_name,
            default_branch=default_branch,
            private=private,
            owner_type=owner_type,
            description=description,
            allow_auto_merge=allow_auto_merge,
        )

    def add_run(
        self,
        repo: str,
        *,
        workflow: str = "CI",
        head_sha: str | None = None,
        head_branch: str | None = None,
        event: str = "push",
        jobs: Sequence[SimJob] = (),
        pull_requests: Sequence[int | Mapping[str, Any]] = (),
        actor: str = "octocat",
        display_title: str | None = None,
        path: str | None = None,
        created_at: datetime | None = None,
        run_id: int | None = None,
    ) -> int:
        """Create a workflow run that completes at once; returns its id.

        ``run_id`` picks the id (to replay a real delivery that names one); by default ids
        are allocated in order.
        Its conclusion is ``failure`` when a job failed. ``head_sha`` defaults to a stable fake
        sha, ``head_branch`` to the default branch, ``jobs`` to one successful ``build`` job.
        ``pull_requests`` are PR numbers (rendered like GitHub's entries) or ready dicts.
        """
        run = self._state.add_run(
            repo,
            workflow=workflow,
            head_sha=head_sha,
            head_branch=head_branch,
            event=event,
            jobs=jobs,
            pull_requests=[pr if isinstance(pr, int) else dict(pr) for pr in pull_requests],
            actor=actor,
            display_title=display_title,
            path=path,
            created_at=created_at,
            run_id=run_id,
        )
        return run.id

    # -- reading state (JSON exactly as the API returns it) ------------------------------------

    def _urls(self) -> Urls:
        return Urls(self.base_url)

    # -- recording and faults ------------------------------------------------------------------

    def inject_rate_limit(
        self,
        method: str | None = "*",
        path: str = ".*",
        *,
        kind: str = "secondary",
        status: int = 403,
        retry_after: float | None = None,
        reset_in: float = 3600.0,
        times: int | None = 1,
    ) -> Fault:
        """Answer matching requests the way GitHub throttles.

        ``kind="primary"``: the hourly quota is spent (``X-RateLimit-Remaining: 0``, reset
        ``reset_in`` seconds from now); ``kind="secondary"``: GitHub's abuse limit (remaining
        quota left). ``retry_after`` adds ``Retry-After``; *status* is 403 or 429.
        """
        if kind not in ("primary", "secondary"):
            raise ValueError("kind must be 'primary' or 'secondary'")
        headers = dict(self._api.rate.headers())
        if kind == "primary":
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Used"] = headers["X-RateLimit-Limit"]
            headers["X-RateLimit-Reset"] = str(int(time.time() + reset_in))
            message = PRIMARY_LIMIT_MESSAGE.format(user_id=self._state.user_id(self.login))
        else:
            message = SECONDARY_LIMIT_MESSAGE
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
        return self.inject_fault(
            method, path, status=status, times=times, headers=headers, body=body
        )

    # -- hooks of the shared HTTP entry point -------------------------------------------------

    def _api_path(self, raw_path: str) -> str | None:
        """The API's own path: ``api_prefix`` removed (``None`` below the prefix)."""
        return self._prefix.api_path(raw_path)

    def _outside_api(self, raw_path: str) -> ApiResponse:
        """A web server's 404 for a path outside the API."""
        return json_response(404, {"message": "Not Found"})

    def _answer(
        self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes
    ) -> ApiResponse:
        """Carry the request out on the simulated REST API."""
        return self._api.handle(ApiRequest(method, path, raw_query, headers, body))

    def _fault_response(self, fault: Fault) -> ApiResponse:
        """GitHub's error body, with the rate-limit headers."""
        return fault_response(fault, self._api.rate.headers())

    def _internal_error(self, error: Exception) -> ApiResponse:
        """GitHub-shaped 500 naming the simulator's exception."""
        return json_response(
            500, {"message": f"Simulator internal error: {type(error).__name__}: {error}"}
        )
