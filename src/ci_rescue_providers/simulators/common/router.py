"""Request and response values, path routing and page windows shared by the simulated APIs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "PageWindow",
    "Router",
    "json_response",
    "page_window",
]

T = TypeVar("T")
RequestT = TypeVar("RequestT", bound="ApiRequest")

_PARAM = re.compile(r"\{(\w+)(\+?)\}")


@dataclass
class ApiRequest:
    """A parsed HTTP request as the API handlers see it (each simulator adds its helpers)."""

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


@dataclass
class ApiResponse:
    """What a handler answers; ``body`` is sent as is."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    status: int,
    value: Any,
    headers: Mapping[str, str] | None = None,
    *,
    content_type: str = "application/json",
) -> ApiResponse:
    """``value`` as a JSON response with ``content_type``, plus ``headers``."""
    out = {"Content-Type": content_type}
    out.update(headers or {})
    return ApiResponse(status, json.dumps(value).encode("utf-8"), out)


class Router(Generic[RequestT]):
    """Maps ``METHOD /path/{param}`` patterns to handlers.

    A ``{name}`` parameter is one path segment, still URL-encoded when matched (so
    ``group%2Fproject`` is one segment) and unquoted in ``request.params``; ``{name+}`` also
    matches slashes (``/contents/{path+}``). An unknown route raises ``not_found()``.
    """

    def __init__(self, not_found: Callable[[], Exception]) -> None:
        self._not_found = not_found
        self._routes: list[tuple[str, re.Pattern[str], Callable[[RequestT], ApiResponse]]] = []

    def add(self, method: str, pattern: str, handler: Callable[[RequestT], ApiResponse]) -> None:
        """Register ``handler`` for ``method`` and a path pattern with ``{name}`` segments."""
        parts: list[str] = []
        position = 0
        for match in _PARAM.finditer(pattern):
            parts.append(re.escape(pattern[position : match.start()]))
            body = ".+" if match.group(2) else "[^/]+"
            parts.append(f"(?P<{match.group(1)}>{body})")
            position = match.end()
        parts.append(re.escape(pattern[position:]))
        self._routes.append((method.upper(), re.compile("^" + "".join(parts) + "/?$"), handler))

    def dispatch(self, request: RequestT) -> ApiResponse:
        """Run the matching handler (``HEAD`` is routed as ``GET``)."""
        method = "GET" if request.method == "HEAD" else request.method
        for route_method, regex, handler in self._routes:
            if route_method != method:
                continue
            match = regex.match(request.path)
            if match:
                request.params = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(request)
        raise self._not_found()


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


@dataclass(frozen=True)
class PageWindow(Generic[T]):
    """One page of a list, as ``page_window`` cut it."""

    items: list[T]
    page: int
    per_page: int
    last: int
    total: int
    request: ApiRequest

    def url(self, root: str, number: int) -> str:
        """The URL of page ``number``: ``root`` + the request's path and query (``page``
        replaced)."""
        pairs = parse_qsl(self.request.raw_query, keep_blank_values=True)
        query = urlencode([*((k, v) for k, v in pairs if k != "page"), ("page", str(number))])
        return f"{root.rstrip('/')}{self.request.path}?{query}"


def page_window(request: ApiRequest, items: Sequence[T], default_per_page: int) -> PageWindow[T]:
    """The page of ``items`` the request's ``page`` (from 1) and ``per_page`` (at most 100)
    ask for."""
    query = request.query
    per_page = _int_param(query, "per_page", default_per_page, 1, 100)
    page = _int_param(query, "page", 1, 1, 1_000_000)
    last = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    return PageWindow(chunk, page, per_page, last, len(items), request)
