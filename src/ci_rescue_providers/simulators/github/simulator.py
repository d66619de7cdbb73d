"""``GitHubSimulator``: a stateful GitHub REST API on loopback for tests, demos and plugins."""

from __future__ import annotations

import copy
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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
    FaultBody,
    FaultBook,
    RecordedRequest,
    RequestLog,
    fault_response,
)
from .repo_content import RepoContentMixin
from .router import ApiRequest, json_response
from .server import GITHUB_STYLE, HttpServer, Reply
from .state import SimState, utcnow

__all__ = ["GitHubSimulator"]


class GitHubSimulator(StateReadsMixin, RepoContentMixin, WebhookEventsMixin):
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
        if token is not None and not token:
            raise ValueError("token must be None (accept any) or a non-empty string")
        self.token = token
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
        self._http = HttpServer(self._serve, host=host, port=port, style=GITHUB_STYLE)
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
        self._log = RequestLog()
        self._faults = FaultBook()
        self._errors: list[str] = []
        self._errors_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> GitHubSimulator:
        """Start serving in a daemon thread (idempotent); returns ``self``."""
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection and thread (idempotent). State is kept."""
        self._http.stop()

    def __enter__(self) -> GitHubSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (plus ``api_prefix``) — pass it as PyGithub's
        ``base_url``."""
        return self._http.base_url + self._prefix.prefix

    @property
    def running(self) -> bool:
        """Whether the HTTP server is up."""
        return self._http.running

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

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy), oldest first."""
        return self._log.snapshot()

    def write_requests(self) -> list[RecordedRequest]:
        """Recorded requests other than GET and HEAD."""
        return [r for r in self._log.snapshot() if r.is_write]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._log.clear()

    @property
    def errors(self) -> list[str]:
        """Tracebacks of internal simulator errors (each answered with a 500); empty if healthy."""
        with self._errors_lock:
            return list(self._errors)

    def inject_fault(
        self,
        method: str | None = "GET",
        path: str = ".*",
        status: int | None = 500,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        body: FaultBody = None,
        delay: float = 0.0,
        *,
        truncate: bool = False,
        apply_first: bool = False,
    ) -> Fault:
        """Answer the next ``times`` requests matching ``method`` and the ``path`` regex
        (``re.search`` on the path without query) with ``status``, ``headers`` and ``body``
        (default ``{"message": <reason>}``), after ``delay`` seconds.

        ``status=None`` lets the simulator answer normally (use with ``delay`` for slow
        responses or ``truncate=True`` for a body cut short). Returns the ``Fault`` (see
        ``hits``). Examples: 429 with ``headers={"Retry-After": "0"}``, 500, 401, 404.
        ``apply_first=True`` carries the request out before answering with the fault: a write
        that happened although its answer was an error (a 502 after creating the pull request).
        """
        fault = Fault(
            method=method,
            path=path,
            status=status,
            times=times,
            headers=dict(headers or {}),
            body=body,
            delay=delay,
            truncate=truncate,
            apply_first=apply_first,
        )
        return self._faults.add(fault)

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

    def clear_faults(self) -> None:
        """Drop all pending faults."""
        self._faults.clear()

    # -- HTTP entry point ----------------------------------------------------------------------

    def _serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        split = urlsplit(target)
        raw_path = split.path or "/"
        api_path = self._prefix.api_path(raw_path)
        path = raw_path if api_path is None else api_path
        fault = None if api_path is None else self._faults.take(method, path)
        try:
            if api_path is None:  # outside the API (below api_prefix): a web server's 404
                response = json_response(404, {"message": "Not Found"})
            elif fault is not None and fault.status is not None:
                if fault.apply_first:  # the request takes effect; only its answer is lost
                    self._api.handle(ApiRequest(method, path, split.query, dict(headers), body))
                response = fault_response(fault, self._api.rate.headers())
            else:
                response = self._api.handle(
                    ApiRequest(method, path, split.query, dict(headers), body)
                )
        except Exception as error:  # the server must answer, whatever went wrong
            with self._errors_lock:
                self._errors.append(traceback.format_exc())
            response = json_response(
                500, {"message": f"Simulator internal error: {type(error).__name__}: {error}"}
            )
        for name, value in fault.headers.items() if fault is not None else ():
            response.headers[name] = value
        self._log.append(
            RecordedRequest(
                method=method,
                path=path,
                query=dict(parse_qsl(split.query, keep_blank_values=True)),
                headers=copy.copy(headers),
                body=body,
                status=response.status,
                raw_query=split.query,
                faulted=fault is not None,
                raw_path=raw_path,
            )
        )
        return Reply(
            status=response.status,
            headers=response.headers,
            body=response.body,
            delay=fault.delay if fault is not None else 0.0,
            truncate=fault.truncate if fault is not None else False,
        )
