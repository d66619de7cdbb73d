"""The Go extractor: ``go test`` failures, panics and build errors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.models import Category
from ci_rescue_extractors.go_extractor import rescue_extract_failures as go

from .snippets import best, excerpt, ids, run, scores, snippet

test_names = st.from_regex(r"Test[A-Z][A-Za-z0-9_]{0,20}", fullmatch=True)


def test_failing_tests_with_subtests() -> None:
    result = run(go, snippet("go_test_subtests.log"))
    assert result.ecosystem == "go"
    assert result.category is Category.TEST_FAILURE
    assert ids(result) == ["TestCloud_configWithEnvVars", "TestCloud_config"]
    assert all(f.message == "missing API token" for f in result.failures)
    by_line = scores(result)
    assert by_line[15] == 0.8  # the top-level --- FAIL line
    assert by_line[35] > by_line[34]  # its message beats the FAIL line
    assert by_line[16] < by_line[15]  # subtests are details
    assert by_line[37] < 0.5  # FAIL <package> is a summary


def test_build_failure_is_a_compile_error_even_next_to_test_failures() -> None:
    result = run(go, snippet("go_build_failed.log"))
    assert result.category is Category.COMPILE_ERROR
    assert result.confidence > 0.8  # beats the test failures other packages may show
    assert best(result).line.number == 12
    assert "undefined: plans." in best(result).line.text
    assert result.failures == ()


def test_static_checks_are_left_to_the_lint_extractor() -> None:
    assert go(snippet("go_staticcheck.log")) is None


def test_module_downloads_are_not_compile_errors() -> None:
    log = (
        "##[error]internal/backend/oss/backend.go:19:2: github.com/aliyun/sdk@v1.61.1501: "
        'Get "https://proxy.golang.org/x.zip": read tcp 10.1.1.16:59014: connection reset by peer\n'
    )
    result = go(excerpt(log))
    assert result is None or result.category is not Category.COMPILE_ERROR


def test_panic_inside_a_test_is_its_message() -> None:
    log = (
        "=== RUN   TestParse\n"
        "--- FAIL: TestParse (0.00s)\n"
        "panic: runtime error: index out of range [3] with length 3 [recovered]\n"
        "\tpanic: runtime error: index out of range [3] with length 3\n"
        "FAIL\texample.com/parse\t0.012s\n"
    )
    result = run(go, log)
    assert ids(result) == ["TestParse"]
    assert result.failures[0].message.startswith("runtime error: index out of range")
    assert best(result).line.number == 3


def test_gotestsum_format() -> None:
    log = "=== FAIL: internal/cache TestEviction (0.02s)\n    cache_test.go:44: got 3, want 2\n"
    result = run(go, log)
    assert ids(result) == ["TestEviction"]


def test_unrelated_logs_give_none() -> None:
    assert go(excerpt("all good\nok  \texample.com/x\t0.1s\n")) is None


@given(st.lists(test_names, min_size=1, max_size=6, unique=True), st.data())
def test_every_top_level_failure_is_reported_in_order(
    names: list[str], data: st.DataObject
) -> None:
    lines = []
    for name in names:
        lines.append(f"--- FAIL: {name} ({data.draw(st.integers(0, 99))}.01s)")
        sub = data.draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True))
        lines.append(f"    --- FAIL: {name}/{sub} (0.00s)")
        lines.append(f"        x_test.go:{data.draw(st.integers(1, 999))}: boom {sub}")
    lines.append("FAIL\texample.com/pkg\t0.5s")
    result = run(go, "\n".join(lines) + "\n")
    assert ids(result) == names
    assert all(f.message.startswith("boom ") for f in result.failures)
