"""Extractor plugin for Python test runs: pytest, unittest and bare Python tracebacks.

Reads the redacted excerpt of a log and reports failing tests (ids as the runner printed them),
the lines that explain them (pytest ``E`` lines, exception lines, summary lines) and a
category: ``test_failure``, or ``compile_error`` when a ``SyntaxError`` stopped collection, or
``dependency_resolution`` when collection failed only because third-party modules are missing.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine, ScoredLine
from ci_rescue_core.models import Category, TestFailure

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
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


@attrs.define
class _Failure:
    test_id: str
    message: str = ""
    frames: list[str] = attrs.field(factory=list)
    collection: bool = False


@attrs.define
class _Report:
    """What has been read so far."""

    failures: dict[str, _Failure] = attrs.field(factory=dict)
    scored: dict[int, ScoredLine] = attrs.field(factory=dict)
    pytest: bool = False
    unittest: bool = False
    traceback_seen: bool = False
    exceptions: int = 0
    syntax_error: bool = False
    header: str | None = None
    header_collection: str | None = None
    header_messages: dict[str, str] = attrs.field(factory=dict)
    header_frames: dict[str, list[str]] = attrs.field(factory=dict)
    missing_modules: set[str] = attrs.field(factory=set)
    preferred: set[str] = attrs.field(factory=set)
    rootdir: str | None = None
    previous: LogLine | None = None
    previous_e: int | None = None

    def score(self, line: LogLine, value: float) -> None:
        old = self.scored.get(line.number)
        if old is None or old.score < value:
            self.scored[line.number] = ScoredLine(line, value)

    def fail(self, test_id: str, message: str = "", *, collection: bool = False) -> None:
        test_id = test_id.strip()
        if not test_id:
            return
        failure = self.failures.setdefault(test_id, _Failure(test_id))
        if message and not failure.message:
            failure.message = message.strip()
        failure.collection = failure.collection or collection


def _split_summary(rest: str) -> tuple[str, str]:
    """Split ``id - message`` where the id may hold spaces inside ``[...]`` parameters."""
    depth = 0
    for index, char in enumerate(rest):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == " " and depth == 0:
            tail = rest[index:]
            return rest[:index], tail[3:] if tail.startswith(" - ") else ""
    return rest, ""


def _is_test_path(test_id: str) -> bool:
    return "::" in test_id or test_id.endswith(".py")


def _read(report: _Report, line: LogLine) -> None:
    """Read the next excerpt line: the first handler that recognises it wins."""
    text = line.text.rstrip()
    previous = report.previous
    adjacent = previous if previous is not None and previous.number == line.number - 1 else None
    report.previous = line
    for handler in _HANDLERS:
        if handler(report, line, text, adjacent):
            return


def _on_e_line(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
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
        _note_message(report, body, prefer=is_exception)
    return True


def _on_rootdir(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    if not text.startswith("rootdir: "):
        return False
    report.rootdir = text[len("rootdir: ") :].split(",")[0].strip()
    return True


def _on_summary(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``FAILED id - message`` / ``ERROR id`` (pytest's short summary)."""
    summary = _SUMMARY.match(text)
    if summary is None:
        return False
    test_id, message = _split_summary(summary.group(2))
    if not _is_test_path(test_id):
        return False
    report.pytest = True
    collection = summary.group(1) == "ERROR" and "::" not in test_id
    report.fail(test_id, message, collection=collection)
    report.score(line, SUMMARY_LINE)
    _note_message(report, message, only_flags=True, collection=collection)
    return True


def _on_verbose(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``path::test FAILED [ 50%]`` (pytest -v progress)."""
    verbose = _VERBOSE.match(text)
    if verbose is None:
        return False
    report.pytest = True
    report.fail(verbose.group(1))
    report.score(line, PROGRESS_LINE)
    return True


def _on_header(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
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


def _on_session(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """pytest's ``===`` section rules, final counts and ``!!!`` banners."""
    if _BANNER.match(text):
        report.score(line, BANNER_LINE)
    elif _RESULTS.match(text):
        report.score(line, RESULT_LINE)
    elif not _SESSION.match(text):
        return False
    report.pytest = True
    return True


def _on_location(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """``path.py:430: AssertionError`` closing a failure block."""
    if report.header is None or _LOCATION.match(text) is None:
        return False
    report.header_frames.setdefault(report.header, []).append(text)
    report.score(line, LOCATION_LINE)
    return True


def _on_unittest(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
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


def _on_runner(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
    """Test-runner wrappers: ``FAILED CONSISTENTLY: id``, ``test_file 1/2 failed!`` shards."""
    consistent = _CONSISTENT.match(text)
    if consistent is not None:
        report.pytest = True
        report.fail(consistent.group(1))
        report.score(line, SUMMARY_LINE)
        return True
    shard = _SHARD_FAILED.match(text)
    if shard is not None:
        report.fail(shard.group(1))
        report.score(line, PROGRESS_LINE)
        return True
    return False


def _on_traceback(report: _Report, line: LogLine, text: str, adjacent: LogLine | None) -> bool:
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
        _note_message(report, text)
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


def _note_message(
    report: _Report,
    message: str,
    *,
    only_flags: bool = False,
    collection: bool = False,
    prefer: bool = False,
) -> None:
    """Record an error message for the current test block and remember what it reveals.

    :param prefer: the message is an exception / assertion line: it replaces a message taken
        from a less telling line of the same block.
    """
    if any(message.startswith(name) or f".{name}" in message[:80] for name in _SYNTAX):
        report.syntax_error = True
    missing = _NO_MODULE.search(message)
    if missing is not None and (collection or report.header_collection is not None):
        report.missing_modules.add(missing.group(1))
    if only_flags:
        return
    if report.header is None:
        return
    if report.header not in report.header_messages or (
        prefer and report.header not in report.preferred
    ):
        report.header_messages[report.header] = message
        if prefer:
            report.preferred.add(report.header)


def _attach_details(report: _Report) -> None:
    """Give each failure the message and frames of its ``___ name ___`` block.

    The block's exception line wins over the summary line's message, which pytest cuts to
    the terminal width.
    """
    for name, message in report.header_messages.items():
        target = _find_failure(report, name)
        if target is not None and (not target.message or name in report.preferred):
            target.message = message
    for name, frames in report.header_frames.items():
        target = _find_failure(report, name)
        if target is not None and not target.frames:
            target.frames = frames[-5:]


def _find_failure(report: _Report, name: str) -> _Failure | None:
    if name.startswith("ERROR collecting "):
        name = name[len("ERROR collecting ") :].strip()
    for key in (name, name.replace(".", "::")):
        if key in report.failures:
            return report.failures[key]
    for test_id, failure in report.failures.items():
        if test_id.endswith(("::" + name, "::" + name.replace(".", "::"))):
            return failure
    return None


def _own_names(report: _Report, failures: list[_Failure]) -> set[str]:
    """Names the project's own packages may have: rootdir and test directory names."""
    names: set[str] = set()
    if report.rootdir:
        names.update(report.rootdir.replace("\\", "/").rstrip("/").split("/")[-2:])
    for failure in failures:
        names.update(failure.test_id.split("::")[0].replace("\\", "/").split("/")[:-1])
    return {name.replace("-", "_").lower() for name in names if name}


def _third_party_missing(report: _Report, failures: list[_Failure]) -> bool:
    """Collection failed because a module that is not the project's own is missing."""
    if not report.missing_modules or not all(f.collection for f in failures):
        return False
    own = _own_names(report, failures)
    return any(module.split(".")[0].lower() not in own for module in report.missing_modules)


def _category(report: _Report, failures: list[_Failure]) -> tuple[Category | None, float]:
    function_level = [f for f in failures if not f.collection and "::" in f.test_id]
    if report.syntax_error and not function_level:
        return Category.COMPILE_ERROR, 0.85
    if failures and _third_party_missing(report, failures):
        return Category.DEPENDENCY_RESOLUTION, 0.6
    if failures:
        return Category.TEST_FAILURE, 0.8
    if report.exceptions and (report.pytest or report.unittest):
        return Category.TEST_FAILURE, 0.4
    if report.exceptions:
        return Category.OTHER, 0.4
    return None, 0.0


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find pytest / unittest failures and Python exceptions in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when the log shows nothing pytest-, unittest- or
        Python-traceback-like.
    """
    report = _Report()
    for line in excerpt.all_lines():
        _read(report, line)
    if not report.failures and not report.scored:
        return None
    _attach_details(report)
    failures = list(report.failures.values())
    category, confidence = _category(report, failures)
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
