"""Extractor plugin for Python test runs: pytest, unittest and bare Python tracebacks.

Reads the redacted excerpt of a log and reports failing tests (ids as the runner printed them),
the lines that explain them (pytest ``E`` lines, exception lines, summary lines) and a
category: ``test_failure``, or ``compile_error`` when a ``SyntaxError`` stopped collection, or
``dependency_resolution`` when collection failed only because third-party modules are missing.
"""

from __future__ import annotations

import re

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine
from ci_rescue_core.models import TestFailure
from ci_rescue_extractors.python_report import (
    Report,
    attach_details,
    category_of,
    is_test_path,
    note_message,
    split_summary,
)

# Scores (see ScoredLine): root causes high, bookkeeping low.
FIRST_E_LINE = 0.9
FIRST_E_LINE_NO_EXCEPTION = 0.85
SUMMARY_LINE = 0.85
EXCEPTION_LINE = 0.8
LOCATION_LINE = 0.6
WARNING_LINE = 0.5
BANNER_LINE = 0.6
PROGRESS_LINE = 0.5
MORE_E_LINES = 0.45
RESULT_LINE = 0.3
HEADER_LINE = 0.25

_SUMMARY = re.compile(r"(FAILED|ERROR)(?: \[[^\]]*\])? (.+)$")
_VERBOSE = re.compile(r"(\S+::\S.*?) (FAILED|ERROR)(?: \[[^\]]*\])*(?:\s+\[\s*\d+%\])?\s*$")
_E_LINE = re.compile(r"E(?:\s+|$)")
_HEADER = re.compile(r"_+ (.*?[^_ ].*?) _+$")
_LOCATION = re.compile(r"(\S+\.py):(\d+): (\w+)$")
_RESULTS = re.compile(r"=+ (?:.*\b)?(\d+ (?:failed|errors?)\b.*) =+$")
_BANNER = re.compile(r"!{3,} (.*(?:Interrupt|Error|Exception|[Ff]ail|Timeout).*) !{3,}$")
_SESSION = re.compile(r"=+ (?:test session starts|FAILURES|ERRORS|short test summary info) =+$")
_UNITTEST = re.compile(r"(FAIL|ERROR): (\S.*)$")
_UNITTEST_RESULT = re.compile(r"FAILED \((?:failures|errors)=\d+")
_UNITTEST_RAN = re.compile(r"Ran \d+ tests? in ")
_RULER = re.compile(r"(?:={20,}|-{20,})$")
_TRACEBACK = re.compile(r"\s*Traceback \(most recent call last\):")
_EXCEPTION = re.compile(
    r"(?:[A-Za-z_]\w*\.)*([A-Z]\w*(?:Error|Exception|Exit|Interrupt|Warning|Failure))"
    r"(?::\s?(.*))?$"
)
_SHARD_FAILED = re.compile(r"(\S+) \d+/\d+ failed!$")
_CONSISTENT = re.compile(r"FAILED CONSISTENTLY: (\S+)")


def _read(report: Report, line: LogLine) -> None:
    """Read the next excerpt line: the first handler that recognises it wins."""
    text = line.text.rstrip()
    previous = report.previous
    adjacent = previous if previous is not None and previous.number == line.number - 1 else None
    report.previous = line
    for handler in _HANDLERS:
        if handler(report, line, text, adjacent):
            return


def _on_e_line(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """pytest ``E`` lines: exception and assertion lines highest, frames lowest."""
    if not (text.startswith("E") and _E_LINE.match(text)):
        return False
    body = text[1:].strip()
    report.pytest = True
    first = not (adjacent is not None and report.previous_e == adjacent.number)
    report.previous_e = line.number
    if first:
        report.exceptions += 1
    is_exception = _EXCEPTION.match(body) is not None or body.startswith("assert ")
    if is_exception:
        report.score(line, FIRST_E_LINE)
    elif first and not body.startswith('File "'):
        report.score(line, FIRST_E_LINE_NO_EXCEPTION)
    else:
        report.score(line, MORE_E_LINES)
    if body and (is_exception or first):
        note_message(report, body, prefer=is_exception)
    return True


def _on_rootdir(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    if not text.startswith("rootdir: "):
        return False
    report.rootdir = text[len("rootdir: ") :].split(",")[0].strip()
    return True


def _on_summary(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``FAILED id - message`` / ``ERROR id`` (pytest's short summary)."""
    summary = _SUMMARY.match(text)
    if summary is None:
        return False
    test_id, message = split_summary(summary.group(2))
    if not is_test_path(test_id):
        return False
    report.pytest = True
    collection = summary.group(1) == "ERROR" and "::" not in test_id
    report.fail(test_id, message, collection=collection)
    report.score(line, SUMMARY_LINE)
    note_message(report, message, only_flags=True, collection=collection)
    return True


def _on_verbose(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``path::test FAILED [ 50%]`` (pytest -v progress)."""
    verbose = _VERBOSE.match(text)
    if verbose is None:
        return False
    report.pytest = True
    report.fail(verbose.group(1))
    report.score(line, PROGRESS_LINE)
    return True


def _on_header(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``____ test_name ____`` and ``____ ERROR collecting path ____`` block headers."""
    header = _HEADER.match(text)
    if header is None:
        return False
    name = header.group(1)
    report.pytest = True
    report.header = name
    collecting = "ERROR collecting "
    report.header_collection = (
        name[len(collecting) :].strip() if name.startswith(collecting) else None
    )
    if report.header_collection:
        report.fail(report.header_collection, collection=True)
    report.score(line, HEADER_LINE)
    return True


def _on_session(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """pytest's ``===`` section rules, final counts and ``!!!`` banners."""
    if _BANNER.match(text):
        report.score(line, BANNER_LINE)
    elif _RESULTS.match(text):
        report.score(line, RESULT_LINE)
    elif not _SESSION.match(text):
        return False
    report.pytest = True
    return True


def _on_location(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``path.py:430: AssertionError`` closing a failure block."""
    if report.header is None or _LOCATION.match(text) is None:
        return False
    report.header_frames.setdefault(report.header, []).append(text)
    report.score(line, LOCATION_LINE)
    return True


def _on_unittest(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``FAIL: test (module.Class)`` under a ``=====`` ruler, and unittest's result lines."""
    unittest = _UNITTEST.match(text)
    if unittest is not None and adjacent is not None and _RULER.match(adjacent.text):
        report.unittest = True
        report.fail(unittest.group(2))
        report.header = unittest.group(2)
        report.header_collection = None
        report.score(line, SUMMARY_LINE)
        return True
    if _UNITTEST_RESULT.match(text):
        report.unittest = True
        report.score(line, RESULT_LINE)
        return True
    if _UNITTEST_RAN.match(text):
        report.unittest = True
        return True
    return False


def _on_runner(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """Test-runner wrappers: ``FAILED CONSISTENTLY: id``, ``test_file 1/2 failed!`` shards."""
    consistent = _CONSISTENT.match(text)
    if consistent is not None:
        report.pytest = True
        report.fail(consistent.group(1))
        report.score(line, SUMMARY_LINE)
        return True
    shard = _SHARD_FAILED.match(text)
    if shard is not None:
        report.fail(shard.group(1), wrapped=True)
        report.score(line, PROGRESS_LINE)
        return True
    return False


def _on_traceback(report: Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """Python tracebacks: the exception lines that end them."""
    if _TRACEBACK.match(text):
        report.traceback_seen = True
        return True
    if not (report.traceback_seen or report.unittest):
        return False
    exception = _EXCEPTION.match(text)
    if exception is None:
        return False
    warning = exception.group(1).endswith("Warning")
    report.score(line, WARNING_LINE if warning else EXCEPTION_LINE)
    if not warning:
        report.exceptions += 1
        note_message(report, text)
    return True


_HANDLERS = (
    _on_e_line,
    _on_rootdir,
    _on_summary,
    _on_verbose,
    _on_header,
    _on_session,
    _on_location,
    _on_unittest,
    _on_runner,
    _on_traceback,
)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find pytest / unittest failures and Python exceptions in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when the log shows nothing pytest-, unittest- or
        Python-traceback-like.
    """
    report = Report()
    for line in excerpt.bounded_lines():
        _read(report, line)
    if not report.failures and not report.scored:
        return None
    attach_details(report)
    failures = list(report.failures.values())
    category, confidence = category_of(report, failures)
    if report.pytest:
        ecosystem = "pytest"
    elif report.unittest:
        ecosystem = "unittest"
    else:
        ecosystem = "python"
    return Extraction(
        ecosystem=ecosystem,
        category=category,
        confidence=confidence,
        failures=tuple(
            TestFailure(test_id=f.test_id, message=f.message, frames=tuple(f.frames))
            for f in failures
        ),
        error_lines=tuple(sorted(report.scored.values(), key=lambda s: s.line.number)),
    )
