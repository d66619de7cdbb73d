"""Request/response values, routing and pagination for the simulated REST API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode

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
class ApiRequest:
    """A parsed HTTP request as the API handlers see it."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path parameters, unquoted
    identity: Any = None  # who authenticated (an ``apps.Identity``), set by the API

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last value wins)."""
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

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


@dataclass
class ApiResponse:
    """What a handler answers; ``body`` is sent as is."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
    """A JSON response (``application/json; charset=utf-8``)."""
    out = {"Content-Type": "application/json; charset=utf-8"}
    out.update(headers or {})
    return ApiResponse(status, json.dumps(value).encode("utf-8"), out)


Handler = Callable[[ApiRequest], ApiResponse]

_PARAM = re.compile(r"\{(\w+)(\+?)\}")


class Router:
    """Maps ``METHOD /path/{param}`` patterns to handlers."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` and a path pattern with ``{name}`` segments
        (``{name+}`` also matches slashes: ``/contents/{path+}``)."""
        parts: list[str] = []
        position = 0
        for match in _PARAM.finditer(pattern):
            parts.append(re.escape(pattern[position : match.start()]))
            body = ".+" if match.group(2) else "[^/]+"
            parts.append(f"(?P<{match.group(1)}>{body})")
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
    """GitHub-style page of ``items`` (``per_page`` default 30, at most 100; ``page`` from 1)
    and the ``Link`` header (``prev``, ``next``, ``last``, ``first``) on ``base_url``."""
    query = request.query
    per_page = _int_param(query, "per_page", 30, 1, 100)
    page = _int_param(query, "page", 1, 1, 1_000_000)
    last = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    pairs = [(k, v) for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k != "page"]

    def url(number: int) -> str:
        return f"{base_url.rstrip('/')}{request.path}?{urlencode([*pairs, ('page', str(number))])}"

    links: list[str] = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
        links.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    headers = {"Link": ", ".join(links)} if links else {}
    return chunk, headers
