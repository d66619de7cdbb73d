"""Registers the GitHub provider (entry point ``github`` in group ``ci_rescue``)."""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.provider import Provider, ProviderFactory, ProviderSettings


def _build(settings: ProviderSettings) -> Provider:
    from ci_rescue_providers.github.factory import build_provider

    return build_provider(settings)


@hookimpl
def rescue_register_providers() -> list[ProviderFactory]:
    """The ``github`` provider, on PyGithub."""
    return [ProviderFactory(name="github", build=_build, install_hint="pip install ci-rescue")]
