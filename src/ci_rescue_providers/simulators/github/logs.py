"""GitHub Actions raw log text: timestamps, BOM and the default logs of simulated jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

__all__ = ["BOM", "default_job_lines", "format_actions_log", "format_timestamp"]

#: GitHub's raw job logs start with a UTF-8 byte order mark.
BOM = "\ufeff"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TICKS_PER_SECOND = 10_000_000  # 100 ns ticks: GitHub prints 7 fractional digits
_TICKS_PER_MICROSECOND = 10
# Fixed, irregular spacing between lines (about 31 ms) keeps output deterministic for a given start.
_LINE_STEP_TICKS = 312_347


def _to_ticks(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return ((moment - _EPOCH) // timedelta(microseconds=1)) * _TICKS_PER_MICROSECOND


def _format_ticks(ticks: int) -> str:
    seconds, fraction = divmod(ticks, _TICKS_PER_SECOND)
    whole = _EPOCH + timedelta(seconds=seconds)
    return f"{whole:%Y-%m-%dT%H:%M:%S}.{fraction:07d}Z"


def format_timestamp(moment: datetime) -> str:
    """Render ``moment`` as GitHub Actions prints it: ``2025-04-07T12:57:33.2943170Z``.

    Naive datetimes are taken as UTC; aware ones are converted to UTC.
    """
    return _format_ticks(_to_ticks(moment))


def format_actions_log(lines: Sequence[str], start: datetime | None = None) -> str:
    """Render ``lines`` as the raw log text GitHub serves for one job.

    Every line gets a ``2025-04-07T12:57:33.2943173Z `` prefix (UTC, seven fractional digits,
    strictly increasing from ``start``, default now) and the text begins with a UTF-8 BOM, like
    ``GET /repos/{o}/{r}/actions/jobs/{id}/logs`` output. Lines are used as given, so markers
    such as ``##[group]Run pytest``, ``##[endgroup]`` or
    ``##[error]Process completed with exit code 1.`` pass through; an element holding newlines
    becomes several timestamped lines. Every line ends with ``\\n``; no lines give ``""``.
    """
    flat: list[str] = []
    for line in lines:
        flat.extend(line.split("\n"))
    if not flat:
        return ""
    ticks = _to_ticks(start if start is not None else datetime.now(timezone.utc))
    out: list[str] = []
    for index, line in enumerate(flat):
        out.append(f"{_format_ticks(ticks + index * _LINE_STEP_TICKS)} {line}\n")
    return BOM + "".join(out)


def default_job_lines(
    *,
    repo: str,
    job_name: str,
    conclusion: str,
    attempt: int,
    command: str,
) -> list[str]:
    """Plausible log lines for a simulated job that has no log of its own.

    Failed jobs end their main step with ``##[error]Process completed with exit code 1.``.
    """
    lines = [
        "Current runner version: '2.323.0'",
        "##[group]Runner Image",
        "Image: ubuntu-24.04",
        "##[endgroup]",
        "##[group]Run actions/checkout@v4",
        "with:",
        f"  repository: {repo}",
        "##[endgroup]",
        f"Syncing repository: {repo}",
        f"##[group]Run {command}",
        f"\x1b[36;1m{command}\x1b[0m",
        "shell: /usr/bin/bash -e {0}",
        "##[endgroup]",
    ]
    if conclusion == "success":
        lines.append(f"{job_name}: all checks passed (attempt {attempt})")
    elif conclusion == "cancelled":
        lines.append("##[error]The operation was canceled.")
    elif conclusion == "timed_out":
        lines.append(
            "##[error]The job running on runner GitHub Actions 1 has exceeded the maximum "
            "execution time of 360 minutes."
        )
    else:
        lines.append(f"{job_name}: simulated {conclusion} (attempt {attempt})")
        lines.append("##[error]Process completed with exit code 1.")
    lines.extend(
        [
            "Post job cleanup.",
            "Cleaning up orphan processes",
        ]
    )
    return lines
