"""Back-filling history from a provider: the last N runs of a branch, so that a new install
judges flakiness from day one.  Idempotent: running it twice records the same rows."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ci_rescue_core.diagnose import unreadable_log_diagnosis
from ci_rescue_core.errors import NotFoundError, ProviderError, RescueError
from ci_rescue_core.flake.hunter import FlakeHunter
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.models import Diagnosis, JobRef
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability, Provider
from ci_rescue_core.store import SQLiteStore


@attrs.frozen(kw_only=True)
class BackfillReport:
    """What a back-fill recorded.

    :ivar tests: test outcomes recorded: failures the logs name, the provider's test report
        results (passes too) and the quarantine plugin's lines, one per test and job attempt.
    :ivar mass_failures: job attempts where most tests failed at once (kept out of scores).
    """

    runs: int = 0
    attempts: int = 0
    jobs: int = 0
    failed_jobs: int = 0
    tests: int = 0
    mass_failures: int = 0


def diagnose(
    provider: Provider, hooks: Hooks, job: JobRef, known_secrets: Sequence[str]
) -> Diagnosis:
    """Analyse one failed job's log (an unreadable log gives an ``other`` diagnosis)."""
    try:
        with provider.open_log(job) as chunks:
            analysis = analyze_log(chunks, hooks=hooks, known_secrets=known_secrets)
    except (NotFoundError, ProviderError) as exc:
        return unreadable_log_diagnosis(job, exc)
    return Diagnosis(job=job, fingerprint=analysis.fingerprint, failures=analysis.failures)


def backfill(
    *,
    provider: Provider,
    hooks: Hooks,
    store: SQLiteStore,
    policy: Policy,
    repo: str,
    branch: str | None,
    runs: int,
    known_secrets: Sequence[str] = (),
) -> BackfillReport:
    """Record the last *runs* finished runs of *repo* (on *branch*), every attempt of each,
    oldest first: job outcomes, and the tests that the failed jobs' logs (and, where the
    provider has them, test reports) name.

    :raises RescueError: when the provider cannot list run history.
    """
    if Capability.RUN_HISTORY not in provider.capabilities:
        raise RescueError(f"the {provider.name} provider cannot list run history to back-fill")
    hunter = FlakeHunter(store=store, provider=provider, hooks=hooks)
    found = provider.list_runs(repo, branch=branch, status="completed", limit=runs)
    report = BackfillReport()
    for run in reversed(found):
        report = attrs.evolve(report, runs=report.runs + 1)
        for attempt in range(1, run.attempt + 1):
            ref = attrs.evolve(run, attempt=attempt)
            jobs = provider.list_jobs(ref)
            failed = [job for job in jobs if job.failed]
            diagnoses = [diagnose(provider, hooks, job, known_secrets) for job in failed]
            recorded = hunter.record_run(ref, jobs, policy, diagnoses)
            report = attrs.evolve(
                report,
                attempts=report.attempts + 1,
                jobs=report.jobs + len(jobs),
                failed_jobs=report.failed_jobs + len(failed),
                tests=report.tests + recorded.tests,
                mass_failures=report.mass_failures + len(recorded.mass_jobs),
            )
    return report
