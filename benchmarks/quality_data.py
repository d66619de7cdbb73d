"""The ground truth the quality benchmark scores against: corpus cases and how to compare.

See :mod:`benchmarks.quality` for the sources and the figures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import attrs

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@attrs.frozen
class Case:
    """One log with its ground truth.

    :ivar category: labelled category; ``None`` for CiDiff-only cases (lines only).
    :ivar tests: labelled failing tests; ``None`` when the label does not list them.
    :ivar ranges: root-cause line ranges (1-based, inclusive, ``\\n``-counted).
    """

    name: str
    path: Path
    ci: str
    source: str
    category: str | None
    tests: tuple[str, ...] | None
    ranges: tuple[tuple[int, int], ...]
    baseline: Path | None = None

    def is_root_cause(self, line: int) -> bool:
        """Whether *line* is inside a labelled root-cause range."""
        return any(first <= line <= last for first, last in self.ranges)


def load_cases(corpus: Path) -> list[Case]:
    """Every evaluated log: the LABELS.jsonl rows, then the CiDiff pairs not among them."""
    logs = corpus / "logs"
    cases: list[Case] = []
    seen: set[Path] = set()
    with (logs / "LABELS.jsonl").open(encoding="utf-8") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            row = json.loads(raw)
            path = (logs / row["file"]).resolve()
            seen.add(path)
            baseline = next(
                (
                    (logs / name).resolve()
                    for name in row.get("companion_files") or ()
                    if name.endswith("pass.log")
                ),
                None,
            )
            tests = tuple(row["failing_tests"]) or None
            cases.append(
                Case(
                    name=row["file"].removeprefix("../"),
                    path=path,
                    ci=row["ci"],
                    source="labels",
                    category=row["category"],
                    tests=tests,
                    ranges=tuple((int(a), int(b)) for a, b in row["root_cause_ranges"]),
                    baseline=baseline if baseline is not None and baseline.is_file() else None,
                )
            )
    breakages = corpus / "flaky-eval" / "cidiff-breakages"
    for folder in sorted(p for p in breakages.glob("*") if p.is_dir()):
        fail = (folder / "fail.log").resolve()
        truth = folder / "groundtruth"
        if fail in seen or not fail.is_file() or not truth.is_file():
            continue
        passing = folder / "pass.log"
        cases.append(
            Case(
                name=f"flaky-eval/cidiff-breakages/{folder.name}/fail.log",
                path=fail,
                ci=_guess_ci(truth),
                source="cidiff",
                category=None,
                tests=None,
                ranges=cidiff_ranges(fail, truth),
                baseline=passing if passing.is_file() else None,
            )
        )
    return cases


def _guess_ci(truth: Path) -> str:
    parser = truth.read_text(encoding="utf-8").split("\n", 1)[0].strip()
    return "github-actions" if "GITHUB" in parser else "jenkins"


def cidiff_ranges(log: Path, truth: Path) -> tuple[tuple[int, int], ...]:
    """The ``E`` intervals of a CiDiff ``groundtruth`` file in ``\\n``-based line numbers.

    CiDiff counts a lone ``\\r`` as a line break too; ``analyze`` (like a downloaded file)
    counts only ``\\n``.
    """
    data = log.read_bytes()
    to_newline: list[int] = []
    number = 1
    start = 0
    for match in _LINE_BREAK.finditer(data):
        to_newline.append(number)
        if match.group() != b"\r":
            number += 1
        start = match.end()
    if start < len(data):
        to_newline.append(number)
    ranges: list[tuple[int, int]] = []
    for row in truth.read_text(encoding="utf-8").splitlines()[1:]:
        kind, _, span = row.strip().partition(" ")
        if kind != "E" or not span:
            continue
        first, _, last = span.partition("-")
        a, b = int(first), int(last or first)
        if 1 <= a <= b <= len(to_newline):
            ranges.append((to_newline[a - 1], to_newline[b - 1]))
    return tuple(ranges)


def same_test(found: str, expected: str) -> bool:
    """Whether two names denote the same test, one perhaps more qualified than the other.

    Runners print a test more than once, more or less qualified (Surefire's
    ``pkg.ClassTest.method`` and ``ClassTest.method``); either form counts.  Runs of
    whitespace (a label's trailing space) do not matter.
    """
    found, expected = " ".join(found.split()), " ".join(expected.split())
    if found == expected:
        return True
    longer, shorter = (found, expected) if len(found) > len(expected) else (expected, found)
    return longer.endswith(shorter) and longer[-len(shorter) - 1] in ".:/ "
