"""Scoring a whole history at once (the ``flake-score`` command, the evaluations)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from ci_rescue_core.flake.assess import TestAssessment, assess_test
from ci_rescue_core.flake.mass import MassRule, RunKey, without_mass_failures
from ci_rescue_core.flake.observations import Observation
from ci_rescue_core.flake.params import ModelParams, Thresholds


def score_history(
    observations: Sequence[Observation],
    *,
    params: ModelParams,
    thresholds: Thresholds,
    mass: MassRule,
    now: datetime | None = None,
    tests: Iterable[str] | None = None,
    sizes: Mapping[RunKey, int] | None = None,
) -> list[TestAssessment]:
    """Assess every test of *observations*, sorted by test id.

    Mass-failed run attempts are dropped first.  *now* (the decay clock) defaults to the
    latest observation, so the same file always scores the same.

    :param tests: assess only these tests (default: every test in the history).
    :param sizes: test counts of run attempts, for the mass-failure rule (see
        :func:`~ci_rescue_core.flake.mass.mass_failed_runs`).
    """
    kept, _ = without_mass_failures(observations, mass, sizes)
    by_test: dict[str, list[Observation]] = defaultdict(list)
    for observation in kept:
        by_test[observation.test].append(observation)
    names = sorted({o.test for o in observations} if tests is None else set(tests))
    if now is None:
        now = max((o.time for o in observations), default=None) or datetime.now().astimezone()
    return [
        assess_test(name, by_test.get(name, []), params=params, thresholds=thresholds, now=now)
        for name in names
    ]
