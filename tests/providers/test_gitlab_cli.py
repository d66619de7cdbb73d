"""``ci-rescue handle --provider gitlab``: switching provider is a configuration change only.

Real processes against the GitLab simulator, configured through ``rescue.yaml``
(``providers: {gitlab: {base_url, token_env}}``), exactly like the GitHub CLI tests.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob, format_gitlab_log
from tests.support import assert_one_clear_error
from tests.support import cli as run_cli

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks" / "gitlab"
TOKEN = "glpat-cli"
TOKEN_ENV = "CLI_TEST_GITLAB_TOKEN"
REPO = "acme/app"
BROKEN = format_gitlab_log(
    ["$ pytest", "FAILED tests/test_cart.py::test_total - assert 3402 == 3780", "1 failed"]
)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env or {}, unset=(TOKEN_ENV,))  # only the token the test gives


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token=TOKEN) as simulator:
        simulator.add_project(REPO)
        yield simulator


def rescue_yaml(tmp_path: Path, base_url: str, mode: str = "act") -> Path:
    path = tmp_path / "rescue.yaml"
    path.write_text(
        f"mode: {mode}\n"
        "store:\n  path: state/rescue.db\n"
        "providers:\n"
        "  gitlab:\n"
        f"    base_url: {base_url}\n"
        f"    token_env: {TOKEN_ENV}\n"
        "    max_retries: 1\n",
        encoding="utf-8",
    )
    return path


def write_payload(tmp_path: Path, payload: object, name: str = "payload.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def handle(
    tmp_path: Path, sim_url: str, event_type: str, payload: Path, *extra: str, mode: str = "act",
    token: str | None = TOKEN,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    config = rescue_yaml(tmp_path, sim_url, mode)
    env = {TOKEN_ENV: token} if token is not None else {}
    return cli(
        "handle", "--provider", "gitlab", "--event-type", event_type, str(payload),
        "--config", str(config), *extra, env=env,
    )  # fmt: skip


def failing_pipeline(sim: GitLabSimulator) -> int:
    return sim.add_pipeline(REPO, sha="a" * 40, jobs=[SimJob("test", ["failed"], log=BROKEN)])


@pytest.mark.parametrize("event_type", ["pipeline", "Pipeline Hook"])
def test_a_pipeline_event_becomes_an_incident(
    sim: GitLabSimulator, tmp_path: Path, event_type: str
) -> None:
    payload = write_payload(tmp_path, sim.pipeline_event(failing_pipeline(sim)))
    result = handle(tmp_path, sim.base_url, event_type, payload, "--format", "json")
    assert result.returncode == 0, result.stderr
    incident = json.loads(result.stdout)
    assert incident["repo"] == REPO and incident["status"] == "escalated"
    assert incident["runs"][0]["provider"] == "gitlab"
    assert incident["fingerprints"][0]["category"] == "test_failure"
    assert incident["outcomes"][0]["remedy"]["kind"] == "issue"
    assert (tmp_path / "state" / "rescue.db").is_file() and (tmp_path / "rescue.log").is_file()
    assert [r.path for r in sim.write_requests()] == [
        "/api/v4/projects/acme%2Fapp/labels",
        "/api/v4/projects/acme%2Fapp/issues",
    ]


@pytest.mark.parametrize("event_type", ["job", "Job Hook"])
def test_a_job_event_becomes_an_incident(
    sim: GitLabSimulator, tmp_path: Path, event_type: str
) -> None:
    job = sim.get_jobs(failing_pipeline(sim))[0]
    payload = write_payload(tmp_path, sim.job_event(job["id"]))
    result = handle(tmp_path, sim.base_url, event_type, payload, "--format", "json")
    assert result.returncode == 0, result.stderr
    incident = json.loads(result.stdout)
    assert [v["subject"] for v in incident["verdicts"]] == ["test"]


def test_observe_mode_writes_nothing(sim: GitLabSimulator, tmp_path: Path) -> None:
    payload = write_payload(tmp_path, sim.pipeline_event(failing_pipeline(sim)))
    result = handle(tmp_path, sim.base_url, "pipeline", payload, mode="observe")
    assert result.returncode == 0, result.stderr
    assert "planned" in result.stdout
    assert sim.write_requests() == []


def test_a_real_documented_payload_replays_against_the_simulator(tmp_path: Path) -> None:
    real = json.loads((FIXTURES / "docs.pipeline_event.json").read_text(encoding="utf-8"))
    attributes = real["object_attributes"]
    with GitLabSimulator(token=TOKEN) as sim:
        sim.add_project(real["project"]["path_with_namespace"], project_id=real["project"]["id"])
        sim.add_pipeline(
            real["project"]["path_with_namespace"],
            pipeline_id=attributes["id"],
            sha=attributes["sha"],
            ref=attributes["ref"],
            jobs=[SimJob("test-build", ["success"])],
        )
        payload = write_payload(tmp_path, real)
        result = handle(tmp_path, sim.base_url, "Pipeline Hook", payload, "--format", "json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {
            "status": "recorded",
            "reason": f"run {attributes['id']} passed; recorded",
            "resolved": [],
        }
        assert sim.write_requests() == []


def test_other_gitlab_events_are_ignored(sim: GitLabSimulator, tmp_path: Path) -> None:
    payload = write_payload(tmp_path, {"object_kind": "push"})
    result = handle(tmp_path, sim.base_url, "Push Hook", payload, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ignored"


@pytest.mark.parametrize(
    ("file", "event_type", "words"),
    [
        ("docs.job_event.verbatim.jsonc", "job", ("not valid JSON",)),
        ("docs.job_event.json", "pipeline", ("object_kind",)),
    ],
)
def test_malformed_payloads_end_with_one_clear_line(
    tmp_path: Path, file: str, event_type: str, words: tuple[str, ...]
) -> None:
    result = handle(tmp_path, "http://127.0.0.1:9", event_type, FIXTURES / file)
    assert_one_clear_error(result, *words)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 401}, ("401", TOKEN_ENV)),
        ({"status": 404}, ("not found (404)",)),
        ({"status": 500, "times": 10}, ("500",)),
    ],
)
def test_api_errors_end_with_one_clear_line_and_a_retry_works(
    sim: GitLabSimulator, tmp_path: Path, fault: dict[str, object], words: tuple[str, ...]
) -> None:
    pipeline_id = failing_pipeline(sim)
    payload = write_payload(tmp_path, sim.pipeline_event(pipeline_id))
    sim.inject_fault("GET", rf"/pipelines/{pipeline_id}/jobs$", **fault)  # type: ignore[arg-type]
    result = handle(tmp_path, sim.base_url, "pipeline", payload, "--delivery-id", "d-1")
    assert_one_clear_error(result, *words)
    sim.clear_faults()
    again = handle(
        tmp_path, sim.base_url, "pipeline", payload, "--delivery-id", "d-1", "--format", "json"
    )
    assert again.returncode == 0, again.stderr  # the failed delivery was not marked as done
    assert json.loads(again.stdout)["status"] == "escalated"


def test_a_missing_token_names_the_variable(sim: GitLabSimulator, tmp_path: Path) -> None:
    payload = write_payload(tmp_path, sim.pipeline_event(failing_pipeline(sim)))
    result = handle(tmp_path, sim.base_url, "pipeline", payload, token=None)
    assert_one_clear_error(result, TOKEN_ENV)
    assert sim.requests == []


def test_an_unreachable_instance_is_one_line(sim: GitLabSimulator, tmp_path: Path) -> None:
    payload = write_payload(tmp_path, sim.pipeline_event(failing_pipeline(sim)))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = handle(tmp_path, closed, "pipeline", payload)
    assert_one_clear_error(result, closed)
