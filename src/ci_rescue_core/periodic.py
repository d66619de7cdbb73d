"""A task run on a daemon thread: once at start, then every *interval* seconds until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs *task* on a daemon thread named *name*: at :meth:`start`, then every *interval*
    seconds until :meth:`stop`.  An exception from *task* is logged and the next run goes on.

    :ivar stopping: set once :meth:`stop` was called; a long task may check it between steps.
    """

    def __init__(self, task: Callable[[], object], *, interval: float, name: str) -> None:
        if interval <= 0:
            raise ValueError(f"the interval of {name} must be positive, got {interval}")
        self.task = task
        self.interval = interval
        self.name = name
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (no-op when it runs already)."""
        if self._thread is not None and self.stopping.is_set():
            self._thread.join()  # after a stop that timed out: never two threads at once
            self._thread = None
        if self._thread is None:
            self.stopping.clear()
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.task()
            except Exception:  # a bug or a failing store must not end the runs: log, go on
                log.exception("%s crashed; trying again in %s s", self.name, self.interval)
            self.stopping.wait(self.interval)

    def stop(self, timeout: float) -> None:
        """Stop after the run under way, waiting at most *timeout* seconds for it.  A thread
        still busy then is left to finish on its own (it runs no further task), and a later
        :meth:`start` waits for it first."""
        self.stopping.set()
        thread = self._thread  # stop may be called from two threads at once
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            log.warning("%s did not stop within %s s", self.name, timeout)
        elif self._thread is thread:
            self._thread = None
