"""Bounded retries of the CircleCI client: a handler behind ``httpx.MockTransport`` plays the
server, the real ``httpx.Client`` and our transport wrapper run unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ci_rescue_providers.circleci.client import CircleCIClient
from ci_rescue_providers.circleci.transport import RetryTransport, retry_after_seconds

Handler = Callable[[httpx.Request], httpx.Response]
MakeClient = Callable[..., CircleCIClient]


class Script:
    """Answers requests from a list of responses (or exceptions), recording what came in."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok(data: object = None) -> httpx.Response:
    return httpx.Response(200, json=data if data is not None else {"ok": True})


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[Callable[..., CircleCIClient]]:
    opened: list[CircleCIClient] = []

    def factory(script: Handler, **options: float) -> CircleCIClient:
        transport = RetryTransport(
            httpx.MockTransport(script),
            max_retries=int(options.get("max_retries", 3)),
            max_wait=float(options.get("max_wait", 60.0)),
            backoff_factor=float(options.get("backoff_factor", 0.5)),
            sleep=sleeps,
            jitter=lambda: 1.0,
        )
        http = httpx.Client(base_url="https://circleci.test/api/v2", transport=transport)
        client = CircleCIClient(http, token_env="MY_CIRCLE_TOKEN")
        opened.append(client)
        return client

    yield factory
    for client in opened:
        client.close()


def test_429_with_retry_after_is_honoured(make_client: MakeClient, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    assert make_client(script).get("/me", resource="me") == {"ok": True}
    assert sleeps == [7.0]
    assert len(script.seen) == 2


def test_429_with_an_http_date(make_client: MakeClient, sleeps: Sleeps) -> None:
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    script = Script(httpx.Response(429, headers={"Retry-After": format_datetime(later)}), ok())
    make_client(script).get("/me", resource="me")
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_429_without_retry_after_backs_off_exponentially(
    make_client: MakeClient, sleeps: Sleeps
) -> None:
    script = Script(httpx.Response(429), httpx.Response(429), httpx.Response(429), ok())
    make_client(script, backoff_factor=1.0).get("/me", resource="me")
    assert sleeps == [1.0, 2.0, 4.0]  # jitter pinned to its maximum


def test_jitter_keeps_waits_between_half_and_all() -> None:
    transport = RetryTransport(
        httpx.MockTransport(Script(ok())), backoff_factor=2.0, jitter=lambda: 0.0
    )
    assert transport.backoff(0) == 1.0 and transport.backoff(2) == 4.0
    capped = RetryTransport(httpx.MockTransport(Script(ok())), backoff_factor=2.0, max_wait=3.0)
    assert all(1.5 <= capped.backoff(10) <= 3.0 for _ in range(20))


def test_a_retry_after_beyond_max_wait_is_not_slept(
    make_client: MakeClient, sleeps: Sleeps
) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as caught:
        make_client(script, max_wait=10).get("/me", resource="me")
    assert caught.value.retry_after == 3600
    assert "3600s" in str(caught.value) and "max_wait" in str(caught.value)
    assert sleeps == [] and len(script.seen) == 1


def test_rate_limits_that_outlast_the_retries_surface(
    make_client: MakeClient, sleeps: Sleeps
) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "0"}))
    with pytest.raises(RateLimitedError):
        make_client(script, max_retries=2).get("/me", resource="me")
    assert len(script.seen) == 3


def test_5xx_is_retried_then_surfaced(make_client: MakeClient, sleeps: Sleeps) -> None:
    script = Script(httpx.Response(502, json={"message": "Bad Gateway"}))
    with pytest.raises(ProviderUnavailableError, match="502"):
        make_client(script, max_retries=2, backoff_factor=0.25).get("/me", resource="the user")
    assert len(script.seen) == 3
    assert sleeps == [0.25, 0.5]


def test_5xx_then_success(make_client: MakeClient) -> None:
    script = Script(httpx.Response(500), httpx.Response(503), ok({"n": 1}))
    assert make_client(script).get("/me", resource="me") == {"n": 1}


def test_a_post_is_not_repeated_after_a_5xx(make_client: MakeClient) -> None:
    script = Script(httpx.Response(500), ok())
    with pytest.raises(ProviderUnavailableError):
        make_client(script).post("/workflow/w/rerun", {"from_failed": True}, resource="rerun")
    assert len(script.seen) == 1


def test_a_post_is_repeated_after_a_429(make_client: MakeClient) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "0"}), ok({"workflow_id": "n"}))
    answer = make_client(script).post("/workflow/w/rerun", {"from_failed": True}, resource="rr")
    assert answer == {"workflow_id": "n"}
    assert [r.content for r in script.seen] == [b'{"from_failed":true}'] * 2


def test_connection_failures_are_retried_for_any_method(make_client: MakeClient) -> None:
    script = Script(httpx.ConnectError("refused"), ok())
    make_client(script).post("/workflow/w/cancel", {}, resource="cancel")
    assert len(script.seen) == 2


def test_unreachable_server_is_one_clear_error(make_client: MakeClient) -> None:
    script = Script(httpx.ConnectError("connection refused"))
    with pytest.raises(ProviderUnavailableError, match="cannot reach the CircleCI API"):
        make_client(script, max_retries=1).get("/me", resource="me")
    assert len(script.seen) == 2


def test_a_read_timeout_on_a_post_is_not_repeated(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("slow"), ok())
    with pytest.raises(ProviderUnavailableError):
        make_client(script).post("/workflow/w/rerun", {}, resource="rerun")
    assert len(script.seen) == 1


class CutShort(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'{"items": [1, '
        raise httpx.RemoteProtocolError("peer closed connection")


def test_a_truncated_json_answer_is_retried(make_client: MakeClient) -> None:
    broken = httpx.Response(200, headers={"Content-Type": "application/json"}, stream=CutShort())
    script = Script(broken, ok({"items": [1, 2]}))
    assert make_client(script).get("/x", resource="x") == {"items": [1, 2]}
    assert len(script.seen) == 2


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (401, AuthenticationError, ("MY_CIRCLE_TOKEN", "pipeline p-1")),
        (403, PermissionDeniedError, ("MY_CIRCLE_TOKEN", "pipeline p-1")),
        (404, NotFoundError, ("pipeline p-1 not found",)),
        (400, ProviderError, ("pipeline p-1", "400", "bad thing")),
    ],
)
def test_errors_are_typed_and_name_token_and_resource(
    make_client: MakeClient,
    status: int,
    error: type[Exception],
    words: tuple[str, ...],
) -> None:
    script = Script(httpx.Response(status, json={"message": "bad thing"}))
    with pytest.raises(error) as caught:
        make_client(script).get("/pipeline/p-1", resource="pipeline p-1")
    for word in words:
        assert word in str(caught.value)
    assert len(script.seen) == 1  # never retried


def test_redirects_are_not_followed_with_the_token(make_client: MakeClient) -> None:
    script = Script(httpx.Response(302, headers={"Location": "https://elsewhere.test/x"}), ok())
    with pytest.raises(ProviderError, match="does not follow redirects"):
        make_client(script).get("/me", resource="me")
    assert [str(r.url) for r in script.seen] == ["https://circleci.test/api/v2/me"]


def test_a_non_json_answer_is_a_clear_error(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(ProviderError, match="not JSON"):
        make_client(script).get("/me", resource="me")


def test_paging_follows_next_page_token(make_client: MakeClient) -> None:
    script = Script(
        ok({"items": [{"n": 1}], "next_page_token": "t2"}),
        ok({"items": [{"n": 2}], "next_page_token": None}),
    )
    client = make_client(script)
    assert [i["n"] for i in client.items("/list", resource="list", params={"a": "b"})] == [1, 2]
    assert script.seen[1].url.params["page-token"] == "t2"
    assert script.seen[1].url.params["a"] == "b"


def test_paging_is_bounded(make_client: MakeClient) -> None:
    script = Script(ok({"items": [{"n": 1}], "next_page_token": "again"}))
    assert len(list(make_client(script).items("/list", resource="list", max_pages=3))) == 3


def test_no_token_means_no_request(make_client: MakeClient) -> None:
    script = Script(ok())
    client = make_client(script)
    client.has_token = False
    with pytest.raises(AuthenticationError, match="MY_CIRCLE_TOKEN"):
        client.get("/me", resource="me")
    assert script.seen == []


def test_retry_after_parsing() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": " 12 "})) == 12
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "-3"})) == 0
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Response(429)) is None


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        RetryTransport(httpx.MockTransport(Script(ok())), max_retries=-1)
