"""Polling: find finished runs through the provider when webhooks are not set up.

Each pass lists the recent finished runs of every watched repository and hands each run
attempt to the pipeline as if a webhook had announced it.  A run attempt is handled at most
once: its poll delivery id (``poll:<provider>:<repo>:<run>:<attempt>``) is claimed in the
store like a webhook delivery id, so a restarted or second watcher never handles it twice; and
whichever way an attempt is announced (webhook or poll), its remedies are applied at most once.
Runs older than *since* are skipped, so a new install does not rescue last month's failures.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from ci_rescue_core.errors import RescueError
from ci_rescue_core.models import CIEvent, RunRef
from ci_rescue_core.orchestrator import HandleResult, HandleStatus, Rescuer
from ci_rescue_core.store import utc_now


@attrs.frozen(kw_only=True)
class PollReport:
    """What one polling pass did.

    :ivar handled: results of the run attempts handed to the pipeline, in order.
    :ivar errors: ``(repo, message)`` for repositories or runs that failed; others went on.
    """

    handled: tuple[tuple[RunRef, HandleResult], ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    seen: int = 0


def poll_delivery_id(run: RunRef) -> str:
    """The delivery id a polled run attempt is claimed under."""
    return f"poll:{run.key}"


class Watcher:
    """Polls *repos* through *rescuer*'s provider.

    :param since: how far back a run may have started to be handled (by ``created_at``).
    :param limit: runs listed per repository and pass.
    """

    def __init__(
        self,
        rescuer: Rescuer,
        repos: Sequence[str],
        *,
        branch: str | None = None,
        since: timedelta = timedelta(hours=24),
        limit: int = 50,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not repos:
            raise ValueError("watch at least one repository")
        self.rescuer = rescuer
        self.repos = tuple(repos)
        self.branch = branch
        self.since = since
        self.limit = limit
        self._clock = clock

    def poll_once(self) -> PollReport:
        """One pass over every repository; errors are collected, never fatal to the pass."""
        handled: list[tuple[RunRef, HandleResult]] = []
        errors: list[tuple[str, str]] = []
        seen = 0
        oldest = self._clock() - self.since
        provider = self.rescuer.provider
        for repo in self.repos:
            try:
                runs = provider.list_runs(
                    repo, branch=self.branch, status="completed", limit=self.limit
                )
            except RescueError as exc:
                errors.append((repo, str(exc)))
                continue
            for run in reversed(runs):  # oldest first: incidents open in the order things broke
                if run.created_at is not None and run.created_at < oldest:
                    continue
                seen += 1
                event = CIEvent(
                    kind="poll", action="completed", run=run, delivery_id=poll_delivery_id(run)
                )
                try:
                    result = self.rescuer.handle_event(event)
                except RescueError as exc:
                    errors.append((repo, f"run {run.run_id}: {exc}"))
                    continue
                if result.status is not HandleStatus.DUPLICATE:
                    handled.append((run, result))
        return PollReport(handled=tuple(handled), errors=tuple(errors), seen=seen)

    def run_forever(
        self,
        interval: float,
        stop: threading.Event,
        on_report: Callable[[PollReport], None] = lambda report: None,
    ) -> None:
        """Poll every *interval* seconds until *stop* is set."""
        while not stop.is_set():
            on_report(self.poll_once())
            stop.wait(interval)
