"""Shared fixtures: a live GitHub simulator, and runtimes pointed at it the way rescue.yaml does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_rescue_core.config.deployment import OutputConfig, ProviderConfig, RescueConfig, StoreConfig
from ci_rescue_core.models import Mode
from ci_rescue_core.orchestrator import Rescuer
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.support import TOKEN, TOKEN_ENV, RuntimeFactory


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token=TOKEN) as simulator:
        simulator.add_repo("acme/app")
        yield simulator


@pytest.fixture
def make_runtime(sim: GitHubSimulator, tmp_path: Path) -> Iterator[RuntimeFactory]:
    opened: list[Runtime] = []

    def factory(
        mode: Mode = Mode.ACT,
        token: str = TOKEN,
        base_url: str | None = None,
        plugins: tuple[object, ...] = (),
        webhook_secret: str | None = None,
        **provider: object,
    ) -> Runtime:
        settings: dict[str, object] = {
            "base_url": base_url or sim.base_url,
            "token_env": TOKEN_ENV,
            "max_retries": 2,
            "backoff_factor": 0.0,
            "min_request_interval": 0.0,
            "min_write_interval": 0.0,
        }
        settings.update(provider)
        config = RescueConfig(
            mode=mode,
            store=StoreConfig(path=str(tmp_path / "rescue.db")),
            providers={"github": ProviderConfig(**settings)},  # type: ignore[arg-type]
            output=OutputConfig(rescue_log="rescue.log"),
            base_dir=str(tmp_path),
        )
        environ = {TOKEN_ENV: token}
        if webhook_secret is not None:
            environ["CI_RESCUE_WEBHOOK_SECRET"] = webhook_secret
        runtime = Runtime(config, environ=environ, plugins=plugins)
        opened.append(runtime)
        return runtime

    yield factory
    for runtime in opened:
        runtime.close()


@pytest.fixture
def rescuer(make_runtime: RuntimeFactory) -> Rescuer:
    return make_runtime().rescuer("github")
