"""The flake model: a two-state hidden Markov chain per test, fitted by expectation-maximisation.

Each commit (cell) of a test in one job is either **healthy** — the test fails at random with
the test's own flake rate theta — or **broken** — the code makes it fail every time (it passes
anyway with the small probability eps).  Along consecutive commits of one job and branch a
healthy test breaks with probability pi and a broken one is fixed with probability rho, so a
breakage persists while a flake does not.  The same test in the other jobs (matrix cells) at
the same commit is evidence too: a flake strikes each job on its own, a breakage usually hits
them together (q).  theta has a Beta(alpha0, beta0) prior (a typical test almost never flakes)
and is estimated from the history with exponentially decayed weights: the "time-decayed
failure rate".

:func:`fit` runs forward-backward on every chain and re-estimates theta until it settles.  Its
results are the probability that each cell was healthy, and the *context* of each cell — how
likely it is to be broken judging only by the other cells — which :mod:`.factors` combines with
the cell's own outcomes into the posterior of one failure.  docs/flakes.md has the maths and a
worked example.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import attrs

from ci_rescue_core.flake.cells import Cell, Cells
from ci_rescue_core.flake.params import ModelParams

SECONDS_PER_DAY = 86400.0


@attrs.frozen(kw_only=True)
class Fit:
    """The fitted model of one test.

    :ivar rate: theta-hat, the decayed flake rate estimate (posterior mean).
    :ivar healthy: per cell, P(healthy | all cells).
    :ivar context_broken: per cell, P(broken | every *other* cell), the cell's prior from its
        neighbours.
    :ivar weights: per cell, its time-decay weight 2^(-age / half-life).
    :ivar iterations: EM rounds used.
    """

    rate: float
    healthy: tuple[float, ...]
    context_broken: tuple[float, ...]
    weights: tuple[float, ...]
    iterations: int


def decay_weight(cell: Cell, params: ModelParams, now: datetime) -> float:
    """2^(-age / half-life) of the cell's last observation (1.0 for the future)."""
    age_days = max((now - cell.last).total_seconds() / SECONDS_PER_DAY, 0.0)
    return float(0.5 ** (age_days / params.half_life_days))


def sibling_log_ratio(cell: Cell, rate: float, params: ModelParams) -> tuple[float, float]:
    """log P(a sibling cell's outcomes | healthy here) and log P(... | broken here).

    A sibling is the same test in another job at the same commit.  A flake strikes each job
    on its own: the sibling fails on all its n attempts with probability rate^n.  A breakage
    usually hits every job (probability q): the sibling then fails too; otherwise it passes.
    """
    q = params.shared_breakage
    if cell.passes:
        all_fail = rate ** len(cell.observations)
        return math.log1p(-min(all_fail, 1.0 - 1e-12)), math.log1p(-q)
    return len(cell.observations) * math.log(rate), math.log(q)


@attrs.define
class _Block:
    """Consecutive cells of a chain judged together: one failing cell, or a stretch of cells
    where the test only passed (merged: a broken test passing at every one of them has
    probability eps^n, so the stretch is healthy as a whole or not at all)."""

    cells: list[int]
    fails: int = 0
    passes: int = 0
    weighted_fails: float = 0.0
    weighted_passes: float = 0.0


def _blocks(cells: Cells, chain: Sequence[int], weights: Sequence[float]) -> list[_Block]:
    blocks: list[_Block] = []
    for index in chain:
        cell = cells.cells[index]
        pure_pass = cell.fails == 0
        if not (pure_pass and blocks and blocks[-1].fails == 0):
            blocks.append(_Block(cells=[]))
        block = blocks[-1]
        block.cells.append(index)
        block.fails += cell.fails
        block.passes += cell.passes
        block.weighted_fails += weights[index] * cell.fails
        block.weighted_passes += weights[index] * cell.passes
    return blocks


def _emissions(
    cells: Cells, block: _Block, rate: float, params: ModelParams
) -> tuple[float, float]:
    """P(block outcomes | healthy) and P(block outcomes | broken), rescaled together; for a
    failing cell the outcomes of the same test in other jobs at the same commit count too."""
    eps = params.broken_pass_rate
    log_h = block.fails * math.log(rate) + block.passes * math.log1p(-rate)
    log_b = block.fails * math.log1p(-eps) + block.passes * math.log(eps)
    if block.fails:
        for sibling in cells.siblings(block.cells[0]):
            sib_h, sib_b = sibling_log_ratio(cells.cells[sibling], rate, params)
            log_h += sib_h
            log_b += sib_b
    top = max(log_h, log_b)
    return math.exp(log_h - top), math.exp(log_b - top)


def _chain_pass(
    cells: Cells, blocks: Sequence[_Block], rate: float, params: ModelParams
) -> list[tuple[float, float]]:
    """Forward-backward over one chain's blocks: ``(P(healthy), P(broken | other cells))``."""
    pi, rho = params.break_rate, params.fix_rate
    emissions = [_emissions(cells, block, rate, params) for block in blocks]
    predicted: list[tuple[float, float]] = []
    healthy, broken = 1.0 - pi, pi
    for e_h, e_b in emissions:
        predicted.append((healthy, broken))
        post_h, post_b = healthy * e_h, broken * e_b
        total = post_h + post_b
        post_h, post_b = post_h / total, post_b / total
        healthy = post_h * (1.0 - pi) + post_b * rho
        broken = post_h * pi + post_b * (1.0 - rho)
    backward: list[tuple[float, float]] = [(1.0, 1.0)] * len(blocks)
    for step in range(len(blocks) - 2, -1, -1):
        next_h, next_b = emissions[step + 1]
        later_h, later_b = backward[step + 1]
        from_h = (1.0 - pi) * next_h * later_h + pi * next_b * later_b
        from_b = rho * next_h * later_h + (1.0 - rho) * next_b * later_b
        scale = from_h + from_b
        backward[step] = (from_h / scale, from_b / scale)
    out = []
    for step in range(len(blocks)):
        pred_h, pred_b = predicted[step]
        back_h, back_b = backward[step]
        context_h, context_b = pred_h * back_h, pred_b * back_b
        e_h, e_b = emissions[step]
        gamma_h, gamma_b = context_h * e_h, context_b * e_b
        out.append((gamma_h / (gamma_h + gamma_b), context_b / (context_h + context_b)))
    return out


def fit(cells: Cells, params: ModelParams, now: datetime, *, tolerance: float = 1e-4) -> Fit:
    """Fit theta and the per-cell state probabilities of one test's cells.

    Starts from the prior mean (a typical, non-flaky test), so that ambiguous histories settle
    on the cautious reading: repeated failures are breakages until passes say otherwise.  Stops
    when theta changes by less than *tolerance* of itself.
    """
    items = cells.cells
    per_day = math.log(0.5) / (params.half_life_days * SECONDS_PER_DAY)
    weights = tuple(
        math.exp(per_day * max((now - cell.observations[-1].time).total_seconds(), 0.0))
        for cell in items
    )
    chains = [_blocks(cells, chain, weights) for chain in cells.chains]
    rate = params.prior_mean
    states: list[list[tuple[float, float]]] = []
    iterations = 0
    for iterations in range(1, params.em_iterations + 1):  # noqa: B007 - reported in Fit
        states = [_chain_pass(cells, blocks, rate, params) for blocks in chains]
        alpha, beta = params.prior_alpha, params.prior_beta
        for blocks, chain_states in zip(chains, states, strict=True):
            for block, (gamma, _) in zip(blocks, chain_states, strict=True):
                alpha += gamma * block.weighted_fails
                beta += gamma * block.weighted_passes
        new_rate = alpha / (alpha + beta)
        converged = abs(new_rate - rate) <= tolerance * rate
        rate = new_rate
        if converged:
            break
    states = [_chain_pass(cells, blocks, rate, params) for blocks in chains]
    healthy = [1.0] * len(items)
    context = [params.break_rate] * len(items)
    for blocks, chain_states in zip(chains, states, strict=True):
        for block, (gamma, ctx) in zip(blocks, chain_states, strict=True):
            for index in block.cells:
                healthy[index] = gamma
                context[index] = ctx
    return Fit(
        rate=rate,
        healthy=tuple(healthy),
        context_broken=tuple(context),
        weights=weights,
        iterations=iterations,
    )
