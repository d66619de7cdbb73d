"""The figures of benchmarks/flake_eval.py must not regress (quick datasets; the corpus ones
are skipped where the shared corpus is absent)."""

from __future__ import annotations

import pytest
from benchmarks.flake_data import flakeflagger, rerun_sequences
from benchmarks.flake_eval import QUICK_PROJECTS, Figures, evaluate
from benchmarks.flake_synthetic import synthetic

from tests.support import corpus_dir


def check(figures: Figures) -> None:
    assert figures.flaky_precision >= 0.95, figures
    assert figures.flaky_recall >= 0.8, figures
    assert figures.failure_precision >= 0.95, figures


def test_synthetic_history_with_outages_matrix_breakages_and_regressions() -> None:
    check(evaluate(synthetic(tests=200, commits=100, seed=5)))


@pytest.mark.corpus
def test_flakeflagger_rates_replayed_with_regressions() -> None:
    path = corpus_dir() / "flaky-eval" / "flakeflagger" / "test_results.csv"
    check(evaluate(flakeflagger(path, projects=QUICK_PROJECTS)))


@pytest.mark.corpus
def test_the_rerun_studys_recorded_run_sequences() -> None:
    check(
        evaluate(
            rerun_sequences(corpus_dir() / "flaky" / "rerunning-no-tests", runs_per_module=150)
        )
    )
