"""LogWhisperer's quality floors on the shared corpus, and the scoring helpers behind them.

The corpus-wide figures are computed by ``benchmarks/quality.py`` (which prints them); this
test asserts the issue's floors, and that no figure falls more than one point below the value
last measured (``benchmarks/quality_measured.json``, rewritten by ``quality.py --update``), so
that a drop of a few points cannot pass unnoticed.  It reads the corpus directly and is
skipped, saying why, on machines that do not have it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from benchmarks.quality import (
    FLOORS,
    MAX_LINES,
    TOLERANCE,
    Figures,
    Outcome,
    evaluate,
    figures,
    load_measured,
    save_measured,
)
from benchmarks.quality_data import cidiff_ranges, same_test

from tests.support import corpus_dir


@pytest.fixture(scope="module")
def outcomes() -> Sequence[Outcome]:
    """Every corpus case analysed once (with and without baselines)."""
    return evaluate(corpus_dir())


@pytest.mark.corpus
def test_category_accuracy(outcomes: Sequence[Outcome]) -> None:
    result = figures(outcomes)
    assert result.category is not None
    assert result.category >= FLOORS["category"], _misses(outcomes, "category")


@pytest.mark.corpus
def test_root_cause_lines_come_first(outcomes: Sequence[Outcome]) -> None:
    result = figures(outcomes)
    assert result.top5 is not None and result.top1 is not None
    assert result.top5 >= FLOORS["top5"], _misses(outcomes, "top5")
    assert result.top1 >= FLOORS["top1"], _misses(outcomes, "top1")
    assert result.max_lines <= MAX_LINES


@pytest.mark.corpus
def test_a_passing_baseline_improves_the_ranking(outcomes: Sequence[Outcome]) -> None:
    result = figures(outcomes)
    assert result.baseline_logs > 0
    assert result.top5_plain is not None and result.top5_baseline is not None
    assert result.top1_plain is not None and result.top1_baseline is not None
    assert result.top5_baseline >= result.top5_plain
    assert result.top1_baseline >= result.top1_plain
    assert result.top5_baseline >= FLOORS["top5"] and result.top1_baseline >= FLOORS["top1"]


@pytest.mark.corpus
def test_failing_test_names(outcomes: Sequence[Outcome]) -> None:
    result = figures(outcomes)
    assert result.test_precision is not None and result.test_recall is not None
    assert result.test_precision >= FLOORS["test_precision"]
    assert result.test_recall >= FLOORS["test_recall"]


@pytest.mark.corpus
def test_a_passing_baseline_keeps_the_category_and_the_tests(outcomes: Sequence[Outcome]) -> None:
    # The baseline reorders error lines; what the failure is must not depend on it.
    result = figures(outcomes)
    assert result.category_plain is not None and result.category_baseline is not None
    assert result.category_baseline >= result.category_plain
    assert result.category_baseline >= FLOORS["category"]
    assert result.test_precision_baseline is not None and result.test_recall_baseline is not None
    assert result.test_precision_plain is not None and result.test_recall_plain is not None
    assert result.test_precision_baseline >= result.test_precision_plain
    assert result.test_recall_baseline >= result.test_recall_plain
    changed = [
        o.case.name
        for o in outcomes
        if o.baseline_category is not None
        and (o.baseline_category, o.baseline_tests) != (o.category, o.tests)
    ]
    assert not changed, f"the baseline changed the category or tests of {changed}"


@pytest.mark.corpus
def test_no_figure_falls_below_its_measured_value(outcomes: Sequence[Outcome]) -> None:
    measured = load_measured()
    assert measured, "benchmarks/quality_measured.json is missing: run quality.py --update"
    now = figures(outcomes).measured()
    drops = {
        name: (now.get(name), value)
        for name, value in measured.items()
        if now.get(name) is None or now[name] < value - TOLERANCE
    }
    assert not drops, f"figures below their measured value (now, measured): {drops}"


def _misses(outcomes: Sequence[Outcome], figure: str) -> str:
    if figure == "category":
        bad = [o for o in outcomes if o.case.category is not None and not o.category_ok]
    else:
        depth = 5 if figure == "top5" else 1
        bad = [o for o in outcomes if o.case.ranges and not o.hit(depth)]
    return "missed: " + ", ".join(o.case.name for o in bad)


# The helpers ------------------------------------------------------------------------------------


def test_measured_figures_round_trip(tmp_path: Path) -> None:
    result = Figures(
        logs=3,
        category=2 / 3,
        top5=1.0,
        top1=None,
        max_lines=4,
        baseline_logs=0,
        top5_plain=None,
        top1_plain=None,
        top5_baseline=None,
        top1_baseline=None,
        test_precision=0.9,
        test_recall=0.95,
        test_precision_micro=0.5,
        test_recall_micro=1.0,
    )
    path = tmp_path / "measured.json"
    assert load_measured(path) == {}
    save_measured(result, path)
    assert load_measured(path) == {
        "category": 0.6667,
        "top5": 1.0,
        "test_precision": 0.9,
        "test_recall": 0.95,
    }
    assert not list(tmp_path.glob("*.tmp"))


def test_cidiff_line_numbers_count_lone_carriage_returns(tmp_path: Path) -> None:
    log = tmp_path / "fail.log"
    log.write_bytes(b"one\r\ntwo\rredrawn\nthree\nfour\rfive\rsix\n")
    truth = tmp_path / "groundtruth"
    # CiDiff's lines: one, two, redrawn, three, four, five, six (a lone \r breaks a line too).
    truth.write_text("DEFAULT\nE 3\nC 1\nE 5-7\n")
    assert cidiff_ranges(log, truth) == ((2, 2), (4, 4))


@pytest.mark.parametrize(
    ("found", "expected", "same"),
    [
        ("pkg.ClassTest.method", "ClassTest.method", True),
        ("ClassTest.method", "pkg.ClassTest.method", True),
        ("a::b::test_x", "test_x", True),
        ("TestA#test_x  ", "TestA#test_x", True),
        ("ClassTest.method", "OtherTest.method", False),
        ("pkg.ClassTest.method2", "ClassTest.method", False),
        ("xClassTest.method", "ClassTest.method", False),
    ],
)
def test_same_test(found: str, expected: str, same: bool) -> None:
    assert same_test(found, expected) is same
