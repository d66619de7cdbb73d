"""Serving the simulated API under a path prefix, the way GitHub Enterprise Server does.

GitHub Enterprise Server answers its REST API under ``https://HOST/api/v3`` and GraphQL at
``https://HOST/api/graphql``; web pages live at the host root. PyGithub, given
``base_url=https://HOST/api/v3``, sends every request there and only accepts absolute URLs on that
prefix, so the simulator must both strip the prefix from what it receives and put it into every
URL it returns.
"""

from __future__ import annotations

__all__ = ["ApiPrefix"]


class ApiPrefix:
    """The path prefix of the API (``""`` for github.com's layout, ``"/api/v3"`` for GHES).

    :raises ValueError: when *prefix* does not start with ``/`` or has a query or fragment.
    """

    def __init__(self, prefix: str = "") -> None:
        text = prefix.strip().rstrip("/")
        if text and (not text.startswith("/") or "?" in text or "#" in text or "//" in text):
            raise ValueError(f"api_prefix must be a path like '/api/v3', got {prefix!r}")
        self.prefix = text
        #: Where GraphQL is served: ``/api/graphql`` next to ``/api/v3``, as PyGithub expects.
        self.graphql = (text.removesuffix("/v3") if text else "") + "/graphql"

    def api_path(self, path: str) -> str | None:
        """The API's own path for the received *path* (``/repos/…``), or ``None`` when *path*
        lies outside the API."""
        if not self.prefix:
            return path
        if path == self.graphql:
            return "/graphql"
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix) :] or "/"
        return None
