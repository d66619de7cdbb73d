"""Every hook: one test that shows a third-party implementation changing what ci-rescue does.

The meta-tests at the end keep this file, the specs and docs/hooks.md in step.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from ci_rescue_core import hookspecs
from ci_rescue_core.errors import PluginError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, ScoredLine
from ci_rescue_core.models import (
    Category,
    Diagnosis,
    Evidence,
    Incident,
    Outcome,
    OutcomeStatus,
    Remedy,
    RunRef,
    Verdict,
)
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.provider import Provider, ProviderFactory, ProviderSettings
from ci_rescue_core.registry import ProviderRegistry
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob
from tests.integration import logs
from tests.support import RuntimeFactory

DOCS = Path(__file__).parents[2] / "docs" / "hooks.md"
REPO = "acme/app"
BROKEN = logs.pytest_failure("tests/test_cart.py::test_total", "assert 3402 == 3780")


def hook_names() -> list[str]:
    return sorted(name for name in dir(hookspecs) if name.startswith("rescue_"))


def broken_run(sim: GitHubSimulator) -> int:
    return sim.add_run(REPO, head_sha="e" * 40, jobs=[SimJob("test", ["failure"], log=BROKEN)])


def handle(runtime: Any, sim: GitHubSimulator, run_id: int) -> Any:
    return runtime.rescuer("github").handle_payload("workflow_run", sim.workflow_run_event(run_id))


class FakeProvider:
    name = "fake"
    capabilities = frozenset()

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings


def test_hook_rescue_register_providers() -> None:
    class Fake:
        @hookimpl
        def rescue_register_providers(self) -> list[ProviderFactory]:
            return [ProviderFactory(name="fake", build=FakeProvider)]  # type: ignore[arg-type]

    registry = ProviderRegistry(Hooks(make_plugin_manager(extra=[Fake()])))
    assert {"fake", "github"} <= set(registry.names())
    provider = registry.build(ProviderSettings(name="fake", base_url="http://127.0.0.1:1"))
    assert isinstance(provider, FakeProvider) and provider.settings.base_url == "http://127.0.0.1:1"

    class Clash:
        @hookimpl
        def rescue_register_providers(self) -> list[ProviderFactory]:
            return [ProviderFactory(name="github", build=FakeProvider)]  # type: ignore[arg-type]

    with pytest.raises(PluginError, match="two plugins register the provider 'github'"):
        ProviderRegistry(Hooks(make_plugin_manager(extra=[Clash()])))


def test_hook_rescue_secret_patterns() -> None:
    class CompanySecrets:
        @hookimpl
        def rescue_secret_patterns(self) -> list[str]:
            return [r"acme_live_[0-9a-f]{8}"]

    hooks = Hooks(make_plugin_manager(extra=[CompanySecrets()]))
    log = b"FAILED tests/test_pay.py::test_x - KeyError: acme_live_deadbeef rejected\n"
    analysis = analyze_log([log], hooks=hooks)
    texts = " ".join(line.text for line in analysis.fingerprint.error_lines)
    assert "acme_live_deadbeef" not in texts and "***" in texts

    class Broken:
        @hookimpl
        def rescue_secret_patterns(self) -> list[str]:
            return ["([unclosed"]

    pm = make_plugin_manager(entry_points=False, extra=[Broken()])
    with pytest.raises(PluginError, match="does not compile"):
        Hooks(pm).secret_patterns()


def test_hook_rescue_extract_failures() -> None:
    class LicenceChecker:
        @hookimpl
        def rescue_extract_failures(self, excerpt: LogExcerpt) -> Extraction | None:
            hits = [line for line in excerpt.lines if "licence check failed" in line.text]
            if not hits:
                return None
            return Extraction(
                ecosystem="licence-checker",
                category=Category.LINT,
                confidence=0.99,
                error_lines=tuple(ScoredLine(line, 1.0) for line in hits),
            )

    hooks = Hooks(make_plugin_manager(extra=[LicenceChecker()]))
    analysis = analyze_log(
        [b"step 1\nerror: licence check failed for left-pad\ndone\n"], hooks=hooks
    )
    assert analysis.fingerprint.category is Category.LINT
    assert analysis.fingerprint.ecosystem == "licence-checker"
    assert analysis.fingerprint.error_lines[0].line == 2

    class Wrong:
        @hookimpl
        def rescue_extract_failures(self, excerpt: LogExcerpt) -> object:
            return "not an extraction"

    with pytest.raises(PluginError, match="not Extraction"):
        analyze_log(
            [b"error\n"], hooks=Hooks(make_plugin_manager(entry_points=False, extra=[Wrong()]))
        )


def test_hook_rescue_flake_evidence(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    class QuarantineList:
        """Evidence from a team's own list of known-flaky tests."""

        @hookimpl
        def rescue_flake_evidence(self, diagnosis: Diagnosis) -> list[Evidence]:
            if "tests/test_cart.py::test_total" in diagnosis.fingerprint.failing_tests:
                return [
                    Evidence(
                        kind="known_flaky",
                        supports=Verdict.FLAKY,
                        strength=1.0,
                        detail="listed in flaky.txt",
                    )
                ]
            return []

    result = handle(make_runtime(plugins=(QuarantineList(),)), sim, broken_run(sim))
    [verdict] = result.incident.verdicts
    assert verdict.verdict is Verdict.FLAKY
    assert verdict.evidence[0].kind == "known_flaky"
    assert [o.remedy.kind for o in result.incident.outcomes] == ["retry_cells"]


def test_hook_rescue_flake_evidence_gets_the_policy_and_speaks_per_test(
    sim: GitHubSimulator, make_runtime: RuntimeFactory
) -> None:
    seen: dict[str, Any] = {}

    class OwnersSayBroken:
        """Evidence about one test (``subject``), from a plugin that reads the policy."""

        @hookimpl
        def rescue_flake_evidence(self, diagnosis: Diagnosis, policy: Any) -> list[Evidence]:
            seen["policy"] = policy
            return [
                Evidence(
                    kind="owner_says_broken",
                    supports=Verdict.BROKEN,
                    strength=1.0,
                    detail="the owners marked it broken",
                    subject=failure.test_id,
                )
                for failure in diagnosis.failures
            ]

    result = handle(make_runtime(plugins=(OwnersSayBroken(),)), sim, broken_run(sim))
    assert seen["policy"].flaky_threshold == 0.6
    [verdict] = result.incident.verdicts
    [test] = verdict.tests
    assert test.subject == "tests/test_cart.py::test_total"
    assert test.verdict is Verdict.BROKEN
    assert test.evidence[0].kind == "owner_says_broken"
    assert verdict.verdict is Verdict.BROKEN


def test_hook_rescue_propose_remedies(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    seen: dict[str, Any] = {}

    class Recorder:
        @hookimpl
        def rescue_propose_remedies(
            self, run: RunRef, diagnoses: tuple[Diagnosis, ...], capabilities: frozenset[Any]
        ) -> list[Remedy]:
            seen.update(run=run, diagnoses=diagnoses, capabilities=capabilities)
            return [Remedy(kind="page_oncall", reason="blocker on main", writes=False)]

    result = handle(make_runtime(plugins=(Recorder(),)), sim, broken_run(sim))
    assert seen["run"].repo == REPO and len(seen["diagnoses"]) == 1
    assert "issues" in {c.value for c in seen["capabilities"]}
    kinds = {o.remedy.kind: o.status for o in result.incident.outcomes}
    assert kinds["page_oncall"] is OutcomeStatus.UNSUPPORTED  # proposed, but nobody applies it
    assert kinds["issue"] is OutcomeStatus.APPLIED


def test_hook_rescue_apply_remedy(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    applied: list[str] = []

    class Pager:
        @hookimpl
        def rescue_propose_remedies(self) -> list[Remedy]:
            return [Remedy(kind="page_oncall", reason="blocker", writes=False)]

        @hookimpl
        def rescue_apply_remedy(
            self, remedy: Remedy, incident: Incident, provider: Provider
        ) -> Outcome | None:
            if remedy.kind != "page_oncall":
                return None
            applied.append(incident.id)
            return Outcome(remedy=remedy, status=OutcomeStatus.APPLIED, link="https://pager/1")

    result = handle(make_runtime(plugins=(Pager(),)), sim, broken_run(sim))
    outcomes = {o.remedy.kind: o for o in result.incident.outcomes}
    assert outcomes["page_oncall"].link == "https://pager/1"
    assert outcomes["issue"].status is OutcomeStatus.APPLIED  # the built-in still owns "issue"
    assert applied == [result.incident.id]


def test_hook_rescue_notify(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    headlines: list[str] = []

    class Broken:
        @hookimpl
        def rescue_notify(self) -> None:
            raise RuntimeError("slack is down")

    class Collector:
        @hookimpl
        def rescue_notify(self, incident: Incident, headline: str) -> None:
            headlines.append(headline)

    runtime = make_runtime(plugins=(Broken(), Collector()))
    result = handle(runtime, sim, broken_run(sim))
    assert headlines == [f"{REPO}@eeeeeee CI failed (test_failure) — issue applied"]
    stored = runtime.store.get_incident(result.incident.id)
    assert any("slack is down" in entry.message for entry in stored.timeline)


def test_hook_rescue_incident_updated(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    steps: list[tuple[str, str]] = []

    class Observer:
        @hookimpl
        def rescue_incident_updated(self, incident: Incident, step: str) -> None:
            steps.append((step, incident.status.value))
            if step == "policy":
                raise ValueError("dashboard unreachable")

    result = handle(make_runtime(plugins=(Observer(),)), sim, broken_run(sim))
    names = [step for step, _ in steps]
    assert names[:3] == ["sentinel", "flake", "policy"] and names[-1] == "apply"
    assert steps[-1][1] == "escalated"
    assert any("dashboard unreachable" in e.message for e in result.incident.timeline)


# -- meta-tests ------------------------------------------------------------------------------


def test_every_hook_has_a_test_and_a_documented_signature() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    module = globals()
    for name in hook_names():
        assert f"test_hook_{name}" in module, f"{name} has no test_hook_{name}"
        signature = str(inspect.signature(getattr(hookspecs, name))).replace("'", "")
        assert f"def {name}{signature}" in docs, f"docs/hooks.md lacks the signature of {name}"


def test_every_hook_spec_documents_itself() -> None:
    for name in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc.splitlines()) >= 3, name
        assert ".. versionadded::" in doc, name
        for parameter in inspect.signature(getattr(hookspecs, name)).parameters:
            assert re.search(rf"\b{parameter}\b", doc) or parameter in (
                "policy", "capabilities", "run", "provider", "remedy", "incident",
            ), f"{name} does not describe {parameter}"  # fmt: skip


def test_only_apply_remedy_is_firstresult() -> None:
    pm = make_plugin_manager(entry_points=False)
    firsts = {
        name for name in hook_names() if (getattr(pm.hook, name).spec.opts or {}).get("firstresult")
    }
    assert firsts == {"rescue_apply_remedy"}
