"""The flake score: a documented naive-Bayes posterior, monotone in the evidence."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.flake.verdict import PRIOR_FLAKY, flake_score, judge
from ci_rescue_core.models import Evidence, Verdict

strength = st.floats(0.0, 1.0, allow_nan=False)


def ev(supports: Verdict, s: float) -> Evidence:
    return Evidence(kind="k", supports=supports, strength=s, detail="d")


def test_no_evidence_is_the_prior_and_judged_broken() -> None:
    assert math.isclose(flake_score([]), PRIOR_FLAKY)
    verdict = judge("t", [], flaky_threshold=0.6, broken_threshold=0.3)
    assert verdict.verdict is Verdict.BROKEN


def test_same_sha_pass_makes_a_failure_flaky() -> None:
    verdict = judge("t", [ev(Verdict.FLAKY, 0.9)], flaky_threshold=0.6, broken_threshold=0.3)
    assert verdict.verdict is Verdict.FLAKY
    assert 0.8 < verdict.score < 0.85  # odds 0.25 x 18.1 = 4.525 -> 0.819


def test_conflicting_evidence_can_be_unknown() -> None:
    verdict = judge(
        "t",
        [ev(Verdict.FLAKY, 0.5), ev(Verdict.BROKEN, 0.05)],
        flaky_threshold=0.6,
        broken_threshold=0.3,
    )
    assert verdict.verdict is Verdict.UNKNOWN


@given(st.lists(st.tuples(st.sampled_from([Verdict.FLAKY, Verdict.BROKEN]), strength), max_size=8))
def test_score_is_a_probability(items: list[tuple[Verdict, float]]) -> None:
    assert 0.0 <= flake_score([ev(v, s) for v, s in items]) <= 1.0


@given(st.lists(strength, max_size=5), strength)
def test_more_flaky_evidence_never_lowers_the_score(base: list[float], extra: float) -> None:
    evidence = [ev(Verdict.FLAKY, s) for s in base]
    assert flake_score([*evidence, ev(Verdict.FLAKY, extra)]) >= flake_score(evidence) - 1e-12
    assert flake_score([*evidence, ev(Verdict.BROKEN, extra)]) <= flake_score(evidence) + 1e-12


def test_evidence_is_listed_strongest_first() -> None:
    verdict = judge(
        "t",
        [ev(Verdict.FLAKY, 0.2), ev(Verdict.BROKEN, 0.9)],
        flaky_threshold=0.6,
        broken_threshold=0.3,
    )
    assert [e.strength for e in verdict.evidence] == [0.9, 0.2]
