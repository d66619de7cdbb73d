"""The Rust extractor: rustc / cargo errors and ``cargo test`` failures."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.models import Category
from ci_rescue_extractors.rust_extractor import rescue_extract_failures as rust

from .snippets import best, excerpt, ids, run, scores, snippet

paths = st.from_regex(r"[a-z_]{1,8}(?:::[a-z_]{1,8}){0,3}", fullmatch=True)


def test_cargo_test_failure() -> None:
    result = run(rust, snippet("rust_cargo_test.log"))
    assert result.ecosystem == "rust"
    assert result.category is Category.TEST_FAILURE
    assert ids(result) == ["term::tests::line_selection_works"]
    assert result.failures[0].message == "assertion failed: requested < self.len"
    assert best(result).line.number == 13  # the panic, not "test result: FAILED"
    assert scores(result)[20] < 0.5


def test_rustc_error() -> None:
    result = run(rust, snippet("rustc_error.log"))
    assert result.category is Category.COMPILE_ERROR
    assert best(result).line.text == "error: local variables in const fn are unstable"
    assert scores(result)[15] < scores(result)[9]  # "aborting due to" is a summary


def test_error_codes_and_new_style_panics() -> None:
    coded = "error[E0425]: cannot find value `x` in this scope\n  --> src/main.rs:2:5\n"
    assert run(rust, coded).category is Category.COMPILE_ERROR
    panic = (
        "---- parse::tests::dates stdout ----\n"
        "thread 'parse::tests::dates' panicked at src/parse.rs:10:5:\n"
        "assertion `left == right` failed\n"
    )
    result = run(rust, panic)
    assert ids(result) == ["parse::tests::dates"]
    assert result.failures[0].message == "assertion `left == right` failed"


def test_a_plain_error_line_without_location_is_not_rust() -> None:
    assert rust(excerpt("error: Error while fetching remote python downloads json\n")) is None


def test_main_thread_panic_is_a_program_crash() -> None:
    log = "thread 'main' panicked at 'called `Result::unwrap()` on an `Err` value', src/a.rs:1:1\n"
    result = run(rust, log)
    assert result.category is Category.OTHER
    assert ids(result) == []


@given(st.lists(paths, min_size=1, max_size=5, unique=True))
def test_failed_tests_are_listed(names: list[str]) -> None:
    lines = [f"test {name} ... FAILED" for name in names]
    lines += ["", "failures:", *(f"    {name}" for name in names), ""]
    lines.append(f"test result: FAILED. 3 passed; {len(names)} failed; 0 ignored")
    assert ids(run(rust, "\n".join(lines) + "\n")) == names
