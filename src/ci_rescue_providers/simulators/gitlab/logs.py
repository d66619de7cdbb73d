"""GitLab runner job traces: collapsible sections, ANSI colours and the closing verdict line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

__all__ = ["default_trace", "format_gitlab_log"]

_ERASE = "\x1b[0K"
_RESET = "\x1b[0;m"
_CYAN = "\x1b[36;1m"
_GREEN = "\x1b[32;1m"
_RED = "\x1b[31;1m"


def _section(name: str, title: str, epoch: int, body: Sequence[str]) -> list[str]:
    start = f"section_start:{epoch}:{name}\r{_ERASE}{_ERASE}{_CYAN}{title}{_RESET}"
    end = f"section_end:{epoch + 1}:{name}\r{_ERASE}"
    return [start, *body, end]


def format_gitlab_log(
    lines: Sequence[str],
    *,
    exit_code: int | None = 1,
    system_failure: str | None = None,
    start: datetime | None = None,
    timestamps: bool = False,
) -> str:
    """Render script output ``lines`` as the trace a GitLab runner uploads for one job.

    The trace has the runner banner, ``prepare_executor``, ``get_sources`` and ``step_script``
    sections (``section_start:<epoch>:<name>\\r\\e[0K`` ... ``section_end:...``) with ANSI
    colours, and ends with ``Job succeeded`` (``exit_code`` 0 or ``None``),
    ``ERROR: Job failed: exit code N`` or, with ``system_failure``,
    ``ERROR: Job failed (system failure): <text>``. ``timestamps=True`` adds the runner's
    ``FF_TIMESTAMPS`` prefix (``<RFC3339>Z 00O ``) to every line.
    """
    moment = start if start is not None else datetime.now(timezone.utc)
    epoch = int(moment.timestamp())
    out = [
        f"{_ERASE}{_CYAN}Running with gitlab-runner 17.5.0 (c6ab1e6b){_RESET}",
        f"{_ERASE}{_CYAN}  on shared-runners-manager-1.gitlab.com zxwgkjAP, system ID: "
        f"s_4d1ac6bbb1f4{_RESET}",
    ]
    out += _section(
        "prepare_executor",
        'Preparing the "docker+machine" executor',
        epoch,
        ["Using Docker executor with image python:3.12 ..."],
    )
    out += _section(
        "get_sources",
        "Getting source from Git repository",
        epoch + 2,
        ["Fetching changes with git depth set to 20...", "Checking out 1a2b3c4d as detached HEAD"],
    )
    out += _section(
        "step_script",
        'Executing "step_script" stage of the job script',
        epoch + 4,
        [line for item in lines for line in item.split("\n")],
    )
    if system_failure is not None:
        out.append(f"{_RED}ERROR: Job failed (system failure): {system_failure}{_RESET}")
    elif exit_code:
        out += _section(
            "upload_artifacts_on_failure",
            "Uploading artifacts for failed job",
            epoch + 6,
            ["Uploading artifacts..."],
        )
        out.append(f"{_RED}ERROR: Job failed: exit code {exit_code}{_RESET}")
    else:
        out.append(f"{_GREEN}Job succeeded{_RESET}")
    if timestamps:
        stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        out = [f"{stamp} 00O {line}" for line in out]
    return "\n".join(out) + "\n"


def default_trace(name: str, status: str, failure_reason: str | None, execution: int) -> str:
    """The trace of a job seeded without a log: a short script run that fits its status."""
    script = [f"$ ./ci/{name.split(':')[0].split(' ')[0]}.sh", f"execution {execution}"]
    if status == "success":
        return format_gitlab_log([*script, "all good"], exit_code=0)
    if failure_reason not in (None, "script_failure", "unknown_failure"):
        return format_gitlab_log(script, system_failure=f"{failure_reason} (simulated)")
    return format_gitlab_log([*script, "something went wrong"], exit_code=1)
