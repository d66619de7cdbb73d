"""Small histories for the flake tests (this module holds no tests)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ci_rescue_core.flake.observations import Observation

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
TEST = "tests/test_net.py::test_webhook_roundtrip"


def obs(
    sha: str,
    failed: bool,
    *,
    run: str | None = None,
    attempt: int = 1,
    hour: float = 0.0,
    job: str = "test (3.11)",
    branch: str | None = "main",
    fingerprint: str | None = None,
    test: str = TEST,
) -> Observation:
    """One observation; the time is ``hour`` hours after T0 plus a minute per attempt."""
    return Observation(
        test=test,
        sha=sha,
        failed=failed,
        run=run or f"run-{sha}",
        attempt=attempt,
        time=T0 + timedelta(hours=hour, minutes=attempt),
        job=job,
        branch=branch,
        fingerprint=fingerprint if failed else None,
    )


def clean_history(commits: int, *, start: float = 0.0) -> list[Observation]:
    """One passing run per commit ``c000``, ``c001``... an hour apart."""
    return [obs(f"c{i:03d}", False, hour=start + i) for i in range(commits)]


def flip(sha: str, hour: float, fingerprint: str | None = "fp-timeout") -> list[Observation]:
    """Failed, then passed on the re-run (attempt 2) at one commit."""
    return [
        obs(sha, True, hour=hour, fingerprint=fingerprint),
        obs(sha, False, attempt=2, hour=hour),
    ]


def regression(
    sha: str, hour: float, attempts: int = 3, fingerprint: str = "fp-new"
) -> list[Observation]:
    """Failed on every attempt at one commit."""
    return [
        obs(sha, True, attempt=a, hour=hour, fingerprint=fingerprint)
        for a in range(1, attempts + 1)
    ]


def now_after(observations: list[Observation]) -> datetime:
    """An hour after the last observation."""
    return max(o.time for o in observations) + timedelta(hours=1)
