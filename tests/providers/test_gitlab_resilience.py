"""Rate limits, server errors, bad tokens and unreachable instances, with the real python-gitlab:
bounded back-off, then typed errors that name the token, the scope or the resource."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.gitlab import GitLabProvider, build_provider
from ci_rescue_providers.gitlab.factory import announced_wait, instance_url
from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob

REPO = "acme/app"
TOKEN_ENV = "TEST_GITLAB_TOKEN"
PIPELINE_PATH = r"/pipelines/\d+$"


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token="t") as simulator:
        simulator.add_project(REPO)
        yield simulator


def make(sim_or_url: GitLabSimulator | str, **options: Any) -> GitLabProvider:
    base_url = sim_or_url if isinstance(sim_or_url, str) else sim_or_url.base_url
    token = options.pop("token", "t")
    return build_provider(
        ProviderSettings(
            name="gitlab",
            base_url=base_url,
            token=token,
            token_env=TOKEN_ENV,
            options={"max_retries": 2, "max_wait": 5.0, **options},
        )
    )


@pytest.fixture
def provider(sim: GitLabSimulator) -> Iterator[GitLabProvider]:
    adapter = make(sim)
    yield adapter
    adapter.close()


@pytest.fixture
def pipeline_id(sim: GitLabSimulator) -> int:
    return sim.add_pipeline(REPO, jobs=[SimJob("test", ["failed"])])


def pipeline_gets(sim: GitLabSimulator, pipeline_id: int) -> int:
    return sum(
        1
        for r in sim.requests
        if r.method == "GET" and r.path.endswith(f"/pipelines/{pipeline_id}")
    )


# -- rate limits -----------------------------------------------------------------------------


def test_a_429_with_retry_after_is_waited_out(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    fault = sim.inject_fault("GET", PIPELINE_PATH, status=429, headers={"Retry-After": "0"})
    assert provider.get_run(REPO, str(pipeline_id)).run_id == str(pipeline_id)
    assert fault.exhausted and pipeline_gets(sim, pipeline_id) == 2


def test_a_429_with_ratelimit_reset_is_waited_out(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    reset = str(int(time.time()))
    sim.inject_fault("GET", PIPELINE_PATH, status=429, headers={"RateLimit-Reset": reset})
    assert provider.get_run(REPO, str(pipeline_id)).failed
    assert pipeline_gets(sim, pipeline_id) == 2


def test_a_wait_longer_than_max_wait_fails_at_once_with_the_wait(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("GET", PIPELINE_PATH, status=429, headers={"Retry-After": "3600"}, times=5)
    with pytest.raises(RateLimitedError, match=f"pipeline {pipeline_id} of {REPO}") as caught:
        provider.get_run(REPO, str(pipeline_id))
    assert caught.value.retry_after == 3600 and caught.value.status == 429
    assert pipeline_gets(sim, pipeline_id) == 1  # no sleeping, no retry


def test_a_rate_limit_that_outlasts_the_retries(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("GET", PIPELINE_PATH, status=429, headers={"Retry-After": "0"}, times=10)
    with pytest.raises(RateLimitedError, match="after the retries"):
        provider.get_run(REPO, str(pipeline_id))
    assert pipeline_gets(sim, pipeline_id) == 3  # one try + max_retries 2


def test_the_simulators_own_rate_limit_sends_gitlabs_headers() -> None:
    with GitLabSimulator(token="t", rate_limit=3) as sim:
        sim.add_project(REPO)
        adapter = make(sim, max_wait=1.0)
        try:
            with pytest.raises(RateLimitedError) as caught:
                for _ in range(5):
                    adapter.list_runs(REPO)
        finally:
            adapter.close()
        limited = [r for r in sim.requests if r.status == 429]
        assert len(limited) == 1
        assert caught.value.retry_after is not None and caught.value.retry_after > 1.0


def test_announced_waits() -> None:
    assert announced_wait({"Retry-After": "7"}, now=0) == 7
    assert announced_wait({"RateLimit-Reset": "110"}, now=100) == 10
    assert announced_wait({"RateLimit-Reset": "90"}, now=100) == 0
    assert announced_wait({"Retry-After": "soon"}, now=0) is None
    assert announced_wait({}, now=0) is None


# -- server errors ---------------------------------------------------------------------------


def test_a_passing_5xx_is_retried(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("GET", PIPELINE_PATH, status=502)
    assert provider.get_run(REPO, str(pipeline_id)).failed
    assert pipeline_gets(sim, pipeline_id) == 2


def test_persistent_5xx_surfaces_after_the_retries(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("GET", PIPELINE_PATH, status=500, times=100)
    with pytest.raises(ProviderUnavailableError, match="500") as caught:
        provider.get_run(REPO, str(pipeline_id))
    assert (
        caught.value.status == 500 and caught.value.resource == f"pipeline {pipeline_id} of {REPO}"
    )
    assert pipeline_gets(sim, pipeline_id) == 3


def test_writes_are_not_sent_again_after_a_5xx(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("POST", r"/retry$", status=503)
    with pytest.raises(ProviderUnavailableError, match="not sent again") as caught:
        provider.rerun_failed_jobs(provider.get_run(REPO, str(pipeline_id)))
    assert caught.value.status == 503
    assert [r.status for r in sim.write_requests()] == [503]


def test_a_refused_write_is_sent_again(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("POST", r"/retry$", status=429, headers={"Retry-After": "0"})
    provider.rerun_failed_jobs(provider.get_run(REPO, str(pipeline_id)))
    assert [r.status for r in sim.write_requests()] == [429, 201]


def test_a_slow_answer_times_out_and_is_retried(sim: GitLabSimulator, pipeline_id: int) -> None:
    sim.inject_fault("GET", PIPELINE_PATH, status=None, delay=1.0)
    adapter = make(sim, timeout=0.3)
    try:
        assert adapter.get_run(REPO, str(pipeline_id)).failed
    finally:
        adapter.close()
    assert pipeline_gets(sim, pipeline_id) == 2


def test_a_truncated_json_answer_is_retried(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("GET", PIPELINE_PATH, status=None, truncate=True)
    assert provider.get_run(REPO, str(pipeline_id)).failed


# -- 401 / 403 / 404 -------------------------------------------------------------------------


def test_a_bad_token_names_its_variable(sim: GitLabSimulator, pipeline_id: int) -> None:
    adapter = make(sim, token="wrong")
    try:
        with pytest.raises(AuthenticationError, match=TOKEN_ENV) as caught:
            adapter.get_run(REPO, str(pipeline_id))
    finally:
        adapter.close()
    assert caught.value.status == 401 and "401" in str(caught.value)


def test_no_token_fails_before_any_request(sim: GitLabSimulator, pipeline_id: int) -> None:
    adapter = make(sim, token=None)
    try:
        with pytest.raises(AuthenticationError, match=f"set the environment variable {TOKEN_ENV}"):
            adapter.get_run(REPO, str(pipeline_id))
        with pytest.raises(AuthenticationError):
            adapter.parse_event("pipeline", sim.pipeline_event(pipeline_id))
    finally:
        adapter.close()
    assert sim.requests == []


def test_403_names_the_scope(
    sim: GitLabSimulator, provider: GitLabProvider, pipeline_id: int
) -> None:
    sim.inject_fault("POST", r"/retry$", status=403, body={"message": "403 Forbidden"})
    with pytest.raises(PermissionDeniedError, match="'api' scope") as caught:
        provider.rerun_failed_jobs(provider.get_run(REPO, str(pipeline_id)))
    assert TOKEN_ENV in str(caught.value) and caught.value.status == 403
    assert len(sim.write_requests()) == 1  # never retried


def test_404_names_the_resource(provider: GitLabProvider) -> None:
    with pytest.raises(NotFoundError, match="pipeline 99 of acme/gone not found"):
        provider.get_run("acme/gone", "99")


# -- reaching the instance -------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_instance_names_its_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    adapter = make(url, max_retries=0)
    try:
        with pytest.raises(ProviderUnavailableError, match=f"cannot reach the GitLab API at {url}"):
            adapter.get_run(REPO, "1")
    finally:
        adapter.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "https://gitlab.com"),
        ("https://gitlab.example.com/", "https://gitlab.example.com"),
        ("https://gitlab.example.com/api/v4", "https://gitlab.example.com"),
        ("https://example.com/gitlab/api/v4/", "https://example.com/gitlab"),
        (" http://127.0.0.1:8080 ", "http://127.0.0.1:8080"),
    ],
)
def test_self_managed_urls(given: str | None, expected: str) -> None:
    assert instance_url(given) == expected


def test_a_base_url_ending_in_api_v4_works(sim: GitLabSimulator, pipeline_id: int) -> None:
    adapter = make(f"{sim.base_url}/api/v4/")
    try:
        assert adapter.get_run(REPO, str(pipeline_id)).url.startswith(sim.base_url)
    finally:
        adapter.close()
