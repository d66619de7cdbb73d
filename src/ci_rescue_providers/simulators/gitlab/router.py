"""GitLab's request helpers, JSON responses, router and pagination headers (the mechanics are
``common.router``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from ..common import router as common
from ..common.router import ApiResponse, page_window
from .models import NotFoundError, SimError

__all__ = ["ApiRequest", "ApiResponse", "Handler", "Router", "json_response", "paginate"]

T = TypeVar("T")


class ApiRequest(common.ApiRequest):
    """A parsed HTTP request as the API handlers see it (path without ``/api/v4``)."""

    def query_list(self, name: str) -> list[str]:
        """Every value of a repeated parameter (``scope[]=a&scope[]=b`` or ``scope=a``)."""
        pairs = parse_qsl(self.raw_query, keep_blank_values=True)
        return [value for key, value in pairs if key in (name, f"{name}[]")]

    def data(self) -> dict[str, Any]:
        """The JSON object body merged over the query (python-gitlab sends both)."""
        merged: dict[str, Any] = dict(self.query)
        if self.body.strip():
            try:
                value = json.loads(self.body)
            except (ValueError, UnicodeDecodeError):
                raise SimError(400, "400 Bad request - body is not valid JSON") from None
            if not isinstance(value, dict):
                raise SimError(400, "400 Bad request - body must be a JSON object")
            merged.update(value)
        return merged


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
    """A JSON response (``application/json``)."""
    return common.json_response(status, value, headers)


Handler = Callable[[ApiRequest], ApiResponse]


class Router(common.Router[ApiRequest]):
    """Maps ``METHOD /path/{param}`` patterns to handlers; parameters are one URL-encoded
    segment each (``group%2Fproject`` is one project id, as GitLab expects)."""

    def __init__(self) -> None:
        super().__init__(not_found=NotFoundError)


def paginate(
    request: ApiRequest, items: Sequence[T], base_url: str
) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` (``per_page`` default 20, at most 100; ``page`` from 1) and
    GitLab's pagination headers: ``X-Page``, ``X-Per-Page``, ``X-Total``, ``X-Total-Pages``,
    ``X-Next-Page``, ``X-Prev-Page`` and ``Link`` (``next``, ``prev``, ``first``, ``last``)."""
    window = page_window(request, items, default_per_page=20)
    page, last = window.page, window.last
    root = f"{base_url.rstrip('/')}/api/v4"
    links = []
    if page > 1:
        links.append(f'<{window.url(root, min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{window.url(root, page + 1)}>; rel="next"')
    links.append(f'<{window.url(root, 1)}>; rel="first"')
    links.append(f'<{window.url(root, last)}>; rel="last"')
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(window.per_page),
        "X-Total": str(window.total),
        "X-Total-Pages": str(last),
        "X-Next-Page": str(page + 1) if page < last else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
        "Link": ", ".join(links),
    }
    return window.items, headers
