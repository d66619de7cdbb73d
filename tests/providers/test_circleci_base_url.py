"""``providers.circleci.base_url``: the host root (CircleCI Server's natural value), ``/api``,
``/api/v2`` or ``/api/v1.1``, with or without a trailing slash, all reach the same API — v2 for
runs and jobs, v1.1 for step output — and anything else is a ConfigError naming the key."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ci_rescue_core.errors import ConfigError
from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.circleci import CircleCIProvider, build_provider
from ci_rescue_providers.circleci.factory import api_urls
from ci_rescue_providers.simulators.circleci import CircleCISimulator, SimJob

SLUG = "gh/acme/app"
LOG = "FAILED tests/test_cart.py::test_total - assert 3402 == 3780\n"


@pytest.mark.parametrize(
    ("given", "v2", "root"),
    [
        (None, "https://circleci.com/api/v2", "https://circleci.com/api"),
        ("https://circleci.com/api/v2", "https://circleci.com/api/v2", "https://circleci.com/api"),
        ("https://circleci.com/api/v2/", "https://circleci.com/api/v2", "https://circleci.com/api"),
        ("https://ci.example.com", "https://ci.example.com/api/v2", "https://ci.example.com/api"),
        ("https://ci.example.com/", "https://ci.example.com/api/v2", "https://ci.example.com/api"),
        ("https://ci.example.com/api", "https://ci.example.com/api/v2", "https://ci.example.com/api"),
        (" https://ci.example.com/api/v1.1/ ", "https://ci.example.com/api/v2",
         "https://ci.example.com/api"),
        ("http://10.0.0.5:8080/circle/api/v2", "http://10.0.0.5:8080/circle/api/v2",
         "http://10.0.0.5:8080/circle/api"),
    ],
)  # fmt: skip
def test_every_spelling_gives_the_same_api(given: str | None, v2: str, root: str) -> None:
    assert api_urls(given) == (v2, root)


@pytest.mark.parametrize(
    "bad",
    ["circleci.com/api/v2", "ftp://ci.example.com", "https://", "https://ci.example.com/?x=1"],
)
def test_a_url_that_is_no_url_names_the_key(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"providers\.circleci\.base_url") as caught:
        build_provider(ProviderSettings(name="circleci", base_url=bad, token="t"))
    assert caught.value.key == "providers.circleci.base_url" and repr(bad) in str(caught.value)


def test_a_hand_built_client_off_the_v2_root_is_refused() -> None:
    with (
        httpx.Client(base_url="https://ci.example.com") as api,
        httpx.Client() as blobs,
        pytest.raises(ConfigError, match="API v2 root"),
    ):
        CircleCIProvider(api, blob_client=blobs)


@pytest.fixture
def sim() -> Iterator[CircleCISimulator]:
    with CircleCISimulator(token="cc") as simulator:
        simulator.add_project(SLUG)
        yield simulator
    assert simulator.errors == []


@pytest.mark.parametrize("spelling", ["{root}", "{root}/", "{root}/api/v2/", "{root}/api/v1.1"])
def test_a_failing_run_is_read_whatever_the_spelling(sim: CircleCISimulator, spelling: str) -> None:
    workflow = sim.add_workflow(SLUG, [SimJob("test", ["failed"], log=LOG)], revision="a" * 40)
    provider = build_provider(
        ProviderSettings(
            name="circleci",
            base_url=spelling.format(root=sim.base_url),
            token="cc",
            options={"max_retries": 0},
        )
    )
    try:
        run = provider.get_run(SLUG, workflow)
        [job] = [job for job in provider.list_jobs(run) if job.conclusion == "failed"]
        with provider.open_log(job) as chunks:
            text = b"".join(chunks).decode()
    finally:
        provider.close()
    assert run.failed and "assert 3402 == 3780" in text
    paths = {r.path.split("/")[2] for r in sim.requests if r.path.startswith("/api/")}
    assert paths == {"v2", "v1.1"}  # runs and jobs from v2, step output from v1.1
