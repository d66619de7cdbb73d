"""``ci-rescue flake-score``: the DESIGN.md contract, sorted output, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ci_rescue_core.cli.main import main
from ci_rescue_core.errors import PayloadError
from ci_rescue_core.flake.jsonl import parse_lines


def line(
    test: str,
    sha: str,
    outcome: str,
    attempt: int = 1,
    run: str = "1",
    hour: int = 0,
    **extra: object,
) -> str:
    record = {
        "test": test,
        "sha": sha,
        "outcome": outcome,
        "attempt": attempt,
        "run": run,
        "time": f"2024-05-01T{hour:02d}:00:00Z",
        **extra,
    }
    return json.dumps(record)


def history() -> list[str]:
    lines = []
    for i in range(12):
        sha, run = f"s{i:02d}", str(i)
        lines.append(line("tests/test_b.py::test_steady", sha, "pass", run=run, hour=i))
        flaky_fails = i in (3, 8)
        lines.append(
            line(
                "tests/test_a.py::test_flaky",
                sha,
                "fail" if flaky_fails else "pass",
                run=run,
                hour=i,
                message="TimeoutError: no reply in 2.0s",
            )
        )
        if flaky_fails:
            lines.append(
                line("tests/test_a.py::test_flaky", sha, "pass", attempt=2, run=run, hour=i)
            )
        broken = i >= 9
        lines.append(
            line(
                "tests/test_c.py::test_broken",
                sha,
                "fail" if broken else "pass",
                run=run,
                hour=i,
                branch="main",
                message="assert 3402 == 3780",
            )
        )
        if broken:
            lines.append(
                line("tests/test_c.py::test_broken", sha, "fail", attempt=2, run=run, hour=i)
            )
    return lines


def run_cli(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "ci_rescue_core.cli.main", "flake-score", str(path), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_one_json_object_per_test_sorted_by_test_id(tmp_path: Path) -> None:
    result = run_cli(tmp_path, history(), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(row) for row in result.stdout.splitlines()]
    assert [r["test"] for r in rows] == sorted(r["test"] for r in rows)
    verdicts = {r["test"]: r["verdict"] for r in rows}
    assert verdicts == {
        "tests/test_a.py::test_flaky": "flaky",
        "tests/test_b.py::test_steady": "ok",
        "tests/test_c.py::test_broken": "broken",
    }
    for row in rows:
        assert set(row) >= {"test", "score", "verdict", "evidence"}
        assert 0.0 <= row["score"] <= 1.0
        for item in row["evidence"]:
            assert {"kind", "supports", "strength", "detail"} <= set(item)
    flaky = next(r for r in rows if r["verdict"] == "flaky")
    assert flaky["evidence"][0]["kind"] in {"rerun_passed", "recurring_fingerprint", "flake_rate"}
    assert flaky["observations"] == 14


def test_text_output_names_each_test(tmp_path: Path) -> None:
    result = run_cli(tmp_path, history())
    assert result.returncode == 0, result.stderr
    assert "tests/test_c.py::test_broken" in result.stdout and "broken" in result.stdout


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "line 3: not valid JSON"),
        ('["a list"]', "line 3: expected a JSON object"),
        (
            json.dumps({"test": "t", "sha": "s", "outcome": "pass", "attempt": 1, "run": "1"}),
            "line 3: missing 'time'",
        ),
        (line("t", "s", "flaky"), 'line 3: \'outcome\' must be "pass" or "fail"'),
        (line("t", "s", "pass", attempt=0), "line 3: 'attempt' must be an integer >= 1"),
        (line("t", "s", "pass").replace("2024-05-01T00:00:00Z", "yesterday"), "line 3: 'time'"),
        (line("", "s", "pass"), "line 3: 'test' must be a non-empty string"),
    ],
)
def test_a_bad_line_is_named_by_its_number(tmp_path: Path, bad: str, message: str) -> None:
    lines = [line("t", "s1", "pass"), "", bad]
    result = run_cli(tmp_path, lines, "--format", "json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"history.jsonl, {message}" in result.stderr
    assert result.stdout == ""


def test_missing_and_binary_files_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["flake-score", str(tmp_path / "nope.jsonl")]) == 1
    assert "cannot read" in capsys.readouterr().err
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["flake-score", str(binary)]) == 1
    assert "not UTF-8" in capsys.readouterr().err


def test_extra_keys_are_allowed_and_messages_become_fingerprints() -> None:
    [first, second] = list(
        parse_lines(
            [
                line(
                    "t",
                    "s",
                    "fail",
                    message="Timeout after 2.0s on port 5432",
                    branch="main",
                    job="j",
                    whatever=1,
                ),
                line("t", "s", "fail", message="Timeout after 3.5s on port 6543"),
            ]
        )
    )
    assert first.fingerprint == second.fingerprint is not None
    assert first.branch == "main" and first.job == "j" and second.branch is None


def test_an_empty_history_prints_nothing(tmp_path: Path) -> None:
    result = run_cli(tmp_path, [], "--format", "json")
    assert result.returncode == 0 and result.stdout == ""


def test_parse_errors_are_payload_errors() -> None:
    with pytest.raises(PayloadError, match=r"h\.jsonl, line 1: missing"):
        list(parse_lines(["{}"], source="h.jsonl"))
