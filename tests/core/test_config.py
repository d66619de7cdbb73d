"""rescue.yaml and rules: valid files load; every mistake names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.config import load_config, load_policy
from ci_rescue_core.config.rules import defaults_path
from ci_rescue_core.errors import ConfigError
from ci_rescue_core.models import Category, Mode
from ci_rescue_core.policy.rules import Policy


def write(tmp_path: Path, text: str, name: str = "rescue.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_full_config_loads_and_resolves_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mode: observe\n"
        "store:\n  path: data/rescue.db\n"
        "providers:\n"
        "  github:\n"
        "    base_url: http://127.0.0.1:8080\n"
        "    token_env: MY_TOKEN\n"
        "    max_retries: 1\n",
    )
    config = load_config(path)
    assert config.mode is Mode.OBSERVE
    assert config.store_path == tmp_path / "data" / "rescue.db"
    settings = config.provider_settings(
        "github", {"MY_TOKEN": "t0ken", "CI_RESCUE_WEBHOOK_SECRET": "s"}
    )
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.token == "t0ken"
    assert settings.token_env == "MY_TOKEN"
    assert settings.webhook_secret == "s"
    assert settings.options["max_retries"] == 1
    assert config.known_secrets({"MY_TOKEN": "t0ken", "OTHER": "x"}) == ("t0ken",)


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert config.mode is Mode.ACT
    settings = config.provider_settings("github", {})
    assert settings.base_url is None
    assert settings.token is None
    assert settings.token_env == "CI_RESCUE_GITHUB_TOKEN"


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).mode is Mode.ACT


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("mode: act\nstore:\n  paht: x.db\n", 3, "store.paht", "unknown key 'paht'"),
        ("mode: sometimes\n", 1, "mode", "observe, propose, act"),
        ("providers:\n  github:\n    timeout: -1\n", 3, "providers.github.timeout", "must be > 0"),
        (
            "providers:\n  github:\n    max_retries: many\n",
            3,
            "providers.github.max_retries",
            "integer",
        ),
        ("# c\n\nsurprise: 1\n", 3, "surprise", "known keys here"),
        ("providers:\n  github: [1, 2]\n", 2, "providers.github", "invalid value"),
    ],
)
def test_errors_name_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert (error.path, error.line, error.key) == (str(path), line, key)
    assert words in str(error)
    assert str(error).startswith(f"{path}:{line}: {key}: ")


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "mode: act\nproviders: [oops\n")
    with pytest.raises(ConfigError, match="invalid YAML") as caught:
        load_config(path)
    assert caught.value.line is not None and caught.value.line >= 2


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_internal_fields_cannot_be_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="base_dir"):
        load_config(write(tmp_path, "base_dir: /etc\n"))


def test_packaged_defaults_are_the_documented_policy() -> None:
    assert defaults_path().is_file()
    policy = load_policy()
    assert policy == Policy()  # the YAML and the class defaults agree
    assert policy.retry_max == 2
    assert Category.MISSING_SECRET in policy.never_retry


def test_repo_override_merges_key_by_key(tmp_path: Path) -> None:
    write(tmp_path, "retry_max: 0\nlabels:\n  flake: 'flaky!'\n", "acme/app.yaml")
    policy = load_policy("acme/app", overrides_dir=tmp_path)
    assert policy.retry_max == 0
    assert policy.labels.flake == "flaky!"
    assert policy.labels.managed == "ci:auto-rescue"  # untouched sibling key
    assert load_policy("acme/other", overrides_dir=tmp_path).retry_max == 2


def test_override_errors_name_the_override_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, "retry_max: 1\nnever_retry: [missing_secret, tea_break]\n", "acme/app.yaml"
    )
    with pytest.raises(ConfigError) as caught:
        load_policy("acme/app", overrides_dir=tmp_path)
    assert caught.value.path == str(path)
    assert caught.value.line == 2
    assert caught.value.key == "never_retry.1"


def test_thresholds_must_be_ordered(tmp_path: Path) -> None:
    write(tmp_path, "flaky_threshold: 0.3\nbroken_threshold: 0.5\n", "acme/app.yaml")
    with pytest.raises(ConfigError, match="broken_threshold"):
        load_policy("acme/app", overrides_dir=tmp_path)


@given(retry_max=st.integers(0, 20), ttl=st.integers(1, 90), threshold=st.floats(0.51, 1.0))
def test_any_valid_override_round_trips(retry_max: int, ttl: int, threshold: float) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write(
            Path(tmp),
            f"retry_max: {retry_max}\nquarantine_ttl_days: {ttl}\nflaky_threshold: {threshold!r}\n",
            "o/r.yaml",
        )
        policy = load_policy("o/r", overrides_dir=Path(tmp))
    assert (policy.retry_max, policy.quarantine_ttl_days, policy.flaky_threshold) == (
        retry_max,
        ttl,
        threshold,
    )


@given(st.integers(-1000, -1))
def test_any_negative_retry_max_is_refused(value: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp), f"retry_max: {value}\n", "o/r.yaml")
        with pytest.raises(ConfigError, match="retry_max"):
            load_policy("o/r", overrides_dir=Path(tmp))
