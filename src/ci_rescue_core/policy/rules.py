"""The policy a repository is rescued under (``rules/defaults.yaml`` + per-repo overrides)."""

from __future__ import annotations

import attrs

from ci_rescue_core.models import Category

_non_negative = attrs.validators.ge(0)
_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]


@attrs.frozen(kw_only=True)
class Labels:
    """Label names of the taxonomy (SPEC "Labels and taxonomy")."""

    managed: str = "ci:auto-rescue"
    flake: str = "ci:flake"
    quarantined: str = "ci:quarantined"
    dep_pin: str = "ci:dep-pin"
    revert: str = "ci:revert"


@attrs.frozen(kw_only=True)
class Policy:
    """Safe-by-default rules for picking and applying remedies.

    :ivar retry_max: retries allowed per run (attempts beyond the first); escalate after.
    :ivar retry_backoff_seconds: wait before retry *n* (the last value repeats).
    :ivar flaky_threshold: flake score at or above which a failure is judged flaky.
    :ivar broken_threshold: flake score at or below which a failure is judged broken.
    :ivar retry_categories: categories retried without flake evidence (machinery failures).
    :ivar never_retry: categories never retried, whatever the evidence says.
    :ivar quarantine_ttl_days: how long a quarantine lasts before it is lifted.
    :ivar quarantine_min_score: flake score a test's failure needs before it is quarantined.
    :ivar quarantine_release_passes: consecutive passes that lift a quarantine before its TTL.
    :ivar flake_min_observations: runs of a test needed before it may be quarantined.
    :ivar flake_half_life_days: half-life of the time decay of a test's failure rate.
    :ivar flake_window_days: history older than this is not read when scoring.
    :ivar flake_history_limit: most recent outcomes of a test read when scoring.
    :ivar default_branches: branch names whose runs make the default-branch failure rate.
    :ivar mass_failure_fraction: a run attempt in which at least this share of the known tests
        fail (and at least ``mass_failure_min_tests``) is an infrastructure failure: its test
        outcomes do not feed the test scores.
    :ivar mass_failure_min_tests: the fewest failing tests that can make a mass failure.
    :ivar auto_approve: repo allows a bot to approve its own code-edit PRs.
    :ivar default_owner: who is assigned tracking issues when CODEOWNERS says nothing.
    """

    retry_max: int = attrs.field(default=2, validator=_non_negative)
    retry_backoff_seconds: tuple[int, ...] = (30, 120)
    flaky_threshold: float = attrs.field(default=0.6, validator=_unit)
    broken_threshold: float = attrs.field(default=0.3, validator=_unit)
    retry_categories: tuple[Category, ...] = (Category.INFRA_NETWORK, Category.TIMEOUT)
    never_retry: tuple[Category, ...] = (Category.MISSING_SECRET,)
    quarantine_ttl_days: int = attrs.field(default=7, validator=attrs.validators.ge(1))
    quarantine_min_score: float = attrs.field(default=0.9, validator=_unit)
    quarantine_release_passes: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    flake_min_observations: int = attrs.field(default=10, validator=_non_negative)
    flake_half_life_days: float = attrs.field(default=14.0, validator=attrs.validators.gt(0.0))
    flake_window_days: int = attrs.field(default=90, validator=attrs.validators.ge(1))
    flake_history_limit: int = attrs.field(default=200, validator=attrs.validators.ge(10))
    default_branches: tuple[str, ...] = ("main", "master")
    mass_failure_fraction: float = attrs.field(default=0.5, validator=_unit)
    mass_failure_min_tests: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    auto_approve: bool = False
    default_owner: str | None = None
    labels: Labels = Labels()

    def backoff_for(self, retry_number: int) -> int:
        """Seconds to wait before the *retry_number*-th retry (1-based)."""
        if not self.retry_backoff_seconds:
            return 0
        index = min(max(retry_number, 1), len(self.retry_backoff_seconds)) - 1
        return self.retry_backoff_seconds[index]
