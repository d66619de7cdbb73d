"""Running ``ci-rescue`` as a real process, as the provider CLI tests do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence


def run_cli(
    *args: str, env: Mapping[str, str], unset: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """``python -m ci_rescue_core.cli.main *args`` with this process's environment, less the
    variables in *unset*, plus *env*."""
    environment = {**os.environ, "COLUMNS": "120"}
    for name in unset:
        environment.pop(name, None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "ci_rescue_core.cli.main", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def assert_one_clear_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """The command failed with exit code 1 and one ``ci-rescue: error:`` line naming *words*."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ci-rescue: error: ")
    for word in words:
        assert word in lines[0], lines[0]
