"""Loading policy: packaged ``defaults.yaml``, then the repository's override file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from ci_rescue_core.config.yamlfile import _plain, deep_merge, read_yaml, structure_yaml
from ci_rescue_core.errors import ConfigError
from ci_rescue_core.policy.rules import Policy


def defaults_path() -> Path:
    """The packaged ``rules/defaults.yaml``."""
    return Path(str(resources.files("ci_rescue_core") / "rules" / "defaults.yaml"))


def override_path(overrides_dir: Path, repo: str) -> Path:
    """Where the override file of *repo* (``owner/name``) lives under *overrides_dir*."""
    return overrides_dir.joinpath(*repo.split("/")).with_suffix(".yaml")


def load_policy(repo: str | None = None, *, overrides_dir: Path | None = None) -> Policy:
    """The effective policy of *repo*: defaults, overridden key by key by its override file.

    Each file is validated on its own first, so an error names the file that has it.

    :raises ConfigError: naming the file, the line and the key of the first problem.
    """
    layers: list[tuple[Path, Any]] = [(defaults_path(), read_yaml(defaults_path()))]
    if repo and overrides_dir is not None:
        candidate = override_path(overrides_dir, repo)
        if candidate.is_file():
            layers.append((candidate, read_yaml(candidate)))
    merged: dict[str, Any] = {}
    for file, data in layers:
        structure_yaml(data, Policy, path=file)
        merged = deep_merge(merged, _plain(data))
    policy = structure_yaml(merged, Policy, path=layers[-1][0])
    if policy.broken_threshold >= policy.flaky_threshold:
        raise ConfigError(
            f"broken_threshold ({policy.broken_threshold}) must be below "
            f"flaky_threshold ({policy.flaky_threshold})",
            path=str(layers[-1][0]),
            key="broken_threshold",
        )
    return policy
