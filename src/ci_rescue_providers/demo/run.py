"""Running the demo: simulator up, two failing runs through the real pipeline, a report."""

from __future__ import annotations

import tempfile
from pathlib import Path

import attrs
from rich.console import Console
from rich.text import Text

from ci_rescue_core.cli.render import render_result
from ci_rescue_core.config.deployment import (
    OutputConfig,
    ProviderConfig,
    RescueConfig,
    StoreConfig,
)
from ci_rescue_core.models import Mode, OutcomeStatus, RemedyKind
from ci_rescue_core.orchestrator import HandleResult, HandleStatus
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.demo.scenario import REPO, seed
from ci_rescue_providers.simulators.github import GitHubSimulator

DEMO_TOKEN = "demo-token-not-a-secret"
TOKEN_ENV = "CI_RESCUE_DEMO_GITHUB_TOKEN"


@attrs.frozen(kw_only=True)
class DemoReport:
    """What the demo did, checked against what it should have done."""

    flaky: HandleResult
    broken: HandleResult
    resolved: HandleResult
    write_calls: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when both decisions were the expected ones."""
        return not self.problems


def run_demo(out: Console, *, workdir: Path | None = None) -> DemoReport:
    """Run the scenario end to end and print each decision.

    :param workdir: where the store and ``rescue.log`` go (a temporary directory by default).
    """
    with tempfile.TemporaryDirectory(prefix="ci-rescue-demo-") as scratch:
        base = workdir or Path(scratch)
        with GitHubSimulator(token=DEMO_TOKEN) as sim:
            runs = seed(sim)
            out.print(
                Text("GitHub simulator", style="bold").append(
                    f" on {sim.base_url}; repository {REPO}", style=""
                )
            )
            config = _config(sim.base_url, base)
            with Runtime(config, environ={TOKEN_ENV: DEMO_TOKEN}) as runtime:
                rescuer = runtime.rescuer("github")
                results = []
                for label, run_id in (("flaky test", runs.flaky), ("real breakage", runs.broken)):
                    out.rule(f"workflow_run {run_id} completed: failure ({label})")
                    payload = sim.workflow_run_event(run_id)
                    result = rescuer.handle_payload(
                        "workflow_run", payload, delivery_id=f"demo-delivery-{run_id}"
                    )
                    render_result(out, result)
                    results.append(result)
                out.rule(f"workflow_run {runs.flaky} attempt 2 completed: success (the re-run)")
                green = rescuer.handle_payload(
                    "workflow_run",
                    sim.workflow_run_event(runs.flaky),
                    delivery_id=f"demo-delivery-{runs.flaky}-2",
                )
                render_result(out, green)
            writes = tuple(f"{r.method} {r.path}" for r in sim.write_requests())
            out.rule("what the simulator received (write calls)")
            for call in writes:
                out.print(f"  {call}", markup=False)
            if workdir is not None:
                out.print(
                    f"store: {config.store_path}   rescue.log: {config.resolve('rescue.log')}"
                )
            problems = _check(results[0], results[1], sim, runs.flaky, runs.broken)
            if green.status is not HandleStatus.RESOLVED:
                problems += (f"the green re-run did not resolve the incident: {green.reason}",)
    return DemoReport(
        flaky=results[0], broken=results[1], resolved=green, write_calls=writes, problems=problems
    )


def _config(base_url: str, workdir: Path) -> RescueConfig:
    return RescueConfig(
        mode=Mode.ACT,
        store=StoreConfig(path=str(workdir / "rescue.db")),
        providers={
            "github": ProviderConfig(
                base_url=base_url,
                token_env=TOKEN_ENV,
                max_retries=1,
                min_request_interval=0.0,
                min_write_interval=0.0,
            )
        },
        output=OutputConfig(rescue_log="rescue.log"),
        base_dir=str(workdir),
    )


def _check(
    flaky: HandleResult, broken: HandleResult, sim: GitHubSimulator, flaky_run: int, broken_run: int
) -> tuple[str, ...]:
    problems = []
    flaky_kinds = _applied(flaky)
    if RemedyKind.RETRY_CELLS not in flaky_kinds:
        problems.append(f"flaky run: expected a retry of the failed cell, got {flaky_kinds}")
    if sim.get_run(flaky_run)["run_attempt"] != 2:
        problems.append("flaky run: the simulator saw no second attempt")
    broken_kinds = _applied(broken)
    if RemedyKind.ISSUE not in broken_kinds or RemedyKind.RETRY_CELLS in broken_kinds:
        problems.append(f"broken run: expected a tracking issue and no retry, got {broken_kinds}")
    if sim.get_run(broken_run)["run_attempt"] != 1:
        problems.append("broken run: it was re-run")
    if len(sim.get_issues(REPO)) != 1:
        problems.append("expected exactly one tracking issue")
    return tuple(problems)


def _applied(result: HandleResult) -> list[str]:
    if result.incident is None:
        return []
    return [o.remedy.kind for o in result.incident.outcomes if o.status is OutcomeStatus.APPLIED]
