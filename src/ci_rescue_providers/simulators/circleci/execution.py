"""How a workflow executes: re-run sets, job and workflow statuses, and step output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..common.jobs import check_job_list
from .models import FAILED_STATUSES, JobRecord, SimJob

__all__ = [
    "MESSAGE_LINES",
    "StepOutput",
    "job_steps",
    "validate_jobs",
    "with_dependents",
    "workflow_status",
]

#: Lines per output message (CircleCI splits a step's output into many small messages).
MESSAGE_LINES = 8
_RUNNING = frozenset({"running", "queued", "not_running", "blocked", "on_hold"})


def validate_jobs(specs: Sequence[SimJob]) -> None:
    """Reject non-``SimJob`` items, duplicate names and ``requires`` on unknown or later jobs."""
    if not specs:
        raise ValueError("a workflow needs at least one job")
    check_job_list(specs, SimJob, lambda spec: spec.requires, "requires")


def with_dependents(specs: Sequence[SimJob], names: set[str]) -> set[str]:
    """*names* plus every job that (transitively) requires one of them."""
    out = set(names)
    for spec in specs:  # specs are in dependency order: one pass reaches the closure
        if out.intersection(spec.requires):
            out.add(spec.name)
    return out


def workflow_status(statuses: Sequence[str]) -> str:
    """A workflow's status from its jobs' statuses.

    Still-running jobs give ``running`` (``failing`` when one already failed); then
    ``canceled``, ``failed`` (any failure spelling, ``unauthorized`` included); else ``success``.
    """
    seen = set(statuses)
    failed = bool(seen & FAILED_STATUSES) or "unauthorized" in seen
    if seen & _RUNNING:
        if "on_hold" in seen and not seen & (_RUNNING - {"on_hold", "blocked"}):
            return "on_hold"
        return "failing" if failed else "running"
    if "canceled" in seen:
        return "canceled"
    return "failed" if failed else "success"


@dataclass(frozen=True)
class StepOutput:
    """One action (a step on one node) as the v1.1 job endpoint describes it."""

    name: str
    step: int
    index: int
    status: str
    exit_code: int | None
    kind: str
    text: str
    start: datetime
    end: datetime | None

    @property
    def failed(self) -> bool:
        """True when the action did not succeed."""
        return self.status not in ("success", "running")

    def messages(self) -> list[dict[str, str]]:
        """The output as CircleCI serves it: ``{type, time, message}`` items, CRLF line ends."""
        lines = self.text.replace("\r\n", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        stamp = self.start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        out: list[dict[str, str]] = []
        for first in range(0, len(lines), MESSAGE_LINES):
            chunk = lines[first : first + MESSAGE_LINES]
            out.append({"type": "out", "time": stamp, "message": "\r\n".join(chunk) + "\r\n"})
        return out


def _main_text(job: JobRecord, node: int, status: str) -> str:
    spec = job.spec
    source = spec.log
    if callable(source):
        value = source(job.execution, node)
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    elif source is not None and (status != "success" or spec.parallelism == 1):
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    elif status == "success":
        text = f"#!/bin/bash -eo pipefail\nmake {spec.name}\n{spec.name}: all checks passed\n"
    else:
        text = f"#!/bin/bash -eo pipefail\nmake {spec.name}\n{spec.name}: simulated {status}\n"
    if status == "timedout":
        text += "\nToo long with no output (exceeded 10m0s): context deadline exceeded\n"
    elif status in FAILED_STATUSES:
        text += "\nExited with code exit status 1\n"
    return text


def _node_status(spec: SimJob, job_status: str, node: int) -> str:
    if job_status in FAILED_STATUSES and spec.failing_nodes is not None:
        return job_status if node in spec.failing_nodes else "success"
    return job_status


def node_statuses(spec: SimJob, job_status: str) -> tuple[str, ...]:
    """The status of each parallel node of a job that ended *job_status*."""
    return tuple(_node_status(spec, job_status, node) for node in range(spec.parallelism))


def job_steps(job: JobRecord, *, image: str = "cimg/python:3.12") -> list[list[StepOutput]]:
    """Steps of an executed job, each a list of actions (one per node).

    Set-up steps succeed; the main step carries the job's log and takes each node's status.
    Jobs that never started (``not_run``, approvals) have no steps.
    """
    if job.started_at is None or job.spec.approval:
        return []
    start = job.started_at
    revision = job.workflow.pipeline.revision
    subject = job.workflow.pipeline.subject
    setup = [
        (
            "Spin up environment",
            "infrastructure",
            f"Build-agent version 1.0.0-sim\nStarting container {image}\n"
            f"Using resource class {job.spec.resource_class}\n",
        ),
        (
            "Preparing environment variables",
            "infrastructure",
            "Using build environment variables:\n"
            f"  CIRCLE_BRANCH={job.workflow.pipeline.branch or ''}\n"
            f"  CIRCLE_BUILD_NUM={job.number}\n  CIRCLE_JOB={job.name}\n"
            f"  CIRCLE_SHA1={revision}\n",
        ),
        (
            "Checkout code",
            "checkout",
            "Cloning git repository\nChecking out branch\n"
            f"HEAD is now at {revision[:7]} {subject}\n",
        ),
    ]
    steps: list[list[StepOutput]] = []
    for number, (name, kind, text) in enumerate(setup):
        at = start + timedelta(seconds=number)
        steps.append(
            [
                StepOutput(name, number, node, "success", 0, kind, text, at, at)
                for node in range(job.spec.parallelism)
            ]
        )
    main_start = start + timedelta(seconds=len(setup))
    actions = []
    for node, status in enumerate(job.node_statuses):
        exit_code = None if status == "running" else (0 if status == "success" else 1)
        end = None if status == "running" else job.stopped_at
        actions.append(
            StepOutput(
                job.spec.step,
                len(setup),
                node,
                status,
                exit_code,
                "test",
                _main_text(job, node, status),
                main_start,
                end,
            )
        )
    steps.append(actions)
    return steps
