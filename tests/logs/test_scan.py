"""Cleaning CI formats and the one-pass scan: candidates, context, tail, caps, baseline."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from ci_rescue_core.logs.clean import LogCleaner, strip_noise
from ci_rescue_core.logs.excerpt import LogExcerpt, LogLine
from ci_rescue_core.logs.reader import iter_lines, open_source
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import is_candidate, scan, scan_chunks

from .conftest import FIXTURE_LOGS


def excerpt_of(
    text: str, *, context: int = 3, max_candidates: int = 2000, tail: int = 60
) -> LogExcerpt:
    return scan(
        iter_lines([text.encode()]),
        Redactor(),
        context=context,
        max_candidates=max_candidates,
        tail=tail,
    )


def numbers(lines: Iterable[LogLine]) -> list[int]:
    return [line.number for line in lines]


# Cleaning ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\ufeff2025-04-07T12:57:33.2943173Z Current runner version", "Current runner version"),
        ("2025-04-07T12:57:33.2943173Z ##[error]boom", "##[error]boom"),
        ("2025-04-07T12:57:33.2943173Z", ""),
        ("\x1b[31m\x1b[1mFAILED\x1b[0m tests/x.py::t", "FAILED tests/x.py::t"),
        ("\x1b]0;title\x07text\x1b[K", "text"),
        ("2024-01-02T03:04:05.123456Z 00O $ make test", "$ make test"),
        ("2024-01-02T03:04:05.123456Z 01E+ continued", "continued"),
        ("build\tRun tests\t2021-12-01T13:01:04.3807878Z FAIL x", "FAIL x"),
        ("bell\x07 and backspace\x08 gone", "bell and backspace gone"),
        ("plain line", "plain line"),
    ],
)
def test_strip_noise(raw: str, clean: str) -> None:
    assert strip_noise(raw) == clean


def test_github_steps_and_error_lines() -> None:
    cleaner = LogCleaner()
    feed = [
        "2025-04-07T12:00:00.0000000Z ##[group]Run actions/checkout@v4",
        "2025-04-07T12:00:01.0000000Z ##[endgroup]",
        "2025-04-07T12:00:02.0000000Z ##[group]Run pytest -q",
        "2025-04-07T12:00:03.0000000Z ##[endgroup]",
        "2025-04-07T12:00:04.0000000Z FAILED tests/x.py::t",
        "2025-04-07T12:00:05.0000000Z ##[error]Process completed with exit code 1.",
    ]
    out = [cleaner.feed(line) for line in feed]
    assert out[4].text == "FAILED tests/x.py::t"
    assert out[4].step == "pytest -q"
    assert out[5].is_error and not out[4].is_error
    assert cleaner.steps == ("actions/checkout@v4", "pytest -q")
    assert cleaner.failed_step == "pytest -q"


def test_gitlab_sections_and_progress() -> None:
    cleaner = LogCleaner()
    out = [
        cleaner.feed(line)
        for line in [
            "\x1b[0Ksection_start:1700000000:prepare_executor\r\x1b[0K\x1b[36;1mPreparing\x1b[0;m",
            "section_end:1700000001:prepare_executor\r\x1b[0K"
            "section_start:1700000001:step_script[collapsed=true]\r\x1b[0KExecuting script",
            "Downloading 10%\rDownloading 50%\rDownloading 100%",
            "section_end:1700000009:step_script\r\x1b[0K",
            "section_start:1700000009:upload_artifacts_on_failure\r\x1b[0KUploading",
            "ERROR: Job failed: exit code 1",
        ]
    ]
    assert [line.text for line in out] == [
        "Preparing",
        "Executing script",
        "Downloading 100%",
        "",
        "Uploading",
        "ERROR: Job failed: exit code 1",
    ]
    assert out[2].step == "step_script"
    assert out[3].step is None
    assert out[5].is_error
    assert cleaner.steps == ("prepare_executor", "step_script", "upload_artifacts_on_failure")
    assert cleaner.failed_step == "step_script"  # not the housekeeping section


def test_travis_folds_and_timers() -> None:
    cleaner = LogCleaner()
    out = [
        cleaner.feed(line)
        for line in [
            "travis_fold:start:install\r\x1b[0K\x1b[33;1mInstalling\x1b[0m",
            "travis_time:start:241337d0\r\x1b[0K$ npm ci",
            "added 10 packages",
            "travis_time:end:241337d0:start=1,finish=2,duration=1\r\x1b[0K",
            "travis_fold:end:install\r\x1b[0Ktravis_fold:start:script\r\x1b[0K$ npm test",
        ]
    ]
    assert [line.text for line in out] == [
        "Installing",
        "$ npm ci",
        "added 10 packages",
        "",
        "$ npm test",
    ]
    assert out[2].step == "install"
    assert out[4].step == "script"
    assert cleaner.steps == ("install", "script")


def test_step_names_are_redacted() -> None:
    token = "ghp_" + "Z9y8" * 9
    cleaner = LogCleaner(redact=Redactor().redact)
    cleaner.feed(f"2025-04-07T12:00:00.0000000Z ##[group]Run curl -u x:{token} https://x")
    assert token not in "".join(cleaner.steps)


# The prefilter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "FAILED tests/test_x.py::test_y - assert 1 == 2",
        "E       KeyError: '/Fm17'",
        "Traceback (most recent call last):",
        "##[error]Process completed with exit code 1.",
        "panic: runtime error: index out of range",
        "Killed",
        "curl: (6) Could not resolve host: example.com",
        "Input required and not supplied: token",
        "  \u25cf Suite \u203a does the thing",
        "HTTP/1.1 503 Service Unavailable",
        "The operation was canceled.",
        "rootdir: /home/runner/work/proj/proj",
    ],
)
def test_failure_lines_are_candidates(line: str) -> None:
    assert is_candidate(line)


@pytest.mark.parametrize(
    "line",
    ["Collecting requests", "tests/test_x.py ....... [100%]", "Run actions/checkout@v4", ""],
)
def test_ordinary_lines_are_not_candidates(line: str) -> None:
    assert not is_candidate(line)


# The scan --------------------------------------------------------------------------------


def make_log(size: int, failures: dict[int, str]) -> str:
    return "\n".join(failures.get(n, f"ordinary output {n}") for n in range(1, size + 1))


def test_candidates_come_with_context_and_no_duplicates() -> None:
    log = make_log(40, {10: "error: first", 12: "error: second", 30: "fatal: third"})
    excerpt = scan(iter_lines([log.encode()]), Redactor(), context=2, tail=3)
    assert numbers(excerpt.lines) == [8, 9, 10, 11, 12, 13, 14, 28, 29, 30, 31, 32]
    assert numbers(excerpt.tail) == [38, 39, 40]
    assert excerpt.total_lines == 40
    assert not excerpt.truncated
    assert excerpt.new_lines is None


def test_all_lines_merges_tail_without_duplicates() -> None:
    log = make_log(10, {9: "error: near the end"})
    excerpt = scan(iter_lines([log.encode()]), Redactor(), context=1, tail=3)
    assert numbers(excerpt.all_lines()) == [8, 9, 10]


def test_context_zero_keeps_only_candidates() -> None:
    excerpt = excerpt_of(make_log(10, {5: "error"}), context=0, tail=0)
    assert numbers(excerpt.lines) == [5]
    assert excerpt.tail == ()


def test_caps_bound_memory_and_flag_truncation() -> None:
    def huge() -> Iterator[bytes]:
        for block in range(200):
            yield b"".join(f"error number {block * 1000 + n}\n".encode() for n in range(1000))

    excerpt = scan(iter_lines(huge()), Redactor(), max_candidates=100, tail=10)
    assert len(excerpt.lines) == 100
    assert excerpt.truncated
    assert excerpt.total_lines == 200_000
    kept = numbers(excerpt.lines)
    assert kept[:50] == list(range(1, 51))  # the earliest half
    assert kept[50:] == list(range(199_951, 200_001))  # and the latest half
    assert numbers(excerpt.tail) == list(range(199_991, 200_001))


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        excerpt_of("x", max_candidates=0)


def test_failed_step_and_steps_reach_the_excerpt() -> None:
    with open_source(FIXTURE_LOGS / "pytorch_aws_credentials_load_failure.log") as chunks:
        excerpt = scan(iter_lines(chunks), Redactor())
    assert excerpt.failed_step is not None  # the runner's hook wrapper, in this log
    assert any(step.startswith("aws-actions/configure-aws-credentials@") for step in excerpt.steps)
    assert "actions/download-artifact@v4" in excerpt.steps


def test_baseline_marks_new_lines() -> None:
    with (
        open_source(FIXTURE_LOGS / "cidiff_terraform_run407_fail.log") as fail,
        open_source(FIXTURE_LOGS / "cidiff_terraform_run407_pass.log") as passing,
    ):
        excerpt = scan(iter_lines(fail), Redactor(), baseline=iter_lines(passing))
    assert excerpt.new_lines is not None
    texts = {line.number: line.text for line in excerpt.all_lines()}
    assert {749, 750, 756} <= excerpt.new_lines  # the download errors and the exit code
    # Lines that differ only by timestamps, durations or ids are not new.
    assert all("Cleaning up orphan processes" not in texts[n] for n in excerpt.new_lines)
    assert len(excerpt.new_lines) < len(texts) / 2


def test_empty_baseline_makes_every_line_new() -> None:
    excerpt = scan(iter_lines([b"error one\nerror two\n"]), Redactor(), baseline=iter([]))
    assert excerpt.new_lines == frozenset({1, 2})


def test_scan_and_scan_chunks_agree_on_a_real_log() -> None:
    data = (FIXTURE_LOGS / "bugswarm_2446151667_pytest.log").read_bytes()
    assert scan(iter_lines([data]), Redactor()) == scan_chunks([data], Redactor())


def test_scan_needs_lines_numbered_from_one() -> None:
    with pytest.raises(ValueError, match="numbered"):
        scan([(2, "error")], Redactor())
