"""Request recording and fault injection, shared by the simulators."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeAlias

from .router import ApiResponse, json_response

__all__ = [
    "Fault",
    "FaultBody",
    "FaultBook",
    "RecordedRequest",
    "RequestLog",
    "fault_response",
    "status_phrase",
]

#: A fault's response body: raw bytes, text, or a JSON value.
FaultBody: TypeAlias = bytes | str | dict[str, Any] | list[Any] | None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the simulator received (faulted, failed and blob requests included).

    ``query`` keeps the last value of each parameter (``raw_query`` has them all); header names
    are lower-case; ``status`` is what the simulator answered. ``path`` is the path the
    simulator routes and matches faults on (see each simulator: GitLab's includes ``/api/v4``,
    GitHub's leaves out its ``api_prefix``); ``raw_path`` is the path as received.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int
    raw_query: str = ""
    faulted: bool = False
    raw_path: str = ""

    @property
    def is_write(self) -> bool:
        """True for anything but GET and HEAD."""
        return self.method not in ("GET", "HEAD")

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


class RequestLog:
    """A thread-safe, append-only list of ``RecordedRequest``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, item: RecordedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of everything recorded so far, oldest first."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._items.clear()


@dataclass
class Fault:
    """A canned response served instead of (or around) the real one.

    Matches requests whose method equals ``method`` (``None`` or ``"*"``: any) and whose path
    (no query; the path ``RecordedRequest.path`` shows) matches the regular expression ``path``
    (``re.search``; anchor it with ``^``/``$`` to be exact). Serves ``times`` matching requests
    (``None``: until cleared), after sleeping ``delay`` seconds. ``status=None`` passes the
    request through to the simulator (a slow or truncated real answer); ``apply_first=True``
    lets the simulator carry the request out and then answers with the fault anyway (a lost
    answer); ``truncate=True`` announces the full ``Content-Length`` but sends only the first
    half of the body and closes the connection.
    """

    method: str | None
    path: str
    status: int | None = 500
    times: int | None = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    body: FaultBody = None
    delay: float = 0.0
    truncate: bool = False
    apply_first: bool = False
    hits: int = 0

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path)
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None")
        if self.delay < 0:
            raise ValueError("delay must be >= 0")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {self.status}")

    @property
    def exhausted(self) -> bool:
        """True once the fault has served all its ``times``."""
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to ``method path``."""
        if self.method not in (None, "*") and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None


class FaultBook:
    """Pending faults, consumed first-registered first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Register ``fault``."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first live fault matching the request, with its hit counted."""
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(method, path):
                    fault.hits += 1
                    return fault
            return None

    def pending(self) -> list[Fault]:
        """Faults that can still fire."""
        with self._lock:
            return [f for f in self._faults if not f.exhausted]

    def clear(self) -> None:
        """Drop every fault."""
        with self._lock:
            self._faults.clear()


def status_phrase(status: int, unknown: str) -> str:
    """The reason phrase of ``status`` (``unknown`` for a code ``http`` does not know)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return unknown


def fault_response(
    fault: Fault,
    *,
    default_body: Callable[[int], Any],
    content_type: str = "application/json",
) -> ApiResponse:
    """The canned response of ``fault`` (500 when it passes through): its own body (JSON for a
    dict or list, bytes or text as is) or else ``default_body(status)`` as JSON, all with
    ``content_type``."""
    status = fault.status if fault.status is not None else 500
    body = fault.body
    if body is None:
        return json_response(status, default_body(status), content_type=content_type)
    if isinstance(body, (dict, list)):
        return json_response(status, body, content_type=content_type)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return ApiResponse(status, data, {"Content-Type": content_type})
