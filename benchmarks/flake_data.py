"""Histories with known truth for evaluating FlakeHunter (used by ``flake_eval.py``).

Three datasets:

- ``flakeflagger`` — the real per-test failure rates of FlakeFlagger's 10,000 reruns of 24 Java
  projects (``corpus/flaky-eval/flakeflagger/test_results.csv``, BSD-3-Clause), replayed as a CI
  history as its SOURCES.md suggests: every commit runs every test once, a failing test is
  retried up to twice on the same commit, and deterministic regressions lasting a few commits
  are injected (some on flaky tests), each failing with a new exception.
- ``rerun-sequences`` — the real, time-ordered test-suite runs of the iDFlakies rerun study
  (``corpus/flaky/rerunning-no-tests``): every run becomes a commit of the default branch with
  exactly the flaky failures the study recorded, a failing test's retries take the outcomes of
  the next recorded runs, the always-failing tests fail every run, and regressions are injected.
  A test is flaky when the study's summary says so or when it failed in a recorded run (nine
  tests the 2,000-run summary calls "pass" fail in the recorded runs of the same commit).
- ``synthetic`` — a two-job matrix with pull-request branches whose truth is known by
  construction: flaky tests with flip probabilities from 0.5% to 40%, regressions (some lasting
  one commit, some on flaky tests, some in one matrix cell only), tests broken to the end (in
  both cells or in one), infrastructure outages that fail most tests of a run at once with a
  generic error, and whole-job re-runs after every failure.

A dataset lists only tests that ever failed; every other test passed throughout and is counted
as ``ok`` without being scored (the scorer answers ``ok`` for a history without failures).
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ci_rescue_core.flake.observations import Observation

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
CellKey = tuple[str, str, str]  # (test, job, sha)


@dataclass
class Dataset:
    """A history and its truth.

    :ivar truth: per materialised test: ``flaky``, ``broken`` or ``ok``.
    :ivar unscored: truth labels of tests that never failed (not materialised).
    :ivar cell_truth: per failing cell: ``flake`` or ``broken``.
    :ivar sizes: tests per run attempt (for the mass-failure rule).
    """

    name: str
    observations: list[Observation] = field(default_factory=list)
    truth: dict[str, str] = field(default_factory=dict)
    unscored: Counter[str] = field(default_factory=Counter)
    cell_truth: dict[CellKey, str] = field(default_factory=dict)
    sizes: dict[tuple[str, int, str], int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _exception_picker(rng: random.Random, kinds: int) -> Iterator[int]:
    weights = [1.0 / (k + 1) ** 1.5 for k in range(max(kinds, 1))]
    while True:
        yield rng.choices(range(len(weights)), weights)[0]


def _regressions(
    rng: random.Random, candidates: list[str], count: int, commits: int
) -> dict[str, tuple[int, int]]:
    """``test -> (first commit, length)`` for *count* regressions that end before the last
    ten commits (so that the truth at the end is the test's own)."""
    chosen = rng.sample(candidates, min(count, len(candidates)))
    out = {}
    for test in chosen:
        length = rng.randint(2, 8)
        start = rng.randint(5, max(6, commits - length - 10))
        out[test] = (start, length)
    return out


# -- FlakeFlagger ---------------------------------------------------------------------------


def _leading_int(text: str) -> int:
    """The integer a field starts with (one upstream row has the next row's project name glued
    to its last field: ``0ninjaframework-ninja``)."""
    digits = re.match(r"\d*", text or "")
    return int(digits.group()) if digits and digits.group() else 0


def flakeflagger(
    csv_path: Path,
    *,
    commits: int = 120,
    retries: int = 2,
    regression_share: float = 0.1,
    seed: int = 7,
    projects: set[str] | None = None,
) -> Dataset:
    """Replay FlakeFlagger's per-test failure rates as a CI history (see the module docstring)."""
    rng = random.Random(seed)
    data = Dataset(name="flakeflagger")
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_project: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if projects is None or row["Project"] in projects:
            by_project[row["Project"]].append(row)
    for project, tests in sorted(by_project.items()):
        labels: dict[str, str] = {}
        rates: dict[str, float] = {}
        kinds: dict[str, int] = {}
        for row in tests:
            fails, passes = int(row["NumFailingRuns"]), int(row["NumPassingRuns"])
            name = f"{project}::{row['Test']}"
            if row["IsFlaky"] == "1":
                labels[name], rates[name] = "flaky", fails / (fails + passes)
            elif passes == 0:
                labels[name], rates[name] = "broken", 1.0
            else:
                labels[name], rates[name] = "ok", 0.0
            kinds[name] = max(_leading_int(row["UniqueFailingExceptionTypes"]), 1)
        flaky = [t for t, label in labels.items() if label == "flaky"]
        ok = [t for t, label in labels.items() if label == "ok"]
        count = max(1, round(regression_share * (len(flaky) + 1)))
        injected = _regressions(rng, rng.sample(ok, min(len(ok), count)), count, commits)
        injected.update(_regressions(rng, flaky, max(1, count // 2), commits))
        for test, label in labels.items():
            _replay_test(
                data,
                rng,
                project,
                test,
                label,
                rates[test],
                kinds[test],
                injected.get(test),
                commits,
                retries,
                len(tests),
            )
    data.notes.append(
        f"{commits} commits per project, up to {retries} retries of a failing test, "
        f"regressions of 2-8 commits with a new exception"
    )
    return data


def _replay_test(
    data: Dataset,
    rng: random.Random,
    project: str,
    test: str,
    label: str,
    rate: float,
    kinds: int,
    regression: tuple[int, int] | None,
    commits: int,
    retries: int,
    suite: int,
) -> None:
    picker = _exception_picker(rng, kinds)
    observations: list[Observation] = []
    failed_any = False
    for commit in range(commits):
        sha = f"{project}-c{commit:04d}"
        in_regression = regression is not None and (
            regression[0] <= commit < regression[0] + regression[1]
        )
        for attempt in range(1, retries + 2):
            fingerprint: str | None
            if in_regression:
                failed, fingerprint = True, f"{test}#regression"
            elif label == "broken":
                failed, fingerprint = True, f"{test}#broken"
            else:
                failed = rng.random() < rate
                fingerprint = f"{test}#exc{next(picker)}" if failed else None
            data.sizes[(sha, attempt, project)] = suite
            observations.append(
                Observation(
                    test=test,
                    sha=sha,
                    failed=failed,
                    run=sha,
                    attempt=attempt,
                    job=project,
                    time=T0 + timedelta(hours=2 * commit, minutes=10 * attempt),
                    fingerprint=fingerprint,
                )
            )
            if failed:
                failed_any = True
                data.cell_truth[(test, project, sha)] = (
                    "broken" if in_regression or label == "broken" else "flake"
                )
            if not failed:
                break
    if failed_any:
        data.truth[test] = label
        data.observations.extend(observations)
    else:
        data.unscored[label] += 1


# -- the iDFlakies rerun sequences ----------------------------------------------------------------


def rerun_sequences(
    root: Path,
    *,
    runs_per_module: int = 300,
    retries: int = 2,
    regression_share: float = 0.2,
    seed: int = 11,
) -> Dataset:
    """Replay the rerun study's recorded test-suite runs as CI history (module docstring)."""
    rng = random.Random(seed)
    data = Dataset(name="rerun-sequences")
    azure = root / "azure-data"
    mapping = {}
    with (azure / "rq-data" / "module-mapping-filtered.csv").open(encoding="utf-8") as handle:
        for slug, path, module_id, _ in csv.reader(handle):
            mapping[module_id] = (slug, path)
    status: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    summaries = azure / "all_tests" / "test-summaries" / "all-modules-concatenated.csv"
    with summaries.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            status[(row["slug"], row["module_path"])][row["test_name"]] = row[
                "summarized_test_result"
            ]
    batches: dict[str, dict[tuple[str, str], dict[int, set[str]]]] = defaultdict(dict)
    failures = azure / "rq-data" / "multi-flaky-test-failures" / "all-multi-flaky-test-failures.csv"
    with failures.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            batch = batches[row["module_id"]].setdefault((row["batch_id"], row["order_id"]), {})
            batch[int(row["tsrnum(1-100)"])] = set(row["set_of_test_that_fail"].split(";"))
    for module_id, module_batches in sorted(batches.items()):
        slug, path = mapping[module_id]
        tests = status[(slug, path)]
        runs: list[set[str]] = []
        for batch in module_batches.values():
            runs.extend(batch.get(number, set()) for number in range(1, 101))
        short = slug.rsplit("/", 1)[-1] + (path.strip(".").replace("/", "-") or "")
        _replay_module(data, rng, short, tests, runs, runs_per_module, retries, regression_share)
    data.notes.append(
        f"first {runs_per_module} recorded runs per module as commits, retries from the next "
        f"recorded runs, regressions of 2-8 commits injected"
    )
    return data


def _replay_module(
    data: Dataset,
    rng: random.Random,
    module: str,
    tests: dict[str, str],
    runs: list[set[str]],
    window: int,
    retries: int,
    regression_share: float,
) -> None:
    recorded = set().union(*runs) if runs else set()
    labels = {
        name: (
            "flaky"
            if s == "flaky" or name in recorded  # failed in a recorded run, passed in others
            else "broken"
            if s in ("failure", "error")
            else "ok"
        )
        for name, s in tests.items()
    }
    flaky = [t for t, label in labels.items() if label == "flaky"]
    ok = [t for t, label in labels.items() if label == "ok"]
    count = max(1, round(regression_share * (len(flaky) + 1)))
    injected = _regressions(rng, rng.sample(ok, min(len(ok), count)), count, window)
    injected.update(_regressions(rng, flaky, max(1, count // 2), window))
    used = runs[:window]
    for test, label in labels.items():
        observations = []
        failed_any = False
        regression = injected.get(test)
        for commit in range(len(used)):
            sha = f"{module}-r{commit:04d}"
            in_regression = regression is not None and (
                regression[0] <= commit < regression[0] + regression[1]
            )
            for attempt in range(1, retries + 2):
                recorded = runs[(commit + attempt - 1) % len(runs)]
                failed = in_regression or label == "broken" or test in recorded
                data.sizes[(sha, attempt, module)] = len(tests)
                observations.append(
                    Observation(
                        test=f"{module}::{test}",
                        sha=sha,
                        failed=failed,
                        run=sha,
                        attempt=attempt,
                        job=module,
                        time=T0 + timedelta(hours=2 * commit, minutes=10 * attempt),
                    )
                )
                if failed:
                    failed_any = True
                    truth = "broken" if in_regression or label == "broken" else "flake"
                    data.cell_truth[(f"{module}::{test}", module, sha)] = truth
                else:
                    break
        if failed_any:
            data.truth[f"{module}::{test}"] = label
            data.observations.extend(observations)
        else:
            data.unscored[label] += 1
