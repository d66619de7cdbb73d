"""Expiring quarantines on time when no event arrives: a periodic sweep for ``serve`` and
``watch``.

The pipeline ends a repository's due quarantines whenever it records one of its runs, but a
quiet repository may see no run for days.  :class:`ExpirySweeper` runs
:meth:`QuarantineKeeper.lift <ci_rescue_core.flake.keeper.QuarantineKeeper.lift>` for every
repository once when it starts and then every :data:`INTERVAL` seconds, on a daemon thread:
quarantines end, their release change requests are opened, pending ones whose change request
merged are noticed (``check_files``), and each ending is reported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ci_rescue_core.errors import RescueError
from ci_rescue_core.flake.keeper import PolicyFor, ProviderFor, QuarantineKeeper
from ci_rescue_core.guard import WriteGuard
from ci_rescue_core.models import Mode
from ci_rescue_core.periodic import Periodic
from ci_rescue_core.provider import Provider
from ci_rescue_core.store import utc_now
from ci_rescue_core.store.quarantine import Quarantine

if TYPE_CHECKING:
    from ci_rescue_core.runtime import Runtime

log = logging.getLogger(__name__)

INTERVAL = 600.0
"""Seconds between two sweeps (10 minutes)."""


def providers_of(runtime: Runtime) -> ProviderFor:
    """*runtime*'s providers by name, write-guarded in ``observe`` mode; ``None`` (logged) for
    one that cannot be built (not configured, no token)."""
    observe = runtime.config.mode is Mode.OBSERVE

    def provider_named(name: str) -> Provider | None:
        try:
            provider = runtime.provider(name)
        except RescueError as exc:
            log.warning("quarantines: provider %s is unavailable: %s", name, exc)
            return None
        return WriteGuard(provider) if observe else provider

    return provider_named


class ExpirySweeper:
    """Sweeps quarantines once at :meth:`start`, then every *interval* seconds until
    :meth:`stop`.

    :param keeper: the quarantine keeper to run.
    :param policy_for: the effective policy of a repository.
    :param providers: the provider of a name (write-guarded as the mode says), or ``None``.
    :param interval: seconds between sweeps.
    :param lock: held during a sweep: the runtime's pipeline lock, so that a sweep never
        updates an incident while an event or a scheduled remedy does.
    """

    def __init__(
        self,
        keeper: QuarantineKeeper,
        policy_for: PolicyFor,
        providers: ProviderFor,
        *,
        interval: float = INTERVAL,
        lock: threading.RLock | None = None,
    ) -> None:
        self.keeper = keeper
        self.lock = lock if lock is not None else threading.RLock()
        self.policy_for = policy_for
        self.providers = providers
        self.interval = interval
        self.sweeps = 0
        self._periodic = Periodic(
            self.sweep_once, interval=interval, name="ci-rescue-quarantine-sweep"
        )

    @classmethod
    def for_runtime(
        cls,
        runtime: Runtime,
        *,
        interval: float = INTERVAL,
        clock: Callable[[], datetime] = utc_now,
    ) -> ExpirySweeper:
        """A sweeper over *runtime*'s store, notifiers, policies and providers (writes refused
        in ``observe`` mode)."""
        keeper = QuarantineKeeper(store=runtime.store, hooks=runtime.hooks, clock=clock)
        return cls(
            keeper,
            runtime.policy_for,
            providers_of(runtime),
            interval=interval,
            lock=runtime.lock,
        )

    def sweep_once(self) -> list[Quarantine]:
        """One sweep over every repository; returns the quarantines it ended.  Errors are
        logged, never raised: the next sweep tries again."""
        try:
            with self.lock:
                ended = self.keeper.lift(
                    self.policy_for, providers=self.providers, check_files=True
                )
        except RescueError as exc:
            log.error("quarantine sweep failed: %s", exc)
            ended = []
        self.sweeps += 1
        return ended

    def start(self) -> ExpirySweeper:
        """Sweep now and then every *interval* seconds, on a daemon thread."""
        self._periodic.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop sweeping (a sweep under way finishes first)."""
        self._periodic.stop(timeout)
