"""The rule machinery the extractors share."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.logs.excerpt import LogLine
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import Findings, first_match, rule

LINE = LogLine(7, "ERROR: Something Broke")


def test_needles_respect_case_handling() -> None:
    sensitive = rule(r"Something Broke", 0.5, needle="Something")
    insensitive = rule(r"something broke", 0.5, needle="something", ignore_case=True)
    assert sensitive.search(LINE.text) is not None
    assert insensitive.search(LINE.text) is not None
    assert rule(r"Something", 0.5, needle="absent").search(LINE.text) is None


def test_first_match_takes_the_first_rule_in_order() -> None:
    rules = (rule(r"Nope", 0.9), rule(r"Broke", 0.6), rule(r"ERROR", 0.3))
    hit = first_match(rules, LINE.text)
    assert hit is not None and hit[0].score == 0.6
    assert first_match(rules[:1], LINE.text) is None


def test_scores_keep_the_best_and_votes_the_most_confident() -> None:
    findings = Findings()
    findings.score(LINE, 0.4)
    findings.score(LINE, 0.7)
    findings.score(LINE, 0.5)
    findings.vote(Category.LINT, 0.6)
    findings.vote(Category.COMPILE_ERROR, 0.6)  # a tie: the more specific category wins
    findings.vote(Category.LINT, 0.2)
    result = findings.extraction("tool")
    assert result is not None
    assert [s.score for s in result.error_lines] == [0.7]
    assert result.category is Category.COMPILE_ERROR and result.confidence == 0.6


def test_failures_first_report_wins_and_details_fill_in() -> None:
    findings = Findings()
    findings.fail("pkg.Test.a")
    findings.fail("pkg.Test.a", "first message")
    findings.fail("pkg.Test.a", "second message")
    findings.describe("pkg.Test.a", frame="at pkg.Test.a(Test.java:3)")
    findings.describe("unknown", message="ignored")
    findings.fail("  ")
    result = findings.extraction(None)
    assert result is not None
    (failure,) = result.failures
    assert failure.message == "first message"
    assert failure.frames == ("at pkg.Test.a(Test.java:3)",)
    findings.drop(["pkg.Test.a"])
    assert findings.extraction(None) is None


@given(st.text(max_size=40), st.floats(0, 1), st.floats(0, 1))
def test_findings_are_bounded(text: str, first: float, second: float) -> None:
    findings = Findings()
    line = LogLine(1, text)
    findings.score(line, first * 3 - 1)
    findings.score(line, second)
    result = findings.extraction(None)
    assert result is not None
    assert 0.0 <= result.error_lines[0].score <= 1.0
    assert result.error_lines[0].score == max(min(max(first * 3 - 1, 0.0), 1.0), second)
