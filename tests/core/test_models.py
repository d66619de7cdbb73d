"""Models: invariants, and structure ∘ unstructure round trips through real JSON."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given

from ci_rescue_core.convert import from_json_dict, to_json_dict
from ci_rescue_core.errors import PayloadError
from ci_rescue_core.models import (
    Category,
    CIEvent,
    Evidence,
    Fingerprint,
    FlakeVerdict,
    Incident,
    JobRef,
    Remedy,
    RunRef,
    Verdict,
)
from tests import strategies


def _through_json(model: Any, model_type: type) -> Any:
    return from_json_dict(json.loads(json.dumps(to_json_dict(model))), model_type)


@given(strategies.incidents)
def test_incident_round_trips_through_json(incident: Incident) -> None:
    assert _through_json(incident, Incident) == incident


@given(strategies.job_refs)
def test_job_ref_round_trips_through_json(job: JobRef) -> None:
    assert _through_json(job, JobRef) == job


@given(strategies.fingerprints)
def test_fingerprint_round_trips_and_is_json_safe(fingerprint: Fingerprint) -> None:
    data = to_json_dict(fingerprint)
    assert isinstance(data["failing_tests"], list)
    assert data["category"] == fingerprint.category.value
    assert _through_json(fingerprint, Fingerprint) == fingerprint


@given(strategies.verdicts)
def test_verdict_round_trips(verdict: FlakeVerdict) -> None:
    assert _through_json(verdict, FlakeVerdict) == verdict


def test_datetimes_become_iso_strings() -> None:
    incident = _sample_incident()
    data = to_json_dict(incident)
    assert data["opened_at"] == "2026-01-02T03:04:05+00:00"


def test_models_are_frozen_and_hashable() -> None:
    run = RunRef(provider="github", repo="a/b", run_id="1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        run.attempt = 2  # type: ignore[misc]
    assert len({run, attrs.evolve(run)}) == 1
    remedy = Remedy(kind="retry", reason="x", params={"a": [1]})
    assert hash(remedy) == hash(attrs.evolve(remedy, params={"b": 2}))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RunRef(provider="github", repo="a/b", run_id="1", attempt=0), "attempt"),
        (lambda: Evidence(kind="k", supports=Verdict.FLAKY, strength=1.5, detail="d"), "strength"),
        (lambda: FlakeVerdict(subject="t", verdict=Verdict.OK, score=-0.1), "score"),
        (lambda: Remedy(kind="", reason="r"), "kind"),
    ],
)
def test_invariants_are_enforced(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_structuring_errors_name_the_field() -> None:
    with pytest.raises(PayloadError, match=r"RunRef\.repo") as caught:
        from_json_dict({"provider": "github", "run_id": "1"}, RunRef)
    assert "required field missing" in str(caught.value)
    with pytest.raises(PayloadError, match="category"):
        from_json_dict({"category": "weird", "hash": "h"}, Fingerprint)


def test_failure_vocabulary_matches_the_cli_contract() -> None:
    assert {c.value for c in Category} == {
        "test_failure", "compile_error", "dependency_resolution", "timeout",
        "infra_network", "oom", "missing_secret", "lint", "other",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("conclusion", "failed"),
    [("failure", True), ("timed_out", True), ("startup_failure", True), ("success", False),
     ("cancelled", False), (None, False), ("brand_new_value", False)],
)  # fmt: skip
def test_run_failure_accepts_every_provider_spelling(conclusion: str | None, failed: bool) -> None:
    run = RunRef(
        provider="github", repo="a/b", run_id="1", conclusion=conclusion, status="completed"
    )
    assert run.failed is failed
    event = CIEvent(kind="workflow_run", action="completed", run=run)
    assert event.is_failure is failed


def test_in_progress_event_is_not_a_failure() -> None:
    run = RunRef(provider="github", repo="a/b", run_id="1", status="in_progress")
    assert not CIEvent(kind="workflow_run", action="in_progress", run=run).is_completed


def _sample_incident() -> Incident:
    from datetime import datetime, timezone

    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    from ci_rescue_core.models import Severity

    return Incident(
        id="inc-1", provider="github", repo="a/b", key="k", severity=Severity.FLAKY,
        opened_at=when, updated_at=when,
    )  # fmt: skip
