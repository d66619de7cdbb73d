"""Mass failures: job attempts where most tests fail at once.

When a runner loses its network or a database container does not start, nearly every test of
the job fails together.  That says something about the machinery, nothing about any one test,
so such job attempts are recorded but do not feed the per-test scores.  The unit is one job
(matrix cell) of one run attempt: an outage usually takes down one runner, not the whole run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from ci_rescue_core.flake.observations import Observation
from ci_rescue_core.policy.rules import Policy


@attrs.frozen(kw_only=True)
class MassRule:
    """When a run attempt counts as a mass failure.

    :ivar fraction: share of the job's (known) tests that must fail.
    :ivar min_tests: fewest failing tests (a run of three tests failing two is not "mass").
    """

    fraction: float = 0.5
    min_tests: int = 10

    @classmethod
    def from_policy(cls, policy: Policy) -> MassRule:
        """The policy's ``mass_failure_fraction`` and ``mass_failure_min_tests``."""
        return cls(fraction=policy.mass_failure_fraction, min_tests=policy.mass_failure_min_tests)

    def applies(self, failed: int, total: int) -> bool:
        """True when *failed* of *total* known tests failing is a mass failure."""
        total = max(total, failed)
        return failed >= self.min_tests and total > 0 and failed / total >= self.fraction


RunKey = tuple[str, int, str]
"""``(run id, attempt, job name)``."""


def is_mass(
    failing: set[str],
    neighbours: Sequence[set[str]],
    size: int,
    rule: MassRule,
) -> bool:
    """True when *failing* is a mass failure next to the job's neighbouring attempts.

    What counts is the tests that fail now but not in a neighbouring attempt (the one before,
    or the one after once it exists), against the tests that did not fail there: most tests
    failing *at once*, and recovering, is an outage; the same twenty tests failing in every
    run is a breakage, and the job's other tests still count.  Without neighbours, every
    failing test counts.
    """
    for other in neighbours or (set(),):
        sudden = failing - other
        if rule.applies(len(sudden), max(size - len(other), len(sudden))):
            return True
    return False


def mass_failed_runs(
    observations: Iterable[Observation],
    rule: MassRule,
    sizes: Mapping[RunKey, int] | None = None,
) -> set[RunKey]:
    """The ``(run, attempt, job)`` keys of *observations* that are mass failures (see
    :func:`is_mass`; each job's attempts are taken in time order).

    :param sizes: how many tests each job attempt had, when known beyond the observations
        (a log names only the failing tests); default: the tests observed in it.
    """
    tests: dict[RunKey, set[str]] = defaultdict(set)
    failed: dict[RunKey, set[str]] = defaultdict(set)
    started: dict[RunKey, tuple[datetime, str, int]] = {}
    for observation in observations:
        key = (observation.run, observation.attempt, observation.job)
        tests[key].add(observation.test)
        if observation.failed:
            failed[key].add(observation.test)
        moment = (observation.time, observation.run, observation.attempt)
        if key not in started or moment < started[key]:
            started[key] = moment
    sizes = sizes or {}
    by_job: dict[str, list[RunKey]] = defaultdict(list)
    for key in sorted(tests, key=lambda k: started[k]):
        by_job[key[2]].append(key)
    excluded: set[RunKey] = set()
    for keys in by_job.values():
        for position, key in enumerate(keys):
            failing = failed.get(key, set())
            if len(failing) < rule.min_tests:
                continue
            neighbours = [
                failed.get(keys[other], set())
                for other in (position - 1, position + 1)
                if 0 <= other < len(keys)
            ]
            size = max(sizes.get(key, 0), len(tests[key]))
            if is_mass(failing, neighbours, size, rule):
                excluded.add(key)
    return excluded


def without_mass_failures(
    observations: Sequence[Observation],
    rule: MassRule,
    sizes: Mapping[RunKey, int] | None = None,
) -> tuple[list[Observation], set[RunKey]]:
    """*observations* minus those of mass-failed job attempts, and which attempts those were."""
    excluded = mass_failed_runs(observations, rule, sizes)
    kept = [o for o in observations if (o.run, o.attempt, o.job) not in excluded]
    return kept, excluded
