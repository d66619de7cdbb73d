"""A typed facade over ``pm.hook``: one method per hook, keyword arguments only."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pluggy

from ci_rescue_core.errors import PluginError
from ci_rescue_core.logs.excerpt import Extraction

if TYPE_CHECKING:
    from ci_rescue_core.flake.history import History
    from ci_rescue_core.logs.excerpt import LogExcerpt
    from ci_rescue_core.models import (
        Diagnosis,
        Evidence,
        FlakeVerdict,
        Incident,
        JobRef,
        Outcome,
        Remedy,
        RunRef,
    )
    from ci_rescue_core.policy.rules import Policy
    from ci_rescue_core.provider import Capability, Provider, ProviderFactory


class Hooks:
    """Calls hooks with checked argument names and validates what plugins return."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._hook = pm.hook

    def provider_factories(self) -> list[ProviderFactory]:
        """All contributed provider factories, flattened."""
        return [f for batch in self._hook.rescue_register_providers() for f in batch or ()]

    def secret_patterns(self) -> list[re.Pattern[str]]:
        """All contributed secret patterns, compiled.

        :raises PluginError: naming the plugin whose pattern does not compile.
        """
        compiled: list[re.Pattern[str]] = []
        for impl in self._hook.rescue_secret_patterns.get_hookimpls():
            patterns: list[str] = impl.function() or []  # type: ignore[assignment]
            for pattern in patterns:
                try:
                    compiled.append(re.compile(pattern))
                except re.error as exc:
                    raise PluginError(
                        f"secret pattern {pattern!r} does not compile: {exc}",
                        plugin=impl.plugin_name,
                    ) from exc
        return compiled

    def extract_failures(self, *, excerpt: LogExcerpt) -> list[Extraction]:
        """Every extractor's findings for one log (``None`` answers dropped)."""
        results = self._hook.rescue_extract_failures(excerpt=excerpt)
        for result in results:
            if not isinstance(result, Extraction):
                raise PluginError(
                    f"rescue_extract_failures returned {type(result).__name__}, not Extraction"
                )
        return list(results)

    def flake_evidence(
        self,
        *,
        job: JobRef,
        diagnosis: Diagnosis,
        history: History,
        policy: Policy | None = None,
    ) -> list[Evidence]:
        """Every plugin's evidence about one failed job, flattened (default policy when
        *policy* is ``None``)."""
        if policy is None:
            from ci_rescue_core.policy.rules import Policy as DefaultPolicy

            policy = DefaultPolicy()
        batches = self._hook.rescue_flake_evidence(
            job=job, diagnosis=diagnosis, history=history, policy=policy
        )
        return [item for batch in batches for item in batch or ()]

    def propose_remedies(
        self,
        *,
        incident: Incident,
        run: RunRef,
        diagnoses: tuple[Diagnosis, ...],
        verdicts: tuple[FlakeVerdict, ...],
        policy: Policy,
        capabilities: frozenset[Capability],
    ) -> list[Remedy]:
        """Every strategy's proposals, flattened, in plugin call order."""
        batches = self._hook.rescue_propose_remedies(
            incident=incident,
            run=run,
            diagnoses=diagnoses,
            verdicts=verdicts,
            policy=policy,
            capabilities=capabilities,
        )
        return [item for batch in batches for item in batch or ()]

    def apply_remedy(
        self,
        *,
        remedy: Remedy,
        incident: Incident,
        run: RunRef,
        provider: Provider,
        policy: Policy,
    ) -> Outcome:
        """The owning plugin's outcome (the built-in fallback guarantees one)."""
        outcome: Outcome = self._hook.rescue_apply_remedy(
            remedy=remedy, incident=incident, run=run, provider=provider, policy=policy
        )
        return outcome

    def notify(self, *, incident: Incident, headline: str) -> list[tuple[str, Exception]]:
        """Call every notifier; return ``(plugin, error)`` for those that failed."""
        return self._call_each(
            self._hook.rescue_notify.get_hookimpls(), incident=incident, headline=headline
        )

    def incident_updated(self, *, incident: Incident, step: str) -> list[tuple[str, Exception]]:
        """Call every observer; return ``(plugin, error)`` for those that failed."""
        return self._call_each(
            self._hook.rescue_incident_updated.get_hookimpls(), incident=incident, step=step
        )

    @staticmethod
    def _call_each(impls: list[pluggy.HookImpl], **kwargs: object) -> list[tuple[str, Exception]]:
        failures: list[tuple[str, Exception]] = []
        for impl in reversed(impls):  # pluggy's own order: last registered first
            arguments = {name: kwargs[name] for name in impl.argnames}
            try:
                impl.function(**arguments)
            except Exception as exc:  # a broken notifier must not stop the pipeline
                failures.append((impl.plugin_name, exc))
        return failures
