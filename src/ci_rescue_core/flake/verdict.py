"""Combining evidence into a flake score and verdict.

The score is a naive-Bayes posterior: start from a prior probability that a failure is flaky,
multiply its odds by one likelihood ratio per piece of evidence, and turn the odds back into a
probability.  A piece of evidence of strength ``s`` for flakiness has likelihood ratio
``1 + (MAX_RATIO - 1) * s``; against flakiness, the inverse.  With no evidence the score is the
prior, which is below the default ``broken_threshold``: a failure nobody can explain as flaky is
treated as real.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ci_rescue_core.models import Evidence, FlakeVerdict, Verdict

PRIOR_FLAKY = 0.2
"""Probability that a failure is flaky before looking at any evidence."""

MAX_RATIO = 20.0
"""Likelihood ratio of conclusive (strength 1.0) evidence."""


def flake_score(evidence: Sequence[Evidence], *, prior: float = PRIOR_FLAKY) -> float:
    """Posterior probability that the failure is flaky, in [0, 1]."""
    log_odds = math.log(prior / (1.0 - prior))
    for item in evidence:
        ratio = 1.0 + (MAX_RATIO - 1.0) * item.strength
        if item.supports is Verdict.FLAKY:
            log_odds += math.log(ratio)
        elif item.supports is Verdict.BROKEN:
            log_odds -= math.log(ratio)
    return 1.0 / (1.0 + math.exp(-log_odds))


def judge(
    subject: str,
    evidence: Sequence[Evidence],
    *,
    fingerprint: str = "",
    flaky_threshold: float,
    broken_threshold: float,
) -> FlakeVerdict:
    """The verdict for *subject*: flaky at or above *flaky_threshold*, broken at or below
    *broken_threshold*, unknown in between."""
    score = round(flake_score(evidence), 4)
    if score >= flaky_threshold:
        verdict = Verdict.FLAKY
    elif score <= broken_threshold:
        verdict = Verdict.BROKEN
    else:
        verdict = Verdict.UNKNOWN
    ordered = tuple(sorted(evidence, key=lambda item: -item.strength))
    return FlakeVerdict(
        subject=subject, fingerprint=fingerprint, verdict=verdict, score=score, evidence=ordered
    )
