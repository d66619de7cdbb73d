"""examples/remedy_plugin: the ``oncall_issue`` strategy, registered directly, on the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from ci_rescue_oncall import (
    ONCALL_ISSUE,
    ONCALL_LABEL,
    ROTA_ENV,
    OnCallStrategy,
    Rota,
    load_rota,
    rota_from_env,
)

from ci_rescue_core.config.deployment import (
    OutputConfig,
    PluginsConfig,
    ProviderConfig,
    RescueConfig,
    StoreConfig,
)
from ci_rescue_core.errors import ConfigError
from ci_rescue_core.models import Incident, Mode, OutcomeStatus, Remedy, RunRef, Severity
from ci_rescue_core.orchestrator import HandleResult
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.examples.runs import REPO, TOKEN, broken_run, flaky_run, writes

TOKEN_ENV = "EXAMPLES_GITHUB_TOKEN"
ROTA = Rota(people=("alice", "bob", "carol"), start=date(2025, 1, 6))
WEDNESDAY_OF_WEEK_TWO = date(2025, 1, 15)  # bob's shift


def strategy(rota: Rota = ROTA) -> OnCallStrategy:
    return OnCallStrategy(rota, today=lambda: WEDNESDAY_OF_WEEK_TWO)


@pytest.fixture
def runtimes() -> Iterator[list[Runtime]]:
    opened: list[Runtime] = []
    yield opened
    for runtime in opened:
        runtime.close()


def rescue(
    sim: GitHubSimulator,
    tmp_path: Path,
    runtimes: list[Runtime],
    run_id: int,
    *plugins: object,
    mode: Mode = Mode.ACT,
    disable: tuple[str, ...] = (),
) -> HandleResult:
    """Handle the ``workflow_run`` event of *run_id*, *plugins* registered next to the built-ins."""
    config = RescueConfig(
        mode=mode,
        store=StoreConfig(path=str(tmp_path / "rescue.db")),
        providers={
            "github": ProviderConfig(
                base_url=sim.base_url,
                token_env=TOKEN_ENV,
                min_request_interval=0.0,
                min_write_interval=0.0,
            )
        },
        output=OutputConfig(rescue_log=None),
        plugins=PluginsConfig(disable=disable),
        base_dir=str(tmp_path),
    )
    runtime = Runtime(config, environ={TOKEN_ENV: TOKEN}, plugins=plugins)
    runtimes.append(runtime)
    return runtime.rescuer("github").handle_payload("workflow_run", sim.workflow_run_event(run_id))


def oncall_issues(sim: GitHubSimulator) -> list[dict[str, Any]]:
    return [
        issue
        for issue in sim.get_issues(REPO)
        if ONCALL_LABEL in [label["name"] for label in issue["labels"]]
    ]


def test_a_blocker_on_main_gets_an_issue_for_the_person_on_call(
    sim: GitHubSimulator, tmp_path: Path, runtimes: list[Runtime]
) -> None:
    result = rescue(sim, tmp_path, runtimes, broken_run(sim), strategy())
    incident = result.incident
    assert incident is not None and incident.severity is Severity.BLOCKER

    [issue] = oncall_issues(sim)
    assert [assignee["login"] for assignee in issue["assignees"]] == ["bob"]
    assert f"ci-rescue:oncall:{incident.key}" in issue["body"]
    [outcome] = [o for o in incident.outcomes if o.remedy.kind == ONCALL_ISSUE]
    assert outcome.status is OutcomeStatus.APPLIED
    assert outcome.link == issue["html_url"]
    assert outcome.remedy.params["assignee"] == "bob"
    assert outcome.remedy.source == "oncall"
    # The built-in tracking issue is opened too; the on-call issue pages a person.
    assert [o.remedy.kind for o in incident.outcomes] == ["issue", ONCALL_ISSUE]
    assert len(sim.get_issues(REPO)) == 2


def test_the_same_blocker_again_comments_on_the_on_call_issue(
    sim: GitHubSimulator, tmp_path: Path, runtimes: list[Runtime]
) -> None:
    plugin = strategy()
    rescue(sim, tmp_path, runtimes, broken_run(sim), plugin, disable=("tracking_issue",))
    again = rescue(
        sim, tmp_path, runtimes, broken_run(sim, sha="3" * 40), plugin, disable=("tracking_issue",)
    )
    assert again.incident is not None
    [issue] = sim.get_issues(REPO)
    [comment] = sim.get_issue_comments(REPO, issue["number"])
    assert "@bob" in comment["body"]
    assert "commented on on-call issue" in again.incident.outcomes[-1].detail


@pytest.mark.parametrize("case", ["flaky on main", "blocker on a feature branch"])
def test_nothing_is_proposed_outside_its_remit(
    sim: GitHubSimulator, tmp_path: Path, runtimes: list[Runtime], case: str
) -> None:
    run_id = flaky_run(sim) if case == "flaky on main" else broken_run(sim, branch="feature/x")
    result = rescue(sim, tmp_path, runtimes, run_id, strategy())
    assert result.incident is not None
    assert ONCALL_ISSUE not in [d.remedy.kind for d in result.decisions]
    assert oncall_issues(sim) == []


def test_observe_mode_plans_it_and_writes_nothing(
    sim: GitHubSimulator, tmp_path: Path, runtimes: list[Runtime]
) -> None:
    result = rescue(sim, tmp_path, runtimes, broken_run(sim), strategy(), mode=Mode.OBSERVE)
    assert result.incident is not None
    statuses = {o.remedy.kind: o.status for o in result.incident.outcomes}
    assert statuses[ONCALL_ISSUE] is OutcomeStatus.PLANNED
    assert writes(sim) == []


def test_the_rota_file_named_by_the_environment_is_used(
    sim: GitHubSimulator, tmp_path: Path, runtimes: list[Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    rota_file = tmp_path / "oncall.yaml"
    rota_file.write_text("start: 2025-01-06\nshift_days: 1\npeople: [dana]\n", encoding="utf-8")
    plugin = OnCallStrategy(rota_from_env)  # what the entry point registers
    monkeypatch.delenv(ROTA_ENV, raising=False)
    inert = rescue(sim, tmp_path, runtimes, broken_run(sim), plugin)
    assert inert.incident is not None and oncall_issues(sim) == []

    monkeypatch.setenv(ROTA_ENV, str(rota_file))
    rescue(sim, tmp_path, runtimes, broken_run(sim, sha="4" * 40), plugin)
    [issue] = oncall_issues(sim)
    assert [a["login"] for a in issue["assignees"]] == ["dana"]


def test_apply_returns_none_for_kinds_it_does_not_own(sim: GitHubSimulator, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    run = RunRef(provider="github", repo=REPO, run_id="1", head_branch="main")
    incident = Incident(
        id="inc-1", provider="github", repo=REPO, key="k", severity=Severity.BLOCKER,
        opened_at=now, updated_at=now,
    )  # fmt: skip
    config = RescueConfig(store=StoreConfig(path=str(tmp_path / "r.db")), base_dir=str(tmp_path))
    with Runtime(config, environ={}) as runtime:
        provider = runtime.provider("github")
        for kind in ("issue", "retry_cells", "page_someone"):
            remedy = Remedy(kind=kind, reason="not ours")
            assert (
                strategy().rescue_apply_remedy(
                    remedy=remedy, incident=incident, run=run, provider=provider
                )
                is None
            )


def test_rota_turns_and_files() -> None:
    days = [date(2025, 1, 6), date(2025, 1, 12), date(2025, 1, 13), date(2025, 1, 27)]
    assert [ROTA.on_call(day) for day in days] == ["alice", "alice", "bob", "alice"]
    assert ROTA.on_call(date(2025, 1, 5)) == "carol"  # the rota repeats before its start too


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("start: 2025-01-06\npeople: []\n", "people"),
        ("start: soon\npeople: [a]\n", "start"),
        ("start: 2025-01-06\npeople: [a]\nshift_days: 0\n", "shift_days"),
        ("start: 2025-01-06\npeople: [a]\nteam: x\n", "team"),
    ],
)
def test_a_bad_rota_file_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rota(path)
    assert caught.value.key == key and caught.value.path == str(path)


def test_a_good_rota_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text("start: 2025-01-06\npeople: [alice, bob, carol]\n", encoding="utf-8")
    assert load_rota(path) == ROTA
