"""How the GitLab simulator's HTTP server presents itself (the server is ``common.server``)."""

from __future__ import annotations

from ..common.server import ALL_METHODS, App, HttpServer, Reply, ServerStyle

__all__ = ["GITLAB_STYLE", "App", "HttpServer", "Reply"]

#: ``Server: nginx``, GitLab's 400 body; ``OPTIONS`` is not answered (``501``).
GITLAB_STYLE = ServerStyle(
    name="gitlab-simulator",
    server_version="nginx",
    bad_request=Reply(400, {"Content-Type": "application/json"}, b'{"error":"bad request"}'),
    methods=ALL_METHODS - {"OPTIONS"},
)
