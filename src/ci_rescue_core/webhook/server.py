"""Serving the webhook app: a threaded stdlib WSGI server plus the worker, on one runtime."""

from __future__ import annotations

import socketserver
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ci_rescue_core.flake.sweeper import INTERVAL, ExpirySweeper
from ci_rescue_core.orchestrator import Rescuer
from ci_rescue_core.provider import Provider
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.scheduler import INTERVAL as SCHEDULE_INTERVAL
from ci_rescue_core.scheduler import RemedyScheduler
from ci_rescue_core.webhook.app import WebhookApp
from ci_rescue_core.webhook.inbox import Inbox
from ci_rescue_core.webhook.worker import Worker


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Access logs go through :mod:`logging`, not stderr."""


class WebhookServer:
    """The receiver and its worker for one :class:`Runtime`.

    ``port=0`` picks a free port (see :attr:`url`).  Use as a context manager or call
    :meth:`start` / :meth:`stop`.  While it serves, quarantines are swept (expired, released)
    once at start and every *expiry_interval* seconds, and remedies waiting out a back-off are
    applied when due (looked for every *schedule_interval* seconds).
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        expiry_interval: float = INTERVAL,
        schedule_interval: float = SCHEDULE_INTERVAL,
    ) -> None:
        self.runtime = runtime
        self.sweeper = ExpirySweeper.for_runtime(runtime, interval=expiry_interval)
        self.scheduler = RemedyScheduler.for_runtime(runtime, interval=schedule_interval)
        self.inbox = Inbox(runtime.store)
        self.worker = Worker(self.inbox, self._rescuer)
        self.app = WebhookApp(self._provider, self.inbox, wake=self.worker.wake)
        self._server = make_server(
            host, port, self.app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    def _rescuer(self, name: str) -> Rescuer:
        """A rescuer that leaves remedies with a back-off to the scheduler."""
        return self.runtime.rescuer(name, defer_delayed=True)

    def _provider(self, name: str) -> Provider:
        self.runtime.registry.factory(name)  # unknown names raise before anything is built
        return self.runtime.provider(name)

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WebhookServer:
        """Start the worker and serve on a background thread."""
        self._start_background()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ci-rescue-webhooks", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Start the worker and serve on this thread until :meth:`stop` (or an interrupt)."""
        self._start_background()
        try:
            self._server.serve_forever()
        finally:
            self._stop_background()

    def stop(self) -> None:
        """Stop serving, let the worker finish its delivery, close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._stop_background()
        if self._thread is not None:
            self._thread.join(10)

    def _start_background(self) -> None:
        """Start the worker, the quarantine sweeper and the remedy scheduler."""
        self.worker.start()
        self.sweeper.start()
        self.scheduler.start()

    def _stop_background(self) -> None:
        """Stop them again (each finishes the step under way)."""
        self.scheduler.stop()
        self.sweeper.stop()
        self.worker.stop()

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
