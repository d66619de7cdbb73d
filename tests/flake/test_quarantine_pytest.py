"""The pytest plugin honours the quarantine list: quarantined tests run, but as xfail."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ci_rescue_core.flake.quarantine_file import QuarantineEntry, render_quarantine
from ci_rescue_core.flake.recording import quarantine_results

TESTS = """
import pytest

def test_flaky():
    assert False, "flaked"

def test_recovered():
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n == 1

def test_expired():
    assert False, "real failure"

def test_plain():
    pass
"""


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "ci_rescue_core.quarantine_pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            *args,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def repo(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sample.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    now = datetime.now(timezone.utc)
    entries = [
        QuarantineEntry(
            id=f"tests/test_sample.py::{name}", reason="flaky", expires=now + timedelta(days=days)
        )
        for name, days in (
            ("test_flaky", 7),
            ("test_recovered", 7),
            ("test_param", 7),
            ("test_expired", -1),
        )
    ]
    (tmp_path / ".ci-rescue").mkdir()
    (tmp_path / ".ci-rescue" / "quarantine.yaml").write_text(render_quarantine(entries))
    return tmp_path


def test_quarantined_tests_run_as_non_strict_xfail_and_report_how_they_did(tmp_path: Path) -> None:
    result = run_pytest(repo(tmp_path))
    out = result.stdout
    assert result.returncode == 1, out  # the expired entry no longer hides its real failure
    assert "1 failed, 1 passed, 2 xfailed, 2 xpassed" in out
    found = dict(quarantine_results(out.splitlines()))
    assert found == {
        "tests/test_sample.py::test_flaky": "fail",
        "tests/test_sample.py::test_recovered": "pass",
        "tests/test_sample.py::test_param[1]": "pass",
        "tests/test_sample.py::test_param[2]": "fail",
    }
    assert "ci-rescue quarantine: expired tests/test_sample.py::test_expired" in out


def test_without_a_file_nothing_changes_and_a_broken_file_stops_the_run(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / ".ci-rescue" / "quarantine.yaml").unlink()
    plain = run_pytest(root)
    assert "3 failed" in plain.stdout and "ci-rescue quarantine" not in plain.stdout
    (root / "broken.yaml").write_text("tests: [oops")
    broken = run_pytest(root, "--ci-rescue-quarantine", "broken.yaml")
    assert broken.returncode == 4
    assert "ci-rescue quarantine list" in broken.stderr and "invalid YAML" in broken.stderr


def test_a_configured_file_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    root = repo(tmp_path)
    missing = run_pytest(root, "--ci-rescue-quarantine", "nope/quarantine.yaml")
    assert missing.returncode == 4, missing.stdout
    assert "ci-rescue quarantine list" in missing.stderr
    assert "nope/quarantine.yaml" in missing.stderr and "does not exist" in missing.stderr
    (root / "pytest.ini").write_text("[pytest]\nci_rescue_quarantine = gone.yaml\n")
    from_ini = run_pytest(root)
    assert from_ini.returncode == 4 and "gone.yaml" in from_ini.stderr
