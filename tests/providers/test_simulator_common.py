"""The building blocks the three simulators share (``ci_rescue_providers.simulators.common``)."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import httpx
import pytest

from ci_rescue_providers.simulators import (
    CircleCISimJob,
    CircleCISimulator,
    GitHubSimulator,
    GitLabSimulator,
)
from ci_rescue_providers.simulators.circleci.api import BlobSigner as CircleCIBlobSigner
from ci_rescue_providers.simulators.common.blobs import BlobSigner
from ci_rescue_providers.simulators.common.facade import LostAnswerFacade
from ci_rescue_providers.simulators.common.jobs import check_job_list, check_outcomes
from ci_rescue_providers.simulators.common.recording import Fault, fault_response, status_phrase
from ci_rescue_providers.simulators.common.router import (
    ApiRequest,
    ApiResponse,
    Router,
    page_window,
)
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


def test_circleci_answers_as_circleci() -> None:
    with CircleCISimulator() as sim:
        response = _raw(sim.base_url, "POST", {"Content-Length": "-1"})
    assert response.status == 400
    assert response.getheader("Server", "").strip() == "cloudflare"


def _request(path: str, query: str = "") -> ApiRequest:
    return ApiRequest("GET", path, query, {}, b"")


def test_the_router_matches_segments_and_rest_parameters() -> None:
    router: Router[ApiRequest] = Router(not_found=lambda: LookupError("no route"))
    router.add(
        "get", "/p/{project}/files/{path+}", lambda r: ApiResponse(200, repr(r.params).encode())
    )
    answer = router.dispatch(ApiRequest("HEAD", "/p/a%2Fb/files/x/y.txt", "", {}, b""))
    assert answer.body == repr({"project": "a/b", "path": "x/y.txt"}).encode()
    with pytest.raises(LookupError, match="no route"):
        router.dispatch(_request("/p/a/b"))


def test_a_page_window_cuts_and_links_pages() -> None:
    window = page_window(_request("/items", "per_page=2&page=2&x=1"), list(range(5)), 20)
    assert (window.items, window.page, window.last, window.total) == ([2, 3], 2, 3, 5)
    assert window.url("http://h/api/", 3) == "http://h/api/items?per_page=2&x=1&page=3"


def test_a_fault_answers_with_its_own_body_or_the_default_one() -> None:
    def default(status: int) -> dict[str, str]:
        return {"message": status_phrase(status, "?")}

    plain = fault_response(Fault("GET", ".*", status=503), default_body=default)
    assert (plain.status, plain.body) == (503, b'{"message": "Service Unavailable"}')
    odd = fault_response(Fault("GET", ".*", status=599, body="raw"), default_body=default)
    assert (odd.body, odd.headers) == (b"raw", {"Content-Type": "application/json"})
    assert status_phrase(599, "?") == "?"


class _Counter(LostAnswerFacade):
    """A facade over an API that counts its calls; ``/boom`` raises, ``/web`` is outside."""

    def __init__(self) -> None:
        super().__init__(None, host="127.0.0.1", port=0, style=ServerStyle())
        self.calls = 0

    def _api_path(self, raw_path: str) -> str | None:
        return None if raw_path.startswith("/web") else raw_path.removeprefix("/api")

    def _answer(
        self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes
    ) -> ApiResponse:
        if path == "/boom":
            raise RuntimeError("boom")
        self.calls += 1
        return ApiResponse(200, str(self.calls).encode())

    def _fault_response(self, fault: Fault) -> ApiResponse:
        return ApiResponse(fault.status or 500, b"fault")


def test_the_facade_records_faults_errors_and_lost_answers() -> None:
    with _Counter() as sim:
        base = sim.base_url
        sim.inject_fault("POST", "^/x$", status=502, apply_first=True)
        assert httpx.post(f"{base}/api/x").status_code == 502
        assert httpx.get(f"{base}/api/boom").status_code == 500
        assert httpx.get(f"{base}/web/x").status_code == 404
        assert httpx.get(f"{base}/api/x?a=1").text == "2"
    assert not sim.running
    assert [(r.path, r.raw_path, r.status, r.faulted) for r in sim.requests] == [
        ("/x", "/api/x", 502, True),
        ("/boom", "/api/boom", 500, False),
        ("/web/x", "/web/x", 404, False),
        ("/x", "/api/x", 200, False),
    ]
    assert [r.method for r in sim.write_requests()] == ["POST"]
    assert len(sim.errors) == 1 and "RuntimeError: boom" in sim.errors[0]
    sim.clear_requests()
    assert sim.requests == []


def test_a_simulator_refuses_an_empty_token() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        CircleCISimulator(token="")


def test_a_blob_signer_names_its_parameters_and_expires() -> None:
    now = [1000.0]
    signer = CircleCIBlobSigner(60, clock=lambda: now[0])
    url = signer.sign("/_s3/x")
    path, query = url.split("?", 1)
    assert query.startswith("X-Amz-Expires=1060&X-Amz-Signature=")
    assert signer.verify(path, query) and not signer.verify("/_s3/y", query)
    now[0] = 1061.0
    assert not signer.verify(path, query)
    assert BlobSigner(60).sign("/b").split("?")[1].startswith("expires=")


def test_job_checks_keep_each_simulators_wording() -> None:
    with pytest.raises(ValueError, match=r"use \['a'\] or failed:<r>$"):
        check_outcomes(
            "j", ["x:1"], {"a"}, status_of=lambda o: o.split(":")[0], hint=" or failed:<r>"
        )
    assert check_outcomes("j", ["a:1"], {"a"}, status_of=lambda o: o.split(":")[0]) == ("a:1",)
    with pytest.raises(ValueError, match="must not be empty"):
        check_outcomes("", ["a"], {"a"})
    with pytest.raises(ValueError, match=r"job 'b' requires \['c'\], which must be listed"):
        check_job_list(
            [CircleCISimJob("a"), CircleCISimJob("b", requires=["c"])],
            CircleCISimJob,
            lambda spec: spec.requires,
            "requires",
        )
    with pytest.raises(TypeError, match="got str"):
        check_job_list(["a"], CircleCISimJob, lambda spec: spec.requires, "requires")
