"""Registers the GitLab provider (entry point ``gitlab`` in group ``ci_rescue``).

GitLab's ``failure_reason`` reaches core as ``JobRef.failure_category`` (see
:mod:`ci_rescue_providers.gitlab.failure_reasons`): it sets the failure's category and, through
the built-in category evidence, counts towards the flake verdict.
"""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.provider import Provider, ProviderFactory, ProviderSettings


def _build(settings: ProviderSettings) -> Provider:
    from ci_rescue_providers.gitlab.factory import build_provider

    return build_provider(settings)


@hookimpl
def rescue_register_providers() -> list[ProviderFactory]:
    """The ``gitlab`` provider, on python-gitlab."""
    return [ProviderFactory(name="gitlab", build=_build, install_hint="pip install ci-rescue")]
