"""The building blocks the three simulators share (``ci_rescue_providers.simulators.common``)."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from ci_rescue_providers.simulators import CircleCISimulator, GitHubSimulator, GitLabSimulator
from ci_rescue_providers.simulators.common.server import HttpServer, Reply, ServerStyle


def _raw(base_url: str, method: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port)
    connection.request(method, "/x", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_a_style_names_the_server_and_answers_bad_bodies() -> None:
    style = ServerStyle(
        name="unit", server_version="Unit", bad_request=Reply(400, {"X-Bad": "1"}, b"no")
    )
    server = HttpServer(lambda *_: Reply(204), style=style)
    server.start()
    try:
        ok = _raw(server.base_url, "GET", {})
        bad = _raw(server.base_url, "POST", {"Content-Length": "-1"})
    finally:
        server.stop()
    assert (ok.status, ok.getheader("Server", "").strip()) == (204, "Unit")
    assert (bad.status, bad.getheader("X-Bad")) == (400, "1")
    assert not server.running


@pytest.mark.parametrize(
    ("simulator", "server", "options"),
    [(GitHubSimulator, "GitHub.com", 401), (GitLabSimulator, "nginx", 501)],
)
def test_each_simulator_keeps_its_own_server_style(
    simulator: type[GitHubSimulator | GitLabSimulator], server: str, options: int
) -> None:
    with simulator() as sim:
        response = _raw(sim.base_url, "OPTIONS", {})
    assert response.getheader("Server", "").strip() == server
    assert response.status == options


def test_circleci_answers_like_the_server_it_began_on() -> None:
    with CircleCISimulator() as sim:
        response = _raw(sim.base_url, "POST", {"Content-Length": "-1"})
    assert response.status == 400
    assert response.getheader("Server", "").strip() == "GitHub.com"
