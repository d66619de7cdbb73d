"""A provider wrapper that refuses writes: ``observe`` mode's guarantee, enforced in core."""

from __future__ import annotations

from typing import Any

from ci_rescue_core.errors import WriteRefusedError
from ci_rescue_core.provider import WRITE_METHODS, Provider


class WriteGuard:
    """Delegates reads to *provider*; every write method raises :class:`WriteRefusedError`."""

    def __init__(self, provider: Provider, reason: str = "observe mode writes nothing") -> None:
        self._provider = provider
        self._reason = reason
        self.name = provider.name
        self.capabilities = provider.capabilities

    def __getattr__(self, attribute: str) -> Any:
        if attribute in WRITE_METHODS:
            raise WriteRefusedError(f"{self.name}.{attribute} refused: {self._reason}")
        return getattr(self._provider, attribute)
