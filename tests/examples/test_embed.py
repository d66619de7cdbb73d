"""examples/embed.py: configuration in code, our own plugin registered, one payload handled."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ci_rescue_core.models import Mode
from ci_rescue_core.orchestrator import HandleStatus
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.examples.conftest import EXAMPLES
from tests.examples.runs import REPO, TOKEN, broken_run, flaky_run, writes


@pytest.fixture(scope="module")
def embed() -> ModuleType:
    """examples/embed.py, imported by path as a platform team's script would be run."""
    spec = importlib.util.spec_from_file_location("ci_rescue_embed_example", EXAMPLES / "embed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def payload_file(sim: GitHubSimulator, tmp_path: Path, run_id: int) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(sim.workflow_run_event(run_id)), encoding="utf-8")
    return path


def test_our_plugin_sees_every_step_of_the_incident(
    embed: ModuleType, sim: GitHubSimulator, tmp_path: Path
) -> None:
    notifier = embed.PlatformNotifier()
    config = embed.build_config(
        api_url=sim.base_url, state_dir=tmp_path, mode=Mode.ACT, throttle=False
    )
    result = embed.handle_file(
        payload_file(sim, tmp_path, broken_run(sim)),
        config=config,
        plugins=[notifier],
        environ={embed.TOKEN_ENV: TOKEN},
    )

    assert result.status is HandleStatus.HANDLED and result.incident is not None
    assert notifier.headlines == [result.reason]
    assert "issue applied" in result.reason
    assert {incident_id for incident_id, _, _ in notifier.updates} == {result.incident.id}
    steps = [step for _, step, _ in notifier.updates]
    assert steps[0] == "sentinel" and {"flake", "policy", "apply"} <= set(steps)
    assert notifier.updates[-1][2] == "escalated"
    assert writes(sim) == [f"POST /repos/{REPO}/issues"]
    assert (tmp_path / "rescue.log").is_file()  # the built-in notifier ran next to ours


def test_main_builds_the_config_in_code(
    embed: ModuleType,
    sim: GitHubSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(embed.TOKEN_ENV, TOKEN)
    run_id = flaky_run(sim)
    status = embed.main(
        [
            str(payload_file(sim, tmp_path, run_id)),
            "--api-url", sim.base_url,
            "--state-dir", str(tmp_path / "state"),
            "--mode", "act",
            "--no-throttle",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    assert "[platform] acme/app@1111111 CI failed (test_failure) — retry_cells applied" in out
    assert out.splitlines()[-1].startswith("handled: ")
    assert sim.get_run(run_id)["run_attempt"] == 2
    assert (tmp_path / "state" / "rescue.db").is_file()


def test_main_defaults_to_propose_mode(
    embed: ModuleType,
    sim: GitHubSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(embed.TOKEN_ENV, TOKEN)
    payload = str(payload_file(sim, tmp_path, flaky_run(sim)))
    argv = [payload, "--api-url", sim.base_url, "--state-dir", str(tmp_path), "--no-throttle"]
    assert embed.main(argv) == 0
    assert "retry_cells planned" in capsys.readouterr().out
    assert sim.write_requests() == []


def test_main_loads_a_rescue_yaml(
    embed: ModuleType,
    sim: GitHubSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EMBED_TEST_TOKEN", TOKEN)
    config = tmp_path / "rescue.yaml"
    config.write_text(
        "mode: observe\n"
        "providers:\n"
        "  github:\n"
        f"    base_url: {sim.base_url}\n"
        "    token_env: EMBED_TEST_TOKEN\n"
        "    min_request_interval: 0\n"
        "    min_write_interval: 0\n",
        encoding="utf-8",
    )
    payload = str(payload_file(sim, tmp_path, broken_run(sim)))
    assert embed.main([payload, "--config", str(config)]) == 0
    assert "[platform] acme/app@2222222 CI failed (test_failure) — issue planned" in (
        capsys.readouterr().out
    )
    assert sim.write_requests() == []
    assert (tmp_path / ".ci-rescue" / "rescue.db").is_file()  # relative to the file


def test_main_reports_errors_in_one_line(
    embed: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert embed.main([str(bad), "--state-dir", str(tmp_path)]) == 1
    assert embed.main([str(tmp_path / "missing.json")]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(line.startswith("embed.py: error: ") for line in errors)
    assert "JSON list, not an object" in errors[0]
