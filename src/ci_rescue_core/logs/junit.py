"""Reading JUnit XML test reports, streaming, into test outcomes and failures.

JUnit XML is the report format most runners can write (Surefire, Gradle, pytest ``--junitxml``,
jest-junit, mocha-junit-reporter, Bazel, xUnit, ScalaTest...).  The dialects differ; what they
share, and what is read here: ``<testsuites>`` or a bare ``<testsuite>`` root, suites nested to
any depth, ``<testcase classname=… name=…>`` whose outcome is given by its children —
``<error>`` over ``<failure>`` over ``<skipped>``, none meaning it passed.  A suite without test
cases that declares counts (``tests="6" failures="1"``) contributes those counts.

The file is parsed incrementally (``xml.etree.ElementTree.XMLPullParser``) and each test case is
dropped once read, so memory stays flat however large the report is.  A document type
declaration is refused outright: it is the only way to declare entities, so refusing it rules out
entity-expansion attacks (and no JUnit writer emits one).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Literal

import attrs

from ci_rescue_core.errors import LogReadError
from ci_rescue_core.models import TestFailure

Outcome = Literal["pass", "fail", "error", "skipped"]

#: Bytes looked at to decide whether an input is a JUnit XML report.
SNIFF_BYTES = 4096

#: Characters kept of a failure's message and of its details.
MAX_MESSAGE = 500
MAX_DETAILS = 4000

_ROOT = re.compile(rb"<(testsuites|testsuite)[\s>/]")
_PROLOGUE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*|<!--.*?-->\s*"
    rb"|<!doctype[^\[>]*(?:\[.*?\]\s*)?>\s*)*",
    re.DOTALL | re.IGNORECASE,
)
_DOCTYPE = re.compile(rb"<!doctype", re.IGNORECASE)
_SUITE_TAGS = frozenset({"testsuite", "testsuites"})
#: ``status`` values that mean a case without a result element did not run.
_NOT_RUN = frozenset({"disabled", "skipped", "notrun", "ignored"})


@attrs.frozen(kw_only=True)
class JUnitCase:
    """One ``<testcase>`` and its outcome.

    :ivar test_id: ``classname.name`` (or ``name`` alone when there is no class name).
    :ivar outcome: ``pass``, ``fail``, ``error`` or ``skipped``.
    :ivar message: the failure's ``message`` attribute, or the first line of its text.
    :ivar details: the failure's text (stack trace, captured output), capped.
    :ivar line: 1-based line of the report where the failure (or the test case) was read.
    :ivar file: the ``file`` attribute, when the writer gives one.
    :ivar time: the ``time`` attribute in seconds, when valid.
    """

    test_id: str
    classname: str = ""
    name: str = ""
    outcome: Outcome = "pass"
    message: str = ""
    details: str = ""
    line: int = 1
    file: str | None = None
    time: float | None = None

    @property
    def failed(self) -> bool:
        """The case failed or errored."""
        return self.outcome in ("fail", "error")

    def failure(self) -> TestFailure:
        """This case as a :class:`~ci_rescue_core.models.TestFailure`."""
        frames = tuple(line.strip() for line in self.details.splitlines() if line.strip())
        return TestFailure(test_id=self.test_id, message=self.message, frames=frames[-5:])


@attrs.frozen(kw_only=True)
class JUnitReport:
    """What a JUnit XML report says.

    :ivar cases: every test case, in document order.
    :ivar suites: how many ``<testsuite>`` elements the report has.
    :ivar declared: outcome counts declared by suites that list no test case.
    :ivar lines: how many lines the report has.
    """

    cases: tuple[JUnitCase, ...] = ()
    suites: int = 0
    declared: dict[str, int] = attrs.field(factory=dict)
    lines: int = 0

    @property
    def failed(self) -> tuple[JUnitCase, ...]:
        """The cases that failed or errored, in document order."""
        return tuple(case for case in self.cases if case.failed)

    def counts(self) -> dict[str, int]:
        """Outcome counts: ``tests``, ``pass``, ``fail``, ``error``, ``skipped``."""
        counts = {"pass": 0, "fail": 0, "error": 0, "skipped": 0}
        for case in self.cases:
            counts[case.outcome] += 1
        for key, value in self.declared.items():
            counts[key] += value
        counts["tests"] = sum(counts[key] for key in ("pass", "fail", "error", "skipped"))
        return counts


def looks_like_junit(head: bytes) -> bool:
    """Whether the first bytes of an input are those of a JUnit XML report.

    :param head: the input's first bytes (:data:`SNIFF_BYTES` are enough).
    :returns: True when, after the XML declaration and comments, the first element is
        ``<testsuites>`` or ``<testsuite>``.
    """
    prologue = _PROLOGUE.match(head)
    start = prologue.end() if prologue is not None else 0
    return _ROOT.match(head, start) is not None


def parse_junit_xml(chunks: Iterable[bytes], *, name: str = "report") -> JUnitReport:
    """Parse a JUnit XML report given as byte chunks (any sizes).

    :param chunks: the report's bytes, e.g. from :func:`~ci_rescue_core.logs.reader.open_source`.
    :param name: how to call the input in error messages.
    :returns: the report's test cases and counts.
    :raises LogReadError: naming *name* when the document is not well-formed XML, declares a
        document type (refused: entity expansion), or its root is not a JUnit element.
    """
    reader = _Reader(name)
    lines = 0
    for lines, line in _lines(chunks):  # the last number is the line count
        reader.feed(lines, line)
    return attrs.evolve(reader.close(), lines=lines)


def _lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """The input's lines (with their ``\\n``), numbered from 1, whatever the chunking."""
    pending = b""
    number = 0
    for chunk in chunks:
        if not chunk:
            continue
        data = pending + chunk
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            number += 1
            yield number, data[start : end + 1]
            start = end + 1
        pending = data[start:]
    if pending:
        yield number + 1, pending


class _Reader:
    """Feeds lines to the pull parser and turns events into cases as they complete."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
        self._stack: list[ET.Element] = []
        self._cases: list[JUnitCase] = []
        self._declared: dict[str, int] = {"pass": 0, "fail": 0, "error": 0, "skipped": 0}
        self._suites = 0
        self._case_counts: list[int] = []  # test cases seen inside each open suite
        self._root_seen = False
        self._tail = b""
        self._case_line = 1
        self._result_line: int | None = None

    def feed(self, number: int, line: bytes) -> None:
        """Parse the report's next line (*number* is its 1-based line number)."""
        if not self._root_seen:
            if _DOCTYPE.search(self._tail + line) is not None:
                raise LogReadError(
                    f"cannot read JUnit report {self._name}: it declares a document type "
                    "(<!DOCTYPE>), which is refused (entity expansion)"
                )
            self._tail = line[-16:]
        try:
            self._parser.feed(line)
            events = list(self._parser.read_events())
        except ET.ParseError as exc:
            raise self._invalid(exc, number) from exc
        for item in events:
            if len(item) != 2 or not isinstance(item[1], ET.Element):
                continue  # only start / end events (with their element) were asked for
            event, element = item
            if event == "start":
                self._start(element, number)
            else:
                self._end(element, number)

    def close(self) -> JUnitReport:
        """Finish parsing and return what the report said."""
        try:
            self._parser.close()
        except ET.ParseError as exc:
            raise self._invalid(exc, None) from exc
        if not self._root_seen:
            raise LogReadError(f"cannot read JUnit report {self._name}: the document is empty")
        declared = {key: value for key, value in self._declared.items() if value}
        return JUnitReport(cases=tuple(self._cases), suites=self._suites, declared=declared)

    def _invalid(self, exc: ET.ParseError, number: int | None) -> LogReadError:
        where = f" (line {number})" if number is not None else ""
        reason = str(exc).split(":")[0] if str(exc) else "invalid XML"
        return LogReadError(
            f"cannot read JUnit report {self._name}: not well-formed XML{where}: {reason}"
        )

    def _start(self, element: ET.Element, number: int) -> None:
        tag = _local(element.tag)
        if not self._root_seen:
            self._root_seen = True
            if tag not in _SUITE_TAGS:
                raise LogReadError(
                    f"cannot read JUnit report {self._name}: the root element is <{tag}>, "
                    "not <testsuites> or <testsuite>"
                )
        if tag == "testsuite":
            self._suites += 1
            self._case_counts.append(0)
        elif tag == "testcase":
            self._case_line = number
            self._result_line = None
            for index in range(len(self._case_counts)):
                self._case_counts[index] += 1
        elif tag in ("failure", "error") and self._result_line is None:
            self._result_line = number
        self._stack.append(element)

    def _end(self, element: ET.Element, number: int) -> None:
        tag = _local(element.tag)
        if self._stack and self._stack[-1] is element:
            self._stack.pop()
        if tag == "testcase":
            self._cases.append(self._case(element))
            if self._stack:
                self._stack[-1].remove(element)  # keep memory flat
            else:
                element.clear()
        elif tag == "testsuite":
            cases = self._case_counts.pop() if self._case_counts else 0
            if cases == 0:
                self._declare(element)
            if self._stack:
                self._stack[-1].remove(element)

    def _declare(self, suite: ET.Element) -> None:
        """Counts of a suite that lists no test case (only its attributes say)."""
        tests = _int(suite.get("tests"))
        failures = _int(suite.get("failures"))
        errors = _int(suite.get("errors"))
        skipped = _int(suite.get("skipped")) or _int(suite.get("skips"))
        self._declared["fail"] += failures
        self._declared["error"] += errors
        self._declared["skipped"] += skipped
        self._declared["pass"] += max(0, tests - failures - errors - skipped)

    def _case(self, element: ET.Element) -> JUnitCase:
        classname = (element.get("classname") or element.get("class") or "").strip()
        name = (element.get("name") or "").strip()
        results = {_local(child.tag): child for child in element}
        outcome: Outcome = "pass"
        result: ET.Element | None = None
        for tag, value in (("error", "error"), ("failure", "fail"), ("skipped", "skipped")):
            if tag in results:
                outcome = value  # type: ignore[assignment]
                result = results[tag]
                break
        else:
            if (element.get("status") or "").lower() in _NOT_RUN:
                outcome = "skipped"
        message, details = "", ""
        if result is not None and outcome != "skipped":
            details = (result.text or "").strip()[:MAX_DETAILS]
            message = _message(result.get("message") or "", details)
        if classname and name and not name.startswith(classname + "."):
            test_id = f"{classname}.{name}"
        else:
            test_id = name or classname or "(unnamed test)"
        return JUnitCase(
            test_id=test_id,
            classname=classname,
            name=name,
            outcome=outcome,
            message=message,
            details=details,
            line=self._result_line if self._result_line is not None else self._case_line,
            file=element.get("file"),
            time=_float(element.get("time")),
        )


def _message(attribute: str, details: str) -> str:
    """A failure's one-line message.

    The ``message`` attribute, unless it is a whole traceback squashed onto one line (pytest
    puts one there): then the exception line, which pytest marks with ``E``, or failing that
    the last line of the details.
    """
    attribute = " ".join(attribute.split())
    lines = [line.strip() for line in details.splitlines() if line.strip()]
    if len(attribute) > MAX_MESSAGE // 2 or not attribute:
        marked = [line[1:].strip() for line in lines if line.startswith("E ")]
        if marked:
            return marked[-1][:MAX_MESSAGE]
        if not attribute and lines:
            return lines[0][:MAX_MESSAGE]
    return attribute[:MAX_MESSAGE]


def _local(tag: str) -> str:
    """A tag without its XML namespace."""
    return tag.rsplit("}", 1)[-1]


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
