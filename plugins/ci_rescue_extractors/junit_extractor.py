"""Extractor plugin for the xUnit family: JUnit XML reports and the runners' console output.

Two ways in:

* :func:`parse_junit_xml` reads a JUnit XML *report file* (not a log) into test cases and
  outcomes — ``ci-rescue analyze`` uses it when it is given a report instead of a log.  The
  reader lives in core (:mod:`ci_rescue_core.logs.junit`, so that the CLI needs no plugin) and
  is re-exported here; :func:`report_failures` turns a report into ``TestFailure`` objects.
* The ``rescue_extract_failures`` hook reads log excerpts for the console output of xUnit-family
  runners that have no extractor of their own (PHPUnit, Minitest, RSpec, ExUnit, xUnit.net /
  NUnit, XCTest, Pester, testthat, Common Test, prove; see :mod:`.xunit_text`).
"""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt
from ci_rescue_core.logs.junit import (
    JUnitCase,
    JUnitReport,
    looks_like_junit,
    parse_junit_xml,
)
from ci_rescue_core.models import TestFailure
from ci_rescue_extractors.xunit_text import XUnitReader

__all__ = [
    "JUnitCase",
    "JUnitReport",
    "looks_like_junit",
    "parse_junit_xml",
    "report_failures",
    "rescue_extract_failures",
]


def report_failures(report: JUnitReport) -> tuple[TestFailure, ...]:
    """The failed and errored test cases of a JUnit report, in document order.

    :param report: what :func:`parse_junit_xml` read.
    :returns: one ``TestFailure`` per failing case (duplicates by id merged, first kept).
    """
    seen: dict[str, TestFailure] = {}
    for case in report.failed:
        seen.setdefault(case.test_id, case.failure())
    return tuple(seen.values())


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find xUnit-family test failures in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when no such runner reported a failure.
    """
    reader = XUnitReader()
    for line in excerpt.bounded_lines():
        reader.read(line)
    if not reader.seen:
        return None
    return reader.findings.extraction("xunit")
