"""The lint extractor: linters, formatters and static checkers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.models import Category
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_extractors import lint_extractor, pytest_extractor
from ci_rescue_extractors.lint_extractor import MAX_CONFIDENCE
from ci_rescue_extractors.lint_extractor import rescue_extract_failures as lint

from .snippets import best, excerpt, run, scores, snippet


def test_staticcheck() -> None:
    result = run(lint, snippet("go_staticcheck.log"))
    assert result.ecosystem == "staticcheck"
    assert result.category is Category.LINT
    assert best(result).line.number == 10


def test_spotless_check_task() -> None:
    result = run(lint, snippet("gradle_spotless.log"))
    assert result.category is Category.LINT
    by_line = scores(result)
    assert by_line[18] >= 0.8  # "The following files had format violations"
    assert by_line[8] < by_line[17] < by_line[18]


def test_lintrunner() -> None:
    result = run(lint, snippet("lintrunner_failure.log"))
    assert result.category is Category.LINT
    assert best(result).line.number == 9


@pytest.mark.parametrize(
    ("line", "tool"),
    [
        ("src/app.py:12:5: F401 'os' imported but unused", "flake8"),
        ("src/app.py:1:8: F401 [*] `os` imported but unused\nFound 1 error.", "ruff"),
        ("src/app.py:1:8: F401 `os` imported but unused\nFound 2 errors.", "ruff"),
        ("src/app.py:4:1: RUF100 Unused `noqa` directive", "ruff"),
        ("src/app.py:4:1: UP006 Use `list` instead of `List` for type annotation", "ruff"),
        ("src/app.py:3:1: E302 expected 2 blank lines, found 1", "flake8"),
        ("app/models.py:12: error: Incompatible return value type  [return-value]", "mypy"),
        ("would reformat src/app.py", "black"),
        ("Would reformat: src/app.py", "black"),
        ("ERROR: /app/src/app.py Imports are incorrectly sorted and/or formatted.", "isort"),
        ("  12:5  error  'x' is assigned a value but never used  no-unused-vars", "eslint"),
        ("✖ 3 problems (2 errors, 1 warning)", "eslint"),
        ("app.rb:3:1: C: Style/StringLiterals: Prefer single-quoted strings.", "rubocop"),
        ("README.md:2180:Line longer than 80 characters.", "markdown"),
        ("internal/x.go:1:2: Error return value is not checked (errcheck)", "golangci-lint"),
        (
            "A.swift:156:13: warning: Redundant Discardable Let Violation: Prefer `_ = foo()`",
            "swiftlint",
        ),
        ("[warn] Code style issues found in the above file. Forgot to run Prettier?", "prettier"),
    ],
)
def test_linters(line: str, tool: str) -> None:
    result = run(lint, line + "\n")
    assert result.category is Category.LINT
    assert result.ecosystem == tool
    assert 0 < result.confidence <= MAX_CONFIDENCE


@pytest.mark.parametrize(
    "line",
    [
        "✖ 1 problem (0 errors, 1 warning)",  # warnings only: not why it failed
        "main.c:12:3: error: expected ';'",  # a compiler
        "Linting complete, no issues",
    ],
)
def test_not_lint(line: str) -> None:
    result = lint(excerpt(line + "\n"))
    assert result is None or result.category is not Category.LINT


def test_a_failing_test_outweighs_lint_findings() -> None:
    log = (
        "./tests/test_a.py:33:11: F821 undefined name 'FileNotFoundError'\n"
        "FAILED tests/test_a.py::test_shell - NameError: name 'FileNotFoundError' is not defined\n"
    )
    hooks = Hooks(make_plugin_manager(entry_points=False, extra=[lint_extractor, pytest_extractor]))
    assert analyze_log([log.encode()], hooks=hooks).fingerprint.category is Category.TEST_FAILURE


def test_a_format_check_diff() -> None:
    log = (
        "PLEASE APPLY CHANGES BELOW:\ndiff --git a/README.org b/README.org\nindex 1d2..d6e 100644\n"
    )
    assert run(lint, log).category is Category.LINT


@given(
    st.from_regex(r"[a-z_]{1,8}(?:/[a-z_]{1,8}){0,3}\.py", fullmatch=True),
    st.integers(1, 9999),
    st.integers(1, 200),
    st.from_regex(r"[EFW][0-9]{3}", fullmatch=True),
)
def test_flake8_style_findings(path: str, line: int, column: int, code: str) -> None:
    text = f"{path}:{line}:{column}: {code} something is off"
    result = run(lint, text + "\n")
    assert result.category is Category.LINT
    assert best(result).line.text == text
