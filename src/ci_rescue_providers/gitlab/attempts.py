"""Attempts of a GitLab pipeline, rebuilt from its jobs.

A GitLab retry keeps the pipeline id and creates new jobs (new ids, same names).  ci-rescue
models *attempt* N of a pipeline as the state after its first N-1 **retry rounds**:

* the first job of each name belongs to attempt 1;
* every later job of a name is a retry (whoever asked: ci-rescue, a person, or GitLab's own
  ``retry:`` keyword).  Retries are walked in job-id order; a retry starts a new round when

  - its name was already retried in the current round, or
  - it was created at or after the moment a job of the current round finished (a round's
    jobs are created together, before any of them has run; the next round is asked for once
    the pipeline has finished again), or
  - more than :data:`ROUND_GAP_SECONDS` passed since the previous retry was created;

* ``attempt = 1 + number of rounds``.

So one pipeline retry (every failed job at once) or one "retry these jobs" call is one round,
and every later retry — of any job — raises the attempt: the orchestrator's stale-event check
and its ``retry_max`` budget (``attempt - 1``) both see it.  A retry asked while the previous
round is still running joins that round.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ci_rescue_providers.gitlab.mapping import TERMINAL, parse_time

#: Retries created further apart than this belong to different rounds.
ROUND_GAP_SECONDS = 300.0


class AttemptIndex:
    """The retry rounds of one pipeline, from its jobs (``include_retried=True``)."""

    def __init__(self, jobs: Sequence[Mapping[str, Any]]) -> None:
        self._jobs = sorted(jobs, key=lambda job: int(job["id"]))
        self._round: dict[int, int] = {}
        seen: set[str] = set()
        rounds = 0
        names: set[str] = set()
        first_finish: datetime | None = None
        previous: datetime | None = None
        for job in self._jobs:
            job_id, name = int(job["id"]), str(job.get("name", ""))
            if name not in seen:
                seen.add(name)
                self._round[job_id] = 0
                continue
            created = parse_time(job.get("created_at"))
            if rounds == 0 or name in names or _later(created, first_finish, previous):
                rounds += 1
                names = set()
                first_finish = None
            names.add(name)
            self._round[job_id] = rounds
            finished = parse_time(job.get("finished_at"))
            if finished is not None and (first_finish is None or finished < first_finish):
                first_finish = finished
            previous = created or previous
        self.rounds = rounds

    @property
    def latest(self) -> int:
        """The latest attempt: one more than the number of retry rounds."""
        return self.rounds + 1

    def attempt_of(self, job_id: int | str) -> int | None:
        """The attempt in which job *job_id* was created (``None`` for an unknown id)."""
        found = self._round.get(int(job_id))
        return None if found is None else found + 1

    def attempt_of_jobs(self, job_ids: Sequence[int | str]) -> int:
        """The attempt a snapshot of latest jobs (a webhook's ``builds``) shows: the newest
        attempt any of them belongs to; the latest attempt when none is known."""
        found = [a for a in (self.attempt_of(j) for j in job_ids) if a is not None]
        return max(found) if found else self.latest

    def jobs_at(self, attempt: int) -> list[Mapping[str, Any]]:
        """For each job name, its newest job created up to *attempt*, in first-seen order."""
        limit = max(1, min(attempt, self.latest)) - 1
        chosen: dict[str, Mapping[str, Any]] = {}
        for job in self._jobs:
            if self._round[int(job["id"])] <= limit:
                chosen[str(job.get("name", ""))] = job
        return list(chosen.values())


def _later(
    created: datetime | None, first_finish: datetime | None, previous: datetime | None
) -> bool:
    """Whether a retry created at *created* cannot belong to the current round."""
    if created is None:
        return False
    if first_finish is not None and created >= first_finish:
        return True
    return previous is not None and (created - previous).total_seconds() > ROUND_GAP_SECONDS


class AttemptCache:
    """The latest attempt of finished pipelines, remembered while their ``updated_at`` stays.

    Rebuilding a pipeline's attempt costs one jobs request.  A finished pipeline whose
    ``updated_at`` has not changed has the same jobs (a retry sets it running and touches it),
    so a poll that lists it again needs no second request.  Running pipelines are never cached.
    Bounded: the least recently used entries go first.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._latest: OrderedDict[tuple[str, str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    def latest(self, repo: str, pipeline: Mapping[str, Any], rebuild: Callable[[str], int]) -> int:
        """*pipeline*'s latest attempt: remembered, or ``rebuild(pipeline_id)`` (and
        remembered when the pipeline is finished)."""
        updated = pipeline.get("updated_at")
        cacheable = bool(updated) and pipeline.get("status") in TERMINAL
        key = (repo, str(pipeline["id"]), str(updated))
        if cacheable:
            with self._lock:
                if key in self._latest:
                    self._latest.move_to_end(key)
                    return self._latest[key]
        attempt = rebuild(str(pipeline["id"]))
        if cacheable:
            with self._lock:
                self._latest[key] = attempt
                while len(self._latest) > self._size:
                    self._latest.popitem(last=False)
        return attempt
