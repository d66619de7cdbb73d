"""Real failure rates (FlakeFlagger's orbit-orbit project, a fixture) replayed as CI history:
the flaky tests are called flaky, the tests that never passed broken, and nothing else flaky."""

from __future__ import annotations

from pathlib import Path

from benchmarks.flake_data import flakeflagger
from benchmarks.flake_eval import evaluate

FIXTURE = Path(__file__).parents[1] / "fixtures" / "flake" / "flakeflagger_orbit.csv"


def test_real_rates_of_one_project() -> None:
    data = flakeflagger(FIXTURE, commits=120)
    figures = evaluate(data)
    assert figures.tests == 86
    assert figures.flaky_precision == 1.0
    assert figures.flaky_recall >= 0.8
    assert figures.confusion["broken->broken"] == 3
    assert not any(key.startswith("ok->") and key != "ok->ok" for key in figures.confusion)
