"""Rate limits, server errors and refusals through the GitHub adapter, against simulator faults.

Waits are kept tiny (``Retry-After: 0``, resets a second away, small ``max_wait``), so nothing
here sleeps for long; what is checked is the number of requests and the error raised.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.github import GitHubProvider, build_provider
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob

REPO = "acme/app"
RUN_PATH = r"/actions/runs/\d+$"


def make_provider(
    sim: GitHubSimulator, *, token: str | None = "t", **options: object
) -> GitHubProvider:
    settings: dict[str, object] = {
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
        "max_retries": 2,
        "backoff_factor": 0,
        "max_wait": 2,
    }
    settings.update(options)
    return build_provider(
        ProviderSettings(
            name="github",
            base_url=sim.base_url,
            token=token,
            token_env="GH_TOKEN",
            options=settings,
        )
    )


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token="t") as simulator:
        simulator.add_repo(REPO)
        yield simulator
    assert simulator.errors == []


@pytest.fixture
def provider(sim: GitHubSimulator) -> Iterator[GitHubProvider]:
    adapter = make_provider(sim)
    yield adapter
    adapter.close()


@pytest.fixture
def run_id(sim: GitHubSimulator) -> int:
    return sim.add_run(REPO, jobs=[SimJob("test", ["failure", "success"])])


def run_gets(sim: GitHubSimulator, run_id: int) -> int:
    return sum(1 for r in sim.requests if r.method == "GET" and r.path.endswith(f"/runs/{run_id}"))


# -- rate limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_with_retry_after_is_waited_out(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int, status: int
) -> None:
    fault = sim.inject_rate_limit("GET", RUN_PATH, status=status, retry_after=0)
    assert provider.get_run(REPO, str(run_id)).run_id == str(run_id)
    assert fault.exhausted and run_gets(sim, run_id) == 2


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_without_retry_after_pauses_at_most_max_wait(
    sim: GitHubSimulator, run_id: int, status: int
) -> None:
    provider = make_provider(sim, max_wait=0.2)
    try:
        sim.inject_rate_limit("GET", RUN_PATH, status=status)
        assert provider.get_run(REPO, str(run_id)).failed
        assert run_gets(sim, run_id) == 2
    finally:
        provider.close()


@pytest.mark.parametrize("status", [403, 429])
def test_spent_quota_waits_for_the_reset(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int, status: int
) -> None:
    sim.inject_rate_limit("GET", RUN_PATH, kind="primary", status=status, reset_in=0)
    assert provider.get_run(REPO, str(run_id)).failed
    assert run_gets(sim, run_id) == 2


@pytest.mark.parametrize("status", [403, 429])
def test_a_reset_beyond_max_wait_fails_at_once_saying_how_long(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int, status: int
) -> None:
    sim.inject_rate_limit("GET", RUN_PATH, kind="primary", status=status, reset_in=3600)
    with pytest.raises(RateLimitedError) as caught:
        provider.get_run(REPO, str(run_id))
    assert caught.value.retry_after is not None and 3500 < caught.value.retry_after <= 3602
    assert caught.value.resource == f"workflow run {run_id} of {REPO}"
    assert run_gets(sim, run_id) == 1


def test_a_retry_after_beyond_max_wait_fails_at_once(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int
) -> None:
    sim.inject_rate_limit("GET", RUN_PATH, status=429, retry_after=120)
    with pytest.raises(RateLimitedError, match="max_wait") as caught:
        provider.get_run(REPO, str(run_id))
    assert caught.value.retry_after == 120
    assert run_gets(sim, run_id) == 1


@pytest.mark.parametrize("status", [403, 429])
def test_a_limit_that_outlasts_the_retries_is_a_rate_limited_error(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int, status: int
) -> None:
    sim.inject_rate_limit("GET", RUN_PATH, status=status, retry_after=0, times=None)
    with pytest.raises(RateLimitedError, match="rate limit") as caught:
        provider.get_run(REPO, str(run_id))
    assert caught.value.status == status and caught.value.retry_after == 0
    assert run_gets(sim, run_id) == 3  # one try + max_retries 2


def test_the_simulators_own_quota_is_honoured() -> None:
    with GitHubSimulator(token="t", rate_limit=1) as sim:
        sim.add_repo(REPO)
        provider = make_provider(sim)
        try:
            with pytest.raises(RateLimitedError) as caught:
                provider.list_runs(REPO)
                provider.list_runs(REPO)
            assert caught.value.retry_after is not None and caught.value.retry_after > 60
        finally:
            provider.close()


# -- server errors -------------------------------------------------------------------------------


def test_server_errors_are_retried(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int
) -> None:
    sim.inject_fault("GET", RUN_PATH, status=502, times=2)
    assert provider.get_run(REPO, str(run_id)).failed
    assert run_gets(sim, run_id) == 3


def test_persistent_server_errors_surface_naming_the_resource(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int
) -> None:
    sim.inject_fault("GET", RUN_PATH, status=503, times=None)
    with pytest.raises(ProviderUnavailableError, match=f"workflow run {run_id} of {REPO}") as err:
        provider.get_run(REPO, str(run_id))
    assert err.value.status == 503
    assert run_gets(sim, run_id) == 3


def test_a_write_is_never_sent_twice_after_a_server_error(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int
) -> None:
    run = provider.get_run(REPO, str(run_id))
    sim.inject_fault("POST", r"/rerun-failed-jobs$", status=502, apply_first=True)
    with pytest.raises(ProviderUnavailableError, match="502"):
        provider.rerun_failed_jobs(run)
    posts = [r for r in sim.requests if r.path.endswith("/rerun-failed-jobs")]
    assert len(posts) == 1  # it happened once (attempt 2); a second POST would be attempt 3
    assert sim.get_run(run_id)["run_attempt"] == 2


def test_a_refused_write_is_sent_again(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int
) -> None:
    run = provider.get_run(REPO, str(run_id))
    sim.inject_rate_limit("POST", r"/rerun-failed-jobs$", status=429, retry_after=0)
    provider.rerun_failed_jobs(run)
    assert len([r for r in sim.requests if r.path.endswith("/rerun-failed-jobs")]) == 2
    assert sim.get_run(run_id)["run_attempt"] == 2


def test_a_slow_answer_times_out_and_is_retried(sim: GitHubSimulator, run_id: int) -> None:
    provider = make_provider(sim, timeout=1)
    try:
        sim.inject_fault("GET", RUN_PATH, status=None, delay=1.5)
        assert provider.get_run(REPO, str(run_id)).failed
        assert run_gets(sim, run_id) == 2
    finally:
        provider.close()


def test_an_unreachable_api_names_the_url() -> None:
    sim = GitHubSimulator(token="t").start()
    url = sim.base_url
    sim.stop()
    provider = build_provider(
        ProviderSettings(
            name="github",
            base_url=url,
            token="t",
            options={"seconds_between_requests": 0, "max_retries": 1, "backoff_factor": 0},
        )
    )
    try:
        with pytest.raises(ProviderUnavailableError, match=url):
            provider.get_run(REPO, "1")
    finally:
        provider.close()


# -- refusals ------------------------------------------------------------------------------------


def test_a_wrong_token_names_its_variable(sim: GitHubSimulator, run_id: int) -> None:
    provider = make_provider(sim, token="wrong")
    try:
        with pytest.raises(AuthenticationError, match="GH_TOKEN") as caught:
            provider.get_run(REPO, str(run_id))
        assert caught.value.status == 401
    finally:
        provider.close()


def test_no_token_fails_before_any_request(sim: GitHubSimulator, run_id: int) -> None:
    provider = make_provider(sim, token=None)
    try:
        with pytest.raises(AuthenticationError, match="set the environment variable GH_TOKEN"):
            provider.get_run(REPO, str(run_id))
        assert sim.requests == []
    finally:
        provider.close()


def test_a_missing_permission_names_the_scope(
    sim: GitHubSimulator, provider: GitHubProvider, run_id: int
) -> None:
    run = provider.get_run(REPO, str(run_id))
    sim.inject_fault(
        "POST",
        r"/rerun-failed-jobs$",
        status=403,
        body={"message": "Resource not accessible by personal access token"},
    )
    with pytest.raises(PermissionDeniedError, match=r"GH_TOKEN.*actions: write") as caught:
        provider.rerun_failed_jobs(run)
    assert caught.value.status == 403
    assert sim.get_run(run_id)["run_attempt"] == 1  # a refusal is never retried


def test_unknown_things_name_the_resource(sim: GitHubSimulator, provider: GitHubProvider) -> None:
    with pytest.raises(NotFoundError, match=f"workflow run 999 of {REPO} not found"):
        provider.get_run(REPO, "999")
    with pytest.raises(NotFoundError, match="acme/gone"):
        provider.list_runs("acme/gone")
