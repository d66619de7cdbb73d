"""examples/github-action: the action's structure, and rescue.sh run against the simulator."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from ruamel.yaml import YAML

from ci_rescue_core.config import load_config
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.examples.conftest import EXAMPLES
from tests.examples.runs import REPO, TOKEN, broken_run, flaky_run, writes

ACTION_DIR = EXAMPLES / "github-action"
SCRIPT = ACTION_DIR / "rescue.sh"
INPUTS = {
    "token": None,
    "mode": "act",
    "retry-max": "2",
    "quarantine-ttl-days": "7",
    "config": "",
    "version": "ci-rescue",
    "api-url": "${{ github.api_url }}",
}
PERMISSIONS = {"contents": "read", "actions": "write", "issues": "write", "checks": "read"}

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="rescue.sh needs bash")


def load(name: str) -> Any:
    return YAML(typ="safe").load(ACTION_DIR / name)


def action_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = load("action.yml")["runs"]["steps"]
    return steps


def rescue_step() -> dict[str, Any]:
    [step] = [s for s in action_steps() if s.get("id") == "rescue"]
    return step


def run_blocks(node: Any) -> Iterator[str]:
    """Every ``run:`` script anywhere in a workflow or action document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                yield value
            else:
                yield from run_blocks(value)
    elif isinstance(node, list):
        for item in node:
            yield from run_blocks(item)


# -- structure ----------------------------------------------------------------------------------


def test_action_is_composite_with_the_documented_inputs() -> None:
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {name: spec.get("default") for name, spec in inputs.items()} == INPUTS
    assert inputs["token"]["required"] is True
    assert all(spec.get("description") for spec in inputs.values())


def test_every_input_is_used_and_only_declared_inputs_are() -> None:
    used = set(re.findall(r"\binputs\.([a-z-]+)", json.dumps(action_steps())))
    assert used == set(INPUTS)


@pytest.mark.parametrize("name", ["action.yml", "workflow.yml"])
def test_no_expression_is_interpolated_into_a_script(name: str) -> None:
    scripts = list(run_blocks(load(name)))
    assert all("${{" not in script for script in scripts), scripts


def test_action_steps_install_then_run_the_script_then_upload_the_log() -> None:
    steps = action_steps()
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[0] == "actions/setup-python"
    assert uses[-1] == "actions/upload-artifact"
    install = steps[1]
    assert install["env"] == {"RESCUE_VERSION": "${{ inputs.version }}"}
    assert "pip install" in install["run"] and "$RESCUE_VERSION" in install["run"]
    rescue = rescue_step()
    assert rescue["run"] == 'bash "$GITHUB_ACTION_PATH/rescue.sh"'
    assert rescue["env"]["CI_RESCUE_GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert all(step["shell"] == "bash" for step in steps if "run" in step)
    upload = steps[-1]
    assert upload["if"].startswith("always()")
    assert "steps.rescue.outputs.rescue-log" in upload["with"]["path"]


def test_workflow_triggers_on_failed_runs_with_minimal_permissions() -> None:
    workflow = load("workflow.yml")
    assert workflow["on"]["workflow_run"]["types"] == ["completed"]
    assert workflow["permissions"] == PERMISSIONS
    [job] = workflow["jobs"].values()
    assert job["if"] == "github.event.workflow_run.conclusion == 'failure'"
    [step] = job["steps"]
    assert step["uses"].split("@")[0].endswith("/examples/github-action")
    assert step["with"]["token"] == "${{ secrets.CI_RESCUE_GITHUB_TOKEN }}"
    assert set(step["with"]) <= set(INPUTS)


# -- the script, for real ---------------------------------------------------------------------


@attrs.frozen
class ActionRun:
    """One execution of rescue.sh."""

    process: subprocess.CompletedProcess[str]
    runner_temp: Path
    outputs: dict[str, str]

    @property
    def incident(self) -> Any:
        return json.loads((self.runner_temp / "incident.json").read_text(encoding="utf-8"))


def input_env(inputs: Mapping[str, str]) -> dict[str, str]:
    """Input values under the environment names action.yml maps them to."""
    names = {}
    for variable, expression in rescue_step()["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expression)
        assert match, f"{variable}: {expression}"
        names[match.group(1)] = variable
    return {names[name]: value for name, value in inputs.items()}


def run_action(
    sim: GitHubSimulator,
    tmp_path: Path,
    run_id: int,
    *,
    token: str = TOKEN,
    **inputs: str,
) -> ActionRun:
    """Run rescue.sh as the action would for the ``workflow_run`` event of *run_id*."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps(sim.workflow_run_event(run_id)), encoding="utf-8")
    runner_temp = tmp_path / "runner temp's dir"  # quoting is part of the test
    runner_temp.mkdir(exist_ok=True)
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    github_output = tmp_path / "github-output"
    github_output.write_text("", encoding="utf-8")
    given = {
        "token": token,
        "api-url": sim.base_url,
        **{k.replace("_", "-"): v for k, v in inputs.items()},
    }
    env = {
        # The venv's ci-rescue (and python) first, as setup-python + pip install would leave it.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": "777",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_OUTPUT": str(github_output),
        "RUNNER_TEMP": str(runner_temp),
        "RESCUE_NO_THROTTLE": "1",
        **input_env(given),
    }
    process = subprocess.run(
        ["bash", str(SCRIPT)],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = github_output.read_text(encoding="utf-8").splitlines()
    outputs = dict(line.split("=", 1) for line in lines)
    return ActionRun(process=process, runner_temp=runner_temp, outputs=outputs)


def assert_ok(run: ActionRun) -> None:
    assert run.process.returncode == 0, run.process.stdout + run.process.stderr


def test_a_broken_run_gets_a_tracking_issue(sim: GitHubSimulator, tmp_path: Path) -> None:
    run_id = broken_run(sim)
    run = run_action(sim, tmp_path, run_id)
    assert_ok(run)

    assert writes(sim) == [f"POST /repos/{REPO}/issues"]
    assert sim.get_run(run_id)["run_attempt"] == 1
    incident = run.incident
    assert incident["status"] == "escalated"
    assert [o["remedy"]["kind"] for o in incident["outcomes"]] == ["issue"]
    assert incident["tracking_issue"] == sim.get_issues(REPO)[0]["html_url"]

    rescue_log = Path(run.outputs["rescue-log"])
    assert rescue_log == run.runner_temp / "ci-rescue" / "rescue.log"
    [record] = [json.loads(line) for line in rescue_log.read_text(encoding="utf-8").splitlines()]
    assert record["incident"]["id"] == incident["id"]
    assert run.outputs["incident"] == str(run.runner_temp / "incident.json")


def test_the_generated_configuration_follows_the_inputs(
    sim: GitHubSimulator, tmp_path: Path
) -> None:
    run = run_action(sim, tmp_path, broken_run(sim), mode="propose", retry_max="1")
    assert_ok(run)
    workdir = run.runner_temp / "ci-rescue"
    config = load_config(workdir / "rescue.yaml")
    assert config.mode.value == "propose"
    assert config.store_path == workdir / "rescue.db"
    assert config.providers["github"].base_url == sim.base_url
    assert config.providers["github"].token_env == "CI_RESCUE_GITHUB_TOKEN"
    override = YAML(typ="safe").load(workdir / "overrides" / "acme" / "app.yaml")
    assert override == {"retry_max": 1, "quarantine_ttl_days": 7}
    assert TOKEN not in (workdir / "rescue.yaml").read_text(encoding="utf-8")


def test_a_flaky_run_gets_its_failed_jobs_rerun(sim: GitHubSimulator, tmp_path: Path) -> None:
    run_id = flaky_run(sim)
    run = run_action(sim, tmp_path, run_id)
    assert_ok(run)
    assert writes(sim) == [f"POST /repos/{REPO}/actions/runs/{run_id}/rerun-failed-jobs"]
    assert sim.get_run(run_id)["run_attempt"] == 2
    assert [o["remedy"]["kind"] for o in run.incident["outcomes"]] == ["retry_cells"]
    assert run.incident["status"] == "mitigating"


def test_retry_max_zero_stops_the_retry(sim: GitHubSimulator, tmp_path: Path) -> None:
    run_id = flaky_run(sim)
    run = run_action(sim, tmp_path, run_id, retry_max="0")
    assert_ok(run)
    assert not any("rerun" in call for call in writes(sim))
    assert sim.get_run(run_id)["run_attempt"] == 1
    assert [o["remedy"]["kind"] for o in run.incident["outcomes"]] == ["issue"]
    messages = [entry["message"] for entry in run.incident["timeline"]]
    assert any("retry budget spent" in message for message in messages), messages


def test_observe_mode_writes_nothing(sim: GitHubSimulator, tmp_path: Path) -> None:
    run = run_action(sim, tmp_path, flaky_run(sim), mode="observe")
    assert_ok(run)
    assert sim.write_requests() == []
    assert {o["status"] for o in run.incident["outcomes"]} == {"planned"}


def test_a_config_from_the_repository_is_used_as_is(sim: GitHubSimulator, tmp_path: Path) -> None:
    config = tmp_path / "workspace" / ".github" / "rescue.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "mode: observe\n"
        "store:\n  path: state/rescue.db\n"
        "output:\n  rescue_log: logs/rescue.log\n"
        "providers:\n"
        "  github:\n"
        f"    base_url: {sim.base_url}\n"
        "    min_request_interval: 0\n"
        "    min_write_interval: 0\n",
        encoding="utf-8",
    )
    run = run_action(sim, tmp_path, broken_run(sim), config=".github/rescue.yaml", mode="act")
    assert_ok(run)
    assert sim.write_requests() == []  # the file's observe mode wins over the mode input
    assert Path(run.outputs["rescue-log"]) == config.parent / "logs" / "rescue.log"
    assert (config.parent / "logs" / "rescue.log").is_file()
    assert (config.parent / "state" / "rescue.db").is_file()
    assert not (run.runner_temp / "ci-rescue" / "rescue.yaml").exists()


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"mode": "yolo"}, "mode must be observe, propose or act"),
        ({"retry_max": "-1"}, "retry-max must be a whole number"),
        ({"retry_max": "2; rm -rf /"}, "retry-max must be a whole number"),
        ({"quarantine_ttl_days": "0"}, "quarantine-ttl-days must be a whole number"),
        ({"api_url": "ftp://example.com"}, "api-url must start with https://"),
        ({"config": "missing.yaml"}, "config 'missing.yaml' not found"),
    ],
)
def test_bad_inputs_fail_clearly_before_any_api_call(
    sim: GitHubSimulator, tmp_path: Path, inputs: dict[str, str], words: str
) -> None:
    run = run_action(sim, tmp_path, broken_run(sim), **inputs)
    assert run.process.returncode == 1
    assert f"::error title=ci-rescue::{words}" in run.process.stdout
    assert sim.requests == []


def test_an_api_error_fails_the_step_and_names_the_token(
    sim: GitHubSimulator, tmp_path: Path
) -> None:
    run = run_action(sim, tmp_path, broken_run(sim), token="wrong-token")
    assert run.process.returncode == 1
    assert "CI_RESCUE_GITHUB_TOKEN" in run.process.stderr
    assert "::error title=ci-rescue::ci-rescue could not handle" in run.process.stdout
    assert "wrong-token" not in run.process.stdout + run.process.stderr
    assert run.outputs["rescue-log"]  # set before the failure, so the upload step still runs
    assert sim.write_requests() == []
