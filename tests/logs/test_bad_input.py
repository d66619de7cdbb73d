"""Bad input: binary, empty, truncated gzip, a 50 MB line — a valid answer or a clear error."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from ci_rescue_core.errors import LogReadError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import LogAnalysis, analyze_log
from ci_rescue_core.logs.reader import MAX_LINE_BYTES, open_source
from ci_rescue_core.models import Category

from .conftest import FIXTURE_LOGS


def analyze_path(path: Path, hooks: Hooks) -> LogAnalysis:
    with open_source(path) as chunks:
        return analyze_log(chunks, hooks=hooks)


def cli_analyze(path: Path | str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``ci-rescue analyze PATH --format json`` in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "ci_rescue_core.cli.main", "analyze", str(path), "--format", "json"],
        capture_output=True,
        input=stdin,
        env={**os.environ, "COLUMNS": "120"},
        timeout=120,
        check=False,
    )


def assert_contract(result: subprocess.CompletedProcess[bytes]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {
        "category",
        "ecosystem",
        "failing_tests",
        "error_lines",
        "exit_code",
        "fingerprint",
    }
    assert isinstance(answer, dict)
    return answer


@pytest.fixture
def binary_log(tmp_path: Path) -> Path:
    rng = random.Random(3)
    path = tmp_path / "core.bin"
    # Random bytes (NULs, invalid UTF-8, stray \r) with a readable failure in the middle.
    data = bytes(rng.randrange(256) for _ in range(300_000))
    path.write_bytes(data[:150_000] + b"\nFATAL: segfault in worker\n" + data[150_000:])
    return path


def test_binary_file_gives_a_valid_analysis(binary_log: Path, hooks: Hooks) -> None:
    analysis = analyze_path(binary_log, hooks)
    assert analysis.total_lines > 1
    texts = [error.text for error in analysis.fingerprint.error_lines]
    assert all("\x00" not in text for text in texts)
    answer = assert_contract(cli_analyze(binary_log))
    assert answer["category"] in {category.value for category in Category}


def test_empty_file_gives_a_valid_analysis(tmp_path: Path, hooks: Hooks) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    analysis = analyze_path(empty, hooks)
    assert analysis.total_lines == 0
    assert analysis.fingerprint.category is Category.OTHER
    answer = assert_contract(cli_analyze(empty))
    assert answer["error_lines"] == [] and answer["category"] == "other"


def test_empty_stdin_gives_a_valid_analysis() -> None:
    assert assert_contract(cli_analyze("-", stdin=b""))["category"] == "other"


def test_truncated_gzip_is_a_clear_error(tmp_path: Path, hooks: Hooks) -> None:
    original = (FIXTURE_LOGS / "bugswarm_2446151667_pytest.log").read_bytes()
    cut = tmp_path / "job.log.gz"
    cut.write_bytes(gzip.compress(original)[:-200])
    with pytest.raises(LogReadError, match=r"job\.log\.gz.*truncated"):
        analyze_path(cut, hooks)
    result = cli_analyze(cut)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr
    assert result.stderr.decode().strip().startswith("ci-rescue: error: cannot read log")


def test_gzipped_stdin_is_read() -> None:
    original = (FIXTURE_LOGS / "bugswarm_2446151667_pytest.log").read_bytes()
    answer = assert_contract(cli_analyze("-", stdin=gzip.compress(original)))
    assert answer["category"] == "test_failure"


def test_a_50_mb_single_line_is_truncated_not_held(tmp_path: Path, hooks: Hooks) -> None:
    huge = tmp_path / "one-line.log"
    with huge.open("wb") as out:
        out.write(b"error: minified bundle failed to parse ")
        block = b"x" * (1 << 20)
        for _ in range(50):
            out.write(block)
        out.write(b" timeout at the very end\nnext line: Killed\n")
    analysis = analyze_path(huge, hooks)
    assert analysis.total_lines == 2
    lengths = [len(error.text.encode()) for error in analysis.fingerprint.error_lines]
    assert lengths and max(lengths) <= MAX_LINE_BYTES
    texts = " ".join(error.text for error in analysis.fingerprint.error_lines)
    assert "timeout at the very end" not in texts  # past the cap: dropped, never read
    answer = assert_contract(cli_analyze(huge))
    assert all(len(str(line)) < 2 * MAX_LINE_BYTES for line in answer["error_lines"])  # type: ignore[union-attr]
