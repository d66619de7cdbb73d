"""The JUnit extractor: JUnit XML reports, and the xUnit family's console output."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.errors import LogReadError
from ci_rescue_core.models import Category
from ci_rescue_extractors.junit_extractor import (
    looks_like_junit,
    parse_junit_xml,
    report_failures,
)
from ci_rescue_extractors.junit_extractor import rescue_extract_failures as xunit

from .snippets import best, excerpt, ids, run, scores, snippet

JUNIT = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "junit"
WITH_RESULTS = sorted(p.name[: -len(".results.json")] for p in JUNIT.glob("*.results.json"))


def parse(name: str, chunk: int = 1 << 16) -> tuple[bytes, object]:
    data = (JUNIT / name).read_bytes()
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return data, parse_junit_xml(pieces, name=name)


# JUnit XML reports ----------------------------------------------------------------------


@pytest.mark.parametrize("name", WITH_RESULTS)
def test_outcome_counts_match_the_reference_parser(name: str) -> None:
    report = parse_junit_xml([(JUNIT / f"{name}.xml").read_bytes()], name=name)
    stats = json.loads((JUNIT / f"{name}.results.json").read_text())["stats"]
    counts = report.counts()
    assert counts["tests"] == stats["tests"]
    assert counts["fail"] == stats["tests_fail"]
    assert counts["error"] == stats["tests_error"]
    assert counts["skipped"] == stats["tests_skip"]
    assert counts["pass"] == stats["tests_succ"]


def test_a_pytest_report() -> None:
    report = parse_junit_xml([(JUNIT / "junit.fail.xml").read_bytes()])
    (failed,) = report.failed
    assert failed.test_id == "test.test_spark.SparkTests.test_rsh_events"
    assert failed.outcome == "fail"
    assert failed.message == "AssertionError: 143 != 0"  # not the whole squashed traceback
    assert failed.file == "test/test_spark.py"
    assert failed.line == 29  # where its <failure> element is
    (failure,) = report_failures(report)
    assert failure.test_id == failed.test_id
    assert failure.frames[-1] == "E AssertionError: 143 != 0"


def test_entities_in_names_and_messages() -> None:
    report = parse_junit_xml([(JUNIT / "with-xml-entities.xml").read_bytes()])
    failed = {case.test_id: case for case in report.failed}
    assert failed["Test with 'apostrophe' in the test name"].message == (
        "A message with 'apostrophes'"
    )
    assert failed["Test with & in the test name"].outcome == "error"


def test_several_results_the_worst_wins() -> None:
    report = parse_junit_xml([(JUNIT / "junit.multiresult.xml").read_bytes()])
    outcomes = {case.name: case.outcome for case in report.cases}
    assert outcomes == {
        "test that errors": "error",
        "test that fails": "fail",
        "test that is skipped": "skipped",
        "test that succeeds": "pass",
    }


def test_a_truncated_report_is_a_clear_error() -> None:
    with pytest.raises(LogReadError, match=r"corrupt-xml\.xml: not well-formed XML"):
        parse_junit_xml([(JUNIT / "corrupt-xml.xml").read_bytes()], name="corrupt-xml.xml")


def test_xml_that_is_not_junit_is_a_clear_error() -> None:
    data = (JUNIT / "non-junit.xml").read_bytes()
    assert not looks_like_junit(data)
    with pytest.raises(LogReadError, match="root element is <suites>"):
        parse_junit_xml([data], name="non-junit.xml")


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>',
        '<!DOCTYPE testsuite SYSTEM "file:///etc/passwd">',
        "<!doctype testsuite>",
    ],
)
def test_document_types_are_refused(doctype: str) -> None:
    data = f'<?xml version="1.0"?>\n{doctype}\n<testsuite><testcase name="&lol2;"/></testsuite>'
    assert looks_like_junit(data.encode())  # recognised as a report, then refused
    with pytest.raises(LogReadError, match="document type"):
        parse_junit_xml([data.encode()], name="bomb.xml")


def test_empty_input_is_a_clear_error() -> None:
    with pytest.raises(LogReadError, match="empty"):
        parse_junit_xml([b""], name="empty.xml")


def test_sniffing() -> None:
    assert looks_like_junit(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- jest -->\n<testsuites>')
    assert looks_like_junit(b"<testsuite name='x' tests='1'>")
    assert not looks_like_junit(b"2024-01-01T00:00:00Z <testsuite> in a log line")
    assert not looks_like_junit(b"")


def test_a_large_report_streams() -> None:
    cases = "".join(
        f'<testcase classname="pkg.C{n % 7}" name="t{n}">'
        + ('<failure message="boom"/>' if n % 1000 == 0 else "")
        + "</testcase>\n"
        for n in range(20_000)
    )
    data = f"<testsuites><testsuite>\n{cases}</testsuite></testsuites>\n".encode()
    report = parse_junit_xml(data[i : i + 4096] for i in range(0, len(data), 4096))
    assert report.counts()["tests"] == 20_000
    assert [case.test_id for case in report.failed][:2] == ["pkg.C0.t0", "pkg.C6.t1000"]
    assert report.lines == 20_002


@given(st.lists(st.integers(1, 400), max_size=8))
def test_chunking_does_not_matter(cuts: list[int]) -> None:
    data = (JUNIT / "disabled.xml").read_bytes()
    points = sorted({min(c * 13, len(data)) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert parse_junit_xml(pieces) == parse_junit_xml([data])


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Za-z][A-Za-z0-9_.]{0,15}", fullmatch=True),
            st.sampled_from(["pass", "fail", "error", "skipped"]),
        ),
        max_size=10,
    )
)
def test_outcomes_round_trip(cases: list[tuple[str, str]]) -> None:
    element = {"pass": "", "fail": "<failure/>", "error": "<error/>", "skipped": "<skipped/>"}
    body = "".join(f'<testcase name="{name}">{element[o]}</testcase>' for name, o in cases)
    report = parse_junit_xml([f"<testsuite>{body}</testsuite>".encode()])
    assert [(case.test_id, case.outcome) for case in report.cases] == cases


# The xUnit family's console output -------------------------------------------------------


def test_phpunit() -> None:
    result = run(xunit, snippet("phpunit_failure.log"))
    assert result.ecosystem == "xunit"
    assert result.category is Category.TEST_FAILURE
    assert ids(result) == ["Inflector_helper_test::test_plural"]
    assert result.failures[0].message == "Failed asserting that two strings are equal."
    assert best(result).line.number == 10


def test_minitest() -> None:
    result = run(xunit, snippet("minitest_failure.log"))
    assert ids(result) == [
        "TestKramdown#test_: kramdown when a custom highlighter is chosen should use the "
        "chosen highlighter if it's available."
    ]
    assert result.failures[0].message == "Minitest::Assertion: Expected true to not be truthy."


def test_exunit() -> None:
    result = run(xunit, snippet("exunit_failure.log"))
    assert ids(result) == ["test implements (almost) all functions in Map (KeywordTest)"]
    assert result.failures[0].message == "Assertion with == failed"


def test_pester() -> None:
    result = run(xunit, snippet("pester_failure.log"))
    assert ids(result) == ["Running without any params runs all files from the local folder"]
    assert result.failures[0].message == "Expected and actual values differ!"
    assert scores(result).get(5, 0.0) < 0.5  # "Tests Passed: 4, Failed: 0": no failure


def test_xunit_net() -> None:
    result = run(xunit, snippet("xunit_net_failure.log"))
    assert ids(result) == ["Nancy.Testing.Tests.BrowserFixture.Should_return_JSON_serialized_form"]
    assert result.failures[0].message == "Assert.Equal() Failure"


def test_xcpretty() -> None:
    result = run(xunit, snippet("xcpretty_failure.log"))
    assert ids(result) == [
        "MKMapViewSpec.should_accept_changes_from_bindings_to_its_scroll_enabled_state"
    ]


@pytest.mark.parametrize(
    ("log", "test_id"),
    [
        ("rspec ./spec/models/user_spec.rb:12 # User validates email\n", "User validates email"),
        (
            "Test Case '-[AppTests.ParserTests testDates]' failed (0.012 seconds).\n",
            "ParserTests.testDates",
        ),
        ("  Failed Acme.Tests.ParserTests.Parses [12 ms]\n", "Acme.Tests.ParserTests.Parses"),
        (
            "multiple-cursors/selections-trim                  FAIL\n",
            "multiple-cursors/selections-trim",
        ),
        (
            "DistillGPT2                         FAIL:               graph_breaks=4, expected=2\n",
            "DistillGPT2",
        ),
        ("Running the tests in \u2018tests/testthat.R\u2019 failed.\n", "tests/testthat.R"),
    ],
)
def test_other_runners(log: str, test_id: str) -> None:
    assert ids(run(xunit, log)) == [test_id]


def test_go_and_pytest_lines_are_not_column_failures() -> None:
    assert xunit(excerpt("--- FAIL: TestX (0.00s)\nFAIL\texample.com/x\t0.1s\n")) is None
    assert xunit(excerpt("tests/test_a.py::test_b FAILED\n")) is None


@pytest.mark.parametrize("line", ["Status:      FAILED", "Build        FAILED", "   FAIL"])
def test_labels_in_columns_are_not_tests(line: str) -> None:
    result = xunit(excerpt(line + "\n"))
    assert result is None or ids(result) == []


# ci-rescue analyze on a report ------------------------------------------------------------


def test_cli_analyzes_a_junit_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ci_rescue_core.cli.main import main

    report = tmp_path / "results.bin"  # recognised by content, not by name
    report.write_bytes(gzip.compress((JUNIT / "junit.fail.xml").read_bytes()))
    assert main(["analyze", str(report), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["category"] == "test_failure"
    assert data["ecosystem"] == "junit"
    assert data["failing_tests"] == ["test.test_spark.SparkTests.test_rsh_events"]
    assert data["error_lines"] == [
        {"line": 29, "text": "test.test_spark.SparkTests.test_rsh_events: AssertionError: 143 != 0"}
    ]
    assert data["exit_code"] is None
    assert len(data["fingerprint"]) == 64


def test_cli_refuses_a_broken_report_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci_rescue_core.cli.main import main

    assert main(["analyze", str(JUNIT / "corrupt-xml.xml"), "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "corrupt-xml.xml: not well-formed XML" in captured.err
    assert "Traceback" not in captured.err
    passing = tmp_path / "pass.log"
    passing.write_text("ok\n")
    args = ["analyze", str(JUNIT / "junit.fail.xml"), "--baseline", str(passing)]
    assert main(args) == 1
    assert "is a JUnit XML report" in capsys.readouterr().err
