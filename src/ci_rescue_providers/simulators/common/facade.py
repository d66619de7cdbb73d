"""The base of the public ``*Simulator`` classes: lifecycle, recording, faults and the HTTP
entry point that ties them to a simulated API."""

from __future__ import annotations

import copy
import threading
import traceback
from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

from .recording import Fault, FaultBody, FaultBook, RecordedRequest, RequestLog
from .router import ApiResponse, json_response
from .server import HttpServer, Reply, ServerStyle

__all__ = ["LostAnswerFacade", "SimulatorFacade"]

S = TypeVar("S", bound="SimulatorFacade")


class SimulatorFacade(ABC):
    """What every simulator does the same way; a subclass supplies its API through hooks.

    ``_answer`` (required) carries a request out; ``_fault_response`` (required) is the
    provider-shaped answer of a fault; ``_internal_error`` answers an exception the simulator
    raised; ``_api_path`` maps the received path to the one the API routes and faults match
    (``None``: outside the API, answered by ``_outside_api`` and never faulted).
    """

    def __init__(self, token: str | None, *, host: str, port: int, style: ServerStyle) -> None:
        if token is not None and not token:
            raise ValueError("token must be None (accept any) or a non-empty string")
        self.token = token
        self._http = HttpServer(self._serve, host=host, port=port, style=style)
        self._log = RequestLog()
        self._faults = FaultBook()
        self._errors: list[str] = []
        self._errors_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self: S) -> S:
        """Start serving in a daemon thread (idempotent); returns ``self``."""
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection and thread (idempotent). State is kept."""
        self._http.stop()

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, the server root (a simulator may add its API prefix)."""
        return self._http.base_url

    @property
    def running(self) -> bool:
        """Whether the HTTP server is up."""
        return self._http.running

    # -- recording and faults ------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy), oldest first."""
        return self._log.snapshot()

    def write_requests(self) -> list[RecordedRequest]:
        """Recorded requests other than GET and HEAD."""
        return [r for r in self._log.snapshot() if r.is_write]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._log.clear()

    @property
    def errors(self) -> list[str]:
        """Tracebacks of internal simulator errors (each answered with a 500); empty if healthy."""
        with self._errors_lock:
            return list(self._errors)

    def inject_fault(
        self,
        method: str | None = "GET",
        path: str = ".*",
        status: int | None = 500,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        body: FaultBody = None,
        delay: float = 0.0,
        *,
        truncate: bool = False,
    ) -> Fault:
        """Answer the next ``times`` requests matching ``method`` and the ``path`` regex
        (``re.search`` on the path without query, as ``RecordedRequest.path`` shows it) with
        ``status``, ``headers`` and ``body`` (default: the provider's error body for
        ``status``), after ``delay`` seconds.

        ``status=None`` lets the simulator answer normally (with ``delay`` for a slow answer or
        ``truncate=True`` for a body cut short). Returns the ``Fault`` (see ``hits``).
        Examples: 429 with ``headers={"Retry-After": "0"}``, 500, 502, 401, 404.
        """
        fault = Fault(method, path, status, times, dict(headers or {}), body, delay)
        fault.truncate = truncate
        return self._faults.add(fault)

    def clear_faults(self) -> None:
        """Drop all pending faults."""
        self._faults.clear()

    # -- hooks ---------------------------------------------------------------------------------

    @abstractmethod
    def _answer(
        self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes
    ) -> ApiResponse:
        """Carry out one request on the simulated API (``headers`` is the simulator's copy)."""

    @abstractmethod
    def _fault_response(self, fault: Fault) -> ApiResponse:
        """The provider-shaped answer of ``fault``."""

    def _internal_error(self, error: Exception) -> ApiResponse:
        """The 500 that answers an exception raised inside the simulator."""
        return json_response(500, {"message": f"Simulator error: {error!r}"})

    def _api_path(self, raw_path: str) -> str | None:
        """The path the API routes and faults match (default: the path as received)."""
        return raw_path

    def _outside_api(self, raw_path: str) -> ApiResponse:
        """The answer to a path ``_api_path`` put outside the API."""
        return json_response(404, {"message": "Not Found"})

    # -- HTTP entry point ----------------------------------------------------------------------

    def _serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        split = urlsplit(target)
        raw_path = split.path or "/"
        api_path = self._api_path(raw_path)
        path = raw_path if api_path is None else api_path
        fault = None if api_path is None else self._faults.take(method, path)
        try:
            if api_path is None:
                response = self._outside_api(raw_path)
            elif fault is not None and fault.status is not None:
                if fault.apply_first:  # the request takes effect; only its answer is lost
                    self._answer(method, path, split.query, dict(headers), body)
                response = self._fault_response(fault)
            else:
                response = self._answer(method, path, split.query, dict(headers), body)
        except Exception as error:  # the server must answer, whatever went wrong
            with self._errors_lock:
                self._errors.append(traceback.format_exc())
            response = self._internal_error(error)
        for name, value in fault.headers.items() if fault is not None else ():
            response.headers[name] = value
        self._log.append(
            RecordedRequest(
                method=method,
                path=path,
                query=dict(parse_qsl(split.query, keep_blank_values=True)),
                headers=copy.copy(headers),
                body=body,
                status=response.status,
                raw_query=split.query,
                faulted=fault is not None,
                raw_path=raw_path,
            )
        )
        return Reply(
            status=response.status,
            headers=response.headers,
            body=response.body,
            delay=fault.delay if fault is not None else 0.0,
            truncate=fault.truncate if fault is not None else False,
        )


class LostAnswerFacade(SimulatorFacade):
    """A simulator whose faults can also stand for a lost answer (``apply_first``)."""

    def inject_fault(
        self,
        method: str | None = "GET",
        path: str = ".*",
        status: int | None = 500,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        body: FaultBody = None,
        delay: float = 0.0,
        *,
        truncate: bool = False,
        apply_first: bool = False,
    ) -> Fault:
        """As ``SimulatorFacade.inject_fault``; ``apply_first=True`` also carries the request
        out before answering with the fault: a write that happened although its answer was an
        error (a 502 after creating an issue or a pull request)."""
        fault = Fault(method, path, status, times, dict(headers or {}), body, delay)
        fault.truncate, fault.apply_first = truncate, apply_first
        return self._faults.add(fault)
