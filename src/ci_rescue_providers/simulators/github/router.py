"""GitHub's request helpers, JSON responses, router and ``Link`` pagination (the mechanics are
``common.router``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..common import router as common
from ..common.router import ApiResponse, page_window
from .models import NotFoundError, SimError

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "Handler",
    "Router",
    "json_response",
    "paginate",
]

T = TypeVar("T")


@dataclass
class ApiRequest(common.ApiRequest):
    """A parsed HTTP request as the API handlers see it."""

    identity: Any = None  # who authenticated (an ``apps.Identity``), set by the API

    def json_body(self, *, default: Any = None) -> Any:
        """The body as JSON; 400 ``Problems parsing JSON`` when it is not JSON."""
        if not self.body.strip():
            return default
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise SimError(400, "Problems parsing JSON") from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (empty body: ``{}``)."""
        value = self.json_body(default={})
        if not isinstance(value, dict):
            raise SimError(422, "Invalid request.\n\nThe request body must be a JSON object.")
        return value


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
    """A JSON response (``application/json; charset=utf-8``)."""
    return common.json_response(
        status, value, headers, content_type="application/json; charset=utf-8"
    )


Handler = Callable[[ApiRequest], ApiResponse]


class Router(common.Router[ApiRequest]):
    """Maps ``METHOD /path/{param}`` patterns to handlers; unknown routes raise
    ``NotFoundError``."""

    def __init__(self) -> None:
        super().__init__(not_found=NotFoundError)


def paginate(
    request: ApiRequest, items: Sequence[T], base_url: str
) -> tuple[list[T], dict[str, str]]:
    """GitHub-style page of ``items`` (``per_page`` default 30, at most 100; ``page`` from 1)
    and the ``Link`` header (``prev``, ``next``, ``last``, ``first``) on ``base_url``."""
    window = page_window(request, items, default_per_page=30)
    page, last = window.page, window.last
    links: list[str] = []
    if page > 1:
        links.append(f'<{window.url(base_url, min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{window.url(base_url, page + 1)}>; rel="next"')
        links.append(f'<{window.url(base_url, last)}>; rel="last"')
    if page > 1:
        links.append(f'<{window.url(base_url, 1)}>; rel="first"')
    headers = {"Link": ", ".join(links)} if links else {}
    return window.items, headers
