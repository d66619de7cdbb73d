"""A missing webhook secret is reported under the variable the deployment configured
(``webhook_secret_env``), for every provider — never a default name the user did not choose."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ci_rescue_core.config.deployment import ProviderConfig, RescueConfig
from ci_rescue_core.errors import SignatureError
from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.circleci import CircleCIProvider
from ci_rescue_providers.circleci import build_provider as build_circleci
from ci_rescue_providers.github import GitHubProvider
from ci_rescue_providers.github import build_provider as build_github
from ci_rescue_providers.gitlab import GitLabProvider
from ci_rescue_providers.gitlab import build_provider as build_gitlab

Adapter = GitHubProvider | GitLabProvider | CircleCIProvider
BUILDERS: dict[str, Callable[[ProviderSettings], Adapter]] = {
    "github": build_github,
    "gitlab": build_gitlab,
    "circleci": build_circleci,
}


def settings(name: str, section: ProviderConfig, environ: dict[str, str]) -> ProviderSettings:
    config = RescueConfig(providers={name: section})
    return config.provider_settings(name, environ)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_configured_variable_is_named(name: str) -> None:
    section = ProviderConfig(base_url="http://127.0.0.1:9", webhook_secret_env="ACME_HOOK_KEY")
    provider = BUILDERS[name](settings(name, section, {"CI_RESCUE_WEBHOOK_SECRET": "unused"}))
    try:
        with pytest.raises(SignatureError, match=r"set ACME_HOOK_KEY\)") as caught:
            provider.verify_webhook({}, b"{}")
    finally:
        provider.close()
    assert "CI_RESCUE_WEBHOOK_SECRET" not in str(caught.value)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_default_variable_is_named_by_default(name: str) -> None:
    section = ProviderConfig(base_url="http://127.0.0.1:9")
    provider = BUILDERS[name](settings(name, section, {}))
    try:
        with pytest.raises(SignatureError, match=r"set CI_RESCUE_WEBHOOK_SECRET\)"):
            provider.verify_webhook({}, b"{}")
    finally:
        provider.close()
