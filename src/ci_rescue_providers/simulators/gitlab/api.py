"""The simulated GitLab REST API as a function of requests: prefix, auth, rate limit, routing."""

from __future__ import annotations

import hmac
import threading
import time
import uuid
from collections.abc import Callable
from email.utils import formatdate

from .api_ci import register_ci
from .api_repo import register_repository
from .api_tracker import register_tracker
from .context import ApiContext
from .models import SimError
from .payloads import project_json, user_json
from .router import ApiRequest, ApiResponse, Router, json_response

__all__ = ["API_PREFIX", "GitLabApi", "RateLimiter"]

API_PREFIX = "/api/v4"
_WINDOW = 60


class RateLimiter:
    """``limit`` requests per 60-second window (``None``: unlimited), with GitLab's headers."""

    def __init__(self, limit: int | None, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self.used = 0
        self.reset = int(clock()) + _WINDOW

    def _roll(self) -> None:
        if self._clock() >= self.reset:
            self.used = 0
            self.reset = int(self._clock()) + _WINDOW

    def consume(self) -> bool:
        """Count one request; False when the window is exhausted."""
        with self._lock:
            self._roll()
            if self.limit is not None and self.used >= self.limit:
                return False
            self.used += 1
            return True

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` headers as of now (none when unlimited)."""
        if self.limit is None:
            return {}
        with self._lock:
            self._roll()
            return {
                "RateLimit-Limit": str(self.limit),
                "RateLimit-Observed": str(self.used),
                "RateLimit-Remaining": str(max(self.limit - self.used, 0)),
                "RateLimit-Reset": str(self.reset),
                "RateLimit-ResetTime": formatdate(self.reset, usegmt=True),
            }

    def retry_after(self) -> int:
        """Seconds until the window resets."""
        return max(0, int(self.reset - self._clock()))


class GitLabApi:
    """Answers :class:`ApiRequest` objects like a GitLab instance's ``/api/v4``."""

    def __init__(self, ctx: ApiContext, *, token: str | None, rate_limit: int | None) -> None:
        self.ctx = ctx
        self.token = token
        self.rate = RateLimiter(rate_limit)
        self.router = Router()
        self.router.add("GET", "/user", self._user)
        self.router.add("GET", "/version", self._version)
        self.router.add("GET", "/projects/{project}", self._project)
        register_ci(self.router, ctx)
        register_repository(self.router, ctx)
        register_tracker(self.router, ctx)

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one request; errors become GitLab-shaped JSON error responses."""
        try:
            response = self._answer(request)
        except SimError as error:
            response = json_response(error.status, error.body())
        response.headers.update(self.rate.headers())
        response.headers.setdefault("X-Request-Id", uuid.uuid4().hex[:26].upper())
        response.headers.setdefault("Cache-Control", "max-age=0, private, must-revalidate")
        return response

    def _answer(self, request: ApiRequest) -> ApiResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            raise SimError(404, "404 Not Found - the API lives under /api/v4")
        self._authenticate(request)
        if not self.rate.consume():
            response = json_response(429, {"message": "Retry later"})
            response.headers["Retry-After"] = str(self.rate.retry_after())
            return response
        inner = ApiRequest(
            request.method,
            request.path[len(API_PREFIX) :],
            request.raw_query,
            request.headers,
            request.body,
        )
        with self.ctx.state.lock:
            return self.router.dispatch(inner)

    def _authenticate(self, request: ApiRequest) -> None:
        headers = request.headers
        presented = headers.get("private-token") or headers.get("job-token")
        authorization = headers.get("authorization", "")
        if not presented and authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        if not presented:
            raise SimError(401, "401 Unauthorized")
        if self.token is not None and not hmac.compare_digest(
            presented.encode(), self.token.encode()
        ):
            raise SimError(401, "401 Unauthorized")

    # -- small endpoints -----------------------------------------------------------------------

    def _user(self, request: ApiRequest) -> ApiResponse:
        data = user_json(self.ctx.state.bot, self.ctx.urls())
        data.update({"bot": True, "email": f"{self.ctx.state.bot.username}@example.com"})
        return json_response(200, data)

    def _version(self, request: ApiRequest) -> ApiResponse:
        return json_response(
            200, {"version": "18.2.0-ee", "revision": "c0ffee00", "enterprise": True}
        )

    def _project(self, request: ApiRequest) -> ApiResponse:
        project = self.ctx.project(request)
        return json_response(200, project_json(project, self.ctx.urls()))
