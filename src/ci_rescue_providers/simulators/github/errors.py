"""The simulator's API errors: answered as GitHub-shaped JSON error bodies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["NotFoundError", "SimError"]


class SimError(Exception):
    """An API error the simulator answers with ``status`` and ``{"message": ...}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors) if errors is not None else None

    def body(self) -> dict[str, Any]:
        """The JSON error body, shaped like GitHub's."""
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = "https://docs.github.com/rest"
        out["status"] = str(self.status)
        return out


class NotFoundError(SimError, LookupError):
    """An unknown repository, run, job, issue, label or route (404 ``Not Found``)."""

    def __init__(self, message: str = "Not Found") -> None:
        super().__init__(404, message)
