"""The provider registry: factories contributed by plugins, looked up by name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ci_rescue_core.errors import PluginError, UnknownProviderError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.provider import Provider, ProviderFactory, ProviderSettings


class ProviderRegistry:
    """Provider factories by name; refuses two plugins claiming one name."""

    def __init__(self, hooks: Hooks) -> None:
        factories: dict[str, ProviderFactory] = {}
        for factory in hooks.provider_factories():
            if not isinstance(factory, ProviderFactory):
                raise PluginError(
                    f"rescue_register_providers returned {type(factory).__name__}, "
                    "not ProviderFactory"
                )
            if factory.name in factories:
                raise PluginError(f"two plugins register the provider {factory.name!r}")
            factories[factory.name] = factory
        self._factories = MappingProxyType(factories)

    @property
    def factories(self) -> Mapping[str, ProviderFactory]:
        """Read-only view of the registered factories."""
        return self._factories

    def names(self) -> tuple[str, ...]:
        """Registered provider names, sorted."""
        return tuple(sorted(self._factories))

    def factory(self, name: str) -> ProviderFactory:
        """The factory registered as *name*.

        :raises UnknownProviderError: listing the registered names.
        """
        try:
            return self._factories[name]
        except KeyError:
            raise UnknownProviderError(name, self.names()) from None

    def build(self, settings: ProviderSettings) -> Provider:
        """Build the provider *settings* names."""
        return self.factory(settings.name).build(settings)
