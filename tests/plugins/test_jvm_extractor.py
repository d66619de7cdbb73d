"""The JVM extractor: Surefire, Gradle, Ant, javac / scalac / kotlinc, Java exceptions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.models import Category
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_extractors.jvm_extractor import rescue_extract_failures as jvm

from .snippets import SNIPPETS, best, excerpt, ids, run, scores, snippet

identifiers = st.from_regex(r"[a-z][A-Za-z0-9]{0,12}", fullmatch=True)
classes = st.from_regex(r"[A-Z][A-Za-z0-9]{0,12}Test", fullmatch=True)


def test_surefire_failure_block() -> None:
    result = run(jvm, snippet("maven_surefire_block.log"))
    assert result.ecosystem == "jvm"
    assert result.category is Category.TEST_FAILURE
    (failure,) = result.failures
    assert failure.test_id == "org.apache.commons.lang3.time.DurationUtilsTest.testOfConsumer"
    assert failure.message == (
        "org.opentest4j.AssertionFailedError: expected: <true> but was: <false>"
    )
    assert failure.frames[0].startswith("at org.junit.jupiter.api.AssertionUtils.fail")
    assert best(result).line.number == 7  # the assertion, not the suite line


def test_surefire_results_summary() -> None:
    result = run(jvm, snippet("maven_surefire_results.log"))
    assert ids(result) == ["DurationUtilsTest.testOfConsumer"]
    by_line = scores(result)
    assert by_line[7] >= 0.8
    assert by_line[12] <= 0.05  # BUILD FAILURE is a wrapper


def test_qualified_ids_win_over_the_summary_short_form() -> None:
    parts = ("maven_surefire_block.log", "maven_surefire_results.log")
    text = b"".join((SNIPPETS / name).read_bytes() for name in parts).decode()
    result = run(jvm, text)
    assert ids(result) == ["org.apache.commons.lang3.time.DurationUtilsTest.testOfConsumer"]


def test_junit4_style_names_and_old_surefire() -> None:
    log = (
        "Running org.acme.ParserTest\n"
        "Tests run: 3, Failures: 1, Errors: 1, Skipped: 0, Time elapsed: 0.05 sec <<< FAILURE! "
        "- in org.acme.ParserTest\n"
        "parsesDates(org.acme.ParserTest)  Time elapsed: 0.01 sec  <<< FAILURE!\n"
        "java.lang.AssertionError: expected:<1> but was:<2>\n"
        "rejectsJunk  Time elapsed: 0.002 s  <<< ERROR!\n"
        "java.lang.IllegalStateException: junk\n"
    )
    result = run(jvm, log)
    assert ids(result) == ["org.acme.ParserTest.parsesDates", "org.acme.ParserTest.rejectsJunk"]
    assert result.failures[1].message == "java.lang.IllegalStateException: junk"


def test_maven_compilation_failure() -> None:
    result = run(jvm, snippet("maven_compilation_failure.log"))
    assert result.category is Category.COMPILE_ERROR
    assert best(result).line.number == 8
    by_line = scores(result)
    assert by_line[20] <= 0.05 and by_line[22] <= 0.05  # Maven's help boilerplate


def test_gradle_test_failure() -> None:
    result = run(jvm, snippet("gradle_test_failed.log"))
    assert ids(result) == ["ConsoleClientTest > testClassicParsing()"]
    assert result.failures[0].message.startswith("java.lang.IllegalArgumentException:")
    assert best(result).line.number == 11


def test_javac_error_under_gradle() -> None:
    result = run(jvm, snippet("gradle_javac_error.log"))
    assert result.category is Category.COMPILE_ERROR
    assert best(result).line.number == 10
    by_line = scores(result)
    assert 0.3 < by_line[29] < by_line[10]  # Gradle's "> Compilation failed" points above


def test_ant_junit() -> None:
    result = run(jvm, snippet("ant_junit.log"))
    assert ids(result) == ["abstraction.FiliereParDefaultTest"]
    assert 13 in scores(result)  # the exception


def test_a_test_failing_on_a_network_error_is_infrastructure() -> None:
    log = (
        "[INFO] Running org.acme.MirrorTest\n"
        "org.eclipse.jgit.api.errors.TransportException: https://git.example/repo.git: "
        "503 Service Unavailable\n"
        "\tat org.acme.MirrorTest.clones(MirrorTest.java:12)\n"
        "[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 3 s "
        "<<< FAILURE! - in org.acme.MirrorTest\n"
        "[ERROR] clones  Time elapsed: 2 s  <<< FAILURE!\n"
        "java.lang.AssertionError: expected a clone\n"
    )
    result = run(jvm, log)
    assert result.category is Category.INFRA_NETWORK


def test_a_network_exception_in_a_passing_suite_is_not() -> None:
    log = (
        "[INFO] Running org.acme.RetryTest\n"
        "java.net.UnknownHostException: nowhere.invalid\n"
        "[INFO] Tests run: 2, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 3 s - in "
        "org.acme.RetryTest\n"
        "[INFO] Running org.acme.ParserTest\n"
        "[ERROR] Tests run: 1, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 1 s "
        "<<< FAILURE! - in org.acme.ParserTest\n"
        "[ERROR] parses  Time elapsed: 0.1 s  <<< FAILURE!\n"
        "java.lang.AssertionError: nope\n"
    )
    assert run(jvm, log).category is Category.TEST_FAILURE


def test_scalac_and_kotlinc_errors() -> None:
    scala = "[error] /src/main/scala/A.scala:133:47: type mismatch;\n[error] one error found\n"
    kotlin = "e: /src/main/kotlin/A.kt: (12, 5): Unresolved reference: foo\n"
    assert run(jvm, scala).category is Category.COMPILE_ERROR
    assert run(jvm, kotlin).category is Category.COMPILE_ERROR


def test_uncaught_exception_in_a_program() -> None:
    log = (
        'Exception in thread "main" java.lang.ExceptionInInitializerError\n'
        "\tat org.jruby.Ruby.newInstance(Ruby.java:266)\n"
        "Caused by: java.lang.RuntimeException: unsupported Java version: 11\n"
    )
    result = run(jvm, log)
    assert result.category is Category.OTHER
    assert best(result).line.number == 1


@pytest.mark.parametrize(
    "line",
    [
        "requests.exceptions.ConnectionError: ('Connection aborted.', "
        "ConnectionResetError(104, 'Connection reset by peer'))",
        "urllib3.exceptions.ProtocolError: ('Connection aborted.', RemoteDisconnected())",
        "botocore.exceptions.ClientError: An error occurred (403) when calling HeadObject",
        "subprocess.CalledProcessError: Command '['make']' returned non-zero exit status 2.",
    ],
)
def test_a_python_exception_does_not_make_the_log_jvm(line: str) -> None:
    result = jvm(excerpt(f"running\n{line}\n"))
    assert result is None or result.ecosystem is None
    fingerprint = analyze_log(
        [f"running\n{line}\n".encode()], hooks=Hooks(make_plugin_manager())
    ).fingerprint
    assert fingerprint.ecosystem != "jvm"


def test_a_jvm_exception_with_frames_is_jvm() -> None:
    log = (
        "redis.clients.jedis.exceptions.JedisConnectionException: Could not get a resource\n"
        "\tat redis.clients.jedis.util.Pool.getResource(Pool.java:84)\n"
    )
    assert run(jvm, log).ecosystem == "jvm"
    assert run(jvm, "java.lang.IllegalStateException: boom\n").ecosystem == "jvm"


def test_unrelated_logs_give_none() -> None:
    assert jvm(excerpt("Compiling 3 files\nall fine\n")) is None


@given(st.lists(st.tuples(classes, identifiers), min_size=1, max_size=5, unique=True))
def test_gradle_test_lines(tests: list[tuple[str, str]]) -> None:
    lines = []
    for owner, method in tests:
        lines += [f"com.acme.{owner} > {method}() FAILED", "    java.lang.AssertionError: no", ""]
    result = run(jvm, "\n".join(lines))
    assert ids(result) == [f"com.acme.{owner} > {method}()" for owner, method in tests]
    assert all(f.message == "java.lang.AssertionError: no" for f in result.failures)


@given(st.lists(st.tuples(classes, identifiers), min_size=1, max_size=5, unique=True))
def test_surefire_summary_entries(tests: list[tuple[str, str]]) -> None:
    lines = ["[INFO] Results:", "[INFO]", "[ERROR] Failures: "]
    lines += [
        f"[ERROR]   {owner}.{method}:42 expected: <1> but was: <2>" for owner, method in tests
    ]
    lines.append("[ERROR] Tests run: 9, Failures: 1, Errors: 0, Skipped: 0")
    result = run(jvm, "\n".join(lines) + "\n")
    assert ids(result) == [f"{owner}.{method}" for owner, method in tests]


def test_warnings_and_information_are_not_errors() -> None:
    log = (
        "[WARNING] /src/a/LittleEndianByteArray.java:[19,15] Unsafe is internal proprietary API\n"
        "[INFO] /src/a/LineReader.java:72: Covariant return type change detected\n"
        "[warn] /src/A.scala:3:4: method x is deprecated\n"
    )
    assert jvm(excerpt(log)) is None
