"""Properties every built-in extractor keeps, whatever the log says."""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ci_rescue_core.logs.excerpt import MATCH_CHARS, Extraction
from ci_rescue_extractors import (
    compiler_extractor,
    deps_extractor,
    go_extractor,
    infra,
    js_extractor,
    junit_extractor,
    jvm_extractor,
    lint_extractor,
    pytest_extractor,
    rust_extractor,
)

from .snippets import SNIPPETS, excerpt, snippet

EXTRACTORS = (
    compiler_extractor,
    deps_extractor,
    go_extractor,
    infra,
    js_extractor,
    junit_extractor,
    jvm_extractor,
    lint_extractor,
    pytest_extractor,
    rust_extractor,
)

# Fragments of real failure output, shuffled and mixed with noise by the strategy below.
FRAGMENTS = (
    "--- FAIL: TestX (0.00s)",
    "    x_test.go:12: boom",
    "FAIL\texample.com/x [build failed]",
    "[ERROR] Tests run: 1, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 1 s <<< FAILURE!",
    "[ERROR] m  Time elapsed: 0.1 s  <<< ERROR!",
    "java.lang.AssertionError: no",
    "\tat a.B.m(B.java:1)",
    "  1) Suite",
    "     nested:",
    "  2 failing",
    "  \u25cf A \u203a b",
    "not ok 1 thing",
    "test a::b ... FAILED",
    "thread 'a::b' panicked at src/a.rs:1:1:",
    "error[E0425]: nope",
    "  --> src/a.rs:1:1",
    "a.c:1:2: error: bad",
    "E   AssertionError: x",
    "FAILED tests/a.py::test_b - x",
    "There was 1 failure:",
    "1) A::b",
    "Failure:",
    "A#test_b [a.rb:1]:",
    "Tests: 3, Assertions: 5, Failures: 1.",
    "src/a.py:1:1: F401 'os' imported but unused",
    "##[error]Process completed with exit code 1.",
    "npm ERR! code ERESOLVE",
    "Error: Cannot find module 'x'",
    "Killed",
    'The command "x" exited with 1.',
    "",
)
logs = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=60)), max_size=40).map(
    lambda lines: "\n".join(lines) + "\n"
)


@pytest.mark.parametrize("module", EXTRACTORS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(text=logs)
def test_any_log_gives_a_valid_answer(module: ModuleType, text: str) -> None:
    source = excerpt(text)
    result = module.rescue_extract_failures(source)
    if result is None:
        return
    assert isinstance(result, Extraction)
    assert 0.0 <= result.confidence <= 1.0
    numbers = {line.number for line in source.all_lines()}
    for scored in result.error_lines:
        assert 0.0 <= scored.score <= 1.0
        assert scored.line.number in numbers
    assert len({f.test_id for f in result.failures}) == len(result.failures)
    assert all(f.test_id.strip() == f.test_id and f.test_id for f in result.failures)


@pytest.mark.parametrize("module", EXTRACTORS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_snippet_gives_a_valid_answer(module: ModuleType) -> None:
    for path in sorted(SNIPPETS.glob("*.log")):
        result = module.rescue_extract_failures(snippet(path.name))
        assert result is None or all(0 <= s.score <= 1 for s in result.error_lines)


@pytest.mark.parametrize("module", EXTRACTORS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_huge_lines_are_read_by_their_start(module: ModuleType) -> None:
    filler = "x" * (3 * MATCH_CHARS)
    log = "".join(f"{fragment} {filler}\n" for fragment in FRAGMENTS if fragment)
    result = module.rescue_extract_failures(excerpt(log))
    assert result is not None and result.error_lines  # every extractor has a fragment above
    assert all(len(s.line.text) <= MATCH_CHARS for s in result.error_lines)


def test_bounded_lines_cut_only_long_lines() -> None:
    source = excerpt("short\n" + "y" * (MATCH_CHARS + 5) + "\n")
    lines = list(source.bounded_lines())
    assert [len(line.text) for line in lines] == [5, MATCH_CHARS]
    assert [line.number for line in lines] == [1, 2]
