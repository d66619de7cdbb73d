"""Constants and types shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from ci_rescue_core.runtime import Runtime

TOKEN = "sim-token-1234"
TOKEN_ENV = "TEST_CI_RESCUE_GITHUB_TOKEN"

#: ``make_runtime(mode=..., token=..., base_url=..., plugins=(...), **provider_settings)``
RuntimeFactory = Callable[..., Runtime]
