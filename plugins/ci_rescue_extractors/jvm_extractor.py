"""Extractor plugin for the JVM: Maven (Surefire), Gradle, Ant, sbt, and javac / kotlinc / scalac.

Tests:

* Surefire: ``Tests run: 4, Failures: 1, ... <<< FAILURE! - in pkg.ClassTest``, then one block per
  failing test (``[ERROR] pkg.ClassTest.method  Time elapsed: 0.1 s  <<< FAILURE!``, JUnit 4's
  ``method(pkg.ClassTest)`` or, on old Surefire, the bare method name) followed by the exception,
  and a ``Results:`` summary (``[ERROR]   ClassTest.method:84 expected ...``).
* Gradle: ``pkg.ClassTest > method() FAILED`` with the exception indented below it.
* Ant: ``[junit] Test pkg.ClassTest FAILED`` / ``build.xml:86: Test pkg.ClassTest failed``.
* ScalaTest: ``- does something *** FAILED ***``.

Failing test ids are fully qualified (``pkg.ClassTest.method``) when the log says the package;
Gradle's ``Class > method`` is kept as printed.  Compilation: ``[ERROR] File.java:[23,29] msg``
(Maven), ``File.java:91: error: msg`` (javac), ``e: File.kt: (12, 5): msg`` (kotlinc),
``[error] File.scala:133:47: msg`` (scalac).  A test whose failure trace runs through a network
exception (``UnknownHostException``, ``503 Service Unavailable``...) is an infrastructure failure.
Dependency resolution and static checks are left to the dependency and lint extractors.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import Findings, Rule, rule

TEST_LINE = 0.8
EXCEPTION_LINE = 0.85
CAUSE_LINE = 0.7
COMPILE_LINE = 0.9

TEST_CONFIDENCE = 0.8
NETWORK_CONFIDENCE = 0.85

_T, _C, _O = Category.TEST_FAILURE, Category.COMPILE_ERROR, Category.OTHER

_PREFIX = re.compile(r"(?:##\[error\])?(?:\[(ERROR|INFO|WARNING|WARN|error|info|warn)\] ?)?")
_ANT = re.compile(r"\s*\[junit\] ?")

_SUITE = re.compile(
    r"Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+, Time elapsed: .*"
    r"<<< (?:FAILURE|ERROR)!(?: - in (\S+))?"
)
_SUITE_ANY = re.compile(r"Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+, .* - in \S+")
_SUREFIRE_TEST = re.compile(
    r"(\S+?)(?:\((\S+)\))?\s+Time elapsed: [\d.,]+ s(?:ec)?\s+<<< (?:FAILURE|ERROR)!"
)
_RESULTS_HEADER = re.compile(r"(Failures|Errors|Failed tests|Tests in error):\s*$")
_RESULTS_ENTRY = re.compile(r" {1,4}(?:Run \d+: )?([\w$]+(?:\.[\w$]+)*)\.([\w$]+):?(?:\d+)?")
_RESULTS_OLD = re.compile(r" {1,4}([\w$]+)\(([\w.$]+)\)")
_GRADLE_TEST = re.compile(r"(\S.*?) > (.+?) FAILED\s*$")
_SCALATEST = re.compile(r"(?:\[info\] )?- (.+?) \*\*\* FAILED \*\*\*")
_ANT_SUITE_FAILED = re.compile(r"(?:\S+\.xml:\d+: )?Test (\S+) (?:FAILED|failed)\b")
_EXCEPTION = re.compile(
    r"\s*(?:Exception in thread \"[^\"]*\" )?((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*"
    r"(?:Exception|Error|Failure|Throwable|Failed))(?::\s*(.*))?$"
)
_CAUSED_BY = re.compile(r"\s*Caused by: (\S+?)(?::\s*(.*))?$")
#: First package names of JVM code (reverse domains and the platforms' own).  An exception
#: named under another one (``requests.exceptions.ConnectionError``) may be Python's: it is
#: still scored, but only JVM frames, test reports or build output make the log ``jvm``.
_JVM_ROOTS = frozenset(
    {
        *("java", "javax", "jakarta", "jdk", "sun", "kotlin", "kotlinx", "scala", "akka"),
        *("android", "androidx", "junit", "groovy", "clojure", "hudson", "jenkins", "software"),
        *("com", "org", "net", "io", "dev", "me", "de", "fr", "nl", "uk", "ch", "be", "edu", "gov"),
    }
)
_FRAME = re.compile(r"\s+at [\w$.<>/]+\(")
_NETWORK = re.compile(
    r"UnknownHostException|ConnectException|NoRouteToHostException|SocketTimeoutException"
    r"|SSLHandshakeException|SocketException|\b50[234] (?:Service Unavailable|Bad Gateway"
    r"|Gateway Time-?out)"
)

_RULES: tuple[Rule, ...] = (
    # Compilers.
    rule(r"^(?:/|[A-Za-z]:\\|\w)\S*\.java:\[\d+,\d+\] \S", COMPILE_LINE, _C, confidence=0.85),
    rule(r"^\S+\.java:\d+: error: \S", COMPILE_LINE, _C, confidence=0.85, needle=": error: "),
    rule(
        r"^e: (?:file://)?\S+?\.kts?:?(?::\d+:\d+| ?\(\d+, ?\d+\)):? \S",
        COMPILE_LINE,
        _C,
        confidence=0.85,
    ),
    rule(r"^\S+\.(?:scala|java):\d+(?::\d+)?: (?!warning)\S", COMPILE_LINE, _C, confidence=0.7),
    rule(r"^COMPILATION ERROR", 0.3, _C, confidence=0.8),
    rule(
        r"Compilation failure|compileIncremental\) Compilation failed|Compilation failed",
        0.45,
        _C,
        confidence=0.8,
    ),
    rule(r"^(?:one|two|three|four|five|\d+) errors? found", 0.3, _C, confidence=0.6),
    rule(r"^> Task :\S*compile\w*(?:Java|Kotlin|Scala|Groovy) FAILED", 0.4, _C, confidence=0.6),
    rule(r"^\d+ errors?$", 0.2),
    # Test-run wrappers.
    rule(
        r"There are test failures|There were failing tests|Tests? FAILED|TestsFailedException",
        0.3,
        _T,
        confidence=0.5,
    ),
    rule(r"^\d+ tests completed, \d+ failed", 0.4, _T, confidence=0.6),
    rule(r"^Tests run: \d+, Failures: \d+, Errors: \d+", 0.3),
    rule(r"^> Task :\S*[tT]est FAILED", 0.3, _T, confidence=0.5),
    # Maven / Gradle boilerplate: wrappers.
    rule(
        r"^(?:-> \[Help \d\]|\[Help \d\] |To see the full stack trace|Re-run Maven using"
        r"|For more information about the errors|BUILD FAILURE|BUILD FAILED"
        r"|FAILURE: Build failed with an exception|\* What went wrong:|\* Try:"
        r"|> Run with --(?:stacktrace|info|scan))",
        0.05,
    ),
    rule(r"^Execution failed for task ", 0.45),
    rule(r"^Failed to execute goal ", 0.45),
    rule(r"^Error executing Maven", 0.3),
)
_WHAT_WENT_WRONG = re.compile(r"> (\S.*)")


@attrs.define
class _State:
    findings: Findings = attrs.field(factory=Findings)
    jvm: bool = False
    suite: str | None = None
    current: str | None = None
    expect_exception: bool = False
    in_results: bool = False
    after_task_failure: bool = False
    network_traces: list[set[str]] = attrs.field(factory=list)
    network_pending: bool = False  # a network exception since the last Surefire suite result
    trace: set[str] | None = None
    fqns: set[str] = attrs.field(factory=set)
    short: set[str] = attrs.field(factory=set)


def _strip(text: str) -> tuple[str, bool]:
    """The line without ``##[error]``, ``[ERROR]`` / ``[info]``... and Ant's ``[junit]``.

    :returns: the text, and whether the tool marked it as only a warning or information
        (``[WARNING]``, ``[INFO]``, ``[warn]``): such a line is never an error line.
    """
    text = text.rstrip()
    if text.startswith(("##[", "[")):
        prefix = _PREFIX.match(text)
        if prefix is not None and prefix.end():
            quiet = prefix.group(1) is not None and prefix.group(1).upper() != "ERROR"
            return text[prefix.end() :], quiet
    elif "[junit]" in text[:16]:
        ant = _ANT.match(text)
        if ant is not None:
            text = text[ant.end() :]
    return text, False


def _test(state: _State, line: LogLine, test_id: str, *, qualified: bool) -> None:
    state.jvm = True
    state.findings.fail(test_id)
    state.findings.score(line, TEST_LINE)
    state.findings.vote(_T, TEST_CONFIDENCE)
    (state.fqns if qualified else state.short).add(test_id)
    state.current = test_id
    state.expect_exception = True


def _read(state: _State, line: LogLine) -> None:
    text, quiet = _strip(line.text)
    findings = state.findings
    if not text.strip():
        state.expect_exception = False
        return
    if _read_frame(state, text):
        return
    if _read_tests(state, line, text):
        return
    if quiet:  # a warning or an information: it only ends what was being read
        if text.startswith("BUILD FAILURE"):
            findings.score(line, 0.05)
        state.trace = None
        state.expect_exception = False
        return
    exception = _EXCEPTION.match(text) or _CAUSED_BY.match(text)
    if exception is not None and "." in exception.group(1):
        _read_exception(state, line, text, exception)
        return
    state.trace = None
    hit = findings.match(_RULES, line, text)
    if hit is not None:
        state.jvm = True
        state.after_task_failure = text.startswith(("Execution failed for task", "Failed to"))
        return
    if state.after_task_failure:
        wrong = _WHAT_WENT_WRONG.match(text)
        if wrong is not None and not text.startswith("> Run with"):
            findings.score(line, 0.75)  # Gradle's reason under "Execution failed for task"
        state.after_task_failure = False
    state.expect_exception = False


def _read_frame(state: _State, text: str) -> bool:
    if _FRAME.match(text) is None:
        return False
    state.jvm = True
    if state.trace is not None:
        state.trace.add(text.strip())
    if state.current is not None:
        state.findings.describe(state.current, frame=text.strip())
    return True


def _read_tests(state: _State, line: LogLine, text: str) -> bool:
    """Test-report lines of Surefire, Gradle, Ant and ScalaTest."""
    findings = state.findings
    suite = _SUITE.search(text)
    if suite is not None:
        state.jvm = True
        state.suite = suite.group(1)
        findings.score(line, 0.5)
        findings.vote(_T, TEST_CONFIDENCE)
        state.in_results = False
        if state.network_pending:  # the suite's output showed a network failure
            findings.vote(Category.INFRA_NETWORK, NETWORK_CONFIDENCE)
        state.network_pending = False
        return True
    if _SUITE_ANY.search(text) is not None:
        state.network_pending = False
        return True
    surefire = _SUREFIRE_TEST.match(text)
    if surefire is not None:
        name, owner = surefire.group(1), surefire.group(2)
        if owner:  # JUnit 4: method(pkg.Class)
            _test(state, line, f"{owner}.{name}", qualified=True)
        elif "." in name:
            _test(state, line, name, qualified=True)
        elif state.suite:
            _test(state, line, f"{state.suite}.{name}", qualified=True)
        else:
            _test(state, line, name, qualified=False)
        return True
    if _RESULTS_HEADER.match(text):
        state.jvm = True
        state.in_results = True
        findings.score(line, 0.3)
        return True
    if state.in_results:
        entry = _RESULTS_OLD.match(text) or _RESULTS_ENTRY.match(text)
        if entry is not None:
            if entry.re is _RESULTS_OLD:
                test_id, qualified = f"{entry.group(2)}.{entry.group(1)}", True
            else:
                test_id, qualified = f"{entry.group(1)}.{entry.group(2)}", False
            state.findings.score(line, TEST_LINE)
            (state.fqns if qualified else state.short).add(test_id)
            findings.fail(test_id, text.split(" ", 1)[-1] if " » " in text else "")
            state.current = None
            return True
        if not text.startswith(" "):
            state.in_results = False
    gradle = _GRADLE_TEST.match(text)
    if gradle is not None and not text.startswith(("> Task", "Task ")):
        _test(state, line, f"{gradle.group(1)} > {gradle.group(2)}", qualified=True)
        return True
    scalatest = _SCALATEST.match(text)
    if scalatest is not None:
        _test(state, line, scalatest.group(1), qualified=True)
        return True
    ant = _ANT_SUITE_FAILED.match(text)
    if ant is not None and "." in ant.group(1):
        _test(state, line, ant.group(1), qualified=True)
        return True
    return False


def _read_exception(state: _State, line: LogLine, text: str, exception: re.Match[str]) -> None:
    findings = state.findings
    caused = text.lstrip().startswith("Caused by:")
    if (
        caused
        or state.current is not None
        or text.lstrip().startswith("Exception in thread")
        or exception.group(1).split(".", 1)[0] in _JVM_ROOTS
    ):
        state.jvm = True
    message = exception.group(0).strip()
    if state.current is not None and state.expect_exception:
        findings.score(line, EXCEPTION_LINE)
        findings.describe(state.current, message=message)
    else:
        findings.score(line, CAUSE_LINE if caused else EXCEPTION_LINE - 0.05)
        if text.lstrip().startswith("Exception in thread"):
            findings.vote(_O, 0.5)
    state.expect_exception = False
    if _NETWORK.search(text) is not None:
        state.trace = set()
        state.network_traces.append(state.trace)
        state.network_pending = True
    elif not caused:
        state.trace = None


def _settle(state: _State) -> None:
    """Prefer qualified test ids; a failing test whose trace is a network error is infra."""
    findings = state.findings
    findings.drop(
        short for short in state.short if any(fqn.endswith("." + short) for fqn in state.fqns)
    )
    methods = {
        test_id.rsplit(".", 1)[-1].split(" > ")[-1].split("(")[0] for test_id in findings.failures
    }
    for trace in state.network_traces:
        if any(f".{method}(" in frame for frame in trace for method in methods):
            findings.vote(Category.INFRA_NETWORK, NETWORK_CONFIDENCE)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find JVM test failures, compilation errors and exceptions in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when the log shows nothing JVM-like.
    """
    state = _State()
    for line in excerpt.bounded_lines():
        _read(state, line)
    if not state.jvm:
        # Only exceptions that may be another language's: their lines count, the tool is
        # not said to be the JVM.
        return state.findings.extraction(None) if state.findings.scored else None
    _settle(state)
    return state.findings.extraction("jvm")
