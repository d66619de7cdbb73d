"""Judging a test from its history: each failure, and the test as a whole.

:func:`judge_failure` answers the pipeline's question — is *this* failure (one job at one commit)
a flake? — and :func:`assess_test` the history's: what is this test now?

- **flaky**: at least one of its failures is a flake with probability >= ``flaky_threshold``
  (the score is the highest such probability, a lower bound on P(the test is flaky)), and it
  is not failing for real right now;
- **broken**: its latest failure is not explained as a flake (it scores below
  ``flaky_threshold``) and nothing passed since — whatever its past;
- **ok**: it never failed (in the window), or its failures were fixed and none was a flake.

A test with a flaky past whose latest failure is a new one (a new fingerprint, every retry
failing, a breakage in progress) is **broken**: quarantining flaky tests wholesale would hide
real regressions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import attrs

from ci_rescue_core.flake.cells import Cells, build_cells, within_window
from ci_rescue_core.flake.factors import CellJudgement, Factor, Totals, judge_cell, short
from ci_rescue_core.flake.model import fit
from ci_rescue_core.flake.observations import Observation
from ci_rescue_core.flake.params import PRIOR_FLAKY, ModelParams, Thresholds
from ci_rescue_core.models import Evidence, Verdict

SOURCE = "history"


@attrs.frozen(kw_only=True)
class TestAssessment:
    """What the history says about one test.

    :ivar score: P(flake) of the deciding failure (see the module docstring).
    :ivar evidence: the deciding failure's factors, strongest first.
    :ivar observations: runs of the test in the window.
    :ivar failures: the judgement of every failing cell, oldest first.
    """

    __test__ = False  # not a pytest test class

    test: str
    verdict: Verdict
    score: float
    evidence: tuple[Evidence, ...]
    observations: int
    failures: tuple[CellJudgement, ...] = ()


def to_evidence(factor: Factor, subject: str) -> Evidence:
    """One factor as an :class:`Evidence` item (strength 1 - 1/factor, or 1 - factor)."""
    value = factor.bayes_factor
    supports = Verdict.FLAKY if value >= 1.0 else Verdict.BROKEN
    strength = 1.0 - 1.0 / value if value >= 1.0 else 1.0 - value
    return Evidence(
        kind=factor.kind,
        supports=supports,
        strength=round(min(max(strength, 0.0), 1.0), 4),
        detail=factor.detail,
        source=SOURCE,
        subject=subject,
        bayes_factor=value,
        count=factor.count,
    )


UNEXPLAINED = "unexplained_failure"
"""Kind of the item that says why a failure nothing speaks for or against scores the prior."""


def unexplained(judgement: CellJudgement, subject: str) -> Evidence:
    """Why a failure without any factor is judged by the prior alone (neutral: factor 1)."""
    cell = judgement.cell
    runs = cell.fails + cell.passes
    where = f"{cell.job} at {short(cell.sha)}" if cell.job else f"commit {short(cell.sha)}"
    return Evidence(
        kind=UNEXPLAINED,
        supports=Verdict.BROKEN,
        strength=0.0,
        detail=f"no pass on record: it failed in {runs} of {runs} run(s) of {where}, and its "
        f"history holds no other run that says anything — a failure nothing explains is taken "
        f"as real (P(flake) {PRIOR_FLAKY:.2f} before any evidence)",
        source=SOURCE,
        subject=subject,
        bayes_factor=1.0,
        count=runs,
    )


def evidence_of(judgement: CellJudgement, subject: str) -> tuple[Evidence, ...]:
    """The judgement's factors as evidence, strongest (largest |log factor|) first; a
    judgement without factors gets one neutral item saying why (:func:`unexplained`)."""
    if not judgement.factors:
        return (unexplained(judgement, subject),)
    ordered = sorted(judgement.factors, key=lambda f: -abs(math.log(f.bayes_factor)))
    return tuple(to_evidence(f, subject) for f in ordered)


def verdict_for(score: float, thresholds: Thresholds) -> Verdict:
    """Flaky at or above the flaky threshold, broken at or below the broken one, else unknown."""
    if score >= thresholds.flaky:
        return Verdict.FLAKY
    if score <= thresholds.broken:
        return Verdict.BROKEN
    return Verdict.UNKNOWN


def _prepare(
    observations: Sequence[Observation], params: ModelParams, now: datetime
) -> tuple[Cells, int]:
    kept = within_window(observations, params, now)
    runs = len({(o.run, o.attempt, o.job) for o in kept})
    return build_cells(kept, params), runs


def judge_failure(
    test: str,
    observations: Sequence[Observation],
    *,
    job: str,
    sha: str,
    params: ModelParams,
    now: datetime,
) -> tuple[CellJudgement, int]:
    """Judge the failure of *test* in *job* at *sha* against its history.

    :param observations: the test's recorded outcomes, the failure being judged included.
    :returns: the judgement of that cell and the number of runs it rests on.
    :raises ValueError: when the history has no failure of *test* in *job* at *sha*.
    """
    cells, runs = _prepare(observations, params, now)
    index = cells.index_of(job, sha)
    if index is None or cells.cells[index].first_failure is None:
        raise ValueError(f"no failure of {test} in {job!r} at {sha[:7]} in its history")
    fitted = fit(cells, params, now)
    return judge_cell(cells, fitted, index, params), runs


def _fixed_since(cells: Cells, judgement: CellJudgement) -> bool:
    """True when the test passed later at another commit of the same job (same branch or a
    default branch) after the judged cell's last failure."""
    cell = judgement.cell
    last_failure = max(o.time for o in cell.observations if o.failed)
    for other in cells.cells:
        if other is cell or other.job != cell.job:
            continue
        if other.branch != cell.branch and not other.default:
            continue
        if any(not o.failed and o.time > last_failure for o in other.observations):
            return True
    return False


def assess_test(
    test: str,
    observations: Sequence[Observation],
    *,
    params: ModelParams,
    thresholds: Thresholds,
    now: datetime,
) -> TestAssessment:
    """The verdict on *test* from its whole history (see the module docstring)."""
    cells, runs = _prepare(observations, params, now)
    failing = [i for i, cell in enumerate(cells.cells) if cell.fails]
    if not failing:
        return TestAssessment(
            test=test, verdict=Verdict.OK, score=0.0, evidence=(), observations=runs
        )
    fitted = fit(cells, params, now)
    totals = Totals.of(cells, fitted, params)
    judgements = tuple(judge_cell(cells, fitted, index, params, totals) for index in failing)
    latest = max(judgements, key=lambda j: max(o.time for o in j.cell.observations if o.failed))
    best = max(judgements, key=lambda j: j.score)
    if not _fixed_since(cells, latest) and latest.score < thresholds.flaky:
        # failing now, and this failure is not explained as a flake: a flaky past (the best
        # score) must not hide it — a new fingerprint or every retry failing is a new failure
        verdict, deciding = Verdict.BROKEN, latest
    elif best.score >= thresholds.flaky:
        verdict, deciding = Verdict.FLAKY, best
    else:
        verdict, deciding = Verdict.OK, best
    return TestAssessment(
        test=test,
        verdict=verdict,
        score=round(deciding.score, 4),
        evidence=evidence_of(deciding, test),
        observations=runs,
        failures=judgements,
    )
