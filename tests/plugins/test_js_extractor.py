"""The JavaScript extractor: Jest, Vitest, Mocha, TAP, Karma, and npm's wrapper lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.models import Category
from ci_rescue_extractors.js_extractor import rescue_extract_failures as js

from .snippets import best, excerpt, ids, run, scores, snippet

titles = st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,20}[A-Za-z0-9]", fullmatch=True)
JEST_SEPARATOR = " \u203a "


def test_jest_failures() -> None:
    result = run(js, snippet("jest_failures.log"))
    assert result.ecosystem == "javascript"
    assert result.category is Category.TEST_FAILURE
    assert ids(result)[:2] == [
        JEST_SEPARATOR.join(("YouTube.js Tests", "Search", "Should search on YouTube")),
        JEST_SEPARATOR.join(
            ("YouTube.js Tests", "Search", "Should retrieve YouTube search suggestions")
        ),
    ]
    assert result.failures[0].message == "ReferenceError: Constants is not defined"
    assert best(result).line.number == 32  # the error under the first ● header
    assert scores(result)[11] < scores(result)[30]  # ✕ progress marks count for less


def test_mocha_failures() -> None:
    result = run(js, snippet("mocha_failing.log"))
    assert ids(result) == [
        "测试登录是否正常 手机登录 code 应该等于200",
        "测试获取歌曲是否正常 歌曲的 url 不应该为空",
    ]
    assert result.failures[0].message == "Error: done() invoked with non-Error: 登录错误"
    assert result.failures[1].message == "TypeError: Cannot read property 'url' of undefined"
    assert result.failures[0].frames[0].startswith("at /home/runner/work/")


def test_mocha_title_over_several_lines() -> None:
    result = run(js, snippet("mocha_nested_title.log"))
    assert ids(result) == [
        'Detector marginedElement with jQuery Mobile "before all" hook for '
        '"expected to return ui-page element as first item of array"'
    ]
    assert result.failures[0].message.startswith("Error: Timeout of 2000ms exceeded.")


def test_vitest_and_tap_and_karma() -> None:
    vitest = " FAIL  src/sum.test.ts > sum > adds numbers\nAssertionError: expected 3 to be 4\n"
    tap = "not ok 6 no errors\n  ---\n    operator: notOk\n    expected: false\n  ...\n"
    karma = "Chrome 74.0 (Linux 0.0.0) Widget renders FAILED\n\tExpected 1 to be 2.\n"
    assert ids(run(js, vitest)) == ["src/sum.test.ts > sum > adds numbers"]
    tap_result = run(js, tap)
    assert ids(tap_result) == ["no errors"]
    assert tap_result.failures[0].message == "operator: notOk"
    assert ids(run(js, karma)) == ["Widget renders"]


def test_npm_wrapper_lines_count_for_little() -> None:
    log = (
        "npm ERR! code ELIFECYCLE\nnpm ERR! errno 1\n"
        "npm ERR! acme@1.0.0 test: `jest`\nnpm ERR! Exit status 1\n"
        "npm ERR! Failed at the acme@1.0.0 test script.\n"
    )
    result = run(js, log)
    assert max(scores(result).values()) <= 0.3
    assert result.category is Category.TEST_FAILURE and result.confidence < 0.5


def test_jest_suite_that_failed_to_run_is_not_a_test() -> None:
    log = (
        "FAIL src/app.test.js\n  ● Test suite failed to run\n\n"
        "    Cannot find module './missing' from 'src/app.test.js'\n"
    )
    result = run(js, log)
    assert ids(result) == []
    assert best(result).line.text.strip().startswith("Cannot find module")


def test_unrelated_logs_give_none() -> None:
    assert js(excerpt("added 12 packages in 3s\n")) is None


@given(st.lists(st.lists(titles, min_size=1, max_size=4), min_size=1, max_size=4, unique_by=str))
def test_mocha_titles_are_joined(tests: list[list[str]]) -> None:
    lines = ["  3 passing (2s)", f"  {len(tests)} failing", ""]
    for number, parts in enumerate(tests, 1):
        for depth, part in enumerate(parts):
            indent = "  " + "  " * depth + (f"{number}) " if depth == 0 else "   ")
            lines.append(indent + part + (":" if depth == len(parts) - 1 else ""))
        lines += ["     Error: boom", "      at f (test.js:1:1)", ""]
    result = run(js, "\n".join(lines) + "\n")
    expected = list(dict.fromkeys(" ".join(parts) for parts in tests))
    assert ids(result) == expected
    assert all(f.message == "Error: boom" for f in result.failures)


@given(st.lists(st.lists(titles, min_size=1, max_size=3), min_size=1, max_size=4, unique_by=str))
def test_jest_titles(tests: list[list[str]]) -> None:
    lines = []
    for parts in tests:
        lines += [
            f"  ● {JEST_SEPARATOR.join(parts)}",
            "",
            "    expect(received).toBe(expected)",
            "",
        ]
    result = run(js, "\n".join(lines))
    assert ids(result) == list(dict.fromkeys(JEST_SEPARATOR.join(p) for p in tests))
