"""The installed distribution registers through the ``ci_rescue`` entry-point group.

Run by ``nox -s examples``, which installs ci-rescue and this distribution; skipped elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from ci_rescue_core.config import ProviderConfig, RescueConfig, StoreConfig
from ci_rescue_core.plugins import describe_plugins, make_plugin_manager
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob, format_actions_log


def installed() -> bool:
    try:
        metadata.distribution("ci-rescue-oncall")
    except metadata.PackageNotFoundError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not installed(),
    reason="ci-rescue-oncall is not installed: run `nox -s examples`, or "
    "`pip install -e examples/remedy_plugin` first",
)

REPO = "acme/app"
TOKEN = "entry-point-token"
BROKEN = format_actions_log(
    [
        "##[group]Run pytest",
        "=================================== FAILURES ===================================",
        "E       assert 3402 == 3780",
        "=========================== short test summary info ============================",
        "FAILED tests/test_cart.py::test_total - assert 3402 == 3780",
        "##[error]Process completed with exit code 1.",
    ]
)


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token=TOKEN) as simulator:
        simulator.add_repo(REPO)
        yield simulator


def test_the_distribution_declares_the_entry_point() -> None:
    points = metadata.distribution("ci-rescue-oncall").entry_points
    assert [(ep.group, ep.name, ep.value) for ep in points] == [
        ("ci_rescue", "oncall", "ci_rescue_oncall:plugin")
    ]


def test_make_plugin_manager_loads_it_by_entry_point() -> None:
    import ci_rescue_oncall

    pm = make_plugin_manager()
    assert pm.get_plugin("oncall") is ci_rescue_oncall.plugin
    rows = {row["name"]: row for row in describe_plugins(pm)}
    assert rows["oncall"]["distribution"] == "ci-rescue-oncall"
    assert rows["oncall"]["hooks"] == ["rescue_apply_remedy", "rescue_propose_remedies"]


def test_it_can_be_disabled_by_name() -> None:
    assert make_plugin_manager(blocked=["oncall"]).get_plugin("oncall") is None


def test_the_installed_plugin_pages_the_person_on_call(
    sim: GitHubSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rota = tmp_path / "oncall.yaml"
    rota.write_text("start: 2025-01-06\npeople: [dana]\n", encoding="utf-8")
    monkeypatch.setenv("CI_RESCUE_ONCALL_ROTA", str(rota))
    run_id = sim.add_run(REPO, head_sha="2" * 40, jobs=[SimJob("test", ["failure"], log=BROKEN)])
    config = RescueConfig(
        store=StoreConfig(path=str(tmp_path / "rescue.db")),
        providers={
            "github": ProviderConfig(
                base_url=sim.base_url,
                token_env="ONCALL_TEST_TOKEN",
                min_request_interval=0.0,
                min_write_interval=0.0,
            )
        },
        base_dir=str(tmp_path),
    )
    with Runtime(
        config, environ={"ONCALL_TEST_TOKEN": TOKEN}
    ) as runtime:  # no plugins=: by entry point
        result = runtime.rescuer("github").handle_payload(
            "workflow_run", sim.workflow_run_event(run_id)
        )
    assert result.incident is not None
    applied = {o.remedy.kind: o.status.value for o in result.incident.outcomes}
    assert applied["oncall_issue"] == "applied"
    assignees = [[a["login"] for a in issue["assignees"]] for issue in sim.get_issues(REPO)]
    assert ["dana"] in assignees
