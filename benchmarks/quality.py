"""LogWhisperer's quality figures on the labelled real logs of the shared corpus.

Run it as ``.venv/bin/python benchmarks/quality.py [--corpus DIR] [--misses]``.

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
  (``pkg.ClassTest.method`` / ``ClassTest.method``) and runs of whitespace.
"""

from __future__ import annotations

import argparse
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


@attrs.frozen
class Outcome:
    """What ``analyze`` said about one case (with and without the baseline)."""

    case: Case
    category: str
    tests: tuple[str, ...]
    lines: tuple[int, ...]
    baseline_lines: tuple[int, ...] | None
    seconds: float

    @property
    def category_ok(self) -> bool:
        """The labelled category was found."""
        return self.category == self.case.category

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
    if case.baseline is not None:
        diffed = _analyze(case.path, hooks, case.baseline)
        with_baseline = tuple(e.line for e in diffed.fingerprint.error_lines)
    fingerprint = analysis.fingerprint
    return Outcome(
        case=case,
        category=fingerprint.category.value,
        tests=fingerprint.failing_tests,
        lines=tuple(e.line for e in fingerprint.error_lines),
        baseline_lines=with_baseline,
        seconds=seconds,
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
    )


def _matched(names: Iterable[str], others: Iterable[str]) -> int:
    pool = list(others)
    return sum(any(same_test(name, other) for other in pool) for name in names)


def _precision(outcome: Outcome) -> float:
    """Share of the reported test names that the label lists (0 when none was reported)."""
    found = set(outcome.tests)
    return _matched(found, outcome.case.tests or ()) / len(found) if found else 0.0


def _recall(outcome: Outcome) -> float:
    """Share of the labelled test names that were reported."""
    expected = set(outcome.case.tests or ())
    return _matched(expected, outcome.tests) / len(expected) if expected else 1.0


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
        "failing-test names, averaged per log (above) / pooled over all names: "
        f"precision {_pct(total.test_precision)} / {_pct(total.test_precision_micro)}, "
        f"recall {_pct(total.test_recall)} / {_pct(total.test_recall_micro)}"
    )
    out.append(f"most error lines reported for one log: {total.max_lines} (cap {MAX_LINES})")
    seconds = sum(o.seconds for o in outcomes)
    out.append(f"analysis time: {seconds:.2f} s for {len(outcomes)} logs (without baselines)")
    out.append("")
    out.append("floors: " + ", ".join(f"{k} >= {100 * v:.0f}%" for k, v in FLOORS.items()))
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
    args = parser.parse_args(argv)
    if not (args.corpus / "logs" / "LABELS.jsonl").is_file():
        print(f"no corpus at {args.corpus} (set --corpus or CI_RESCUE_CORPUS)", file=sys.stderr)
        return 2
    outcomes = evaluate(args.corpus)
    print(report(outcomes, misses=not args.no_misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
