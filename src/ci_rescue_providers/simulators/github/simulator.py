"""``GitHubSimulator``: a stateful GitHub REST API on loopback for tests, demos and plugins."""

from __future__ import annotations

import copy
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .api import GitHubApi
from .issues import get_issue
from .models import SimJob
from .payloads import Urls, comment_json, issue_json, label_json
from .recording import Fault, FaultBody, FaultBook, RecordedRequest, RequestLog, fault_response
from .router import ApiRequest, json_response
from .run_payloads import job_json, run_json, workflow_job_event, workflow_run_event
from .server import HttpServer, Reply
from .state import SimState, utcnow
from .webhooks import webhook_delivery

__all__ = ["GitHubSimulator"]


class GitHubSimulator:
    """A stateful fake of the GitHub REST API served over HTTP on loopback.

    Point the real client at it (``github.Github(base_url=sim.base_url, ...)``). ``token=None``
    accepts any non-empty token (``Authorization: token X`` or ``Bearer X``), otherwise exactly
    ``token``. Runs complete immediately; re-runs create new attempts with new job ids. Every
    request is recorded (``requests``) and faults can be injected (``inject_fault``).

    Use as a context manager, or call ``start()``/``stop()``.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        login: str = "ci-rescue-bot",
        rate_limit: int = 5000,
        installation_id: int | None = 1001,
        blob_url_ttl: float = 60.0,
        strict_blobs: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if token is not None and not token:
            raise ValueError("token must be None (accept any) or a non-empty string")
        self.token = token
        self.installation_id = installation_id
        self._state = SimState(clock=clock or utcnow, login=login)
        self._http = HttpServer(self._serve, host=host, port=port)
        self._api = GitHubApi(
            self._state,
            base_url=lambda: self._http.base_url,
            token=token,
            rate_limit=rate_limit,
            blob_ttl=blob_url_ttl,
            strict_blobs=strict_blobs,
        )
        self._log = RequestLog()
        self._faults = FaultBook()
        self._errors: list[str] = []
        self._errors_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> GitHubSimulator:
        """Start serving in a daemon thread (idempotent); returns ``self``."""
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection and thread (idempotent). State is kept."""
        self._http.stop()

    def __enter__(self) -> GitHubSimulator:
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
        """``http://127.0.0.1:PORT`` — pass it as PyGithub's ``base_url``."""
        return self._http.base_url

    @property
    def running(self) -> bool:
        """Whether the HTTP server is up."""
        return self._http.running

    @property
    def login(self) -> str:
        """The login of the authenticated user (author of created issues and comments)."""
        return self._state.login

    # -- setting up state ----------------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        private: bool = False,
        owner_type: str = "Organization",
        description: str | None = None,
    ) -> None:
        """Create repository ``owner/name`` (``ValueError`` if it exists)."""
        self._state.add_repo(
            full_name,
            default_branch=default_branch,
            private=private,
            owner_type=owner_type,
            description=description,
        )

    def add_run(
        self,
        repo: str,
        *,
        workflow: str = "CI",
        head_sha: str | None = None,
        head_branch: str | None = None,
        event: str = "push",
        jobs: Sequence[SimJob] = (),
        pull_requests: Sequence[int | Mapping[str, Any]] = (),
        actor: str = "octocat",
        display_title: str | None = None,
        path: str | None = None,
        created_at: datetime | None = None,
        run_id: int | None = None,
    ) -> int:
        """Create a workflow run that completes at once; returns its id.

        ``run_id`` picks the id (to replay a real delivery that names one); by default ids
        are allocated in order.
        Its conclusion is ``failure`` when a job failed. ``head_sha`` defaults to a stable fake
        sha, ``head_branch`` to the default branch, ``jobs`` to one successful ``build`` job.
        ``pull_requests`` are PR numbers (rendered like GitHub's entries) or ready dicts.
        """
        run = self._state.add_run(
            repo,
            workflow=workflow,
            head_sha=head_sha,
            head_branch=head_branch,
            event=event,
            jobs=jobs,
            pull_requests=[pr if isinstance(pr, int) else dict(pr) for pr in pull_requests],
            actor=actor,
            display_title=display_title,
            path=path,
            created_at=created_at,
            run_id=run_id,
        )
        return run.id

    # -- reading state (JSON exactly as the API returns it) ------------------------------------

    def _urls(self) -> Urls:
        return Urls(self.base_url)

    def get_run(self, run_id: int, attempt: int | None = None) -> dict[str, Any]:
        """The run JSON of ``attempt`` (default: latest); ``NotFoundError`` if unknown."""
        with self._state.lock:
            run = self._state.run(run_id)
            record = run.latest if attempt is None else run.attempt(attempt)
            return run_json(self._state, run, record, self._urls())

    def get_jobs(self, run_id: int, attempt: int | None = None) -> list[dict[str, Any]]:
        """The jobs JSON of one attempt (default: latest)."""
        with self._state.lock:
            run = self._state.run(run_id)
            record = run.latest if attempt is None else run.attempt(attempt)
            urls = self._urls()
            return [job_json(self._state, j, urls) for j in record.jobs]

    def get_job(self, job_id: int) -> dict[str, Any]:
        """One job's JSON."""
        with self._state.lock:
            return job_json(self._state, self._state.job(job_id), self._urls())

    def get_job_log(self, job_id: int) -> bytes:
        """The log bytes the blob URL of ``job_id`` serves."""
        with self._state.lock:
            return self._state.job(job_id).log

    def get_issues(self, repo: str) -> list[dict[str, Any]]:
        """Every issue of ``repo`` (open and closed), oldest first."""
        with self._state.lock:
            record = self._state.repo(repo)
            urls = self._urls()
            return [
                issue_json(self._state, record, i, urls)
                for i in sorted(record.issues.values(), key=lambda i: i.number)
            ]

    def get_issue_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The comments of issue ``number``, oldest first."""
        with self._state.lock:
            record = self._state.repo(repo)
            urls = self._urls()
            return [
                comment_json(self._state, record, c, urls)
                for c in get_issue(self._state, record, number).comments
            ]

    def get_labels(self, repo: str) -> list[dict[str, Any]]:
        """The labels of ``repo``."""
        with self._state.lock:
            record = self._state.repo(repo)
            urls = self._urls()
            return [
                label_json(record, label, urls)
                for label in sorted(record.labels.values(), key=lambda x: x.id)
            ]

    def cancel_requests(self, run_id: int) -> int:
        """How many cancel/force-cancel requests run ``run_id`` received (runs are already
        complete, so cancelling changes nothing)."""
        with self._state.lock:
            return self._state.run(run_id).cancel_requests

    # -- webhooks ------------------------------------------------------------------------------

    def workflow_run_event(
        self, run_id: int, action: str = "completed", *, attempt: int | None = None
    ) -> dict[str, Any]:
        """The ``workflow_run`` webhook payload of ``attempt`` (default: latest), shaped like a
        real delivery (``installation`` included when ``installation_id`` is set)."""
        with self._state.lock:
            run = self._state.run(run_id)
            record = run.latest if attempt is None else run.attempt(attempt)
            return workflow_run_event(
                self._state,
                run,
                record,
                self._urls(),
                action=action,
                installation_id=self.installation_id,
            )

    def workflow_job_event(self, job_id: int, action: str = "completed") -> dict[str, Any]:
        """The ``workflow_job`` webhook payload of one job."""
        with self._state.lock:
            job = self._state.job(job_id)
            return workflow_job_event(
                self._state, job, self._urls(), action=action, installation_id=self.installation_id
            )

    @staticmethod
    def webhook_delivery(
        event: str, payload: Mapping[str, Any], secret: str | bytes | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of a delivery of ``payload`` as GitHub would POST it, signed
        with ``X-Hub-Signature-256`` when ``secret`` is given."""
        return webhook_delivery(event, payload, secret)

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
        (``re.search`` on the path without query) with ``status``, ``headers`` and ``body``
        (default ``{"message": <reason>}``), after ``delay`` seconds.

        ``status=None`` lets the simulator answer normally (use with ``delay`` for slow
        responses or ``truncate=True`` for a body cut short). Returns the ``Fault`` (see
        ``hits``). Examples: 429 with ``headers={"Retry-After": "0"}``, 500, 401, 404.
        """
        fault = Fault(
            method=method,
            path=path,
            status=status,
            times=times,
            headers=dict(headers or {}),
            body=body,
            delay=delay,
            truncate=truncate,
        )
        return self._faults.add(fault)

    def clear_faults(self) -> None:
        """Drop all pending faults."""
        self._faults.clear()

    # -- HTTP entry point ----------------------------------------------------------------------

    def _serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        split = urlsplit(target)
        path = split.path or "/"
        fault = self._faults.take(method, path)
        try:
            if fault is not None and fault.status is not None:
                response = fault_response(fault, self._api.rate.headers())
            else:
                response = self._api.handle(
                    ApiRequest(method, path, split.query, dict(headers), body)
                )
        except Exception as error:  # the server must answer, whatever went wrong
            with self._errors_lock:
                self._errors.append(traceback.format_exc())
            response = json_response(
                500, {"message": f"Simulator internal error: {type(error).__name__}: {error}"}
            )
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
            )
        )
        return Reply(
            status=response.status,
            headers=response.headers,
            body=response.body,
            delay=fault.delay if fault is not None else 0.0,
            truncate=fault.truncate if fault is not None else False,
        )
