"""The periodic thread behind the quarantine sweeper and the remedy scheduler."""

from __future__ import annotations

import threading
import time

import pytest

from ci_rescue_core.periodic import Periodic


def test_a_failing_task_is_logged_and_run_again_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []
    third = threading.Event()

    def task() -> None:
        runs.append(len(runs))
        if len(runs) >= 3:
            third.set()
        raise RuntimeError("boom")

    periodic = Periodic(task, interval=0.01, name="unit-periodic")
    periodic.start()
    periodic.start()  # a second start does not start a second thread
    assert [t.name for t in threading.enumerate()].count("unit-periodic") == 1
    assert third.wait(10)
    periodic.stop(10)
    stopped_at = len(runs)
    assert periodic.stopping.is_set() and stopped_at >= 3
    assert [t.name for t in threading.enumerate()].count("unit-periodic") == 0
    time.sleep(0.05)  # five intervals: a task still scheduled would have run again
    assert len(runs) == stopped_at
    assert "unit-periodic crashed" in caplog.text


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Periodic(lambda: None, interval=0, name="unit")
