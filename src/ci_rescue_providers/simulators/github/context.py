"""Shared pieces of the simulated API: URL building, blob URL signing and rate limiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..common import blobs as common
from .models import NotFoundError, RepoRecord
from .payloads import Urls
from .router import ApiRequest, ApiResponse, json_response, paginate
from .state import SimState

__all__ = ["ApiContext", "BlobSigner", "RateLimiter"]

T = TypeVar("T")


class BlobSigner(common.BlobSigner):
    """Signs short-lived, unauthenticated blob URLs (like GitHub's log download links):
    ``?expires=…&sig=…``."""


class RateLimiter:
    """The primary ``core`` rate limit: ``limit`` requests per rolling hour window."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self.used = 0
        self.reset = int(clock()) + 3600

    def _roll(self) -> None:
        if self._clock() >= self.reset:
            self.used = 0
            self.reset = int(self._clock()) + 3600

    def consume(self) -> bool:
        """Count one request; False when the limit is already exhausted."""
        with self._lock:
            self._roll()
            if self.used >= self.limit:
                return False
            self.used += 1
            return True

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers as of now."""
        with self._lock:
            self._roll()
            return {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(max(self.limit - self.used, 0)),
                "X-RateLimit-Used": str(self.used),
                "X-RateLimit-Reset": str(self.reset),
                "X-RateLimit-Resource": "core",
            }


@dataclass
class ApiContext:
    """What every endpoint handler needs."""

    state: SimState
    base_url: Callable[[], str]
    signer: BlobSigner
    cancel_log: list[int] = field(default_factory=list)

    def urls(self) -> Urls:
        """URL builder on the running server's base URL."""
        return Urls(self.base_url())

    def repo(self, request: ApiRequest) -> RepoRecord:
        """The repository named by the ``owner``/``repo`` path parameters (or 404)."""
        return self.state.repo(f"{request.params['owner']}/{request.params['repo']}")

    def login(self, request: ApiRequest) -> str:
        """Who acts: the caller's login (an app installation acts as ``<slug>[bot]``)."""
        identity = request.identity
        return str(identity.login) if identity is not None else self.state.login

    def int_param(self, request: ApiRequest, name: str) -> int:
        """A numeric path parameter; 404 when it is not a number (as GitHub answers)."""
        value = request.params.get(name, "")
        if not value.isdigit():
            raise NotFoundError()
        return int(value)

    def json_page(
        self, request: ApiRequest, items: Sequence[T], render: Callable[[T, Urls], Any]
    ) -> ApiResponse:
        """A 200 with the requested page of ``items``, each as ``render(item, urls)``, and its
        ``Link`` header (callers hold ``state.lock`` when ``render`` reads the state)."""
        page, headers = paginate(request, items, self.base_url())
        urls = self.urls()
        return json_response(200, [render(item, urls) for item in page], headers)
