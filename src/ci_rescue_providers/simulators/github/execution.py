"""How an attempt executes: job validation, re-run sets, step results, logs, conclusions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from ..common.jobs import check_job_list
from .logs import default_job_lines, format_actions_log
from .models import RunRecord, SimJob, StepRecord

__all__ = ["job_log", "job_steps", "run_conclusion", "validate_jobs", "with_dependents"]


def run_conclusion(conclusions: Iterable[str]) -> str:
    """The conclusion of an attempt from its jobs' conclusions.

    Any ``failure``/``startup_failure`` wins, then ``timed_out``, then ``cancelled``, then
    ``action_required``; otherwise ``success`` (skipped and neutral jobs do not fail a run).
    """
    seen = set(conclusions)
    for candidate in ("failure", "startup_failure", "timed_out", "cancelled", "action_required"):
        if candidate in seen:
            return "failure" if candidate == "startup_failure" else candidate
    return "success"


def validate_jobs(specs: Sequence[SimJob]) -> None:
    """Reject non-``SimJob`` items, duplicate names and ``needs`` on unknown or later jobs."""
    check_job_list(specs, SimJob, lambda spec: spec.needs, "needs")


def with_dependents(specs: Sequence[SimJob], names: set[str]) -> set[str]:
    """``names`` plus every job that (transitively) needs one of them."""
    out = set(names)
    for spec in specs:  # specs are in dependency order, so one pass reaches the closure
        if out.intersection(spec.needs):
            out.add(spec.name)
    return out


def job_steps(
    spec: SimJob, conclusion: str, started: datetime, completed: datetime
) -> list[StepRecord]:
    """Step results of one execution: steps before the failing step succeed, the failing step
    takes the job's failure (``cancelled`` for cancelled/timed-out jobs), later steps are
    skipped except post and ``Complete job`` steps."""
    names = spec.step_names()
    failing = spec.failed_step
    if failing is None:
        candidates = [n for n in names if n.startswith("Run ") and not n.startswith("Post ")]
        middle = [
            n
            for n in names
            if n not in ("Set up job", "Complete job") and not n.startswith("Post ")
        ]
        failing = (candidates or middle or list(names))[-1]
    failed_index = names.index(failing)
    span = (completed - started) / max(len(names), 1)
    steps: list[StepRecord] = []
    for index, name in enumerate(names):
        if conclusion == "success" or conclusion in ("neutral", "skipped") or index < failed_index:
            step_conclusion = "success" if conclusion != "skipped" else "skipped"
        elif index == failed_index:
            step_conclusion = "cancelled" if conclusion in ("cancelled", "timed_out") else "failure"
        elif name == "Complete job" or name.startswith("Post "):
            step_conclusion = "success"
        else:
            step_conclusion = "skipped"
        begin = started + span * index
        steps.append(
            StepRecord(
                number=index + 1,
                name=name,
                conclusion=step_conclusion,
                started_at=begin,
                completed_at=begin + span,
            )
        )
    return steps


def job_log(
    run: RunRecord, spec: SimJob, *, job_id: int, conclusion: str, attempt: int, started: datetime
) -> bytes:
    """The log bytes of one execution: ``spec.log`` (called with ``attempt`` when callable) or
    a generated Actions log whose timestamps start at ``started``."""
    source = spec.log
    if source is None:
        lines = default_job_lines(
            repo=run.repo.full_name,
            job_name=spec.name,
            conclusion=conclusion,
            attempt=attempt,
            command=spec.command(),
        )
        # A stable sub-second offset, so timestamps do not all end in .0000000.
        start = started + timedelta(microseconds=(job_id * 7919) % 1_000_000)
        return format_actions_log(lines, start=start).encode("utf-8")
    value = source(attempt) if callable(source) else source
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"log of job {spec.name!r} must give bytes or str, got {type(value).__name__}")
