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

    Repeated records of one outcome are merged (:func:`merge_duplicates`), then mass-failed
    run attempts are dropped.  *now* (the decay clock) defaults to the
    latest observation, so the same file always scores the same.

    :param tests: assess only these tests (default: every test in the history).
    :param sizes: test counts of run attempts, for the mass-failure rule (see
        :func:`~ci_rescue_core.flake.mass.mass_failed_runs`).
    """
    kept, _ = without_mass_failures(merge_duplicates(observations), mass, sizes)
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


def merge_duplicates(observations: Iterable[Observation]) -> list[Observation]:
    """*observations* with repeats of one outcome merged: the same test, job, run, attempt,
    commit and outcome count once (the first record is kept).  A history written twice, or a
    line repeated, must not count as a second failure at the same commit."""
    merged: dict[tuple[str, str, str, int, str, bool], Observation] = {}
    for observation in observations:
        key = (
            observation.test,
            observation.job,
            observation.run,
            observation.attempt,
            observation.sha,
            observation.failed,
        )
        merged.setdefault(key, observation)
    return list(merged.values())
