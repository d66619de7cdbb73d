"""Precision and recall of FlakeHunter's ``flaky`` verdict, on real and synthetic histories.

Run from the repository root::

    .venv/bin/python -m benchmarks.flake_eval            # all datasets (about a minute)
    .venv/bin/python -m benchmarks.flake_eval --quick    # a subset, as the regression test uses
    .venv/bin/python -m benchmarks.flake_eval --json     # machine-readable figures

The corpus is read from ``../shared/corpus`` or ``$CI_RESCUE_CORPUS``; without it only the
synthetic history is evaluated.  Figures, per dataset:

- **test level** — every test's verdict from its whole history (``ci-rescue flake-score``)
  against its truth.  Flaky recall counts the flaky tests that flaked at least once in the
  history (a test that never failed cannot be told from a healthy one); recall over every
  flaky test of the data set is printed beside it.
- **failure level** — every failing (test, job, commit) judged against whether that failure
  was a flake or a real breakage: the pipeline's question.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.flake_data import Dataset, flakeflagger, rerun_sequences
from benchmarks.flake_synthetic import synthetic
from ci_rescue_core.flake.batch import score_history
from ci_rescue_core.flake.mass import MassRule
from ci_rescue_core.flake.params import ModelParams, Thresholds

ROOT = Path(__file__).resolve().parents[1]
QUICK_PROJECTS = {"square-okhttp", "tootallnate-java-websocket", "apache-httpcore", "orbit-orbit"}


@dataclass
class Figures:
    """What one evaluation measured."""

    dataset: str
    tests: int
    scored: int
    flaky_precision: float
    flaky_recall: float
    flaky_recall_all: float
    flaky_recall_repeat: float
    repeat_flakers: int
    broken_precision: float
    broken_recall: float
    failure_precision: float
    failure_recall: float
    failures: int
    confusion: dict[str, int]
    seconds: float
    notes: str = ""


def corpus_root() -> Path | None:
    """The shared corpus, if present."""
    configured = os.environ.get("CI_RESCUE_CORPUS")
    candidate = Path(configured) if configured else ROOT.parent / "shared" / "corpus"
    return candidate if candidate.is_dir() else None


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def evaluate(
    data: Dataset, params: ModelParams | None = None, mass: MassRule | None = None
) -> Figures:
    """Score *data*'s history and compare the verdicts with its truth."""
    params = params or ModelParams()
    thresholds = Thresholds()
    started = time.perf_counter()
    assessments = score_history(
        data.observations,
        params=params,
        thresholds=thresholds,
        mass=mass or MassRule(),
        sizes=data.sizes,
        tests=data.truth,
    )
    seconds = time.perf_counter() - started
    confusion: Counter[str] = Counter()
    for assessment in assessments:
        confusion[f"{data.truth[assessment.test]}->{assessment.verdict.value}"] += 1
    for label, count in data.unscored.items():
        confusion[f"{label}->ok"] += count
    predicted_flaky = sum(v for k, v in confusion.items() if k.endswith("->flaky"))
    true_flaky = confusion["flaky->flaky"]
    flakes: Counter[str] = Counter(
        test for (test, _, _), truth in data.cell_truth.items() if truth == "flake"
    )
    observable = sum(1 for t, label in data.truth.items() if label == "flaky" and t in flakes)
    repeat = {t for t, label in data.truth.items() if label == "flaky" and flakes[t] >= 2}
    repeat_found = sum(1 for a in assessments if a.test in repeat and a.verdict.value == "flaky")
    every_flaky = sum(1 for label in data.truth.values() if label == "flaky")
    every_flaky += data.unscored["flaky"]
    predicted_broken = sum(v for k, v in confusion.items() if k.endswith("->broken"))
    all_broken = sum(v for k, v in confusion.items() if k.startswith("broken->"))

    judged = 0
    flake_called = flake_right = flake_total = 0
    for assessment in assessments:
        for judgement in assessment.failures:
            cell = judgement.cell
            truth = data.cell_truth.get((assessment.test, cell.job, cell.sha))
            if truth is None:
                continue
            judged += 1
            called = judgement.score >= thresholds.flaky
            flake_total += truth == "flake"
            flake_called += called
            flake_right += called and truth == "flake"
    return Figures(
        dataset=data.name,
        tests=len(data.truth) + sum(data.unscored.values()),
        scored=len(data.truth),
        flaky_precision=_ratio(true_flaky, predicted_flaky),
        flaky_recall=_ratio(true_flaky, observable),
        flaky_recall_all=_ratio(true_flaky, every_flaky),
        flaky_recall_repeat=_ratio(repeat_found, len(repeat)),
        repeat_flakers=len(repeat),
        broken_precision=_ratio(confusion["broken->broken"], predicted_broken),
        broken_recall=_ratio(confusion["broken->broken"], all_broken),
        failure_precision=_ratio(flake_right, flake_called),
        failure_recall=_ratio(flake_right, flake_total),
        failures=judged,
        confusion=dict(sorted(confusion.items())),
        seconds=round(seconds, 2),
        notes="; ".join(data.notes),
    )


def datasets(*, quick: bool = False, retries: int = 2) -> list[Dataset]:
    """The datasets to evaluate (corpus ones only when the corpus is present); *retries* is
    how often a failing test (a failing run) is re-run — 0: no rerun data at all."""
    out = []
    corpus = corpus_root()
    if corpus is not None:
        out.append(
            flakeflagger(
                corpus / "flaky-eval" / "flakeflagger" / "test_results.csv",
                projects=QUICK_PROJECTS if quick else None,
                retries=retries,
            )
        )
        out.append(
            rerun_sequences(
                corpus / "flaky" / "rerunning-no-tests",
                runs_per_module=150 if quick else 300,
                retries=retries,
            )
        )
    out.append(
        synthetic(tests=200 if quick else 400, commits=100 if quick else 150, retries=retries)
    )
    return out


def ablations(data: Dataset) -> list[Figures]:
    """The synthetic history scored without the parts that guard against its confounders."""
    no_mass = evaluate(data, mass=MassRule(min_tests=10**9))
    no_mass.dataset = f"{data.name}: no mass-failure rule"
    merged = Dataset(
        name=f"{data.name}: matrix cells merged",
        observations=[o._replace(job="") for o in data.observations],
        truth=data.truth,
        unscored=data.unscored,
        cell_truth={(t, "", sha): v for (t, _, sha), v in data.cell_truth.items()},
        sizes={(run, attempt, ""): size for (run, attempt, _), size in data.sizes.items()},
    )
    return [no_mass, evaluate(merged)]


def table(results: Sequence[Figures]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| dataset | tests (scored) | flaky precision | flaky recall (all flaky) | "
        "broken precision / recall | failure-level flaky precision / recall (failures) | time |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.dataset} | {r.tests} ({r.scored}) | {r.flaky_precision:.3f} | "
            f"{r.flaky_recall:.3f} ({r.flaky_recall_all:.3f}) | "
            f"{r.broken_precision:.3f} / {r.broken_recall:.3f} | "
            f"{r.failure_precision:.3f} / {r.failure_recall:.3f} ({r.failures}) | "
            f"{r.seconds:.1f} s |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller datasets")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        choices=range(0, 6),
        metavar="N",
        help="re-runs of a failing test / run in the replayed histories (default 2; 0: no "
        "rerun data, the first failure of a test is then judged broken by design)",
    )
    parser.add_argument(
        "--ablations",
        action="store_true",
        help="also score the synthetic history without the mass-failure rule and with the "
        "matrix cells merged (what the guards are worth)",
    )
    args = parser.parse_args(argv)
    if corpus_root() is None:
        print(
            "note: the shared corpus is absent; only the synthetic history is evaluated",
            file=sys.stderr,
        )
    sets = datasets(quick=args.quick, retries=args.retries)
    results = [evaluate(data) for data in sets]
    if args.ablations:
        results += ablations(sets[-1])
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(table(results))
        for r in results:
            print(
                f"\n{r.dataset}: {r.notes}\n  confusion (truth->verdict): {r.confusion}\n"
                f"  flaky recall over the {r.repeat_flakers} flaky tests that flaked at two or "
                f"more commits: {r.flaky_recall_repeat:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
