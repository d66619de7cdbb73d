"""Diagnosing one failed job: its log, compared with the job's last passing log, and what the
provider itself says about the failure.

- **Log diff.** When history knows a passing attempt of the same job (same name, preferably on
  the same branch), its log is streamed alongside: lines new in the failing log rank higher.
  Fetching the baseline is best effort — an expired or unreadable passing log never stops the
  diagnosis, it is only not used.
- **Provider hint.** Some providers say why a job failed before anyone reads the log (GitLab
  ``failure_reason: runner_system_failure``, CircleCI ``infrastructure_fail``); adapters map that
  onto ``JobRef.failure_category``.  The provider saw the machinery fail, so its category wins
  over the log's, except when it is ``other`` (no opinion).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import attrs

from ci_rescue_core.errors import ProviderError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.logs.fingerprint import fingerprint_hash
from ci_rescue_core.models import Category, Diagnosis, ErrorLine, Fingerprint, JobRef, RunRef
from ci_rescue_core.provider import Provider
from ci_rescue_core.store import SQLiteStore

#: How many recorded outcomes of the job to look through for a passing one.
BASELINE_LOOKBACK = 50


class Diagnostician:
    """Turns a failed job into a :class:`Diagnosis`.

    :param use_baseline: compare with the job's last passing log when history has one.
    """

    def __init__(
        self,
        *,
        provider: Provider,
        hooks: Hooks,
        store: SQLiteStore,
        known_secrets: tuple[str, ...] = (),
        use_baseline: bool = True,
    ) -> None:
        self.provider = provider
        self.hooks = hooks
        self.store = store
        self.known_secrets = known_secrets
        self.use_baseline = use_baseline
        self._jobs_of: dict[tuple[str, str, int], list[JobRef]] = {}

    def diagnose(self, job: JobRef) -> Diagnosis:
        """Analyse *job*'s log (with its baseline when there is one) and apply the provider's
        hint; an unreadable log gives an ``other`` diagnosis saying why."""
        notes: list[str] = []
        with ExitStack() as stack:
            try:
                chunks = stack.enter_context(self.provider.open_log(job))
            except ProviderError as exc:
                return with_provider_hint(unreadable_log_diagnosis(job, exc))
            baseline = self._open_baseline(job, stack, notes) if self.use_baseline else None
            try:
                analysis = analyze_log(
                    chunks, hooks=self.hooks, known_secrets=self.known_secrets, baseline=baseline
                )
            except ProviderError as exc:  # the stream broke off half-way
                return with_provider_hint(unreadable_log_diagnosis(job, exc))
        diagnosis = Diagnosis(
            job=job,
            fingerprint=analysis.fingerprint,
            failures=analysis.failures,
            notes=tuple(notes),
        )
        return with_provider_hint(diagnosis)

    def _open_baseline(
        self, job: JobRef, stack: ExitStack, notes: list[str]
    ) -> Iterator[bytes] | None:
        passing = self._last_passing(job)
        if passing is None:
            return None
        try:
            chunks = stack.enter_context(self.provider.open_log(passing))
        except ProviderError as exc:
            notes.append(f"the passing log of run {passing.run.run_id} is unavailable: {exc}")
            return None
        notes.append(
            f"compared with the passing log of run {passing.run.run_id} "
            f"attempt {passing.run.attempt}"
        )
        return _tolerant(chunks, passing, notes)

    def _last_passing(self, job: JobRef) -> JobRef | None:
        """The newest passing attempt of the same job: same branch first, then any branch."""
        run = job.run
        candidates = self.store.job_outcomes(
            run.repo, job_name=job.name, branch=run.head_branch, limit=BASELINE_LOOKBACK
        )
        if not any(o.passed for o in candidates):
            candidates = self.store.job_outcomes(
                run.repo, job_name=job.name, limit=BASELINE_LOOKBACK
            )
        for outcome in candidates:
            if not outcome.passed or (outcome.run_id, outcome.attempt) == (run.run_id, run.attempt):
                continue
            ref = RunRef(
                provider=run.provider,
                repo=run.repo,
                run_id=outcome.run_id,
                attempt=outcome.attempt,
                head_sha=outcome.head_sha,
                head_branch=outcome.head_branch,
            )
            try:
                jobs = self._jobs(ref)
            except ProviderError:
                continue
            for candidate in jobs:
                if candidate.name == job.name and candidate.conclusion == "success":
                    return candidate
        return None

    def _jobs(self, run: RunRef) -> list[JobRef]:
        key = (run.repo, run.run_id, run.attempt)
        if key not in self._jobs_of:
            self._jobs_of[key] = self.provider.list_jobs(run)
        return self._jobs_of[key]


def _tolerant(chunks: Iterator[bytes], passing: JobRef, notes: list[str]) -> Iterator[bytes]:
    """The baseline's chunks, ending quietly (with a note) if its download breaks off: a
    partial passing log still helps, and it must never cost the failing log's diagnosis."""
    try:
        yield from chunks
    except ProviderError as exc:
        notes.append(f"the passing log of run {passing.run.run_id} broke off: {exc}")


def with_provider_hint(diagnosis: Diagnosis) -> Diagnosis:
    """*diagnosis* re-categorised by the provider's own reading of the failure, when it has
    one that says more than ``other``; the fingerprint hash follows the category."""
    hint = diagnosis.job.failure_category
    fingerprint = diagnosis.fingerprint
    if hint is None or hint is Category.OTHER or hint is fingerprint.category:
        return diagnosis
    changed = attrs.evolve(
        fingerprint,
        category=hint,
        hash=fingerprint_hash(hint, fingerprint.failing_tests, fingerprint.message),
    )
    reason = diagnosis.job.failure_reason or hint.value
    note = (
        f"{hint.value} as the provider reports ({reason}); the log alone suggested "
        f"{fingerprint.category.value}"
    )
    return attrs.evolve(diagnosis, fingerprint=changed, notes=(*diagnosis.notes, note))


def unreadable_log_diagnosis(job: JobRef, error: Exception) -> Diagnosis:
    """A diagnosis for a job whose log could not be fetched (expired, deleted, forbidden)."""
    message = f"log unavailable: {error}"
    fingerprint = Fingerprint(
        category=Category.OTHER,
        message=message,
        error_lines=(ErrorLine(1, message),),
        hash=fingerprint_hash(Category.OTHER, (), "log unavailable"),
    )
    return Diagnosis(job=job, fingerprint=fingerprint, notes=(message,))
