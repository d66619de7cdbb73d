"""LogWhisperer's quality figures on the labelled real logs of the shared corpus.

Run it as ``.venv/bin/python benchmarks/quality.py [--corpus DIR] [--no-misses] [--update]``.
``--update`` rewrites ``quality_measured.json``, the figures ``tests/logs/test_quality.py``
holds the analysis to (each may not fall more than :data:`TOLERANCE` below its measured value):
run it after a change that moves a figure, and say so in the change.

Two sources of ground truth (see the corpus ``SOURCES.md`` files; ``holdout/`` is never read):

* ``logs/LABELS.jsonl``: 126 failing logs with a category, failing tests and root-cause lines;
* ``flaky-eval/cidiff-breakages/<case>/``: failing / passing log pairs with the CiDiff
  ground truth (``E`` intervals of ``groundtruth``, counted with ``\\r`` as a line break too;
  converted here to the ``\\n``-based numbers ``analyze`` reports).  Cases that LABELS.jsonl
  already lists are not counted twice.

Figures printed (overall, per CI and per labelled category):

* category accuracy (labelled logs);
* root cause in the first 5 / the first error line, and how many lines were reported;
* the same with the last passing log given as baseline, for the logs that have one;
* failing-test precision and recall over the logs whose label lists tests, averaged per log
  (a log with no name reported has precision 0); the pooled (micro) figures are printed too.
  A reported name matches a labelled one when they are equal up to qualification
  (``pkg.ClassTest.method`` / ``ClassTest.method``) and runs of whitespace;
* for the logs with a passing log, category and failing-test figures without and with it (the
  baseline may reorder lines, never change the category or the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.quality_data import Case, load_cases, same_test
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import LogAnalysis, analyze_log
from ci_rescue_core.logs.reader import open_source
from ci_rescue_core.plugins import make_plugin_manager

#: The issue's floors.
FLOORS = {
    "category": 0.90,
    "top5": 0.85,
    "top1": 0.60,
    "test_precision": 0.90,
    "test_recall": 0.90,
}
MAX_LINES = 10

#: The figures last measured (``--update`` rewrites them), and how far below them a figure may
#: fall before the quality test fails (a share: 0.01 is one percentage point).
MEASURED_PATH = Path(__file__).resolve().with_name("quality_measured.json")
TOLERANCE = 0.01


@attrs.frozen
class Outcome:
    """What ``analyze`` said about one case (with and without the baseline)."""

    case: Case
    category: str
    tests: tuple[str, ...]
    lines: tuple[int, ...]
    baseline_lines: tuple[int, ...] | None
    seconds: float
    baseline_category: str | None = None
    baseline_tests: tuple[str, ...] | None = None

    @property
    def category_ok(self) -> bool:
        """The labelled category was found."""
        return self.category == self.case.category

    @property
    def baseline_category_ok(self) -> bool:
        """The labelled category was found with the passing log given too."""
        return self.baseline_category == self.case.category

    def hit(self, depth: int, *, baseline: bool = False) -> bool:
        """A root-cause line is among the first *depth* error lines."""
        lines = self.baseline_lines if baseline else self.lines
        return any(self.case.is_root_cause(n) for n in (lines or ())[:depth])


def default_hooks() -> Hooks:
    """The plugins ``ci-rescue analyze`` uses: every installed entry point."""
    return Hooks(make_plugin_manager())


def _analyze(path: Path, hooks: Hooks, baseline: Path | None = None) -> LogAnalysis:
    with open_source(path) as chunks:
        if baseline is None:
            return analyze_log(chunks, hooks=hooks)
        with open_source(baseline) as passing:
            return analyze_log(chunks, hooks=hooks, baseline=passing)


def run_case(case: Case, hooks: Hooks) -> Outcome:
    """Analyse one case (twice when it has a baseline)."""
    started = time.perf_counter()
    analysis = _analyze(case.path, hooks)
    seconds = time.perf_counter() - started
    with_baseline = None
    baseline_category = None
    baseline_tests = None
    if case.baseline is not None:
        diffed = _analyze(case.path, hooks, case.baseline).fingerprint
        with_baseline = tuple(e.line for e in diffed.error_lines)
        baseline_category = diffed.category.value
        baseline_tests = diffed.failing_tests
    fingerprint = analysis.fingerprint
    return Outcome(
        case=case,
        category=fingerprint.category.value,
        tests=fingerprint.failing_tests,
        lines=tuple(e.line for e in fingerprint.error_lines),
        baseline_lines=with_baseline,
        seconds=seconds,
        baseline_category=baseline_category,
        baseline_tests=baseline_tests,
    )


@attrs.frozen
class Figures:
    """The quality figures of a set of outcomes (``None``: nothing to measure)."""

    logs: int
    category: float | None
    top5: float | None
    top1: float | None
    max_lines: int
    baseline_logs: int
    top5_plain: float | None
    top1_plain: float | None
    top5_baseline: float | None
    top1_baseline: float | None
    test_precision: float | None
    test_recall: float | None
    test_precision_micro: float | None
    test_recall_micro: float | None
    category_plain: float | None = None
    category_baseline: float | None = None
    test_precision_plain: float | None = None
    test_recall_plain: float | None = None
    test_precision_baseline: float | None = None
    test_recall_baseline: float | None = None

    def measured(self) -> dict[str, float]:
        """The figures kept in ``quality_measured.json`` (those that could be measured)."""
        names = (
            "category",
            "top5",
            "top1",
            "test_precision",
            "test_recall",
            "top5_baseline",
            "top1_baseline",
            "category_baseline",
            "test_precision_baseline",
            "test_recall_baseline",
        )
        values = {name: getattr(self, name) for name in names}
        return {name: round(value, 4) for name, value in values.items() if value is not None}


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def figures(outcomes: Sequence[Outcome]) -> Figures:
    """Compute the figures of *outcomes*."""
    labelled = [o for o in outcomes if o.case.category is not None]
    with_lines = [o for o in outcomes if o.case.ranges]
    paired = [o for o in with_lines if o.baseline_lines is not None]
    tested = [o for o in outcomes if o.case.tests]
    found = sum(len(o.tests) for o in tested)
    expected = sum(len(o.case.tests or ()) for o in tested)
    right = sum(_matched(set(o.tests), o.case.tests or ()) for o in tested)
    labelled_pairs = [o for o in labelled if o.baseline_category is not None]
    tested_pairs = [o for o in tested if o.baseline_tests is not None]
    return Figures(
        logs=len(outcomes),
        category=_ratio(sum(o.category_ok for o in labelled), len(labelled)),
        top5=_ratio(sum(o.hit(5) for o in with_lines), len(with_lines)),
        top1=_ratio(sum(o.hit(1) for o in with_lines), len(with_lines)),
        max_lines=max((len(o.lines) for o in outcomes), default=0),
        baseline_logs=len(paired),
        top5_plain=_ratio(sum(o.hit(5) for o in paired), len(paired)),
        top1_plain=_ratio(sum(o.hit(1) for o in paired), len(paired)),
        top5_baseline=_ratio(sum(o.hit(5, baseline=True) for o in paired), len(paired)),
        top1_baseline=_ratio(sum(o.hit(1, baseline=True) for o in paired), len(paired)),
        test_precision=_mean(_precision(o) for o in tested),
        test_recall=_mean(_recall(o) for o in tested),
        test_precision_micro=_ratio(right, found) if tested else None,
        test_recall_micro=_ratio(right, expected),
        category_plain=_ratio(sum(o.category_ok for o in labelled_pairs), len(labelled_pairs)),
        category_baseline=_ratio(
            sum(o.baseline_category_ok for o in labelled_pairs), len(labelled_pairs)
        ),
        test_precision_plain=_mean(_precision(o) for o in tested_pairs),
        test_recall_plain=_mean(_recall(o) for o in tested_pairs),
        test_precision_baseline=_mean(_precision(o, baseline=True) for o in tested_pairs),
        test_recall_baseline=_mean(_recall(o, baseline=True) for o in tested_pairs),
    )


def _matched(names: Iterable[str], others: Iterable[str]) -> int:
    pool = list(others)
    return sum(any(same_test(name, other) for other in pool) for name in names)


def _reported(outcome: Outcome, baseline: bool) -> tuple[str, ...]:
    return (outcome.baseline_tests or ()) if baseline else outcome.tests


def _precision(outcome: Outcome, *, baseline: bool = False) -> float:
    """Share of the reported test names that the label lists (0 when none was reported)."""
    found = set(_reported(outcome, baseline))
    return _matched(found, outcome.case.tests or ()) / len(found) if found else 0.0


def _recall(outcome: Outcome, *, baseline: bool = False) -> float:
    """Share of the labelled test names that were reported."""
    expected = set(outcome.case.tests or ())
    reported = _reported(outcome, baseline)
    return _matched(expected, reported) / len(expected) if expected else 1.0


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def evaluate(corpus: Path, hooks: Hooks | None = None) -> list[Outcome]:
    """Analyse every case of the corpus."""
    use = hooks if hooks is not None else default_hooks()
    return [run_case(case, use) for case in load_cases(corpus)]


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def _row(name: str, f: Figures) -> str:
    return (
        f"{name:<24}{f.logs:>5}  {_pct(f.category)}  {_pct(f.top5)}  {_pct(f.top1)}"
        f"  {_pct(f.test_precision)}  {_pct(f.test_recall)}"
    )


def _groups(outcomes: Iterable[Outcome], key: str) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        value = getattr(outcome.case, key) if key != "category" else outcome.case.category
        groups[str(value)].append(outcome)
    return dict(sorted(groups.items()))


def report(outcomes: Sequence[Outcome], *, misses: bool = True) -> str:
    """The figures as text: overall, per CI, per category, baseline, then the misses."""
    total = figures(outcomes)
    header = f"{'':<24}{'logs':>5}  category  top-5    top-1    tests-P  tests-R"
    out = [header, _row("overall", total)]
    for key in ("source", "ci", "category"):
        out.append(f"-- per {key}")
        out.extend(
            _row(f"  {name}", figures(group)) for name, group in _groups(outcomes, key).items()
        )
    out.append("")
    out.append(
        f"with the last passing log as baseline ({total.baseline_logs} logs): "
        f"top-5 {_pct(total.top5_plain)} -> {_pct(total.top5_baseline)}, "
        f"top-1 {_pct(total.top1_plain)} -> {_pct(total.top1_baseline)}"
    )
    out.append(
        f"  and category {_pct(total.category_plain)} -> {_pct(total.category_baseline)}, "
        f"failing tests P {_pct(total.test_precision_plain)} -> "
        f"{_pct(total.test_precision_baseline)}, R {_pct(total.test_recall_plain)} -> "
        f"{_pct(total.test_recall_baseline)}"
    )
    out.append(
        "failing-test names, averaged per log (above) / pooled over all names: "
        f"precision {_pct(total.test_precision)} / {_pct(total.test_precision_micro)}, "
        f"recall {_pct(total.test_recall)} / {_pct(total.test_recall_micro)}"
    )
    out.append(f"most error lines reported for one log: {total.max_lines} (cap {MAX_LINES})")
    seconds = sum(o.seconds for o in outcomes)
    out.append(f"analysis time: {seconds:.2f} s for {len(outcomes)} logs (without baselines)")
    out.append("")
    out.append("floors: " + ", ".join(f"{k} >= {100 * v:.0f}%" for k, v in FLOORS.items()))
    kept = load_measured()
    if kept:
        now = total.measured()
        drops = [
            f"{name} {_pct(now.get(name))} < {_pct(value)}"
            for name, value in kept.items()
            if now.get(name) is None or now[name] < value - TOLERANCE
        ]
        out.append(
            f"measured figures ({MEASURED_PATH.name}, tolerance {100 * TOLERANCE:.0f} point): "
            + ("; ".join(drops) if drops else "none dropped")
        )
    if misses:
        out.append("")
        out.extend(_misses(outcomes))
    return "\n".join(out)


def _misses(outcomes: Sequence[Outcome]) -> list[str]:
    out = ["misses (category: expected -> got; lines: first reported vs labelled ranges):"]
    for o in outcomes:
        notes = []
        if o.case.category is not None and not o.category_ok:
            notes.append(f"category {o.case.category} -> {o.category}")
        if o.case.ranges and not o.hit(5):
            notes.append(f"top-5 miss {list(o.lines[:5])} vs {list(o.case.ranges)[:3]}")
        elif o.case.ranges and not o.hit(1):
            notes.append(f"top-1 miss {list(o.lines[:3])} vs {list(o.case.ranges)[:3]}")
        if o.baseline_lines is not None and o.hit(5) and not o.hit(5, baseline=True):
            notes.append("baseline lost the top-5 hit")
        if o.case.tests:
            extra = sorted(t for t in o.tests if not _matched([t], o.case.tests))
            missing = sorted(t for t in o.case.tests if not _matched([t], o.tests))
            if extra:
                notes.append(f"extra tests {extra[:3]}{'...' if len(extra) > 3 else ''}")
            if missing:
                notes.append(f"missing tests {missing[:3]}{'...' if len(missing) > 3 else ''}")
        if notes:
            out.append(f"  {o.case.name}: " + "; ".join(notes))
    return out


def load_measured(path: Path = MEASURED_PATH) -> dict[str, float]:
    """The figures last measured (``{}`` when the file is missing)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(name): float(value) for name, value in data["figures"].items()}


def save_measured(figures_now: Figures, path: Path = MEASURED_PATH) -> None:
    """Write the figures as the new measured values (atomically: never half-written)."""
    data = {
        "about": "LogWhisperer's quality figures on the shared corpus, written by "
        "benchmarks/quality.py --update; tests/logs/test_quality.py fails when one falls "
        f"more than {TOLERANCE} below its value here.",
        "logs": figures_now.logs,
        "figures": figures_now.measured(),
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def default_corpus() -> Path:
    """``$CI_RESCUE_CORPUS``, else ``../shared/corpus`` next to the checkout."""
    configured = os.environ.get("CI_RESCUE_CORPUS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--no-misses", action="store_true", help="do not list the misses")
    parser.add_argument(
        "--update",
        action="store_true",
        help=f"write the figures to {MEASURED_PATH.name} (what the quality test holds to)",
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "logs" / "LABELS.jsonl").is_file():
        print(f"no corpus at {args.corpus} (set --corpus or CI_RESCUE_CORPUS)", file=sys.stderr)
        return 2
    outcomes = evaluate(args.corpus)
    print(report(outcomes, misses=not args.no_misses))
    if args.update:
        save_measured(figures(outcomes))
        print(f"\nwrote {MEASURED_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
