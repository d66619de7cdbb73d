"""``rescue.yaml``: how one ci-rescue deployment runs (providers, store, mode, outputs)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from ci_rescue_core.config.yamlfile import read_yaml, structure_yaml
from ci_rescue_core.errors import ConfigError
from ci_rescue_core.models import Mode
from ci_rescue_core.provider import ProviderSettings

DEFAULT_TOKEN_ENV: Mapping[str, str] = {
    "github": "CI_RESCUE_GITHUB_TOKEN",
    "gitlab": "CI_RESCUE_GITLAB_TOKEN",
    "circleci": "CI_RESCUE_CIRCLECI_TOKEN",
}
WEBHOOK_SECRET_ENV = "CI_RESCUE_WEBHOOK_SECRET"


@attrs.frozen(kw_only=True)
class ProviderConfig:
    """One provider's section of ``providers:``.

    :ivar base_url: API root; empty means the public service (``https://api.github.com``...).
        Any compatible server works: GitHub Enterprise, a proxy, the bundled simulator.
    :ivar token_env: environment variable holding the API token.
    :ivar webhook_secret_env: environment variable holding the webhook secret.
    :ivar timeout: seconds per HTTP request.
    :ivar max_retries: retries of 5xx / rate-limited requests before giving up.
    :ivar max_wait: longest single back-off wait in seconds (``Retry-After`` included).
    :ivar backoff_factor: exponential back-off base for retried 5xx responses, in seconds.
    :ivar min_request_interval: seconds between two API requests (GitHub's advice: 0.25).
    :ivar min_write_interval: seconds between two API writes (GitHub's advice: 1.0).
    :ivar vcs: for CI-only providers (CircleCI): the provider the repositories live on
        (``github`` or ``gitlab``); issues and change requests go through it.
    :ivar app_id_env: GitHub: environment variable holding a GitHub App's id; when set (and
        the variable is), the provider authenticates as that App's installation instead of
        with the token.
    :ivar private_key_env: GitHub: environment variable holding the App's private key (PEM
        text or the path of a PEM file).
    """

    base_url: str | None = None
    token_env: str | None = None
    webhook_secret_env: str = WEBHOOK_SECRET_ENV
    timeout: float = attrs.field(default=15.0, validator=attrs.validators.gt(0))
    max_retries: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    max_wait: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    backoff_factor: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    min_request_interval: float = attrs.field(default=0.25, validator=attrs.validators.ge(0))
    min_write_interval: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))
    app_id_env: str | None = None
    private_key_env: str | None = None
    vcs: str | None = None


@attrs.frozen(kw_only=True)
class StoreConfig:
    """``store:`` — where history and incidents live."""

    path: str = ".ci-rescue/rescue.db"


@attrs.frozen(kw_only=True)
class RulesConfig:
    """``rules:`` — where per-repository policy overrides live (``<dir>/<owner>/<repo>.yaml``)."""

    overrides_dir: str | None = None


@attrs.frozen(kw_only=True)
class OutputConfig:
    """``output:`` — local records of what ci-rescue did."""

    rescue_log: str | None = "rescue.log"


@attrs.frozen(kw_only=True)
class AnalysisConfig:
    """``analysis:`` — how failed jobs' logs are read.

    :ivar baseline: also stream the job's last passing log (one more log download per failed
        job) so that lines new in the failing log rank first.
    """

    baseline: bool = True


@attrs.frozen(kw_only=True)
class PluginsConfig:
    """``plugins:`` — entry-point plugins not to load (``disable: [retry]``)."""

    disable: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class RescueConfig:
    """The whole ``rescue.yaml``.

    :ivar base_dir: directory relative paths are resolved against (the file's directory).
    :ivar source: the file it was read from, ``None`` for built-in defaults.
    """

    mode: Mode = Mode.ACT
    store: StoreConfig = StoreConfig()
    providers: dict[str, ProviderConfig] = attrs.field(factory=dict)
    rules: RulesConfig = RulesConfig()
    output: OutputConfig = OutputConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    plugins: PluginsConfig = PluginsConfig()
    redact_env: tuple[str, ...] = ()
    base_dir: str = attrs.field(default=".", metadata={"internal": True})
    source: str | None = attrs.field(default=None, metadata={"internal": True})

    def resolve(self, relative: str) -> Path:
        """*relative* resolved against the config file's directory."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate

    @property
    def store_path(self) -> Path:
        """The store file's absolute path."""
        return self.resolve(self.store.path)

    def provider_settings(
        self, name: str, environ: Mapping[str, str] | None = None
    ) -> ProviderSettings:
        """Settings for provider *name*, secrets read from *environ* (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        section = self.providers.get(name, ProviderConfig())
        token_env = section.token_env or DEFAULT_TOKEN_ENV.get(
            name, f"CI_RESCUE_{name.upper()}_TOKEN"
        )
        return ProviderSettings(
            name=name,
            base_url=section.base_url or None,
            token=env.get(token_env) or None,
            token_env=token_env,
            webhook_secret=env.get(section.webhook_secret_env) or None,
            options={
                "timeout": section.timeout,
                "max_retries": section.max_retries,
                "max_wait": section.max_wait,
                "backoff_factor": section.backoff_factor,
                "seconds_between_requests": section.min_request_interval,
                "seconds_between_writes": section.min_write_interval,
                "webhook_secret_env": section.webhook_secret_env,
                "vcs": section.vcs,
                "app_id": env.get(section.app_id_env) if section.app_id_env else None,
                "app_id_env": section.app_id_env,
                "private_key": env.get(section.private_key_env)
                if section.private_key_env
                else None,
                "private_key_env": section.private_key_env,
            },
        )

    def known_secrets(self, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Values the redactor must mask: every configured token and secret, plus ``redact_env``."""
        env = os.environ if environ is None else environ
        names = set(self.redact_env) | {WEBHOOK_SECRET_ENV, *DEFAULT_TOKEN_ENV.values()}
        for section in self.providers.values():
            names.add(section.webhook_secret_env)
            if section.token_env:
                names.add(section.token_env)
            if section.private_key_env:
                names.add(section.private_key_env)
        return tuple(sorted({env[name] for name in names if env.get(name)}))


def load_config(path: str | Path | None) -> RescueConfig:
    """Read and validate ``rescue.yaml``; ``None`` gives the built-in defaults.

    :raises ConfigError: naming the file, the line and the key of the first problem.
    """
    if path is None:
        return RescueConfig(base_dir=str(Path.cwd()))
    file = Path(path)
    data = read_yaml(file)
    for internal in ("base_dir", "source"):
        if hasattr(data, "keys") and internal in data:
            raise ConfigError(f"unknown key {internal!r}", path=str(file), key=internal)
    config = structure_yaml(data, RescueConfig, path=file)
    return attrs.evolve(config, base_dir=str(file.resolve().parent), source=str(file))
