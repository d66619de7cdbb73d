"""The posterior of one failing cell, as a product of Bayes factors a reviewer can check.

posterior odds(flake : broken) = base odds x context x flake rate x other branches
                                 x repeats x same-commit passes x re-run passes
                                 x other jobs at the commit x fingerprint

Each factor is the likelihood ratio of one piece of evidence; :data:`BASE_ODDS` is the odds of
a failure nobody knows anything about (``PRIOR_FLAKY``).  Factors within 1% of 1 say nothing and
are left out.  docs/flakes.md derives every factor and works one example through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

from ci_rescue_core.flake.cells import Cell, Cells
from ci_rescue_core.flake.model import Fit, sibling_log_ratio
from ci_rescue_core.flake.params import PRIOR_FLAKY, ModelParams
from ci_rescue_core.flake.verdict import probability

BASE_ODDS = PRIOR_FLAKY / (1.0 - PRIOR_FLAKY)
"""Odds that an unexplained failure is a flake."""

NEGLIGIBLE = math.log(1.01)
"""Factors whose log is smaller than this (within 1% of 1) are not listed."""

_CLAMP = 1e-12


@attrs.frozen(kw_only=True)
class Factor:
    """One piece of evidence about one failing cell.

    :ivar kind: machine name (``same_sha_passed``, ``flake_rate``...).
    :ivar bayes_factor: P(evidence | flake) / P(evidence | broken).
    :ivar detail: one sentence naming commits, runs and counts.
    :ivar count: how many observations it rests on.
    """

    kind: str
    bayes_factor: float
    detail: str
    count: int = 0


@attrs.frozen(kw_only=True)
class CellJudgement:
    """The judgement of one failing cell: P(flake) and the factors behind it.

    :ivar other_flakes: the test's failures at *other* cells judged flakes (0 for a first
        failure).
    """

    index: int
    cell: Cell
    score: float
    factors: tuple[Factor, ...]
    other_flakes: int = 0


def short(sha: str) -> str:
    """The first seven characters of a commit sha."""
    return sha[:7]


def score_of(factors: Sequence[Factor]) -> float:
    """P(flake) from the base odds and *factors* (the same sum core's ``judge`` does)."""
    return probability(math.log(BASE_ODDS) + sum(math.log(f.bayes_factor) for f in factors))


def _clamp(p: float) -> float:
    return min(max(p, _CLAMP), 1.0 - _CLAMP)


@attrs.define
class _Counts:
    """Decayed, healthy-weighted Beta parameters and raw counts over some cells."""

    alpha: float
    beta: float
    fails: int = 0
    runs: int = 0
    cells: int = 0
    branches: set[str] = attrs.field(factory=set)

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def add(self, cell: Cell, weight: float, healthy: float, sign: int = 1) -> None:
        share = sign * weight * healthy
        fails = cell.fails
        self.alpha += share * fails
        self.beta += share * cell.passes
        self.runs += sign * (fails + cell.passes)
        self.cells += sign
        if fails and healthy >= 0.5:
            self.fails += sign * fails

    def without(self, cell: Cell, weight: float, healthy: float) -> _Counts:
        copy = _Counts(self.alpha, self.beta, self.fails, self.runs, self.cells, self.branches)
        copy.add(cell, weight, healthy, sign=-1)
        copy.alpha = max(copy.alpha, 0.0)
        copy.beta = max(copy.beta, 0.0)
        return copy


@attrs.define
class Totals:
    """Sums over every cell of a test, computed once per fit; a cell's leave-one-out view is
    the totals minus its own share."""

    main: _Counts
    every: _Counts
    fingerprints: dict[str, tuple[float, set[str]]]
    fingerprint_total: float
    branch_fails: dict[str, int]

    @classmethod
    def of(cls, cells: Cells, fit: Fit, params: ModelParams) -> Totals:
        """Totals of *cells* under *fit*."""
        main = _Counts(params.prior_alpha, params.prior_beta)
        every = _Counts(params.prior_alpha, params.prior_beta)
        fingerprints: dict[str, tuple[float, set[str]]] = {}
        fingerprint_total = 0.0
        branch_fails: dict[str, int] = {}
        for index, cell in enumerate(cells.cells):
            weight, healthy = fit.weights[index], fit.healthy[index]
            every.add(cell, weight, healthy)
            if cell.default:
                main.add(cell, weight, healthy)
            elif cell.fails and cell.branch:
                branch_fails[cell.branch] = branch_fails.get(cell.branch, 0) + 1
            if not cell.fails:
                continue
            for observation in cell.observations:
                if observation.failed and observation.fingerprint is not None:
                    fingerprint_total += healthy
                    mass, shas = fingerprints.get(observation.fingerprint, (0.0, set()))
                    if healthy >= 0.5:
                        shas = shas | {cell.sha}
                    fingerprints[observation.fingerprint] = (mass + healthy, shas)
        return cls(main, every, fingerprints, fingerprint_total, branch_fails)


def _history_counts(cells: Cells, fit: Fit, index: int, totals: Totals) -> tuple[_Counts, _Counts]:
    """(default-branch, all-branch) counts over every cell but *index*."""
    cell = cells.cells[index]
    weight, healthy = fit.weights[index], fit.healthy[index]
    main = totals.main.without(cell, weight, healthy) if cell.default else totals.main
    every = totals.every.without(cell, weight, healthy)
    every.branches = {
        branch
        for branch, count in totals.branch_fails.items()
        if count > (1 if branch == cell.branch and not cell.default and cell.fails else 0)
    }
    return main, every


def _context_factor(cells: Cells, fit: Fit, index: int, params: ModelParams) -> Factor | None:
    pi = params.break_rate
    broken = _clamp(fit.context_broken[index])
    value = ((1.0 - broken) / broken) / ((1.0 - pi) / pi)
    if abs(math.log(value)) < NEGLIGIBLE:
        return None
    cell = cells.cells[index]
    chain = cells.chains[cell.chain]
    position = chain.index(index)
    where = f"{cell.job or 'the job'} on {cell.branch or 'its branch'}"
    if value < 1.0:
        streak = 0
        for earlier in reversed(chain[:position]):
            if fit.healthy[earlier] >= 0.5:
                break
            streak += 1
        later = 0
        for following in chain[position + 1 :]:
            if fit.healthy[following] >= 0.5:
                break
            later += 1
        parts = []
        if streak:
            parts.append(f"the {streak} commit(s) before it")
        if later:
            parts.append(f"the {later} commit(s) after it")
        if not parts:
            return Factor(
                kind="neighbours",
                bayes_factor=value,
                detail=f"the commits around it on {where} make a breakage here slightly more "
                f"likely than usual",
            )
        return Factor(
            kind="breakage_in_progress",
            bayes_factor=value,
            detail=f"{' and '.join(parts)} of {where} failed on every attempt too: a breakage "
            f"persists across commits, a flake does not",
            count=streak + later,
        )
    before, after = cells.neighbours(index)
    named = [
        f"{label} {short(cells.cells[n].sha)}"
        for label, n in (("before", before), ("after", after))
        if n is not None
    ]
    return Factor(
        kind="isolated_failure",
        bayes_factor=value,
        detail=f"passed at the commits {' and '.join(named)} of {where}: a breakage fixed by "
        f"the very next commit is unlikely",
        count=len(named),
    )


def _rate_factors(main: _Counts, every: _Counts, params: ModelParams) -> list[Factor]:
    out = []
    mu0 = params.prior_mean
    rate_value = main.mean / mu0
    if abs(math.log(rate_value)) >= NEGLIGIBLE:
        days = params.half_life_days
        if main.fails:
            detail = (
                f"failed {main.fails} time(s) as a flake in {main.runs} run(s) at {main.cells} "
                f"other commit(s) of the default branch (flake rate {main.mean:.1%} with a "
                f"{days:g}-day half-life; a typical test: {mu0:.2%})"
            )
        else:
            detail = (
                f"never flaked in {main.runs} run(s) at {main.cells} other commit(s) of the "
                f"default branch (flake rate {main.mean:.2%}; a typical test: {mu0:.2%}): "
                f"failing is unusual for it"
            )
        out.append(
            Factor(kind="flake_rate", bayes_factor=rate_value, detail=detail, count=main.runs)
        )
    branch_value = every.mean / main.mean
    if abs(math.log(branch_value)) >= NEGLIGIBLE:
        extra_runs = every.runs - main.runs
        extra_fails = every.fails - main.fails
        names = ", ".join(sorted(every.branches)[:3]) or "other branches"
        if extra_fails:
            detail = (
                f"also flaked {extra_fails} time(s) in {extra_runs} run(s) on "
                f"{len(every.branches)} other branch(es) ({names}), e.g. unrelated pull requests"
            )
        else:
            detail = f"never flaked in {extra_runs} run(s) on other branches"
        out.append(
            Factor(
                kind="other_branches", bayes_factor=branch_value, detail=detail, count=extra_runs
            )
        )
    return out


def _cell_factors(cell: Cell, every: _Counts, params: ModelParams) -> list[Factor]:
    eps = params.broken_pass_rate
    first = next(i for i, o in enumerate(cell.observations) if o.failed)
    first_run = cell.observations[first].run
    alpha, beta = every.alpha + 1.0, every.beta
    logs: dict[str, float] = {"same_sha_repeats": 0.0, "same_sha_passed": 0.0, "rerun_passed": 0.0}
    seen: dict[str, list[str]] = {key: [] for key in logs}
    for position, observation in enumerate(cell.observations):
        if position == first:
            continue
        if observation.failed:
            kind = "same_sha_repeats"
            logs[kind] += math.log(alpha / (alpha + beta)) - math.log1p(-eps)
            alpha += 1.0
        else:
            kind = "rerun_passed" if observation.run == first_run else "same_sha_passed"
            logs[kind] += math.log(beta / (alpha + beta)) - math.log(eps)
            beta += 1.0
        how = " (job result)" if observation.implied else ""
        seen[kind].append(f"run {observation.run} attempt {observation.attempt}{how}")
    sha = short(cell.sha)
    out = []
    fails = cell.fails
    if seen["same_sha_repeats"]:
        rate = every.mean
        out.append(
            Factor(
                kind="same_sha_repeats",
                bayes_factor=math.exp(logs["same_sha_repeats"]),
                detail=f"failed on all {fails} attempt(s) at commit {sha} "
                f"({', '.join(seen['same_sha_repeats'][:3])} too); a test flaking "
                f"{rate:.1%} of the time does that {rate ** (fails - 1):.1%} of the time"
                if cell.passes == 0
                else f"failed {fails} time(s) at commit {sha}",
                count=fails,
            )
        )
    for kind, what in (
        ("same_sha_passed", "passed on the same commit"),
        ("rerun_passed", "passed when re-run"),
    ):
        if seen[kind]:
            out.append(
                Factor(
                    kind=kind,
                    bayes_factor=math.exp(logs[kind]),
                    detail=f"{what} {sha} ({', '.join(seen[kind][:3])}"
                    f"{', ...' if len(seen[kind]) > 3 else ''}): the code did not change",
                    count=len(seen[kind]),
                )
            )
    return out


def _sibling_factors(cells: Cells, index: int, rate: float, params: ModelParams) -> list[Factor]:
    """The same test in the other jobs at this commit: failing there too points to a
    breakage (it hits every job), passing there mildly to a flake (it strikes one job)."""
    failed: list[str] = []
    passed: list[str] = []
    logs = {"failed": 0.0, "passed": 0.0}
    for sibling in cells.siblings(index):
        cell = cells.cells[sibling]
        log_h, log_b = sibling_log_ratio(cell, rate, params)
        key = "passed" if cell.passes else "failed"
        logs[key] += log_h - log_b
        (passed if cell.passes else failed).append(cell.job or "another job")
    sha = short(cells.cells[index].sha)
    out = []
    if failed:
        out.append(
            Factor(
                kind="failed_in_other_jobs",
                bayes_factor=math.exp(logs["failed"]),
                detail=f"failed at the same commit {sha} in {', '.join(failed[:3])} too: a "
                f"breakage hits every job, a flake strikes one at a time",
                count=len(failed),
            )
        )
    if passed:
        out.append(
            Factor(
                kind="passed_in_other_jobs",
                bayes_factor=math.exp(logs["passed"]),
                detail=f"passed at the same commit {sha} in {', '.join(passed[:3])}",
                count=len(passed),
            )
        )
    return out


def _fingerprint_factor(
    cells: Cells, fit: Fit, index: int, totals: Totals, params: ModelParams
) -> Factor | None:
    cell = cells.cells[index]
    failure = cell.first_failure
    if failure is None or failure.fingerprint is None:
        return None
    healthy = fit.healthy[index]
    own = [o.fingerprint for o in cell.observations if o.failed and o.fingerprint is not None]
    total = totals.fingerprint_total - healthy * len(own)
    mass, shas = totals.fingerprints.get(failure.fingerprint, (0.0, set()))
    same = mass - healthy * sum(1 for fp in own if fp == failure.fingerprint)
    shas = shas - {cell.sha}
    if total < 1.0:
        return None
    conc, delta = params.fingerprint_concentration, params.known_given_broken
    if same >= 0.5:
        value = (same / (total + conc)) / delta
        return Factor(
            kind="recurring_fingerprint",
            bayes_factor=value,
            detail=f"the same failure ({failure.fingerprint[:12]}) came and went as a flake at "
            f"{len(shas)} other commit(s): {same:.0f} of its {total:.0f} flaky failures look "
            f"like this one",
            count=len(shas),
        )
    value = (conc / (total + conc)) / (1.0 - delta)
    return Factor(
        kind="new_fingerprint",
        bayes_factor=value,
        detail=f"fails in a new way ({failure.fingerprint[:12]}): none of its {total:.0f} "
        f"earlier flaky failures looked like this — a new failure, not the old flake",
        count=round(total),
    )


def judge_cell(
    cells: Cells, fit: Fit, index: int, params: ModelParams, totals: Totals | None = None
) -> CellJudgement:
    """P(the failure in cell *index* is a flake) with the factors that make it up.

    :param totals: :meth:`Totals.of` the same cells and fit, when judging many cells.
    """
    cell = cells.cells[index]
    if cell.first_failure is None:
        raise ValueError(f"cell {index} ({cell.job}@{cell.sha}) has no failure to judge")
    totals = totals if totals is not None else Totals.of(cells, fit, params)
    main, every = _history_counts(cells, fit, index, totals)
    factors: list[Factor] = []
    context = _context_factor(cells, fit, index, params)
    if context is not None:
        factors.append(context)
    factors.extend(_rate_factors(main, every, params))
    factors.extend(_cell_factors(cell, every, params))
    factors.extend(_sibling_factors(cells, index, every.mean, params))
    fingerprint = _fingerprint_factor(cells, fit, index, totals, params)
    if fingerprint is not None:
        factors.append(fingerprint)
    kept = tuple(f for f in factors if abs(math.log(f.bayes_factor)) >= NEGLIGIBLE)
    return CellJudgement(
        index=index, cell=cell, score=score_of(kept), factors=kept, other_flakes=every.fails
    )
