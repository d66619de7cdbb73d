"""The constants of the flake model and the policy knobs that tune it (see docs/flakes.md)."""

from __future__ import annotations

import attrs

from ci_rescue_core.policy.rules import Policy

PRIOR_FLAKY = 0.2
"""Probability that a failure nobody knows anything about is a flake (below the default
``broken_threshold``: an unexplained failure is treated as real)."""


def _prior_mean(break_rate: float, broken_pass_rate: float) -> float:
    """The typical test's flake rate that makes an unexplained failure a flake with
    probability :data:`PRIOR_FLAKY` (see docs/flakes.md, "the prior")."""
    odds = PRIOR_FLAKY / (1.0 - PRIOR_FLAKY)
    return odds * break_rate * (1.0 - broken_pass_rate) / (1.0 - break_rate)


@attrs.frozen(kw_only=True)
class ModelParams:
    """Everything the flake model needs besides the history.

    :ivar break_rate: pi, probability that a commit breaks a test that passed at the previous one.
    :ivar fix_rate: rho, probability that a broken test is fixed by the next commit (a breakage
        lasts 1/rho commits on average).
    :ivar broken_pass_rate: eps, probability that a broken test passes anyway.
    :ivar shared_breakage: q, probability that a breakage of a test at a commit also makes it
        fail in the other jobs (matrix cells) that run it there.
    :ivar prior_strength: kappa, how many runs the prior on a test's flake rate is worth.
    :ivar fingerprint_concentration: c, how readily a flaky test fails in a new way.
    :ivar known_given_broken: delta, probability that a real breakage reproduces a message the
        test already failed with as a flake.
    :ivar half_life_days: half-life of the time decay of the failure rate.
    :ivar window_days: observations older than this are ignored.
    :ivar default_branches: branches that make the default-branch failure rate; observations
        without a branch count as default-branch ones.
    :ivar em_iterations: most rounds of expectation-maximisation fitting the flake rate.
    """

    break_rate: float = 0.01
    fix_rate: float = 0.2
    broken_pass_rate: float = 0.02
    shared_breakage: float = 0.8
    prior_strength: float = 10.0
    fingerprint_concentration: float = 0.25
    known_given_broken: float = 0.3
    half_life_days: float = 14.0
    window_days: float = 90.0
    default_branches: frozenset[str] = frozenset({"main", "master"})
    em_iterations: int = 12

    @property
    def prior_mean(self) -> float:
        """mu0, the flake rate of a typical test (the mean of the Beta prior)."""
        return _prior_mean(self.break_rate, self.broken_pass_rate)

    @property
    def prior_alpha(self) -> float:
        """alpha0 of the Beta(alpha0, beta0) prior on a test's flake rate."""
        return self.prior_mean * self.prior_strength

    @property
    def prior_beta(self) -> float:
        """beta0 of the Beta(alpha0, beta0) prior on a test's flake rate."""
        return (1.0 - self.prior_mean) * self.prior_strength

    @classmethod
    def from_policy(cls, policy: Policy) -> ModelParams:
        """The model constants with the policy's decay, window and default branches."""
        return cls(
            half_life_days=policy.flake_half_life_days,
            window_days=float(policy.flake_window_days),
            default_branches=frozenset(policy.default_branches),
        )


@attrs.frozen(kw_only=True)
class Thresholds:
    """Where scores become verdicts (from policy).

    :ivar flaky: a failure scoring at least this is flaky.
    :ivar broken: a failure scoring at most this is broken (in between: unknown).
    """

    flaky: float = 0.6
    broken: float = 0.3

    @classmethod
    def from_policy(cls, policy: Policy) -> Thresholds:
        """The policy's ``flaky_threshold`` and ``broken_threshold``."""
        return cls(flaky=policy.flaky_threshold, broken=policy.broken_threshold)
