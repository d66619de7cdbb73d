"""A synthetic CI history whose truth is known by construction (see ``flake_data``).

Two matrix cells (``test (3.11)``, ``test (3.12)``) run every test at every commit of ``main``
and of short-lived pull-request branches.  A job with a failing test is re-run whole (every
test runs again) up to twice.  What happens:

- **flaky** tests fail at random with a flip probability between 0.5% and 40% (log-uniform),
  with one or two messages of their own; a third of them are *bursty*: right after a flake
  the next commit flakes with probability 0.5 (flakiness comes in spells, as in the real
  rerun data);
- **regressions** make a test fail on every attempt for 1-8 commits with a new message, then
  get fixed — on healthy and on flaky tests, in both cells or in one;
- **broken** tests start failing at some commit and stay broken to the end — in both cells, or
  only in ``test (3.12)`` while passing in ``test (3.11)`` at the same commits;
- pull requests sometimes break a test on their branch only;
- **infrastructure outages** fail 85% of the tests of one job attempt at once with a generic
  error (``Process completed with exit code 1``); the re-run passes;
- a quarter of pull-request runs are never re-run: their failures have one attempt only.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import timedelta

from benchmarks.flake_data import T0, Dataset
from ci_rescue_core.flake.observations import Observation

JOBS = ("test (3.11)", "test (3.12)")


@dataclass
class _Test:
    name: str
    kind: str  # ok | flaky | broken | broken-3.12
    rate: float = 0.0
    bursty: bool = False
    spell: set[str] = field(default_factory=set)  # jobs whose last commit flaked
    messages: int = 1
    broken_from: int = 10**9
    regressions: tuple[tuple[int, int, tuple[str, ...]], ...] = ()

    def truth(self) -> str:
        return "flaky" if self.kind == "flaky" else "broken" if "broken" in self.kind else "ok"

    def broken_in(self, job: str, commit: int) -> str | None:
        """The message of a deterministic failure of this test in *job* at *commit*."""
        if commit >= self.broken_from and (self.kind == "broken" or job == JOBS[1]):
            return f"{self.name}#broken"
        for start, length, jobs in self.regressions:
            if start <= commit < start + length and job in jobs:
                return f"{self.name}#regression{start}"
        return None


def _population(rng: random.Random, count: int, commits: int) -> list[_Test]:
    tests = []
    for index in range(count):
        name = f"tests/test_mod{index // 20:02d}.py::test_case_{index:03d}"
        roll = rng.random()
        if roll < 0.15:
            rate = math.exp(rng.uniform(math.log(0.005), math.log(0.4)))
            test = _Test(
                name,
                "flaky",
                rate=rate,
                messages=rng.choice((1, 1, 2)),
                bursty=rng.random() < 1 / 3,
            )
        elif roll < 0.18:
            test = _Test(name, "broken", broken_from=rng.randint(commits // 2, commits - 3))
        elif roll < 0.20:
            test = _Test(name, "broken-3.12", broken_from=rng.randint(commits // 2, commits - 3))
        else:
            test = _Test(name, "ok")
        if test.kind in ("ok", "flaky") and rng.random() < 0.12:
            start = rng.randint(3, commits - 15)
            length = rng.choice((1, 2, 3, 5, 8))
            jobs = JOBS if rng.random() < 0.7 else (rng.choice(JOBS),)
            test.regressions = ((start, length, jobs),)
        tests.append(test)
    return tests


def synthetic(*, tests: int = 400, commits: int = 150, seed: int = 3, retries: int = 2) -> Dataset:
    """Build the synthetic history (module docstring); *retries*: most re-runs of a run with a
    failure (0: no re-run data at all)."""
    rng = random.Random(seed)
    population = _population(rng, tests, commits)
    data = Dataset(name="synthetic")
    failed_tests: set[str] = set()
    minute = 0
    schedule: list[tuple[str, int, str]] = []  # (branch, commit index for state, sha)
    for commit in range(commits):
        schedule.append(("main", commit, f"main{commit:04d}"))
        if rng.random() < 0.3:
            pr = f"pr-{commit}"
            for step in range(rng.randint(1, 3)):
                schedule.append((pr, commit, f"{pr}-{step}"))
    pr_breaks: dict[str, tuple[str, str]] = {}  # branch -> (test, message)
    for run_number, (branch, commit, sha) in enumerate(schedule, start=1):
        minute += 30
        if branch != "main" and branch not in pr_breaks and rng.random() < 0.15:
            victim = rng.choice([t for t in population if t.kind == "ok"])
            pr_breaks[branch] = (victim.name, f"{victim.name}#pr-{branch}")
        if branch != "main" and rng.random() < 0.4:
            pr_breaks.pop(branch, None)  # the next push fixed it (or it never broke)
        attempts = min(1 if branch != "main" and rng.random() < 0.25 else 3, retries + 1)
        for job in JOBS:
            _run_job(
                data,
                rng,
                population,
                job,
                branch,
                commit,
                sha,
                str(run_number),
                minute,
                pr_breaks.get(branch),
                failed_tests,
                attempts,
            )
    for test in population:
        if test.name in failed_tests:
            data.truth[test.name] = test.truth()
        else:
            data.unscored[test.truth()] += 1
    data.observations = [o for o in data.observations if o.test in failed_tests]
    data.notes.append(
        f"{tests} tests, {commits} commits on main plus pull requests, 2 jobs, up to {retries} "
        f"re-runs of a failing run"
    )
    return data


def _run_job(
    data: Dataset,
    rng: random.Random,
    population: list[_Test],
    job: str,
    branch: str,
    commit: int,
    sha: str,
    run: str,
    minute: int,
    pr_break: tuple[str, str] | None,
    failed_tests: set[str],
    attempts: int,
) -> None:
    flaked: set[str] = set()
    for attempt in range(1, attempts + 1):
        outage = rng.random() < 0.04
        data.sizes[(run, attempt, job)] = len(population)
        any_failed = False
        for test in population:
            message = test.broken_in(job, commit)
            if pr_break is not None and pr_break[0] == test.name:
                message = pr_break[1]
            truth = "broken"
            rate = 0.5 if test.bursty and job in test.spell and attempt == 1 else test.rate
            if message is None and test.kind == "flaky" and rng.random() < rate:
                message = f"{test.name}#flake{rng.randrange(test.messages)}"
                truth = "flake"
                flaked.add(test.name)
            if outage and rng.random() < 0.85:
                message, truth = None, "outage"
                failed = True
            else:
                failed = message is not None
            if failed:
                any_failed = True
                failed_tests.add(test.name)
                if truth != "outage":
                    key = (test.name, job, sha)
                    if data.cell_truth.get(key) != "broken":
                        data.cell_truth[key] = truth
            data.observations.append(
                Observation(
                    test=test.name,
                    sha=sha,
                    failed=failed,
                    run=run,
                    attempt=attempt,
                    time=T0 + timedelta(minutes=minute + 10 * attempt),
                    job=job,
                    branch=branch,
                    fingerprint=message,
                )
            )
        if not any_failed:
            break
    for test in population:
        if test.bursty:
            if test.name in flaked:
                test.spell.add(job)
            else:
                test.spell.discard(job)
