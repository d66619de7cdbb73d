"""Constants, types and helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Diagnosis, Remedy
from ci_rescue_core.runtime import Runtime

TOKEN = "sim-token-1234"
TOKEN_ENV = "TEST_CI_RESCUE_GITHUB_TOKEN"

#: ``make_runtime(mode=..., token=..., base_url=..., plugins=(...), **provider_settings)``
RuntimeFactory = Callable[..., Runtime]


def corpus_dir() -> Path:
    """The shared corpus (``../shared/corpus`` next to the checkout, or ``$CI_RESCUE_CORPUS``).

    Skips the calling test, saying why, on machines that do not have it (a user's machine).
    """
    configured = os.environ.get("CI_RESCUE_CORPUS")
    candidate = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    if not candidate.is_dir():
        pytest.skip(
            f"the shared corpus is not at {candidate} (set CI_RESCUE_CORPUS to run corpus tests)"
        )
    return candidate


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until *condition* holds, for a background thread (a synchronisation, not a timing
    assertion); fails the test after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the background thread did not get there in {timeout:g} s")
        time.sleep(0.02)


class AlwaysRetry:
    """A reckless third-party strategy: a re-run of every failed job, every time, so that only
    core's retry budget (``retry_max`` on ``attempt - 1``) stands between it and endless re-runs."""

    @hookimpl
    def rescue_propose_remedies(self, diagnoses: tuple[Diagnosis, ...]) -> list[Remedy]:
        """One ``retry_cells`` remedy over every diagnosed job."""
        return [
            Remedy(
                kind="retry_cells",
                reason="always retry",
                job_ids=tuple(d.job.job_id for d in diagnoses),
                source="always-retry",
            )
        ]


def cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    unset: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``ci-rescue *args*`` in a real process (120 columns), with this process's environment
    less the variables in *unset*, plus *env*."""
    environment = {**os.environ, "COLUMNS": "120"}
    for name in unset:
        environment.pop(name, None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ci_rescue_core.cli.main", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin.decode() if stdin is not None else None,
        timeout=120,
    )


def assert_one_clear_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """*result* exited 1 with one ``ci-rescue: error:`` line naming every one of *words*, and
    no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ci-rescue: error: ")
    for word in words:
        assert word in lines[0], lines[0]
