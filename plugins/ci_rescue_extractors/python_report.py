"""The state of the Python extractor while it reads a log, and what it concludes from it.

:mod:`.pytest_extractor` reads the lines (pytest, unittest, bare tracebacks) and records what
they say in a :class:`Report`; the functions here attach messages and frames to the failing
tests and decide the category.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.logs.excerpt import LogLine, ScoredLine
from ci_rescue_core.models import Category

#: Confidence of a test failure the runner itself reported (summary, header, ``E`` lines).
REPORTED_FAILURE = 0.8

#: Confidence of a test failure only a wrapper reported (``test_x 1/1 failed!``): the wrapper
#: may have killed the test itself (a time limit), so other evidence may well win.
WRAPPED_FAILURE = 0.6

_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


@attrs.define
class Failure:
    """A failing test as read so far."""

    test_id: str
    message: str = ""
    frames: list[str] = attrs.field(factory=list)
    collection: bool = False


@attrs.define
class Report:
    """What has been read so far."""

    failures: dict[str, Failure] = attrs.field(factory=dict)
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
    reported: bool = False

    def score(self, line: LogLine, value: float) -> None:
        """Record *line* as an error line worth *value* (the best value is kept)."""
        old = self.scored.get(line.number)
        if old is None or old.score < value:
            self.scored[line.number] = ScoredLine(line, value)

    def fail(
        self, test_id: str, message: str = "", *, collection: bool = False, wrapped: bool = False
    ) -> None:
        """Record a failing test.

        :param collection: the test file failed to load (pytest's ``ERROR collecting``).
        :param wrapped: only a wrapper script said so, not the test runner.
        """
        test_id = test_id.strip()
        if not test_id:
            return
        self.reported = self.reported or not wrapped
        failure = self.failures.setdefault(test_id, Failure(test_id))
        if message and not failure.message:
            failure.message = message.strip()
        failure.collection = failure.collection or collection


def split_summary(rest: str) -> tuple[str, str]:
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


def is_test_path(test_id: str) -> bool:
    """Whether a summary line's first word is a pytest test id or test file."""
    return "::" in test_id or test_id.endswith(".py")


def note_message(
    report: Report,
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


def attach_details(report: Report) -> None:
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


def _find_failure(report: Report, name: str) -> Failure | None:
    if name.startswith("ERROR collecting "):
        name = name[len("ERROR collecting ") :].strip()
    for key in (name, name.replace(".", "::")):
        if key in report.failures:
            return report.failures[key]
    for test_id, failure in report.failures.items():
        if test_id.endswith(("::" + name, "::" + name.replace(".", "::"))):
            return failure
    return None


def _own_names(report: Report, failures: list[Failure]) -> set[str]:
    """Names the project's own packages may have: rootdir and test directory names."""
    names: set[str] = set()
    if report.rootdir:
        names.update(report.rootdir.replace("\\", "/").rstrip("/").split("/")[-2:])
    for failure in failures:
        names.update(failure.test_id.split("::")[0].replace("\\", "/").split("/")[:-1])
    return {name.replace("-", "_").lower() for name in names if name}


def _third_party_missing(report: Report, failures: list[Failure]) -> bool:
    """Collection failed because a module that is not the project's own is missing."""
    if not report.missing_modules or not all(f.collection for f in failures):
        return False
    own = _own_names(report, failures)
    return any(module.split(".")[0].lower() not in own for module in report.missing_modules)


def category_of(report: Report, failures: list[Failure]) -> tuple[Category | None, float]:
    """The category the Python evidence points to, and how sure it is."""
    function_level = [f for f in failures if not f.collection and "::" in f.test_id]
    if report.syntax_error and not function_level:
        return Category.COMPILE_ERROR, 0.85
    if failures and _third_party_missing(report, failures):
        return Category.DEPENDENCY_RESOLUTION, 0.6
    if failures:
        return Category.TEST_FAILURE, REPORTED_FAILURE if report.reported else WRAPPED_FAILURE
    if report.exceptions and (report.pytest or report.unittest):
        return Category.TEST_FAILURE, 0.4
    if report.exceptions:
        return Category.OTHER, 0.4
    return None, 0.0
