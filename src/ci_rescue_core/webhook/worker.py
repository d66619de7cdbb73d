"""The worker: takes deliveries from the inbox and runs them through the pipeline."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ci_rescue_core.errors import TRANSIENT_ERRORS, RescueError
from ci_rescue_core.orchestrator import HandleResult, Rescuer
from ci_rescue_core.webhook.inbox import Inbox, InboxItem

log = logging.getLogger(__name__)

__all__ = ["TRANSIENT_ERRORS", "Worker"]


class Worker:
    """Processes inbox deliveries one at a time, on a background thread or on demand.

    :param rescuer_for: the :class:`Rescuer` for a provider name.
    :param on_result: called with each delivery and its result (for logging / tests).
    """

    def __init__(
        self,
        inbox: Inbox,
        rescuer_for: Callable[[str], Rescuer],
        *,
        on_result: Callable[[InboxItem, HandleResult | Exception], None] = lambda item, r: None,
        idle_wait: float = 5.0,
    ) -> None:
        self._inbox = inbox
        self._rescuer_for = rescuer_for
        self._on_result = on_result
        self._idle_wait = idle_wait
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Tell the worker a delivery is waiting."""
        self._wake.set()

    def process_pending(self) -> int:
        """Handle every delivery that is due; returns how many were taken."""
        taken = 0
        while not self._stop.is_set():
            item = self._inbox.take()
            if item is None:
                return taken
            taken += 1
            self._process(item)
        return taken

    def _process(self, item: InboxItem) -> None:
        try:
            result = self._rescuer_for(item.provider).handle_verified(
                item.event_type, item.headers, item.body
            )
        except TRANSIENT_ERRORS as exc:
            log.warning("delivery %s will be retried: %s", item.delivery_id, exc)
            self._inbox.failed(item, str(exc), retry=True)
            self._on_result(item, exc)
        except RescueError as exc:
            log.error("delivery %s failed: %s", item.delivery_id, exc)
            self._inbox.failed(item, str(exc), retry=False)
            self._on_result(item, exc)
        except Exception as exc:  # a bug must not stop the worker: record it, keep serving
            log.exception("delivery %s crashed the pipeline", item.delivery_id)
            self._inbox.failed(item, f"internal error: {exc!r}", retry=False)
            self._on_result(item, exc)
        else:
            self._inbox.done(item)
            self._on_result(item, result)

    def start(self) -> None:
        """Recover deliveries a dead process left half-done, then work in the background."""
        recovered = self._inbox.recover()
        if recovered:
            log.info("recovered %d deliveries left in progress", recovered)
        self._thread = threading.Thread(target=self._loop, name="ci-rescue-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current delivery and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.process_pending()
            self._wake.wait(self._idle_wait)
            self._wake.clear()
