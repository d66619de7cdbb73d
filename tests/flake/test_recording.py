"""What gets recorded: the provider's own test reports (passes too), quarantine summary lines,
and how job-wide and per-test evidence combine into verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_rescue_core.flake.backfill import backfill
from ci_rescue_core.flake.hunter import FlakeHunter
from ci_rescue_core.flake.recording import combine, quarantine_results
from ci_rescue_core.flake.verdict import evidence_for_test, judge_job
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Evidence, Verdict
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.history import TestRecord
from ci_rescue_providers.simulators.circleci import CircleCISimulator
from ci_rescue_providers.simulators.circleci.models import SimJob, SimTest
from tests.providers.test_circleci_helpers import CIRCLE_TOKEN, build_circleci

SLUG = "gh/acme/app"


@pytest.fixture
def circle() -> Iterator[CircleCISimulator]:
    with CircleCISimulator(token=CIRCLE_TOKEN) as simulator:
        simulator.add_project(SLUG)
        yield simulator


def test_a_providers_test_report_is_recorded_passes_included(
    circle: CircleCISimulator, tmp_path: Path
) -> None:
    tests = [
        SimTest(
            "test_roundtrip",
            result="failure",
            classname="tests.test_net",
            file="tests/test_net.py",
            message="TimeoutError: no reply in 2.0s",
        ),
        SimTest("test_total", classname="tests.test_cart", file="tests/test_cart.py"),
        SimTest(
            "test_slow", result="skipped", classname="tests.test_cart", file="tests/test_cart.py"
        ),
    ]
    workflow = circle.add_workflow(
        SLUG, [SimJob("test", ["failed"], tests=tests)], revision="c" * 40
    )
    provider = build_circleci(circle, github=None)
    try:
        run = provider.get_run(SLUG, workflow)
        jobs = provider.list_jobs(run)
        with SQLiteStore(tmp_path / "rescue.db") as store:
            hunter = FlakeHunter(
                store=store, provider=provider, hooks=Hooks(make_plugin_manager(entry_points=False))
            )
            assert hunter.record(run, jobs, Policy()) == set()
            rows = store.read(
                "SELECT test_id, outcome, source, fingerprint FROM test_outcomes ORDER BY outcome"
            )
    finally:
        provider.close()  # type: ignore[attr-defined]
    assert [(r["outcome"], r["source"]) for r in rows] == [("fail", "report"), ("pass", "report")]
    assert rows[0]["fingerprint"] is not None and rows[1]["fingerprint"] is None
    assert "test_roundtrip" in rows[0]["test_id"] and "test_total" in rows[1]["test_id"]


def test_backfill_counts_the_test_report_outcomes_it_records(
    circle: CircleCISimulator, tmp_path: Path
) -> None:
    tests = [
        SimTest("test_a", classname="tests.test_x", file="tests/test_x.py"),
        SimTest("test_b", classname="tests.test_x", file="tests/test_x.py"),
        SimTest("test_c", result="failure", classname="tests.test_x", file="tests/test_x.py"),
    ]
    circle.add_workflow(SLUG, [SimJob("test", ["failed"], tests=tests)], revision="d" * 40)
    provider = build_circleci(circle, github=None)
    try:
        with SQLiteStore(tmp_path / "rescue.db") as store:
            hooks = Hooks(make_plugin_manager(entry_points=False))
            report = backfill(
                provider=provider, hooks=hooks, store=store, policy=Policy(), repo=SLUG,
                branch=None, runs=5,
            )  # fmt: skip
            [row] = store.read("SELECT COUNT(*) AS n FROM test_outcomes")
    finally:
        provider.close()  # type: ignore[attr-defined]
    assert report.runs == 1 and report.failed_jobs == 1
    assert report.tests == row["n"] == 3  # two passes and a failure from the report


def test_quarantine_lines_and_merging_sources() -> None:
    lines = [
        "2024-05-01T10:00:00.1Z ci-rescue quarantine: pass tests/test_a.py::test_x[1-2]",
        "ci-rescue quarantine: fail tests/test_a.py::test_y",
        "ci-rescue quarantine: expired tests/test_a.py::test_z (at 2024-05-01 10:00 UTC): ...",
        "unrelated line",
    ]
    assert list(quarantine_results(lines)) == [
        ("tests/test_a.py::test_x[1-2]", "pass"),
        ("tests/test_a.py::test_y", "fail"),
    ]
    report = TestRecord(
        job="j", test="t", outcome="fail", fingerprint="from-report", source="report"
    )
    log = TestRecord(job="j", test="t", outcome="fail", fingerprint=None, source="log")
    assert combine([report], [log]) == [report]  # a failure keeps its fingerprint
    passed = TestRecord(job="j", test="t", outcome="pass", source="quarantine")
    assert combine([report], [passed]) == [passed]


def ev(kind: str, factor: float, subject: str = "") -> Evidence:
    return Evidence(
        kind=kind,
        supports=Verdict.FLAKY if factor > 1 else Verdict.BROKEN,
        strength=0.5,
        detail=kind,
        subject=subject,
        bayes_factor=factor,
    )


def test_a_tests_own_evidence_replaces_the_jobs_of_the_same_kind() -> None:
    evidence = [
        ev("same_sha_passed", 18.0),
        ev("infrastructure_category", 3.0),
        ev("same_sha_passed", 0.5, "t1"),
        ev("observations", 1.0, "t1"),
    ]
    kinds = [(e.kind, e.subject) for e in evidence_for_test("t1", evidence)]
    assert kinds == [
        ("same_sha_passed", "t1"),
        ("observations", "t1"),
        ("infrastructure_category", ""),
    ]


def test_a_job_is_flaky_only_when_every_failing_test_is() -> None:
    evidence = [ev("rerun_passed", 50.0, "t1"), ev("rerun_passed", 50.0, "t2")]
    both = judge_job("job", ["t1", "t2"], evidence, flaky_threshold=0.6, broken_threshold=0.3)
    assert both.verdict is Verdict.FLAKY and [t.verdict for t in both.tests] == [Verdict.FLAKY] * 2
    one_broken = judge_job(
        "job", ["t1", "t2", "t3"], evidence, flaky_threshold=0.6, broken_threshold=0.3
    )
    assert one_broken.verdict is Verdict.BROKEN
    assert one_broken.score == min(t.score for t in one_broken.tests) == 0.2
    no_tests = judge_job(
        "job",
        [],
        [ev("infrastructure_category", 3.0), *evidence],
        flaky_threshold=0.6,
        broken_threshold=0.3,
    )
    assert no_tests.tests == () and [e.kind for e in no_tests.evidence] == [
        "infrastructure_category"
    ]
