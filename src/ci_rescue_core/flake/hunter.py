"""FlakeHunter's part of the pipeline: record what a run shows, then judge each failure.

The orchestrator calls :meth:`FlakeHunter.record` for every finished run attempt it sees and
:meth:`FlakeHunter.judge` for the failed jobs of a failing one.  Judging asks every
``rescue_flake_evidence`` plugin, then judges each failing test the log names (job-wide
evidence plus the test's own) and the job from its tests — except in a job where most tests
failed at once: that is the machinery's failure, judged as a whole, and its test outcomes are
kept out of the test scores.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timezone

import attrs

from ci_rescue_core.flake.history import outcome_time
from ci_rescue_core.flake.mass import MassRule
from ci_rescue_core.flake.recording import (
    combine,
    log_records,
    quarantine_records,
    report_records,
)
from ci_rescue_core.flake.verdict import EARLIER_FLAKES, OBSERVATIONS, judge_job
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Diagnosis, Evidence, FlakeVerdict, JobRef, RunRef, Verdict
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Provider
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.history import HistoryStore
from ci_rescue_core.store.quarantine import QuarantineStore

MASS_FAILURE = "mass_failure"
"""Kind of the evidence core adds to a job whose tests mostly failed at once."""

_BOOKKEEPING = frozenset({OBSERVATIONS, EARLIER_FLAKES})


OWN_BRANCHES = "ci-rescue/"
"""Prefix of the branches ci-rescue's change requests come from: a quarantine seen in force
there (its own change request's run) is not in force on the repository yet."""


@attrs.frozen
class Recorded:
    """What recording one run attempt stored.

    :ivar mass_jobs: the jobs whose tests mostly failed at once.
    :ivar tests: the test outcomes recorded (log failures, report results, quarantine lines).
    """

    mass_jobs: set[str]
    tests: int


class FlakeHunter:
    """Records history and judges failures for one provider's events.

    :param store: the store the history and quarantines live in.
    :param provider: where test reports and logs come from.
    :param hooks: the plugin facade (``rescue_flake_evidence``).
    """

    def __init__(self, *, store: SQLiteStore, provider: Provider, hooks: Hooks) -> None:
        self.history = HistoryStore(store)
        self.quarantines = QuarantineStore(store)
        self.provider = provider
        self.hooks = hooks

    def record(
        self,
        run: RunRef,
        jobs: Sequence[JobRef],
        policy: Policy,
        diagnoses: Sequence[Diagnosis] = (),
    ) -> set[str]:
        """Record *run*'s jobs and every test outcome it shows (one transaction).

        :returns: the names of the jobs whose tests mostly failed at once (mass failures).
        """
        return self.record_run(run, jobs, policy, diagnoses).mass_jobs

    def record_run(
        self,
        run: RunRef,
        jobs: Sequence[JobRef],
        policy: Policy,
        diagnoses: Sequence[Diagnosis] = (),
    ) -> Recorded:
        """:meth:`record`, saying also how many test outcomes were recorded.

        While a quarantine of the repository may be in force (see
        :meth:`QuarantineStore.in_force`), the jobs' logs are read for the quarantine plugin's
        lines: a quarantined test's outcome comes from them, never from its job's result; a
        pending quarantine whose test shows up there (outside ci-rescue's own branches) is
        marked active.
        """
        reports, sizes = report_records(self.provider, jobs)
        quarantined = (
            quarantine_records(self.provider, jobs)
            if self.quarantines.in_force(run.repo, at=run_time(run))
            else []
        )
        tests = combine(reports, quarantined, log_records(diagnoses))
        mass = self.history.record(
            run,
            jobs,
            fingerprints={d.job.name: d.fingerprint.hash for d in diagnoses},
            tests=tests,
            rule=MassRule.from_policy(policy),
            sizes=sizes,
        )
        if quarantined and not (run.head_branch or "").startswith(OWN_BRANCHES):
            self.quarantines.seen(
                run.repo, {record.test for record in quarantined}, at=run_time(run)
            )
        return Recorded(mass_jobs=mass, tests=len(tests))

    def judge(
        self, diagnoses: Sequence[Diagnosis], policy: Policy, mass_jobs: Collection[str] = ()
    ) -> tuple[FlakeVerdict, ...]:
        """One verdict per diagnosis (job), with the verdicts of its failing tests inside."""
        verdicts = []
        for diagnosis in diagnoses:
            evidence = self.hooks.flake_evidence(
                job=diagnosis.job, diagnosis=diagnosis, history=self.history, policy=policy
            )
            tests: list[str] = [failure.test_id for failure in diagnosis.failures]
            if diagnosis.job.name in mass_jobs:
                evidence = [item for item in evidence if not item.subject]
                evidence.append(mass_evidence(diagnosis.job, len(tests)))
                tests = []
            verdicts.append(
                judge_job(
                    diagnosis.job.name,
                    tests,
                    evidence,
                    fingerprint=diagnosis.fingerprint.hash,
                    flaky_threshold=policy.flaky_threshold,
                    broken_threshold=policy.broken_threshold,
                )
            )
        return tuple(verdicts)


def mass_evidence(job: JobRef, failed: int) -> Evidence:
    """The job-wide evidence of a mass failure: the machinery's, worth a retry."""
    return Evidence(
        kind=MASS_FAILURE,
        supports=Verdict.FLAKY,
        strength=0.7,
        detail=f"{failed} tests of {job.name} failed at once, most of those that passed before: "
        f"the machinery failed, not the tests (their outcomes do not feed the test scores)",
        source="core",
        count=failed,
    )


def flake_summary(verdict: FlakeVerdict, *, max_tests: int = 5) -> str:
    """One timeline line: the job's verdict, then each test's (or the job's evidence)."""
    head = f"{verdict.subject}: {verdict.verdict.value} (score {verdict.score:.2f})"
    if verdict.tests:
        parts = []
        for test in verdict.tests[:max_tests]:
            reason = next(
                (e.detail for e in test.evidence if e.kind not in _BOOKKEEPING), "no evidence"
            )
            parts.append(f"{test.subject}: {test.verdict.value} {test.score:.2f} ({reason})")
        more = len(verdict.tests) - max_tests
        return f"{head} — " + "; ".join(parts) + (f"; +{more} more tests" if more > 0 else "")
    reasons = "; ".join(item.detail for item in verdict.evidence) or "no evidence"
    return f"{head} — {reasons}"


def run_time(run: RunRef) -> datetime:
    """When *run* happened (its creation), or now when the provider did not say."""
    now = datetime.now(timezone.utc)
    return datetime.fromisoformat(outcome_time(run, None, now.isoformat()))
