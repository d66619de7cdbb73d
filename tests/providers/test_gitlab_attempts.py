"""Attempts rebuilt from a pipeline's jobs: rounds, stale snapshots, the jobs of an attempt."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_providers.gitlab.attempts import ROUND_GAP_SECONDS, AttemptIndex

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def job(job_id: int, name: str, created: float, duration: float | None = 30.0) -> dict[str, Any]:
    start = T0 + timedelta(seconds=created)
    return {
        "id": job_id,
        "name": name,
        "created_at": start.isoformat().replace("+00:00", "Z"),
        "finished_at": None
        if duration is None
        else (start + timedelta(seconds=duration)).isoformat().replace("+00:00", "Z"),
    }


def test_no_retries_is_attempt_one() -> None:
    index = AttemptIndex([job(1, "a", 0), job(2, "b", 0)])
    assert index.latest == 1 and [j["id"] for j in index.jobs_at(1)] == [1, 2]


def test_one_pipeline_retry_is_one_round() -> None:
    jobs = [job(1, "a", 0), job(2, "b", 0), job(3, "c", 0), job(4, "a", 40), job(5, "b", 40.2)]
    index = AttemptIndex(jobs)
    assert index.latest == 2
    assert [j["id"] for j in index.jobs_at(1)] == [1, 2, 3]
    assert [j["id"] for j in index.jobs_at(2)] == [4, 5, 3]
    assert index.attempt_of(5) == 2 and index.attempt_of(3) == 1 and index.attempt_of(99) is None


def test_a_retry_after_the_round_finished_is_a_new_round() -> None:
    jobs = [job(1, "a", 0), job(2, "b", 0), job(3, "a", 40), job(4, "b", 75)]
    assert AttemptIndex(jobs).latest == 3  # b retried after a's retry finished (at 70)


def test_a_retry_while_the_round_runs_joins_it() -> None:
    jobs = [job(1, "a", 0), job(2, "b", 0), job(3, "a", 40), job(4, "b", 45)]
    assert AttemptIndex(jobs).latest == 2


def test_unfinished_rounds_end_after_the_gap() -> None:
    jobs = [job(1, "a", 0), job(2, "b", 0), job(3, "a", 40, None), job(4, "b", 45, None)]
    assert AttemptIndex(jobs).latest == 2
    late = [*jobs[:3], job(4, "b", 40 + ROUND_GAP_SECONDS + 1, None)]
    assert AttemptIndex(late).latest == 3


def test_the_same_name_twice_is_always_two_rounds() -> None:
    jobs = [job(1, "a", 0), job(2, "a", 40, None), job(3, "a", 40.5, None)]
    assert AttemptIndex(jobs).latest == 3


def test_job_order_comes_from_ids_not_from_the_list() -> None:
    jobs = [job(4, "a", 40), job(1, "a", 0), job(2, "b", 0)]
    assert [j["id"] for j in AttemptIndex(jobs).jobs_at(1)] == [1, 2]


def test_a_snapshot_is_as_new_as_its_newest_job() -> None:
    index = AttemptIndex([job(1, "a", 0), job(2, "b", 0), job(3, "a", 40), job(4, "a", 80)])
    assert index.attempt_of_jobs(["1", "2"]) == 1
    assert index.attempt_of_jobs(["3", "2"]) == 2
    assert index.attempt_of_jobs(["4", "2"]) == 3
    assert index.attempt_of_jobs(["999"]) == index.latest == 3


def test_attempts_beyond_the_latest_show_the_latest() -> None:
    index = AttemptIndex([job(1, "a", 0), job(2, "a", 40)])
    assert index.jobs_at(7) == index.jobs_at(2) and index.jobs_at(0) == index.jobs_at(1)


@st.composite
def retry_histories(draw: st.DrawFn) -> list[list[str]]:
    names = ["a", "b", "c", "d"]
    return draw(st.lists(st.lists(st.sampled_from(names), min_size=1, unique=True), max_size=6))


@given(retry_histories())
def test_every_retry_round_raises_the_attempt_by_exactly_one(rounds: list[list[str]]) -> None:
    jobs = [job(i + 1, name, 0) for i, name in enumerate("abcd")]
    clock = 0.0
    attempts = [AttemptIndex(jobs).latest]
    for names in rounds:
        clock += 100.0  # the previous round ran (30 s) before this one was asked for
        for offset, name in enumerate(names):
            jobs.append(job(len(jobs) + 1, name, clock + offset * 0.1))
        attempts.append(AttemptIndex(jobs).latest)
    assert attempts == list(range(1, len(rounds) + 2))
    index = AttemptIndex(jobs)
    for attempt, names in enumerate(rounds, start=2):
        chosen = {j["name"]: j for j in index.jobs_at(attempt)}
        assert all(index.attempt_of(chosen[n]["id"]) == attempt for n in names)
