"""Hypothesis strategies for the core models."""

from __future__ import annotations

from datetime import timezone

from hypothesis import strategies as st

from ci_rescue_core.models import (
    Category,
    ErrorLine,
    Evidence,
    Fingerprint,
    FlakeVerdict,
    Incident,
    IncidentStatus,
    JobRef,
    Outcome,
    OutcomeStatus,
    Remedy,
    RunRef,
    Severity,
    TestFailure,
    TimelineEntry,
    Verdict,
)

text = st.text(max_size=30)
ids = st.from_regex(r"[0-9a-z]{1,12}", fullmatch=True)
aware_datetimes = st.datetimes(timezones=st.just(timezone.utc))
json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
unit = st.floats(0.0, 1.0, allow_nan=False)

run_refs = st.builds(
    RunRef,
    provider=st.sampled_from(["github", "gitlab", "circleci"]),
    repo=st.from_regex(r"[a-z]{1,8}/[a-z]{1,8}", fullmatch=True),
    run_id=ids,
    attempt=st.integers(1, 50),
    workflow=text,
    head_sha=st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    head_branch=st.none() | text,
    conclusion=st.none() | st.sampled_from(["failure", "success", "some_future_value"]),
    pr_numbers=st.lists(st.integers(1, 10**6), max_size=3).map(tuple),
    created_at=st.none() | aware_datetimes,
)
job_refs = st.builds(
    JobRef,
    run=run_refs,
    job_id=ids,
    name=text,
    matrix=st.lists(text, max_size=3).map(tuple),
    started_at=st.none() | aware_datetimes,
)
error_lines = st.builds(ErrorLine, line=st.integers(1, 10**7), text=text, step=st.none() | text)
fingerprints = st.builds(
    Fingerprint,
    category=st.sampled_from(Category),
    ecosystem=st.none() | text,
    failing_tests=st.lists(text, max_size=4).map(tuple),
    error_lines=st.lists(error_lines, max_size=4).map(tuple),
    exit_code=st.none() | st.integers(-255, 255),
    message=text,
    hash=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
)
test_failures = st.builds(
    TestFailure, test_id=text, message=text, frames=st.lists(text, max_size=3).map(tuple)
)
evidence = st.builds(
    Evidence,
    kind=text,
    supports=st.sampled_from([Verdict.FLAKY, Verdict.BROKEN]),
    strength=unit,
    detail=text,
)
verdicts = st.builds(
    FlakeVerdict,
    subject=text,
    fingerprint=text,
    verdict=st.sampled_from(Verdict),
    score=unit,
    evidence=st.lists(evidence, max_size=3).map(tuple),
)
remedies = st.builds(
    Remedy,
    kind=st.sampled_from(["retry", "retry_cells", "issue", "quarantine", "custom_kind"]),
    reason=text,
    job_ids=st.lists(ids, max_size=3).map(tuple),
    params=st.dictionaries(text, json_values, max_size=3),
)
outcomes = st.builds(
    Outcome, remedy=remedies, status=st.sampled_from(OutcomeStatus), link=st.none() | text
)
timeline_entries = st.builds(
    TimelineEntry,
    at=aware_datetimes,
    step=text,
    message=text,
    data=st.dictionaries(text, json_values, max_size=3),
)
incidents = st.builds(
    Incident,
    id=ids,
    provider=text,
    repo=text,
    key=ids,
    severity=st.sampled_from(Severity),
    status=st.sampled_from(IncidentStatus),
    fingerprints=st.lists(fingerprints, max_size=2).map(tuple),
    runs=st.lists(run_refs, max_size=2).map(tuple),
    verdicts=st.lists(verdicts, max_size=2).map(tuple),
    remedies=st.lists(remedies, max_size=2).map(tuple),
    outcomes=st.lists(outcomes, max_size=2).map(tuple),
    timeline=st.lists(timeline_entries, max_size=3).map(tuple),
    opened_at=aware_datetimes,
    updated_at=aware_datetimes,
    resolved_at=st.none() | aware_datetimes,
)
