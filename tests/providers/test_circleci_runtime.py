"""``providers.circleci.vcs`` in rescue.yaml: the runtime builds the VCS provider first and
hands it to CircleCI as its companion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_rescue_core.config import load_config
from ci_rescue_core.config.deployment import ProviderConfig, RescueConfig, StoreConfig
from ci_rescue_core.errors import ConfigError, UnknownProviderError
from ci_rescue_core.provider import Capability
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.circleci import CircleCIProvider
from ci_rescue_providers.simulators.circleci import CircleCISimulator
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.providers.test_circleci_helpers import CIRCLE_TOKEN, GITHUB_TOKEN


@pytest.fixture
def sims() -> Iterator[tuple[CircleCISimulator, GitHubSimulator]]:
    with CircleCISimulator(token=CIRCLE_TOKEN) as circle, GitHubSimulator(token=GITHUB_TOKEN) as gh:
        yield circle, gh


def runtime(tmp_path: Path, **providers: ProviderConfig) -> Runtime:
    config = RescueConfig(
        store=StoreConfig(path=str(tmp_path / "rescue.db")),
        providers=dict(providers),
        base_dir=str(tmp_path),
    )
    return Runtime(config, environ={"CC_TOKEN": CIRCLE_TOKEN, "GH_TOKEN": GITHUB_TOKEN})


def test_the_companion_is_the_runtimes_own_vcs_provider(
    tmp_path: Path, sims: tuple[CircleCISimulator, GitHubSimulator]
) -> None:
    circle, gh = sims
    with runtime(
        tmp_path,
        circleci=ProviderConfig(base_url=circle.api_url, token_env="CC_TOKEN", vcs="github"),
        github=ProviderConfig(base_url=gh.base_url, token_env="GH_TOKEN"),
    ) as rt:
        provider = rt.provider("circleci")
        assert isinstance(provider, CircleCIProvider)
        assert provider.vcs is rt.provider("github")  # built once, shared
        assert Capability.ISSUES in provider.capabilities
        assert rt.rescuer("circleci").provider is provider


def test_without_vcs_circleci_stands_alone(
    tmp_path: Path, sims: tuple[CircleCISimulator, GitHubSimulator]
) -> None:
    circle, _ = sims
    with runtime(tmp_path, circleci=ProviderConfig(base_url=circle.api_url)) as rt:
        provider = rt.provider("circleci")
        assert isinstance(provider, CircleCIProvider) and provider.vcs is None
        assert Capability.ISSUES not in provider.capabilities
        with pytest.raises(ConfigError, match=r"providers\.circleci\.vcs"):
            provider.open_issue("gh/acme/app", title="t", body="b")


def test_a_companion_without_its_section_gets_defaults(
    tmp_path: Path, sims: tuple[CircleCISimulator, GitHubSimulator]
) -> None:
    circle, _ = sims
    with runtime(tmp_path, circleci=ProviderConfig(base_url=circle.api_url, vcs="github")) as rt:
        provider = rt.provider("circleci")
        assert isinstance(provider, CircleCIProvider) and provider.vcs is not None
        assert provider.vcs.name == "github"


def test_an_unknown_vcs_lists_the_known_providers(tmp_path: Path) -> None:
    with (
        runtime(tmp_path, circleci=ProviderConfig(vcs="jenkins")) as rt,
        pytest.raises(UnknownProviderError, match=r"jenkins.*circleci"),
    ):
        rt.provider("circleci")


def test_circleci_cannot_be_its_own_vcs(tmp_path: Path) -> None:
    with (
        runtime(tmp_path, circleci=ProviderConfig(vcs="circleci")) as rt,
        pytest.raises(ConfigError, match="its own VCS"),
    ):
        rt.provider("circleci")


def test_a_vcs_cycle_is_a_config_error(tmp_path: Path) -> None:
    with (
        runtime(
            tmp_path,
            circleci=ProviderConfig(vcs="github"),
            github=ProviderConfig(vcs="circleci"),
        ) as rt,
        pytest.raises(ConfigError, match="cycle"),
    ):
        rt.provider("circleci")


def test_rescue_yaml_accepts_vcs(tmp_path: Path) -> None:
    path = tmp_path / "rescue.yaml"
    path.write_text(
        "providers:\n"
        "  circleci:\n"
        "    base_url: http://127.0.0.1:9/api/v2\n"
        "    token_env: CI_RESCUE_CIRCLECI_TOKEN\n"
        "    vcs: github\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.providers["circleci"].vcs == "github"
    assert config.provider_settings("circleci", {}).options["vcs"] == "github"
    assert config.provider_settings("github", {}).options["vcs"] is None
