"""How the GitHub simulator's HTTP server presents itself (the server is ``common.server``)."""

from __future__ import annotations

from ..common.server import App, HttpServer, Reply, ServerStyle

__all__ = ["GITHUB_STYLE", "App", "HttpServer", "Reply"]

#: ``Server: GitHub.com``, every method including ``OPTIONS``, GitHub's 400 body.
GITHUB_STYLE = ServerStyle(
    name="github-simulator",
    server_version="GitHub.com",
    bad_request=Reply(
        400, {"Content-Type": "application/json; charset=utf-8"}, b'{"message": "Bad request"}'
    ),
)
