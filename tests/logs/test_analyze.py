"""analyze_log end to end on real logs, and the merge rules on hand-made extractions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.hooks import Hooks
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs import LogAnalysis, analyze_log
from ci_rescue_core.logs.analyze import MIN_CONFIDENCE, NEW_LINE_BOOST, analyze_junit, merge
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine, ScoredLine
from ci_rescue_core.logs.rank import WRAPPER_CAP, failure_window, is_wrapper, pool, rank
from ci_rescue_core.logs.reader import open_source
from ci_rescue_core.models import Category, TestFailure
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_extractors import infra, pytest_extractor

from .conftest import FIXTURE_LOGS, load_labels

LABELS = load_labels()


def analyze_file(name: str, hooks: Hooks, **kwargs: Any) -> LogAnalysis:
    with open_source(FIXTURE_LOGS / name) as chunks:
        return analyze_log(chunks, hooks=hooks, **kwargs)


def in_root_cause(line: int, label: dict[str, Any]) -> bool:
    return any(first <= line <= last for first, last in label["root_cause_ranges"])


@pytest.mark.parametrize("label", LABELS, ids=[row["file"] for row in LABELS])
def test_real_logs_match_their_labels(label: dict[str, Any], hooks: Hooks) -> None:
    analysis = analyze_file(label["file"], hooks)
    fingerprint = analysis.fingerprint
    assert fingerprint.category.value == label["category"]
    assert sorted(fingerprint.failing_tests) == sorted(label["failing_tests"])
    top = [error.line for error in fingerprint.error_lines[:5]]
    assert any(in_root_cause(line, label) for line in top), top
    assert analysis.total_lines > 0
    assert fingerprint.exit_code == 1


def test_pytest_log_details(hooks: Hooks) -> None:
    analysis = analyze_file("bugswarm_2446151667_pytest.log", hooks)
    fingerprint = analysis.fingerprint
    assert fingerprint.ecosystem == "pytest"
    assert fingerprint.error_lines[0].line == 888
    assert fingerprint.error_lines[0].text == "E       KeyError: '/Fm17'"
    assert fingerprint.message == "E KeyError: '/Fm17'"
    (failure,) = analysis.failures
    assert failure.test_id == "tests/bench.py::test_text_extraction"
    assert failure.message == "KeyError: '/Fm17'"  # the block's first exception
    assert len(fingerprint.error_lines) <= 10


def test_decoy_credentials_lose_to_the_real_test_failure(hooks: Hooks) -> None:
    analysis = analyze_file("pytorch_test_file_failed_wrapper.log", hooks)
    fingerprint = analysis.fingerprint
    assert fingerprint.category is Category.TEST_FAILURE
    assert fingerprint.failing_tests == ("test_cuda",)
    assert fingerprint.error_lines[0].line == 13  # the AttributeError, not the wrapper
    decoys = [e.line for e in fingerprint.error_lines if "credentials" in e.text]
    assert decoys and all(line not in (13, 20, 31) for line in decoys)
    ranks = [e.line for e in fingerprint.error_lines]
    assert all(ranks.index(13) < ranks.index(decoy) for decoy in decoys)


def test_missing_credentials_step(hooks: Hooks) -> None:
    fingerprint = analyze_file("pytorch_aws_credentials_load_failure.log", hooks).fingerprint
    assert fingerprint.category is Category.MISSING_SECRET
    assert fingerprint.error_lines[0].line == 31
    assert "Could not load credentials" in fingerprint.message


def test_baseline_boosts_new_lines_but_keeps_the_hash(hooks: Hooks) -> None:
    plain = analyze_file("cidiff_terraform_run407_fail.log", hooks)
    with open_source(FIXTURE_LOGS / "cidiff_terraform_run407_pass.log") as baseline:
        diffed = analyze_file("cidiff_terraform_run407_fail.log", hooks, baseline=baseline)
    assert diffed.fingerprint.hash == plain.fingerprint.hash
    assert diffed.fingerprint.category is Category.INFRA_NETWORK
    assert sorted(e.line for e in diffed.fingerprint.error_lines[:7]) == list(range(749, 756))


def test_same_failure_in_another_run_has_the_same_hash(hooks: Hooks) -> None:
    original = (FIXTURE_LOGS / "bugswarm_2163834915_pytest.log").read_bytes()
    rerun = re.sub(rb"2022-04-13T21:(\d\d):", rb"2023-11-02T07:\1:", original)
    rerun = rerun.replace(b"in 1284.21s (0:21:24)", b"in 1301.90s (0:21:41)")
    rerun = b"2023-11-02T07:00:00.0000000Z extra runner banner\n" * 7 + rerun
    first = analyze_log([original], hooks=hooks).fingerprint
    second = analyze_log([rerun[i : i + 4096] for i in range(0, len(rerun), 4096)], hooks=hooks)
    assert second.fingerprint.hash == first.hash
    assert second.fingerprint.error_lines[0].line == first.error_lines[0].line + 7


def test_a_different_failing_test_has_another_hash(hooks: Hooks) -> None:
    original = (FIXTURE_LOGS / "bugswarm_2163834915_pytest.log").read_bytes()
    other = original.replace(b"valid_spans10-sys_time]", b"valid_spans11-sys_time]")
    assert (
        analyze_log([other], hooks=hooks).fingerprint.hash
        != analyze_log([original], hooks=hooks).fingerprint.hash
    )


def test_known_secrets_never_reach_the_analysis(hooks: Hooks) -> None:
    secret = "s3cr3t-value-42"
    token = "ghp_" + "Q1w2E3r4" * 4 + "abcd"
    log = (
        "##[group]Run ./deploy.sh\n"
        f"##[endgroup]\nusing {secret}\n"
        f"FAILED tests/test_deploy.py::test_push - AssertionError: bad {secret} / {token}\n"
        f"E   AssertionError: bad {secret} / {token}\n"
        "##[error]Process completed with exit code 1.\n"
    ).encode()
    analysis = analyze_log([log], hooks=hooks, known_secrets=[secret])
    rendered = repr(analysis)
    assert secret not in rendered and token not in rendered
    assert analysis.fingerprint.category is Category.TEST_FAILURE


class AcmeSecrets:
    """A plugin contributing a secret pattern."""

    @hookimpl
    def rescue_secret_patterns(self) -> list[str]:
        return [r"acme_[0-9a-f]{12}"]


def test_plugin_secret_patterns_are_used() -> None:
    pm = make_plugin_manager(entry_points=False, extra=[pytest_extractor, infra, AcmeSecrets()])
    log = b"E   RuntimeError: key acme_0123456789ab rejected\n"
    analysis = analyze_log([log], hooks=Hooks(pm))
    assert "acme_0123456789ab" not in repr(analysis)
    assert analysis.fingerprint.error_lines[0].text == "E   RuntimeError: key *** rejected"


def test_an_empty_log_is_other(hooks: Hooks) -> None:
    analysis = analyze_log([], hooks=hooks)
    assert analysis.fingerprint.category is Category.OTHER
    assert analysis.fingerprint.error_lines == ()
    assert analysis.total_lines == 0
    assert analysis.fingerprint.hash == analyze_log([b""], hooks=hooks).fingerprint.hash


def test_max_error_lines(hooks: Hooks) -> None:
    log = "".join(f"E   ValueError: bad {n}\n\nx\n" for n in range(30)).encode()
    assert len(analyze_log([log], hooks=hooks, max_error_lines=3).fingerprint.error_lines) == 3


# merge -------------------------------------------------------------------------------------


def scored(number: int, score: float, text: str = "") -> ScoredLine:
    return ScoredLine(LogLine(number, text or f"error #{number}"), score)


EXCERPT = LogExcerpt(total_lines=100)


def test_no_opinion_means_other() -> None:
    analysis = merge([Extraction(exit_code=2, error_lines=(scored(5, 0.1),))], EXCERPT)
    assert analysis.fingerprint.category is Category.OTHER
    assert analysis.fingerprint.exit_code == 2
    assert merge([], EXCERPT).fingerprint.category is Category.OTHER


def test_most_confident_category_wins() -> None:
    analysis = merge(
        [
            Extraction(category=Category.MISSING_SECRET, confidence=0.3),
            Extraction(category=Category.TEST_FAILURE, confidence=0.8, ecosystem="pytest"),
        ],
        EXCERPT,
    )
    assert analysis.fingerprint.category is Category.TEST_FAILURE
    assert analysis.fingerprint.ecosystem == "pytest"


@pytest.mark.parametrize(
    ("first", "second", "winner"),
    [
        (Category.TEST_FAILURE, Category.MISSING_SECRET, Category.MISSING_SECRET),
        (Category.TIMEOUT, Category.OOM, Category.OOM),
        (Category.INFRA_NETWORK, Category.TIMEOUT, Category.TIMEOUT),
        (Category.LINT, Category.COMPILE_ERROR, Category.COMPILE_ERROR),
        (Category.OTHER, Category.TEST_FAILURE, Category.TEST_FAILURE),
        (Category.DEPENDENCY_RESOLUTION, Category.INFRA_NETWORK, Category.INFRA_NETWORK),
    ],
)
def test_ties_follow_the_priority_order(
    first: Category, second: Category, winner: Category
) -> None:
    analysis = merge(
        [Extraction(category=first, confidence=0.5), Extraction(category=second, confidence=0.5)],
        EXCERPT,
    )
    assert analysis.fingerprint.category is winner


def test_exit_code_and_ecosystem_follow_confidence() -> None:
    analysis = merge(
        [
            Extraction(category=Category.OTHER, confidence=0.2, exit_code=3, ecosystem="go"),
            Extraction(category=Category.TEST_FAILURE, confidence=0.9, ecosystem=None),
            Extraction(category=Category.LINT, confidence=0.5, exit_code=1, ecosystem="ruff"),
        ],
        EXCERPT,
    )
    assert analysis.fingerprint.exit_code == 1
    assert analysis.fingerprint.ecosystem == "ruff"


def test_failures_are_pooled_by_test_id() -> None:
    analysis = merge(
        [
            Extraction(failures=(TestFailure(test_id="t::a"), TestFailure(test_id="t::b"))),
            Extraction(failures=(TestFailure(test_id="t::a", message="boom"),)),
        ],
        EXCERPT,
    )
    assert [f.test_id for f in analysis.failures] == ["t::a", "t::b"]
    assert analysis.failures[0].message == "boom"
    assert analysis.fingerprint.failing_tests == ("t::a", "t::b")


def test_error_lines_are_deduplicated_ranked_and_capped() -> None:
    analysis = merge(
        [
            Extraction(error_lines=(scored(10, 0.5), scored(20, 0.9), scored(30, 0.1))),
            Extraction(error_lines=(scored(10, 0.95), scored(40, 0.9))),
        ],
        EXCERPT,
        max_error_lines=3,
    )
    assert [e.line for e in analysis.fingerprint.error_lines] == [10, 20, 40]
    assert analysis.fingerprint.message == "error #10"


def test_new_lines_are_boosted_but_do_not_change_the_message() -> None:
    excerpt = LogExcerpt(total_lines=100, new_lines=frozenset({30}))
    analysis = merge(
        [Extraction(error_lines=(scored(10, 0.8), scored(30, 0.8 - NEW_LINE_BOOST / 2)))],
        excerpt,
    )
    assert [e.line for e in analysis.fingerprint.error_lines] == [30, 10]
    assert analysis.fingerprint.message == "error #10"


# ranking (ci_rescue_core.logs.rank) --------------------------------------------------------


def line(number: int, text: str, step: str | None = None) -> LogLine:
    return LogLine(number, text, step)


def test_wrappers_rank_below_any_cause() -> None:
    wrapper = "##[error]Process completed with exit code 1."
    lines = pool([Extraction(error_lines=(ScoredLine(line(9, wrapper), 0.9),))], EXCERPT)
    assert lines[9].score <= WRAPPER_CAP
    for text in (
        "make: *** [Makefile:39: staticcheck] Error 1",
        "npm ERR! code ELIFECYCLE",
        "FAILURE: Build failed with an exception.",
        "##[error]The operation was canceled.",
        'The command "npm test" exited with 1.',
    ):
        assert is_wrapper(text), text
    assert not is_wrapper("E   AssertionError: 143 != 0")


def test_lines_no_extractor_understood_still_rank() -> None:
    excerpt = LogExcerpt(
        lines=(
            line(1, "starting"),
            line(2, "FATAL: received SIGINT"),
            line(3, "warning: 0 errors"),
            line(4, "Error: pod failed to come online"),
        ),
        total_lines=4,
    )
    ranked = rank(pool([], excerpt))
    assert [s.line.number for s in ranked] == [2, 4]
    assert all(s.score <= 0.4 for s in ranked)  # below what an extractor gives a cause


def test_github_failure_window_is_the_failed_step() -> None:
    excerpt = LogExcerpt(
        lines=(
            line(3, "curl: (22) The requested URL returned error: 404", step="Set up ruby"),
            line(9, "Error: boom", step="Run tests"),
            line(10, "##[error]Process completed with exit code 1.", step="Run tests"),
        ),
        total_lines=10,
        failed_step="Run tests",
    )
    window = failure_window(excerpt)
    assert window is not None
    assert window.contains(excerpt.lines[1]) and not window.contains(excerpt.lines[0])


def test_travis_failure_window_is_between_command_exits() -> None:
    excerpt = LogExcerpt(
        lines=(
            line(3, "curl: (22) The requested URL returned error: 404", step="rvm"),
            line(5, 'The command "bundle install" exited with 0.'),
            line(8, "Error: Invalid CSS after"),
            line(9, 'The command "sass-check.sh" exited with 65.'),
            line(12, 'The command "cleanup.sh" exited with 0.'),
        ),
        total_lines=12,
    )
    window = failure_window(excerpt)
    assert window is not None
    inside = [entry.number for entry in excerpt.lines if window.contains(entry)]
    assert inside == [8, 9]


def test_evidence_outside_the_failing_step_counts_for_less() -> None:
    excerpt = LogExcerpt(
        lines=(
            line(3, "setup 404", step="rvm"),
            line(8, "boom"),
            line(9, 'The command "x" exited with 1.'),
        ),
        total_lines=9,
    )
    outside = Extraction(
        category=Category.DEPENDENCY_RESOLUTION,
        confidence=0.8,
        error_lines=(ScoredLine(excerpt.lines[0], 0.7),),
    )
    inside = Extraction(
        category=Category.TEST_FAILURE,
        confidence=0.6,
        error_lines=(ScoredLine(excerpt.lines[1], 0.7),),
    )
    analysis = merge([outside, inside], excerpt)
    assert analysis.fingerprint.category is Category.TEST_FAILURE
    assert [e.line for e in analysis.fingerprint.error_lines][:2] == [8, 3]


def test_an_opinion_too_weak_is_no_opinion() -> None:
    weak = Extraction(category=Category.LINT, confidence=MIN_CONFIDENCE / 2)
    assert merge([weak], EXCERPT).fingerprint.category is Category.OTHER


def test_lines_the_passing_log_also_had_rank_lower() -> None:
    excerpt = LogExcerpt(total_lines=100, new_lines=frozenset({40}))
    analysis = merge([Extraction(error_lines=(scored(10, 0.8), scored(40, 0.6)))], excerpt)
    assert [e.line for e in analysis.fingerprint.error_lines] == [40, 10]


def test_different_places_come_first() -> None:
    block = tuple(scored(n, 0.8) for n in range(100, 106))  # one stack trace
    elsewhere = (scored(300, 0.7),)
    analysis = merge([Extraction(error_lines=block + elsewhere)], EXCERPT)
    assert [e.line for e in analysis.fingerprint.error_lines][:3] == [100, 300, 101]


@given(
    st.lists(
        st.tuples(st.integers(1, 500), st.floats(0, 1, allow_nan=False)),
        min_size=0,
        max_size=40,
        unique_by=lambda item: item[0],
    ),
    st.integers(0, 15),
)
def test_ranking_is_capped_and_keeps_only_known_lines(
    items: list[tuple[int, float]], limit: int
) -> None:
    lines = {number: scored(number, score) for number, score in items}
    ranked = rank(lines, limit=limit)
    assert len(ranked) == min(limit, len(lines))
    assert len({s.line.number for s in ranked}) == len(ranked)
    assert {s.line.number for s in ranked} <= set(lines)
    if ranked:
        assert ranked[0].score == max(s.score for s in lines.values())


# JUnit reports ---------------------------------------------------------------------------------

JUNIT = FIXTURE_LOGS / "junit"


def test_analyze_junit(hooks: Hooks) -> None:
    data = (JUNIT / "with-xml-entities.xml").read_bytes()
    analysis = analyze_junit([data], hooks=hooks, name="with-xml-entities.xml")
    fingerprint = analysis.fingerprint
    assert fingerprint.category is Category.TEST_FAILURE
    assert fingerprint.ecosystem == "junit"
    assert fingerprint.failing_tests == (
        "Test with & in the test name",
        "Test with 'apostrophe' in the test name",
    )
    assert [e.line for e in fingerprint.error_lines] == [8, 11]
    assert analysis.total_lines == 17


def test_analyze_junit_redacts_and_passes_are_other(hooks: Hooks) -> None:
    token = "ghp_" + "A1b2C3d4" * 4 + "wxyz"
    report = (
        '<testsuite><testcase classname="t" name="deploy">'
        f'<failure message="push refused for {token}"/></testcase></testsuite>'
    )
    analysis = analyze_junit([report.encode()], hooks=hooks)
    assert token not in repr(analysis)
    passing = analyze_junit([b'<testsuite><testcase name="ok"/></testsuite>'], hooks=hooks)
    assert passing.fingerprint.category is Category.OTHER
    assert passing.fingerprint.error_lines == ()
