"""Bounded retries for httpx: 429 (``Retry-After`` or exponential back-off with jitter), 5xx and
connection failures.  A transport wrapper, so every request of the client gets it and no
dependency is added.

- 429 is retried for every method (the server did not act on the request).
- 5xx and read failures are retried for idempotent methods only: a ``POST …/rerun`` that
  failed half-way must not be sent twice.  Connection failures (nothing was sent) are retried
  for every method.
- A wait longer than ``max_wait`` (a long ``Retry-After``) is not slept: the last response is
  returned and the caller turns it into a :class:`~ci_rescue_core.errors.RateLimitedError`.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

__all__ = ["IDEMPOTENT", "RetryTransport", "retry_after_seconds"]

#: Methods safe to send again after a 5xx or a broken answer.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def retry_after_seconds(
    response: httpx.Response, now: Callable[[], datetime] | None = None
) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``: seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now() if now is not None else datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


class RetryTransport(httpx.BaseTransport):
    """Wraps *inner* and retries rate-limited, failed and broken requests, boundedly.

    :param max_retries: retries after the first try (0: never retry).
    :param max_wait: longest single wait in seconds; a longer ``Retry-After`` is not honoured.
    :param backoff_factor: base of the exponential back-off (``factor * 2**retry`` seconds,
        with jitter: between half and all of it); 0 retries at once.
    :param buffer_json: read JSON answers of idempotent requests inside the transport, so a body
        cut short is retried like any other failure (leave off for large streamed bodies).
    :param sleep: how to wait (injected by tests).
    :param jitter: a source of numbers in [0, 1) (injected by tests).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        max_retries: int = 3,
        max_wait: float = 60.0,
        backoff_factor: float = 0.5,
        buffer_json: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if max_retries < 0 or max_wait < 0 or backoff_factor < 0:
            raise ValueError("max_retries, max_wait and backoff_factor must be >= 0")
        self._inner = inner
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.backoff_factor = backoff_factor
        self.buffer_json = buffer_json
        self._sleep = sleep
        self._jitter = jitter
        self.waits: deque[float] = deque(maxlen=100)  # the latest waits, for observability

    def backoff(self, retry: int) -> float:
        """The wait before retry number *retry* (0-based), jittered and capped by ``max_wait``."""
        base = min(self.max_wait, self.backoff_factor * (2.0**retry))
        return base / 2 + self._jitter() * base / 2

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request*, retrying within the bounds; returns the last response."""
        retry = 0
        idempotent = request.method.upper() in IDEMPOTENT
        while True:
            try:
                response = self._inner.handle_request(request)
                if self.buffer_json and idempotent and _is_json(response):
                    try:
                        response.read()
                    except BaseException:
                        response.close()
                        raise
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                if retry >= self.max_retries:
                    raise
                self._wait(self.backoff(retry))
                retry += 1
                continue
            except httpx.TransportError:
                if not idempotent or retry >= self.max_retries:
                    raise
                self._wait(self.backoff(retry))
                retry += 1
                continue
            wait = self._retry_wait(response, retry, idempotent)
            if wait is None:
                return response
            response.close()
            self._wait(wait)
            retry += 1

    def _retry_wait(self, response: httpx.Response, retry: int, idempotent: bool) -> float | None:
        status = response.status_code
        if retry >= self.max_retries:
            return None
        if status == 429:
            asked = retry_after_seconds(response)
            wait = asked if asked is not None else self.backoff(retry)
            return wait if wait <= self.max_wait else None
        if status >= 500 and idempotent:
            return self.backoff(retry)
        return None

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds > 0:
            self._sleep(seconds)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "").lower()
