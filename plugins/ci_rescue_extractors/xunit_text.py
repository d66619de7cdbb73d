"""The console output of the xUnit family of test runners (read by the JUnit extractor's hook).

JUnit XML is the report format of the xUnit family; their console output is what a CI log
shows.  Recognised here (each: how a failing test is named, where its message is):

* PHPUnit: ``There was 1 failure:`` then ``1) Class::method with data set #0 (...)``.
* Minitest: ``Failure:`` / ``1) Error:`` then ``TestClass#test_name [file.rb:12]:``.
* RSpec: ``Failures:`` then ``1) description``, ``Failure/Error:``; ``rspec ./spec/x_spec.rb:3``.
* ExUnit: ``1) test description (Module)``.
* xUnit.net / NUnit / MSTest: ``Namespace.Class.Method [FAIL]``, ``Failed Namespace.Method [3 ms]``.
* XCTest: ``Test Case '-[Module.Class testMethod]' failed``; xcpretty's live lines
  (``Class`` then ``    ✗ testMethod, message``) and summary (``Module.Class`` then
  ``  testMethod, message``).
* Pester: ``[-] Describe it does something -> Expected ...``.
* testthat / R CMD check: ``Running the tests in 'tests/testthat.R' failed.``,
  ``── 1. Failure (file.R:12): name ──``.
* Erlang Common Test: ``*** FAILED test case 2 of 4 ***``, ``module:fun failed on line 12``.
* Perl ``prove``: ``Failed 1/12 test programs``.
* Runners printing ``name  FAIL`` / ``name  FAIL: message`` columns.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.logs.excerpt import LogLine
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import Findings, Rule, adjacent, rule

TEST_LINE = 0.8
MESSAGE_LINE = 0.85
TEST_CONFIDENCE = 0.8

_T = Category.TEST_FAILURE

_PHPUNIT_HEADER = re.compile(r"There (?:was|were) \d+ (?:failures?|errors?|risky tests?):$")
_PHPUNIT_ENTRY = re.compile(r"\d+\) ([\w\\]+::\w+(?: with data set (?:#\d+|\"[^\"]*\"))?)")
_MINITEST_HEADER = re.compile(r"\s*(?:\d+\) )?(?:Failure|Error):$")
_MINITEST_ENTRY = re.compile(r"([\w:]+#\S.*?)\s*(?:\[\S+:\d+\])?:?$")
_RSPEC_EXAMPLE = re.compile(r"rspec (\./\S+:\d+) # (.+)$")
_RSPEC_FAILURE = re.compile(r"\s+Failure/Error: ")
_EXUNIT = re.compile(r"\s+\d+\) (test .+ \([\w.]+\))$")
_XUNIT_NET = re.compile(r"\s+([\w.+<>`,\[\]\"()]+) \[FAIL\]$")
_VSTEST = re.compile(r"\s*(?:X|Failed) ([\w.+<>`]+(?:\(.*\))?) \[(?:[\d.]+ ?m?s|< \d+ ms)\]$")
_XCTEST = re.compile(r"Test Case '-\[(?:[\w]+\.)?(\w+) (\w+)\]' failed")
_XCTEST_MESSAGE = re.compile(r"\S+:\d+: error: -\[[\w.]+ \w+\] : (.+)")
_XCPRETTY_CLASS = re.compile(r"\w+\.(\w+)$")
_XCPRETTY_TEST = re.compile(r" {2}(\w+), (\S.*)$")
_XCPRETTY_GROUP = re.compile(r"(?:\w+\.)?([A-Z]\w*[a-z]\w*)$")
_XCPRETTY_LIVE = re.compile(r"\s+([✓✗]) (\w+)(?:, (\S.*)| \([\d.]+ seconds\))$")
_PESTER = re.compile(
    r"\s*\[-\] (?:- )?(.+?)(?: -> (.+)| \d+(?:\.\d+)?m?s(?: \(\d+m?s\|\d+m?s\))?)$"
)
_TESTTHAT_FILE = re.compile(r"Running the tests in [\u2018'](.+?)[\u2019'] failed\.")
_TESTTHAT = re.compile(r"── (?:\d+\. )?(?:Failure|Error) \(([^)]*)\): (.+?) ─*$")
_CT_CASE = re.compile(r"Testing \S+: \*\*\* FAILED (?:test case \d+ of \d+|\{[^}]+\}) \*\*\*")
_CT_LINE = re.compile(r"(\w+:\w+) failed on line \d+")
#: ``name   FAIL`` columns; the name must look like a test's (a digit, ``_``, ``/``, ``.`` or
#: ``-`` in it, no trailing colon), not a label such as ``Status:`` or ``Build``.
_COLUMN_FAIL = re.compile(
    r"(?<![\w./:\-])(?=[\w./:\-\[\]]*[\d_/.\-])(\w[\w./:\-\[\]]*[\w\]])\s{2,}FAIL(?:ED)?\b:?"
    r"(?:\s+(\S.*))?$"
)

_RULES: tuple[Rule, ...] = (
    rule(r"^(?:FAILURES!|ERRORS!)$", 0.3, _T, confidence=0.7),
    rule(r"^Tests: \d+, Assertions: \d+, (?:Errors|Failures): \d+", 0.4, _T, confidence=0.75),
    rule(
        r"\d+ (?:runs|tests), \d+ assertions, [1-9]\d* (?:failures|errors)",
        0.4,
        _T,
        confidence=0.75,
    ),
    rule(r"^\d+ examples?, [1-9]\d* failures?", 0.4, _T, confidence=0.75),
    rule(r"^(?:\d+ doctests?, )?\d+ tests?, [1-9]\d* failures?", 0.4, _T, confidence=0.75),
    rule(r"Executed \d+ tests?, with [1-9]\d* failures?", 0.4, _T, confidence=0.75),
    rule(r"\*\* TEST FAILED \*\*", 0.3, _T, confidence=0.7),
    rule(
        r"Failed!\s+- Failed:\s+[1-9]|Total tests: \d+.*Failed: [1-9]|^\s*Failed: [1-9]\d*\.",
        0.4,
        _T,
        confidence=0.75,
    ),
    rule(r"Tests Passed: \d+, Failed: [1-9]|^passed \d+, failed [1-9]", 0.4, _T, confidence=0.7),
    rule(r"\[ FAIL [1-9]\d* \| (?:WARN|SKIP)", 0.4, _T, confidence=0.75),
    rule(r"^\* checking tests \.\.\. ERROR", 0.4, _T, confidence=0.6),
    rule(r"TEST COMPLETE, \d+ ok, [1-9]\d* failed", 0.4, _T, confidence=0.75),
    rule(r"^Failed \d+/\d+ test programs|^Result: FAIL$", 0.4, _T, confidence=0.6),
)


@attrs.define
class XUnitReader:
    """Reads an excerpt's lines, in order, for xUnit-family test output."""

    findings: Findings = attrs.field(factory=Findings)
    seen: bool = False
    current: str | None = None
    expect: str | None = None  # what the next line should be: "phpunit", "minitest", "message"
    previous: LogLine | None = None
    group: str | None = None  # xcpretty's current test class...
    group_line: int = 0  # ...and the last line of its block read so far

    def read(self, line: LogLine) -> None:
        """Read the next line of the excerpt."""
        text = line.text.rstrip()
        previous, self.previous = self.previous, line
        if not text.strip():
            return
        expect, self.expect = self.expect, None
        if expect is not None and adjacent(previous, line) and self._expected(line, text, expect):
            return
        if self._header(text):
            return
        group = _XCPRETTY_GROUP.match(text)
        if group is not None:
            self.group, self.group_line = group.group(1), line.number
        live = _XCPRETTY_LIVE.match(text)
        if live is not None and self.group is not None and self.group_line == line.number - 1:
            self.group_line = line.number
            if live.group(1) == "✗":
                self._fail(line, f"{self.group}.{live.group(2)}", live.group(3) or "")
                self.findings.score(line, MESSAGE_LINE)
            return
        if self._test_line(line, text, previous):
            return
        if self.findings.match(_RULES, line) is not None:
            self.seen = True

    def _fail(self, line: LogLine, test_id: str, message: str | None = None) -> None:
        self.seen = True
        self.findings.fail(test_id, message or "")
        self.findings.score(line, TEST_LINE)
        self.findings.vote(_T, TEST_CONFIDENCE)
        self.current = test_id
        self.expect = "message" if message is None else None

    def _expected(self, line: LogLine, text: str, expect: str) -> bool:
        if expect == "phpunit":
            entry = _PHPUNIT_ENTRY.match(text)
            if entry is not None:
                self._fail(line, entry.group(1))
                return True
            return False
        if expect == "minitest":
            entry = _MINITEST_ENTRY.match(text)
            if entry is not None:
                self._fail(line, entry.group(1))
                return True
            return False
        stripped = text.strip()
        if re.fullmatch(r"\S+\.\w+:\d+", stripped):  # a location line before the message
            self.expect = "message"
            return True
        self.findings.score(line, MESSAGE_LINE)
        if self.current is not None:
            self.findings.describe(self.current, message=stripped)
        return True

    def _header(self, text: str) -> bool:
        if _PHPUNIT_HEADER.match(text):
            self.seen = True
            self.expect = "phpunit"
            return True
        if _MINITEST_HEADER.match(text):
            self.seen = True
            self.expect = "minitest"
            return True
        return False

    def _test_line(self, line: LogLine, text: str, previous: LogLine | None) -> bool:
        """A line naming a failing test, in one of the runners' formats."""
        phpunit = _PHPUNIT_ENTRY.match(text)
        if phpunit is not None and self.seen:
            self._fail(line, phpunit.group(1))
            return True
        for pattern in (_EXUNIT, _XUNIT_NET, _VSTEST, _TESTTHAT_FILE, _CT_LINE):
            found = pattern.match(text)
            if found is not None:
                self._fail(line, found.group(1))
                return True
        rspec = _RSPEC_EXAMPLE.match(text)
        if rspec is not None:
            self._fail(line, rspec.group(2), "")
            return True
        if _RSPEC_FAILURE.match(text) or _CT_CASE.search(text):
            self.seen = True
            self.findings.score(line, MESSAGE_LINE if _RSPEC_FAILURE.match(text) else 0.6)
            self.findings.vote(_T, TEST_CONFIDENCE)
            return True
        xctest = _XCTEST.search(text)
        if xctest is not None:
            self._fail(line, f"{xctest.group(1)}.{xctest.group(2)}", "")
            return True
        message = _XCTEST_MESSAGE.match(text)
        if message is not None:
            self.seen = True
            self.findings.score(line, MESSAGE_LINE + 0.05)
            return True
        xcpretty = _XCPRETTY_TEST.match(text)
        owner = _XCPRETTY_CLASS.match(previous.text) if previous is not None else None
        if xcpretty is not None and owner is not None and adjacent(previous, line):
            self._fail(line, f"{owner.group(1)}.{xcpretty.group(1)}", xcpretty.group(2))
            self.findings.score(line, MESSAGE_LINE)
            return True
        return self._loose_formats(line, text)

    def _loose_formats(self, line: LogLine, text: str) -> bool:
        pester = _PESTER.match(text)
        if pester is not None:
            self._fail(line, pester.group(1), pester.group(2))
            if pester.group(2):
                self.findings.score(line, MESSAGE_LINE)
            return True
        testthat = _TESTTHAT.search(text)
        if testthat is not None:
            self._fail(line, testthat.group(2))
            return True
        column = _COLUMN_FAIL.search(text)
        if column is not None and not text.lstrip().startswith(("---", "FAIL")):
            self._fail(line, column.group(1), column.group(2))
            return True
        return False
