"""Requests, responses, routing and GitLab-style pagination for the simulated REST API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode

from .models import NotFoundError, SimError

__all__ = ["ApiRequest", "ApiResponse", "Handler", "Router", "json_response", "paginate"]

T = TypeVar("T")


@dataclass
class ApiRequest:
    """A parsed HTTP request as the API handlers see it (path without ``/api/v4``)."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path parameters, unquoted

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last value wins)."""
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

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


@dataclass
class ApiResponse:
    """What a handler answers; ``body`` is sent as is."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
    """A JSON response (``application/json``)."""
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return ApiResponse(status, json.dumps(value).encode("utf-8"), out)


Handler = Callable[[ApiRequest], ApiResponse]

_PARAM = re.compile(r"\{(\w+)\}")


class Router:
    """Maps ``METHOD /path/{param}`` patterns to handlers; parameters are one URL-encoded
    segment each (``group%2Fproject`` is one project id, as GitLab expects)."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` and a pattern with ``{name}`` segments."""
        parts: list[str] = []
        position = 0
        for match in _PARAM.finditer(pattern):
            parts.append(re.escape(pattern[position : match.start()]))
            parts.append(f"(?P<{match.group(1)}>[^/]+)")
            position = match.end()
        parts.append(re.escape(pattern[position:]))
        self._routes.append((method.upper(), re.compile("^" + "".join(parts) + "/?$"), handler))

    def dispatch(self, request: ApiRequest) -> ApiResponse:
        """Run the matching handler; unknown routes raise ``NotFoundError``."""
        method = "GET" if request.method == "HEAD" else request.method
        for route_method, regex, handler in self._routes:
            if route_method != method:
                continue
            match = regex.match(request.path)
            if match:
                request.params = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(request)
        raise NotFoundError()


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


def paginate(
    request: ApiRequest, items: Sequence[T], base_url: str
) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` (``per_page`` default 20, at most 100; ``page`` from 1) and
    GitLab's pagination headers: ``X-Page``, ``X-Per-Page``, ``X-Total``, ``X-Total-Pages``,
    ``X-Next-Page``, ``X-Prev-Page`` and ``Link`` (``next``, ``prev``, ``first``, ``last``)."""
    query = request.query
    per_page = _int_param(query, "per_page", 20, 1, 100)
    page = _int_param(query, "page", 1, 1, 1_000_000)
    last = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    pairs = [(k, v) for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k != "page"]

    def url(number: int) -> str:
        query_text = urlencode([*pairs, ("page", str(number))])
        return f"{base_url.rstrip('/')}/api/v4{request.path}?{query_text}"

    links = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
    links.append(f'<{url(1)}>; rel="first"')
    links.append(f'<{url(last)}>; rel="last"')
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(len(items)),
        "X-Total-Pages": str(last),
        "X-Next-Page": str(page + 1) if page < last else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
        "Link": ", ".join(links),
    }
    return chunk, headers
