"""The compiler extractor: GCC / Clang, MSVC, tsc, xcodebuild, Erlang, Elixir, Sass..."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.models import Category
from ci_rescue_extractors.compiler_extractor import rescue_extract_failures as compiler

from .snippets import best, excerpt, run, scores, snippet


def test_gcc_error() -> None:
    result = run(compiler, snippet("gcc_error.log"))
    assert result.ecosystem == "gcc"
    assert result.category is Category.COMPILE_ERROR
    assert best(result).line.number == 7
    assert "no matching function for call" in best(result).line.text
    assert 10 not in scores(result) or scores(result)[10] < 0.5  # "note:" lines


def test_msvc_error() -> None:
    result = run(compiler, snippet("msvc_error.log"))
    assert result.category is Category.COMPILE_ERROR
    assert result.ecosystem == "msvc"
    by_line = scores(result)
    assert by_line[1] == by_line[10] == 0.9  # error C2131 and error C2143
    assert by_line[7] < 0.5  # ninja's FAILED: line


@pytest.mark.parametrize(
    "line",
    [
        "src/app.ts(3,5): error TS2304: Cannot find name 'foo'.",
        "src/app.ts:3:5 - error TS2304: Cannot find name 'foo'.",
        "main.c:12:3: error: 'x' undeclared (first use in this function)",
        "Sources/A.swift:269:57: error: thrown expression type 'E' does not conform to 'Error'",
        "Types.hs:40:1: error: [-Wunused-imports, -Werror=unused-imports]",
        "C:\\src\\a.cpp(89): error C2143: syntax error: missing ',' before '*'",
        "a.obj : error LNK2019: unresolved external symbol foo",
        "main.o: In function `main': undefined reference to `helper'",
        "** (CompileError) lib/list.ex:102: undefined function i/1",
        "src/rabbit_vhost.erl:91: field description undefined in record vhost",
        'Error: Invalid CSS after "a": expected 1 selector or at-rule, was "}"',
        "configure: error: C compiler cannot create executables",
        "❌  error: Build input file cannot be found: 'Info.plist'",
        "PHP Parse error:  syntax error, unexpected '}' in /app/a.php on line 3",
        "cc1: all warnings being treated as errors",
    ],
)
def test_compiler_errors(line: str) -> None:
    result = run(compiler, line + "\n")
    assert result.category is Category.COMPILE_ERROR
    assert best(result).line.text == line


@pytest.mark.parametrize(
    "line",
    [
        "app/models.py:12: error: Incompatible return value type  [return-value]",  # mypy
        "Compilation: gcc -c -O2 -Wformat -Werror=format-security conftest.c",  # a flag
        "src/rabbit_vhost.erl:91: Warning: variable 'X' is unused",
        "main.c:12:3: warning: unused variable 'y'",
    ],
)
def test_not_compiler_errors(line: str) -> None:
    result = compiler(excerpt(line + "\n"))
    assert result is None or result.category is not Category.COMPILE_ERROR


def test_make_and_ninja_lines_are_wrappers() -> None:
    result = run(compiler, "make[1]: *** [all] Error 2\nninja: build stopped: subcommand failed.\n")
    assert result.category is None
    assert max(scores(result).values()) < 0.1


@given(
    st.from_regex(r"[a-z]{1,8}(?:/[a-z]{1,8}){0,3}\.(?:c|cc|cpp|m|swift)", fullmatch=True),
    st.integers(1, 99999),
    st.integers(1, 999),
)
def test_file_line_column_errors(path: str, line: int, column: int) -> None:
    text = f"{path}:{line}:{column}: error: expected ';' after expression"
    result = run(compiler, text + "\n")
    assert result.category is Category.COMPILE_ERROR
    assert best(result).line.text == text
