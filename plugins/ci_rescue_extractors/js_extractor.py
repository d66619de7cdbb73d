"""Extractor plugin for JavaScript / TypeScript test runs: Jest, Vitest, Mocha, TAP, Karma.

What the runners print:

* Jest: ``FAIL src/a.test.js``, then per failing test ``● Suite > nested > test name`` (Jest
  joins the titles with U+203A) and the error below it; ``Tests: 3 failed, 10 passed``.
  ``● Test suite failed to run`` is a file that could not even be loaded.
* Vitest: ``FAIL  src/a.test.ts > suite > test name`` and ``Tests  2 failed | 10 passed``.
* Mocha (and Jasmine-style reporters): ``2 failing``, then ``1) Suite`` with the nested titles
  on the following, deeper-indented lines, the last one ending in ``:``, then the error.
* TAP (tape, node-tap): ``not ok 6 no errors`` and its YAML block (``operator:``, ``expected:``,
  ``actual:``).
* Karma: ``Chrome 74 (Linux) Suite test FAILED``, ``Executed 5 of 9 (2 FAILED)``.
* tsd (type tests): ``✖  405:0  Parameter type any is not identical ...``.

npm / yarn's own lines (``npm ERR! Test failed.``, ``npm ERR! code ELIFECYCLE``,
``error Command failed with exit code 1.``) are wrappers; they only say which script failed.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import Findings, Rule, adjacent, first_match, rule

TEST_LINE = 0.8
ERROR_LINE = 0.85
TEST_CONFIDENCE = 0.8

_T, _C = Category.TEST_FAILURE, Category.COMPILE_ERROR

_JEST_FILE = re.compile(r"\s*FAIL\s+(\S+\.[cm]?[jt]sx?)(?:\s+\([\d.]+ m?s\))?\s*$")
_VITEST = re.compile(
    r"\s*(?:FAIL|\u00d7|\u2717)\s+(\S+\.[cm]?[jt]sx?)\s+>\s+(.+?)(?:\s+\d+m?s)?\s*$"
)
_JEST_TEST = re.compile(r"\s*● (\S.*?)\s*$")
_MOCHA_FAILING = re.compile(r"\s*(\d+) failing\s*$")
_MOCHA_ENTRY = re.compile(r"(\s*)(\d+)\) (\S.*?)\s*$")
_TAP_NOT_OK = re.compile(r"not ok \d+(?: -)? ?(.*?)(?:\s+#.*)?$")
_TAP_DETAIL = re.compile(r"\s+(?:operator|expected|actual|at|found|wanted|message):\s")
_KARMA_FAILED = re.compile(r"^(?:\w+ [\d.]+ \([^)]*\)) (.+?) FAILED$")
_JS_ERROR = re.compile(r"\s*(?:Uncaught )?((?:[A-Z]\w*)?(?:Error|Exception))(?: \[\w+\])?: (\S.*)$")
_JEST_SEPARATOR = "\u203a"
_NOT_TESTS = ("Test suite failed to run", "Console")

_RULES: tuple[Rule, ...] = (
    rule(r"^\s*Tests?:\s+\d+ failed", 0.4, _T, confidence=0.7),
    rule(r"^\s*Test (?:Suites|Files):?\s+\d+ failed", 0.3, _T, confidence=0.6),
    rule(r"^\s*Executed \d+ of \d+ \(\d+ FAILED\)", 0.4, _T, confidence=0.7),
    rule(r"^\s*✖\s+\d+:\d+\s+\S", 0.6, _T, confidence=0.55),  # tsd
    rule(r"^\s*[\u2715\u00d7\u2717] \S", 0.45, _T, confidence=0.6),
    rule(
        r"^npm ERR! (?:Test failed|Failed at the \S+ \S*test\S* script)", 0.3, _T, confidence=0.35
    ),
    rule(r"^npm ERR! Failed at the \S+ \S+ script", 0.3),
    rule(
        r"^npm ERR! (?:code ELIFECYCLE|errno \d|Exit status \d|A complete log|\s*$"
        r"|This is probably not a problem with npm|\s+/\S+debug\.log)",
        0.03,
    ),
    rule(r"^error Command failed with exit code \d+", 0.05),
    rule(
        r"^SyntaxError: (?:Unexpected|Invalid|missing|Cannot use import)", 0.85, _C, confidence=0.7
    ),
    rule(r"^\s*(?:Uncaught )?(?:[A-Z]\w*)?Error(?: \[\w+\])?: \S", 0.65, needle="Error"),
)


@attrs.define
class _State:
    findings: Findings = attrs.field(factory=Findings)
    js: bool = False
    current: str | None = None
    expect_message: bool = False
    in_mocha: bool = False
    mocha_parts: list[str] = attrs.field(factory=list)
    mocha_indent: int = 0
    mocha_line: LogLine | None = None
    previous: LogLine | None = None


def _test(state: _State, line: LogLine, test_id: str) -> None:
    state.js = True
    state.findings.fail(test_id)
    state.findings.score(line, TEST_LINE)
    state.findings.vote(_T, TEST_CONFIDENCE)
    state.current = test_id
    state.expect_message = True


def _read(state: _State, line: LogLine) -> None:
    text = line.text.rstrip()
    findings = state.findings
    previous, state.previous = state.previous, line
    if not text.strip():
        return
    if state.in_mocha and _read_mocha(state, line, text, previous):
        return
    failing = _MOCHA_FAILING.match(text)
    if failing is not None:
        state.js = True
        state.in_mocha = True
        state.mocha_parts = []
        findings.score(line, 0.4)
        findings.vote(_T, 0.7)
        return
    jest = _JEST_TEST.match(text)
    if jest is not None:
        name = jest.group(1)
        if name in _NOT_TESTS:
            state.js = True
            findings.score(line, 0.5)
            state.current = None
            state.expect_message = True
        elif _JEST_SEPARATOR in name or "." not in name[-4:]:
            _test(state, line, name)
        return
    vitest = _VITEST.match(text)
    if vitest is not None:
        _test(state, line, f"{vitest.group(1)} > {vitest.group(2)}")
        return
    if _JEST_FILE.match(text):
        state.js = True
        findings.score(line, 0.5)
        findings.vote(_T, 0.6)
        return
    tap = _TAP_NOT_OK.match(text)
    if tap is not None:
        _test(state, line, tap.group(1) or text)
        return
    if state.current is not None and _TAP_DETAIL.match(text):
        findings.score(line, 0.7)
        findings.describe(state.current, message=text.strip())
        return
    karma = _KARMA_FAILED.match(text)
    if karma is not None:
        _test(state, line, karma.group(1))
        return
    if state.expect_message and _read_message(state, line, text):
        return
    hit = first_match(_RULES, text)
    if hit is not None:
        findings.apply(hit[0], line)
        if hit[0].category is _T:  # only test evidence says the log is a JavaScript test run
            state.js = True
    state.expect_message = False


def _read_message(state: _State, line: LogLine, text: str) -> bool:
    """The first line under a failing test's header: its error."""
    stripped = text.strip()
    if stripped in ("---", "..."):
        return True  # TAP's YAML block markers: the details follow
    state.expect_message = False
    if stripped.startswith(("at ", "|", ">")):
        return False
    state.findings.score(line, ERROR_LINE)
    if state.current is not None:
        state.findings.describe(state.current, message=stripped)
    return True


def _read_mocha(state: _State, line: LogLine, text: str, previous: LogLine | None) -> bool:
    """Mocha's numbered failure list: titles over several lines, then the error."""
    findings = state.findings
    entry = _MOCHA_ENTRY.match(text)
    if entry is not None:
        _close_mocha_title(state, line)
        state.mocha_parts = [entry.group(3)]
        state.mocha_indent = len(entry.group(1))
        state.mocha_line = line
        if entry.group(3).endswith(":"):
            _close_mocha_title(state, line)
        return True
    if state.mocha_parts:
        indent = len(text) - len(text.lstrip())
        if indent > state.mocha_indent and adjacent(previous, line):
            error = _JS_ERROR.match(text)
            if error is None:
                state.mocha_parts.append(text.strip())
                if text.endswith(":"):
                    _close_mocha_title(state, line)
                return True
        _close_mocha_title(state, line)
    if state.expect_message:
        return _read_message(state, line, text)
    if state.current is not None and text.lstrip().startswith("at "):
        findings.describe(state.current, frame=text.strip())
        return True
    return False


def _close_mocha_title(state: _State, line: LogLine) -> None:
    if not state.mocha_parts:
        return
    title = " ".join(state.mocha_parts).rstrip(":").strip()
    state.mocha_parts = []
    if title:
        _test(state, state.mocha_line or line, title)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find Jest / Vitest / Mocha / TAP / Karma failures in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when the log shows nothing of these runners.
    """
    state = _State()
    for line in excerpt.bounded_lines():
        _read(state, line)
    if not state.js and not state.findings.votes:
        return None
    return state.findings.extraction("javascript")
