"""The simulated GitHub REST API as a plain function of requests: auth, rate limit, routing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from .actions import register_actions, run_logs_zip
from .apps import AppRegistry, Identity, decode_jwt
from .apps_api import register_apps
from .checks_api import register_checks
from .context import ApiContext, BlobSigner, RateLimiter
from .git_api import register_git
from .graphql import register_graphql
from .issues_api import register_issues
from .models import NotFoundError, SimError
from .payloads import rate_limit_json, repo_json, user_json
from .pulls_api import register_pulls
from .router import ApiRequest, ApiResponse, Router, json_response
from .state import SimState

__all__ = ["SUPPORTED_API_VERSIONS", "GitHubApi"]

#: Values of ``X-GitHub-Api-Version`` the simulator accepts (absent means 2022-11-28).
SUPPORTED_API_VERSIONS = ("2022-11-28", "2026-03-10")
_AUTH = re.compile(r"^\s*(token|bearer)\s+(\S+)\s*$", re.IGNORECASE)
_REPOSITORIES = re.compile(r"^/repositories/(\d+)(/.*)?$")
_JOB_BLOB = re.compile(r"^/_blobs/job-logs/(\d+)$")
_RUN_BLOB = re.compile(r"^/_blobs/run-logs/(\d+)/(\d+)$")
_APP_ONLY = re.compile(r"^/app(/.*)?$|^/repos/[^/]+/[^/]+/installation/?$")


class GitHubApi:
    """Answers ``ApiRequest``s like api.github.com would, from a ``SimState``."""

    def __init__(
        self,
        state: SimState,
        *,
        base_url: Callable[[], str],
        token: str | None,
        rate_limit: int,
        blob_ttl: float,
        strict_blobs: bool,
        apps: AppRegistry,
        token_scopes: tuple[str, ...] | None = ("repo", "workflow"),
    ) -> None:
        self.state = state
        self.token = token
        self.apps = apps
        self.token_scopes = token_scopes
        self.strict_blobs = strict_blobs
        self.rate = RateLimiter(rate_limit)
        self.ctx = ApiContext(state=state, base_url=base_url, signer=BlobSigner(blob_ttl))
        self.router = Router()
        self.router.add("GET", "/user", self._user)
        self.router.add("GET", "/rate_limit", self._rate_limit)
        self.router.add("GET", "/repos/{owner}/{repo}", self._repo)
        register_actions(self.router, self.ctx)
        register_issues(self.router, self.ctx)
        register_git(self.router, self.ctx)
        register_pulls(self.router, self.ctx)
        register_checks(self.router, self.ctx, apps)
        register_apps(self.router, self.ctx, apps)
        register_graphql(self.router, self.ctx)

    # -- entry point ---------------------------------------------------------------------------

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one request; API errors become GitHub-shaped JSON error responses."""
        try:
            if request.path.startswith("/_blobs/"):
                response = self._blob(request)
            else:
                response = self._api(request)
        except SimError as error:
            response = json_response(error.status, error.body())
        response.headers.update(self.rate.headers())
        response.headers.setdefault("X-GitHub-Request-Id", uuid.uuid4().hex[:20].upper())
        response.headers.setdefault("X-GitHub-Media-Type", "github.v3; format=json")
        return response

    def _api(self, request: ApiRequest) -> ApiResponse:
        identity = self._authenticate(request)
        request.identity = identity
        if (identity.kind == "app") != bool(_APP_ONLY.match(request.path)):
            if identity.kind == "app":
                raise SimError(403, "Resource not accessible by integration")
            raise SimError(401, "A JSON web token could not be decoded")
        if not request.headers.get("user-agent"):
            raise SimError(
                403,
                "Request forbidden by administrative rules. Please make sure your request has a "
                "User-Agent header (missing or invalid user agent string).",
            )
        version = request.headers.get("x-github-api-version")
        if version is not None and version not in SUPPORTED_API_VERSIONS:
            raise SimError(400, f"API version {version} is not supported.")
        if request.path != "/rate_limit" and not self.rate.consume():
            raise SimError(
                403,
                f"API rate limit exceeded for user ID {self.state.user_id(self.state.login)}. "
                "If you reach out to GitHub Support for help, please include the request ID.",
            )
        match = _REPOSITORIES.match(request.path)
        if match:
            repo = self.state.repo_by_id(int(match.group(1)))
            request.path = f"/repos/{repo.full_name}{match.group(2) or ''}"
        response = self.router.dispatch(request)
        if identity.scopes is not None:
            response.headers["X-OAuth-Scopes"] = ", ".join(identity.scopes)
        return response

    def _authenticate(self, request: ApiRequest) -> Identity:
        """Who is calling: an app (JWT), one of its installations (``ghs_`` token) or the
        personal token; 401 ``Bad credentials`` for anything else."""
        match = _AUTH.match(request.headers.get("authorization", ""))
        presented = match.group(2) if match else None
        if not presented:
            raise SimError(401, "Bad credentials")
        claims = decode_jwt(presented)
        if claims is not None:
            return self.apps.app_identity(claims)
        installation = self.apps.installation_identity(presented)
        if installation is not None:
            return installation
        if self.token is not None and presented != self.token:
            raise SimError(401, "Bad credentials")
        return Identity(kind="token", login=self.state.login, scopes=self.token_scopes)

    # -- small endpoints -----------------------------------------------------------------------

    def _user(self, request: ApiRequest) -> ApiResponse:
        with self.state.lock:
            return json_response(200, user_json(self.state, self.state.login, self.ctx.urls()))

    def _rate_limit(self, request: ApiRequest) -> ApiResponse:
        headers = self.rate.headers()
        used, reset = int(headers["X-RateLimit-Used"]), int(headers["X-RateLimit-Reset"])
        return json_response(200, rate_limit_json(self.rate.limit, used, reset))

    def _repo(self, request: ApiRequest) -> ApiResponse:
        with self.state.lock:
            repo = self.ctx.repo(request)
            return json_response(200, repo_json(self.state, repo, self.ctx.urls(), api=True))

    # -- signed blobs (no API auth, like GitHub's log download links) --------------------------

    def _blob(self, request: ApiRequest) -> ApiResponse:
        if request.method not in ("GET", "HEAD"):
            raise NotFoundError()
        forbidden = ApiResponse(
            403,
            b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
            b"<Message>Server failed to authenticate the request.</Message></Error>",
            {"Content-Type": "application/xml"},
        )
        if self.strict_blobs and "authorization" in request.headers:
            return forbidden
        if not self.ctx.signer.verify(request.path, request.raw_query):
            return forbidden
        job_match = _JOB_BLOB.match(request.path)
        if job_match:
            job = self.state.job(int(job_match.group(1)))
            return ApiResponse(200, job.log, {"Content-Type": "text/plain; charset=utf-8"})
        run_match = _RUN_BLOB.match(request.path)
        if run_match:
            data = run_logs_zip(self.ctx, int(run_match.group(1)), int(run_match.group(2)))
            return ApiResponse(200, data, {"Content-Type": "application/zip"})
        raise NotFoundError()
