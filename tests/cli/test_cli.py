"""The CLI contract: real processes, exit codes, one clear error line, JSON for scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_rescue_core.cli.main import build_parser
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.integration import logs
from tests.support import assert_one_clear_error, cli

FIXTURES = Path(__file__).parent.parent / "fixtures"
TOKEN = "cli-token"
REPO = "acme/app"


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token=TOKEN) as simulator:
        simulator.add_repo(REPO)
        yield simulator


def rescue_yaml(tmp_path: Path, base_url: str, mode: str = "act") -> Path:
    path = tmp_path / "rescue.yaml"
    path.write_text(
        f"mode: {mode}\n"
        "store:\n  path: state/rescue.db\n"
        "providers:\n"
        "  github:\n"
        f"    base_url: {base_url}\n"
        "    token_env: CLI_TEST_GITHUB_TOKEN\n"
        "    max_retries: 1\n"
        "    backoff_factor: 0\n"
        "    min_request_interval: 0\n"
        "    min_write_interval: 0\n",
        encoding="utf-8",
    )
    return path


def failing_run(sim: GitHubSimulator) -> int:
    broken = logs.pytest_failure("tests/test_cart.py::test_total", "assert 3402 == 3780")
    run_id = sim.add_run(REPO, head_sha="a" * 40, jobs=[SimJob("test", ["failure"], log=broken)])
    return run_id


def write_payload(tmp_path: Path, payload: object) -> Path:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_handle_prints_the_incident_as_json(sim: GitHubSimulator, tmp_path: Path) -> None:
    run_id = failing_run(sim)
    payload = write_payload(tmp_path, sim.workflow_run_event(run_id))
    result = cli(
        "handle", "--provider", "github", "--event-type", "workflow_run", str(payload),
        "--config", str(rescue_yaml(tmp_path, sim.base_url)), "--format", "json",
        env={"CLI_TEST_GITHUB_TOKEN": TOKEN},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    incident = json.loads(result.stdout)
    assert incident["repo"] == REPO and incident["status"] == "escalated"
    assert incident["fingerprints"][0]["category"] == "test_failure"
    assert incident["outcomes"][0]["remedy"]["kind"] == "issue"
    assert (tmp_path / "state" / "rescue.db").is_file()
    assert (tmp_path / "rescue.log").is_file()
    assert [r.path for r in sim.write_requests()] == [f"/repos/{REPO}/issues"]


def test_handle_in_observe_mode_writes_nothing(sim: GitHubSimulator, tmp_path: Path) -> None:
    payload = write_payload(tmp_path, sim.workflow_run_event(failing_run(sim)))
    result = cli(
        "handle", "--provider", "github", "--event-type", "workflow_run", str(payload),
        "--config", str(rescue_yaml(tmp_path, sim.base_url, mode="observe")),
        env={"CLI_TEST_GITHUB_TOKEN": TOKEN},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "planned" in result.stdout
    assert sim.write_requests() == []


def test_handle_reads_a_real_captured_payload_from_stdin(
    sim: GitHubSimulator, tmp_path: Path
) -> None:
    real = (FIXTURES / "webhooks" / "github" / "workflow_run.completed.failure.json").read_bytes()
    data = json.loads(real)
    run = data["workflow_run"]
    sim.add_repo(data["repository"]["full_name"])
    sim.add_run(
        data["repository"]["full_name"], workflow=run["name"], head_sha=run["head_sha"],
        head_branch=run["head_branch"], run_id=run["id"],
        jobs=[SimJob("sync", ["failure", "success"], log=logs.NETWORK)],
    )  # fmt: skip
    result = cli(
        "handle", "--provider", "github", "--event-type", "workflow_run", "-",
        "--config", str(rescue_yaml(tmp_path, sim.base_url)), "--format", "json",
        env={"CLI_TEST_GITHUB_TOKEN": TOKEN}, stdin=real,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    incident = json.loads(result.stdout)
    assert incident["runs"][0]["run_id"] == str(run["id"])
    assert incident["outcomes"][0]["remedy"]["kind"] == "retry_cells"
    assert [r.path for r in sim.write_requests()] == [
        f"/repos/daeuniverse/daed-1/actions/runs/{run['id']}/rerun-failed-jobs"
    ]


def test_handle_of_a_success_says_what_it_did(sim: GitHubSimulator, tmp_path: Path) -> None:
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["success"], log=logs.PASSING)])
    payload = write_payload(tmp_path, sim.workflow_run_event(run_id))
    result = cli(
        "handle", "--provider", "github", "--event-type", "workflow_run", str(payload),
        "--config", str(rescue_yaml(tmp_path, sim.base_url)), "--format", "json",
        env={"CLI_TEST_GITHUB_TOKEN": TOKEN},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "status": "recorded",
        "reason": f"run {run_id} passed; recorded",
        "resolved": [],
    }


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"{not json", ("not valid JSON",)),
        (b"[1, 2]", ("JSON list, not an object",)),
        (b'{"action": "completed", "repository": {"full_name": "a/b"}}', ("workflow_run",)),
        (b"\xff\xfe\x00binary", ("not valid JSON",)),
    ],
)
def test_malformed_payloads_end_with_one_clear_line(
    tmp_path: Path, payload: bytes, words: tuple[str, ...]
) -> None:
    path = tmp_path / "payload.json"
    path.write_bytes(payload)
    config = rescue_yaml(tmp_path, "http://127.0.0.1:9")
    result = cli(
        "handle",
        "--provider",
        "github",
        "--event-type",
        "workflow_run",
        str(path),
        "--config",
        str(config),
    )
    assert_one_clear_error(result, *words)


def test_unknown_provider_lists_the_known_ones(tmp_path: Path) -> None:
    payload = write_payload(tmp_path, {})
    result = cli(
        "handle",
        "--provider",
        "jenkins",
        "--event-type",
        "build",
        str(payload),
        "--config",
        str(rescue_yaml(tmp_path, "http://127.0.0.1:9")),
    )
    assert_one_clear_error(result, "unknown provider 'jenkins'", "github")


def test_bad_config_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "rescue.yaml"
    config.write_text(
        "mode: act\nproviders:\n  github:\n    base_ur1: http://x\n", encoding="utf-8"
    )
    payload = write_payload(tmp_path, {})
    result = cli(
        "handle",
        "--provider",
        "github",
        "--event-type",
        "workflow_run",
        str(payload),
        "--config",
        str(config),
    )
    assert_one_clear_error(result, f"{config}:4", "providers.github.base_ur1", "unknown key")


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (
            {"status": 401, "body": b'{"message": "Bad credentials"}'},
            ("401", "CLI_TEST_GITHUB_TOKEN"),
        ),
        ({"status": 404, "body": b'{"message": "Not Found"}'}, ("not found (404)",)),
        ({"status": 500, "times": 10}, ("500",)),
    ],
)
def test_api_errors_end_with_one_clear_line_and_a_consistent_store(
    sim: GitHubSimulator, tmp_path: Path, fault: dict[str, object], words: tuple[str, ...]
) -> None:
    run_id = failing_run(sim)
    payload = write_payload(tmp_path, sim.workflow_run_event(run_id))
    sim.inject_fault("GET", rf"/actions/runs/{run_id}$", **fault)  # type: ignore[arg-type]
    config = rescue_yaml(tmp_path, sim.base_url)
    result = cli(
        "handle", "--provider", "github", "--event-type", "workflow_run", str(payload),
        "--config", str(config), "--delivery-id", "d-1", env={"CLI_TEST_GITHUB_TOKEN": TOKEN},
    )  # fmt: skip
    assert_one_clear_error(result, *words)
    sim.clear_faults()
    retry = cli(
        "handle", "--provider", "github", "--event-type", "workflow_run", str(payload),
        "--config", str(config), "--delivery-id", "d-1", "--format", "json",
        env={"CLI_TEST_GITHUB_TOKEN": TOKEN},
    )  # fmt: skip
    assert retry.returncode == 0, retry.stderr  # the failed delivery was not marked as done
    assert json.loads(retry.stdout)["status"] == "escalated"


def test_missing_token_names_the_variable(tmp_path: Path) -> None:
    payload = write_payload(
        tmp_path,
        json.loads(
            (FIXTURES / "webhooks" / "github" / "workflow_run.completed.failure.json").read_text()
        ),
    )
    result = cli(
        "handle",
        "--provider",
        "github",
        "--event-type",
        "workflow_run",
        str(payload),
        "--config",
        str(rescue_yaml(tmp_path, "http://127.0.0.1:9")),
    )
    assert_one_clear_error(result, "CLI_TEST_GITHUB_TOKEN")


def test_unreachable_server_is_one_line(tmp_path: Path) -> None:
    payload = write_payload(
        tmp_path,
        json.loads(
            (FIXTURES / "webhooks" / "github" / "workflow_run.completed.failure.json").read_text()
        ),
    )
    result = cli(
        "handle", "--provider", "github", "--event-type", "workflow_run", str(payload),
        "--config", str(rescue_yaml(tmp_path, "http://127.0.0.1:9")),
        env={"CLI_TEST_GITHUB_TOKEN": "t"},
    )  # fmt: skip
    assert_one_clear_error(result, "127.0.0.1:9")


def test_demo_runs_offline_and_exits_zero() -> None:
    result = cli("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "retry_cells" in result.stdout and "applied" in result.stdout
    assert "issue" in result.stdout
    assert "demo finished" in result.stdout


@pytest.mark.parametrize("command", [[], ["demo"], ["handle"], ["analyze"], ["plugins"], ["watch"]])
def test_help_everywhere(command: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args([*command, "--help"])
    assert caught.value.code == 0


def test_plugins_lists_the_builtins_loaded_from_entry_points() -> None:
    result = cli("plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert {"github", "retry", "tracking_issue", "same_sha", "pytest_extractor"} <= set(rows)
    assert rows["retry"]["distribution"] == "ci-rescue"
    assert "rescue_apply_remedy" in rows["retry"]["hooks"]


def test_watch_once_handles_new_failures_as_json(sim: GitHubSimulator, tmp_path: Path) -> None:
    run_id = failing_run(sim)
    config = str(rescue_yaml(tmp_path, sim.base_url))
    args = ["watch", "--provider", "github", "--repo", REPO, "--once", "--config", config]
    result = cli(*args, "--format", "json", env={"CLI_TEST_GITHUB_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [h["run"]["run_id"] for h in report["handled"]] == [str(run_id)]
    assert report["handled"][0]["status"] == "handled"
    again = cli(*args, "--format", "json", env={"CLI_TEST_GITHUB_TOKEN": TOKEN})
    assert json.loads(again.stdout)["handled"] == []


def test_watch_rejects_a_bad_duration(tmp_path: Path) -> None:
    result = cli("watch", "--provider", "github", "--repo", REPO, "--once", "--since", "yesterday")
    assert_one_clear_error(result, "invalid duration 'yesterday'")


def test_serve_receives_a_signed_delivery_and_stops_on_sigterm(
    sim: GitHubSimulator, tmp_path: Path
) -> None:
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = rescue_yaml(tmp_path, sim.base_url)
    env = {**os.environ, "CLI_TEST_GITHUB_TOKEN": TOKEN, "CI_RESCUE_WEBHOOK_SECRET": "s3cret"}
    command = [sys.executable, "-m", "ci_rescue_core.cli.main", "serve", "--port", str(port)]
    with subprocess.Popen(
        [*command, "--config", str(config)], env=env, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:  # wait until it listens
                try:
                    httpx.get(f"{url}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "serve did not start"
                    time.sleep(0.1)
            headers, body = sim.webhook_delivery(
                "workflow_run", sim.workflow_run_event(failing_run(sim)), secret="s3cret"
            )
            response = httpx.post(f"{url}/webhooks/github", headers=headers, content=body)
            assert response.status_code == 202
            while not sim.get_issues(REPO):
                assert time.monotonic() < deadline, "the worker did not open the issue"
                time.sleep(0.1)
        finally:
            server.send_signal(signal.SIGTERM)
            _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert "listening on" in stderr and "Traceback" not in stderr


def test_analyze_text_output_prints_brackets_literally(tmp_path: Path) -> None:
    """Log lines are full of [brackets]; they are text, never rich markup."""
    log = tmp_path / "job.log"
    log.write_text(
        "Error: cannot exec [/usr/local/bin/node]\n"
        "FAILED tests/test_x.py::test_y[a-b] - AssertionError: [/bold] closed [red]\n",
        encoding="utf-8",
    )
    result = cli("analyze", str(log))
    assert result.returncode == 0, result.stderr
    assert "[/usr/local/bin/node]" in result.stdout
    assert "tests/test_x.py::test_y[a-b]" in result.stdout
