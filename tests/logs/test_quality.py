"""LogWhisperer's quality floors on the shared corpus, and the scoring helpers behind them.

The corpus-wide figures are computed by ``benchmarks/quality.py`` (which prints them); this
test asserts the issue's floors so that they cannot regress.  It reads the corpus directly and
is skipped, saying why, on machines that do not have it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from benchmarks.quality import FLOORS, MAX_LINES, Outcome, evaluate, figures
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


def _misses(outcomes: Sequence[Outcome], figure: str) -> str:
    if figure == "category":
        bad = [o for o in outcomes if o.case.category is not None and not o.category_ok]
    else:
        depth = 5 if figure == "top5" else 1
        bad = [o for o in outcomes if o.case.ranges and not o.hit(depth)]
    return "missed: " + ", ".join(o.case.name for o in bad)


# The helpers ------------------------------------------------------------------------------------


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
