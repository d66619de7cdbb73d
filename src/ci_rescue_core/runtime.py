"""Wiring one deployment together from its ``rescue.yaml``: plugins, store, providers, policy."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pluggy

from ci_rescue_core.config import RescueConfig, load_policy
from ci_rescue_core.errors import ConfigError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.orchestrator import Rescuer
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Provider
from ci_rescue_core.registry import ProviderRegistry
from ci_rescue_core.rescue_log import RescueLogWriter
from ci_rescue_core.store import SQLiteStore


class Runtime:
    """Everything a deployment needs, built once from its configuration.

    :param config: the loaded ``rescue.yaml``.
    :param environ: where tokens and secrets are read from (default ``os.environ``).
    :param plugins: extra plugin objects an embedding application registers.
    :param entry_points: load plugins from the ``ci_rescue`` entry-point group.
    """

    def __init__(
        self,
        config: RescueConfig,
        *,
        environ: Mapping[str, str] | None = None,
        plugins: Iterable[object] = (),
        entry_points: bool = True,
    ) -> None:
        self.config = config
        self.environ = environ
        extra: list[object] = list(plugins)
        if config.output.rescue_log:
            extra.append(RescueLogWriter(config.resolve(config.output.rescue_log)))
        self.pm: pluggy.PluginManager = make_plugin_manager(
            entry_points=entry_points, blocked=config.plugins.disable, extra=extra
        )
        self.hooks = Hooks(self.pm)
        self.registry = ProviderRegistry(self.hooks)
        self.store = SQLiteStore(config.store_path)
        self._providers: dict[str, Provider] = {}
        #: Held while an event is handled or a scheduled remedy applied (see ``Rescuer``).
        self.lock = threading.RLock()
        self._build_lock = threading.RLock()
        self._building: set[str] = set()
        self._policies: dict[str, Policy] = {}

    def provider(self, name: str) -> Provider:
        """The provider *name*, built on first use from its settings.

        When its section names a ``vcs`` provider (CircleCI's issues and change requests go
        through GitHub or GitLab), that one is built first and passed in
        ``ProviderSettings.companions``.
        """
        with self._build_lock:  # the worker, the scheduler and the sweeper may ask at once
            return self._provider(name)

    def _provider(self, name: str) -> Provider:
        if name not in self._providers:
            settings = self.config.provider_settings(name, self.environ)
            vcs = settings.options.get("vcs")
            if vcs and vcs != name:
                if name in self._building:
                    raise ConfigError(
                        f"providers.{name}.vcs: the vcs settings form a cycle", key="vcs"
                    )
                self._building.add(name)
                try:
                    companion = self._provider(str(vcs))
                finally:
                    self._building.discard(name)
                settings = attrs.evolve(settings, companions={str(vcs): companion})
            self._providers[name] = self.registry.build(settings)
        return self._providers[name]

    def policy_for(self, repo: str) -> Policy:
        """The effective policy of *repo* (cached)."""
        if repo not in self._policies:
            overrides = self.config.rules.overrides_dir
            self._policies[repo] = load_policy(
                repo, overrides_dir=self.config.resolve(overrides) if overrides else None
            )
        return self._policies[repo]

    def rescuer(self, provider_name: str, *, defer_delayed: bool = False) -> Rescuer:
        """A :class:`Rescuer` for events of *provider_name*; *defer_delayed* schedules
        remedies with a back-off (long-running processes, which run a scheduler)."""
        self.registry.factory(provider_name)  # unknown names fail before anything is built
        return Rescuer(
            provider=self.provider(provider_name),
            hooks=self.hooks,
            store=self.store,
            policy_for=self.policy_for,
            mode=self.config.mode,
            known_secrets=self.config.known_secrets(self.environ),
            use_baseline=self.config.analysis.baseline,
            defer_delayed=defer_delayed,
            lock=self.lock,
        )

    def close(self) -> None:
        """Close the store and every provider that can be closed."""
        for provider in self._providers.values():
            close: Any = getattr(provider, "close", None)
            if callable(close):
                close()
        self.store.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
