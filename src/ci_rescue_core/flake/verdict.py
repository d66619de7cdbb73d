"""Combining evidence into a flake score and verdict.

The score is a naive-Bayes posterior: start from the prior probability that a failure is flaky
(:data:`PRIOR_FLAKY`), multiply its odds by one likelihood ratio per piece of evidence, and turn
the odds back into a probability.  A piece that carries its exact ``bayes_factor`` (the history
model's do, see :mod:`ci_rescue_core.flake.factors`) contributes that; a piece with only a
``strength`` ``s`` contributes ``1 + (MAX_RATIO - 1) * s`` for flakiness, or its inverse against.
With no evidence the score is the prior, which is below the default ``broken_threshold``: a
failure nobody can explain as flaky is treated as real.

A failed job whose log names failing tests is judged test by test (:func:`judge_job`): each
test gets the evidence about it (``Evidence.subject``) plus the job-wide evidence, except where
a test-specific piece of the same kind says it more precisely.  The job is flaky only when
every failing test is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ci_rescue_core.flake.params import PRIOR_FLAKY
from ci_rescue_core.models import Evidence, FlakeVerdict, Verdict

__all__ = [
    "EARLIER_FLAKES",
    "MAX_RATIO",
    "OBSERVATIONS",
    "PRIOR_FLAKY",
    "evidence_for_test",
    "flake_score",
    "flakes_in",
    "judge",
    "judge_job",
    "likelihood_ratio",
    "observations_in",
    "probability",
]

MAX_RATIO = 20.0
"""Likelihood ratio of conclusive (strength 1.0) evidence that carries no exact factor."""

_LOG_ODDS_LIMIT = 700.0


def likelihood_ratio(item: Evidence) -> float:
    """The likelihood ratio P(evidence | flaky) / P(evidence | broken) of one piece."""
    if item.bayes_factor is not None:
        return item.bayes_factor
    ratio = 1.0 + (MAX_RATIO - 1.0) * item.strength
    if item.supports is Verdict.FLAKY:
        return ratio
    if item.supports is Verdict.BROKEN:
        return 1.0 / ratio
    return 1.0


def probability(log_odds: float) -> float:
    """The probability whose log-odds are *log_odds* (clamped so that ``exp`` cannot
    overflow)."""
    log_odds = max(min(log_odds, _LOG_ODDS_LIMIT), -_LOG_ODDS_LIMIT)
    return 1.0 / (1.0 + math.exp(-log_odds))


def flake_score(evidence: Sequence[Evidence], *, prior: float = PRIOR_FLAKY) -> float:
    """Posterior probability that the failure is flaky, in [0, 1]."""
    log_odds = math.log(prior / (1.0 - prior))
    for item in evidence:
        log_odds += math.log(likelihood_ratio(item))
    return probability(log_odds)


def _strongest_first(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    return tuple(sorted(evidence, key=lambda item: -abs(math.log(likelihood_ratio(item)))))


def judge(
    subject: str,
    evidence: Sequence[Evidence],
    *,
    fingerprint: str = "",
    flaky_threshold: float,
    broken_threshold: float,
    observations: int = 0,
) -> FlakeVerdict:
    """The verdict for *subject*: flaky at or above *flaky_threshold*, broken at or below
    *broken_threshold*, unknown in between.  Evidence is listed strongest first."""
    score = round(flake_score(evidence), 4)
    if score >= flaky_threshold:
        verdict = Verdict.FLAKY
    elif score <= broken_threshold:
        verdict = Verdict.BROKEN
    else:
        verdict = Verdict.UNKNOWN
    return FlakeVerdict(
        subject=subject,
        fingerprint=fingerprint,
        verdict=verdict,
        score=score,
        evidence=_strongest_first(evidence),
        observations=observations,
    )


OBSERVATIONS = "observations"
"""Kind of the neutral evidence item (factor 1) whose ``count`` says how many runs of the
subject the history holds: the confidence behind a verdict."""


EARLIER_FLAKES = "earlier_flakes"
"""Kind of the neutral evidence item (factor 1) whose ``count`` says how many of the subject's
failures at *other* commits were flakes: 0 for a first failure, which is never quarantined."""

SAME_COMMIT_KINDS = frozenset({"same_sha_passed", "same_sha_repeats", "rerun_passed"})
"""Kinds that count the other attempts and runs of the failing job at the same commit.  A
test's own history judgement (it carries an :data:`OBSERVATIONS` item) already counts every
one of them — the job's passes included, as implied passes of the test — so job-wide pieces
of these kinds stand down for that test: one observation is counted once."""


def observations_in(evidence: Iterable[Evidence]) -> int:
    """The run count of the :data:`OBSERVATIONS` item, 0 when there is none."""
    return max((item.count for item in evidence if item.kind == OBSERVATIONS), default=0)


def flakes_in(evidence: Iterable[Evidence]) -> int:
    """The count of the :data:`EARLIER_FLAKES` item, 0 when there is none."""
    return max((item.count for item in evidence if item.kind == EARLIER_FLAKES), default=0)


def evidence_for_test(test: str, evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence that applies to *test*: its own, plus the job-wide pieces of kinds it has
    no specific piece of (a test's own ``same_sha_passed`` supersedes the job's).  When the
    test has its own history judgement, job-wide pieces about the same commit's other attempts
    (:data:`SAME_COMMIT_KINDS`) are left out: the judgement has counted those attempts."""
    own = [item for item in evidence if item.subject == test]
    kinds = {item.kind for item in own}
    if OBSERVATIONS in kinds:
        kinds |= SAME_COMMIT_KINDS
    shared = [item for item in evidence if not item.subject and item.kind not in kinds]
    return own + shared


def judge_job(
    job: str,
    tests: Sequence[str],
    evidence: Sequence[Evidence],
    *,
    fingerprint: str = "",
    flaky_threshold: float,
    broken_threshold: float,
) -> FlakeVerdict:
    """The verdict on a failed job: per failing test when *tests* names any, else job-wide.

    With tests, the job is flaky when every failing test is, broken when any is, unknown
    otherwise; its score is the lowest test score (the failure is a flake only if each of
    them is) and its evidence that of its least flaky test.
    """
    if not tests:
        job_evidence = [item for item in evidence if not item.subject]
        return judge(
            job,
            job_evidence,
            fingerprint=fingerprint,
            flaky_threshold=flaky_threshold,
            broken_threshold=broken_threshold,
            observations=observations_in(job_evidence),
        )
    verdicts = []
    for test in tests:
        applicable = evidence_for_test(test, evidence)
        verdicts.append(
            judge(
                test,
                applicable,
                fingerprint=fingerprint,
                flaky_threshold=flaky_threshold,
                broken_threshold=broken_threshold,
                observations=observations_in(applicable),
            )
        )
    weakest = min(verdicts, key=lambda v: v.score)
    if all(v.verdict is Verdict.FLAKY for v in verdicts):
        overall = Verdict.FLAKY
    elif any(v.verdict is Verdict.BROKEN for v in verdicts):
        overall = Verdict.BROKEN
    else:
        overall = Verdict.UNKNOWN
    return FlakeVerdict(
        subject=job,
        fingerprint=fingerprint,
        verdict=overall,
        score=weakest.score,
        evidence=weakest.evidence,
        observations=min(v.observations for v in verdicts),
        tests=tuple(verdicts),
    )
