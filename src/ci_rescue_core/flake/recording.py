"""What the pipeline records about a run attempt: job outcomes and every test outcome it sees.

Test outcomes come from three places: the log analysis (failing tests, with their own
fingerprints), the provider's own test report when it declares ``TEST_REPORTS`` (passes too),
and the quarantine plugin's summary lines in the log (how quarantined tests really did, since
their failures no longer fail the job).  Passing jobs whose tests nobody reported are recorded
as job outcomes only: no test pass is invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from ci_rescue_core.errors import NotFoundError, ProviderError
from ci_rescue_core.flake.fingerprint import failure_fingerprint, message_fingerprint
from ci_rescue_core.logs.reader import iter_lines
from ci_rescue_core.models import Diagnosis, JobRef
from ci_rescue_core.provider import Capability, Provider
from ci_rescue_core.store.history import TestRecord

QUARANTINE_LINE = re.compile(r"ci-rescue quarantine: (pass|fail) (\S.*?)\s*$")
"""A line the quarantine pytest plugin prints for each quarantined test it ran."""

_REPORT_OUTCOMES = {"pass": "pass", "fail": "fail", "error": "fail"}


def quarantine_results(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(test id, outcome)`` for every quarantine summary line in *lines*."""
    for line in lines:
        match = QUARANTINE_LINE.search(line)
        if match:
            yield match.group(2), match.group(1)


def log_records(diagnoses: Sequence[Diagnosis]) -> list[TestRecord]:
    """A failure record per failing test named by the log analysis."""
    return [
        TestRecord(
            job=d.job.name,
            test=failure.test_id,
            outcome="fail",
            fingerprint=failure_fingerprint(failure),
            source="log",
        )
        for d in diagnoses
        for failure in d.failures
    ]


def report_records(
    provider: Provider, jobs: Sequence[JobRef]
) -> tuple[list[TestRecord], dict[str, int]]:
    """Records from the provider's test reports (skips are left out), and each reporting
    job's test count.  Nothing when the provider does not declare ``TEST_REPORTS``; a report
    that cannot be fetched is skipped."""
    if Capability.TEST_REPORTS not in provider.capabilities:
        return [], {}
    records: list[TestRecord] = []
    sizes: dict[str, int] = {}
    for job in jobs:
        try:
            results = provider.test_results(job)
        except (NotFoundError, ProviderError):
            continue
        counted = 0
        for result in results:
            outcome = _REPORT_OUTCOMES.get(result.outcome)
            if outcome is None:
                continue
            counted += 1
            records.append(
                TestRecord(
                    job=job.name,
                    test=result.test_id,
                    outcome=outcome,
                    fingerprint=message_fingerprint(result.message) if outcome == "fail" else None,
                    source="report",
                )
            )
        if counted:
            sizes[job.name] = counted
    return records, sizes


def quarantine_records(provider: Provider, jobs: Sequence[JobRef]) -> list[TestRecord]:
    """Records from the quarantine plugin's lines in the jobs' logs (unreadable logs skipped)."""
    records: list[TestRecord] = []
    for job in jobs:
        try:
            with provider.open_log(job) as chunks:
                found = list(quarantine_results(text for _, text in iter_lines(chunks)))
        except (NotFoundError, ProviderError):
            continue
        records.extend(
            TestRecord(job=job.name, test=test, outcome=outcome, source="quarantine")
            for test, outcome in found
        )
    return records


def combine(*sources: Iterable[TestRecord]) -> list[TestRecord]:
    """One record per (job, test); a later source overrides an earlier one, except that a
    failure with a fingerprint keeps it."""
    merged: dict[tuple[str, str], TestRecord] = {}
    for source in sources:
        for record in source:
            key = (record.job, record.test)
            known = merged.get(key)
            if known is not None and record.fingerprint is None and known.outcome == record.outcome:
                continue
            merged[key] = record
    return list(merged.values())
