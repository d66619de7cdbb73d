"""Registers the CircleCI provider (entry point ``circleci`` in group ``ci_rescue``)."""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.provider import Provider, ProviderFactory, ProviderSettings


def _build(settings: ProviderSettings) -> Provider:
    from ci_rescue_providers.circleci.factory import build_provider

    return build_provider(settings)


@hookimpl
def rescue_register_providers() -> list[ProviderFactory]:
    """The ``circleci`` provider, on httpx (issues and changes through ``vcs``)."""
    return [ProviderFactory(name="circleci", build=_build, install_hint="pip install ci-rescue")]
