"""Extractor plugin for Rust: rustc / cargo build errors and ``cargo test`` failures.

rustc: ``error[E0425]: cannot find value `x` in this scope`` (or ``error: msg``) followed by
`` --> src/lib.rs:10:5``; cargo: ``error: could not compile `crate` ``, ``error: failed to run
custom build command for `crate` ``.  ``cargo test``::

    test tests::it_works ... FAILED
    ---- tests::it_works stdout ----
    thread 'tests::it_works' panicked at 'assertion failed: ...', src/lib.rs:10:5   (Rust < 1.73)
    thread 'tests::it_works' panicked at src/lib.rs:10:5:                          (Rust >= 1.73)
    assertion failed: ...
    failures:
        tests::it_works
    test result: FAILED. 1 passed; 1 failed; ...

A ``thread 'main' panicked`` outside a test is a program (or build script) crash.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import Findings, adjacent

_C, _T, _O = Category.COMPILE_ERROR, Category.TEST_FAILURE, Category.OTHER

_ERROR_CODE = re.compile(r"error\[E\d{4}\]: (.+)")
_ERROR = re.compile(r"error: (?!could not compile|aborting due to|test failed)(.+)")
_LOCATION = re.compile(r"\s*--> \S+\.rs:\d+:\d+")
_COULD_NOT_COMPILE = re.compile(r"error: (?:could not compile `|aborting due to )")
_BUILD_SCRIPT = re.compile(r"error: failed to run custom build command for `")
_TEST_FAILED = re.compile(r"test (\S+) \.\.\. FAILED$")
_STDOUT = re.compile(r"---- (\S+) stdout ----$")
_PANIC = re.compile(r"thread '([^']+)' panicked at (?:'(.*)', \S+:\d+:\d+|(\S+:\d+:\d+):?)$")
_PANIC_START = re.compile(r"thread '([^']+)' panicked at ")
_RESULT = re.compile(r"test result: FAILED\. ")
_FAILURES = re.compile(r"failures:$")
_FAILURE_NAME = re.compile(r" {4}(\S+)$")


@attrs.define
class _State:
    findings: Findings = attrs.field(factory=Findings)
    rust: bool = False
    pending_error: LogLine | None = None
    panic: LogLine | None = None
    panic_test: str | None = None
    in_failures: bool = False
    tests: set[str] = attrs.field(factory=set)


def _read(state: _State, line: LogLine) -> None:
    text = line.text.rstrip()
    if text.startswith("##["):
        text = re.sub(r"^##\[(?:error|warning)\]", "", text)
    findings = state.findings
    pending, state.pending_error = state.pending_error, None
    panic, state.panic = state.panic, None
    if pending is not None and _LOCATION.match(text) and adjacent(pending, line):
        state.rust = True
        findings.score(pending, 0.9)
        findings.vote(_C, 0.85)
        findings.score(line, 0.5)
        return
    if panic is not None and adjacent(panic, line) and text.strip():
        findings.score(line, 0.85)  # the panic message on its own line (Rust >= 1.73)
        if state.panic_test:
            findings.describe(state.panic_test, message=text.strip())
        return
    coded = _ERROR_CODE.match(text)
    if coded is not None:
        state.rust = True
        findings.score(line, 0.9)
        findings.vote(_C, 0.85)
        return
    if _ERROR.match(text):
        state.pending_error = line
        return
    if _COULD_NOT_COMPILE.match(text):
        state.rust = True
        findings.score(line, 0.4)
        findings.vote(_C, 0.75)
        return
    if _BUILD_SCRIPT.match(text):
        state.rust = True
        findings.score(line, 0.6)
        findings.vote(_C, 0.8)
        return
    _read_tests(state, line, text)


def _read_tests(state: _State, line: LogLine, text: str) -> None:
    findings = state.findings
    if state.in_failures:
        name = _FAILURE_NAME.match(text)
        if name is not None:
            _fail(state, line, name.group(1), 0.5)
            return
        state.in_failures = False
    failed = _TEST_FAILED.match(text)
    if failed is not None:
        _fail(state, line, failed.group(1), 0.6)
        return
    stdout = _STDOUT.match(text)
    if stdout is not None:
        _fail(state, line, stdout.group(1), 0.75)
        return
    panic = _PANIC.match(text) or _PANIC_START.match(text)
    if panic is not None:
        state.rust = True
        thread = panic.group(1)
        in_test = thread != "main" and ("::" in thread or thread in state.tests)
        findings.score(line, 0.9 if in_test else 0.8)
        if in_test:
            _fail(state, line, thread, 0.9)
            message = panic.group(2) if panic.re is _PANIC else None
            if message:
                findings.describe(thread, message=message)
        else:
            findings.vote(_O, 0.45)
        if panic.re is _PANIC_START or panic.group(3):  # Rust >= 1.73: the message follows
            state.panic = line
            state.panic_test = thread if in_test else None
        return
    if _RESULT.match(text):
        state.rust = True
        findings.score(line, 0.4)
        findings.vote(_T, 0.75)
        return
    if _FAILURES.match(text):
        state.in_failures = True


def _fail(state: _State, line: LogLine, test_id: str, score: float) -> None:
    state.rust = True
    state.tests.add(test_id)
    state.findings.fail(test_id)
    state.findings.score(line, score)
    state.findings.vote(_T, 0.8)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find rustc / cargo errors and ``cargo test`` failures in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when the log shows nothing Rust-like.
    """
    state = _State()
    for line in excerpt.bounded_lines():
        _read(state, line)
    if not state.rust:
        return None
    return state.findings.extraction("rust")
