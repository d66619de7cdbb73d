"""The pytest / unittest / Python-traceback extractor plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt
from ci_rescue_core.logs.reader import iter_lines, open_source
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import scan
from ci_rescue_core.models import Category
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_extractors import infra, pytest_extractor
from ci_rescue_extractors.pytest_extractor import rescue_extract_failures

FIXTURE_LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "logs"


def excerpt(text: str) -> LogExcerpt:
    return scan(iter_lines([text.encode()]), Redactor())


def extract(text: str) -> Extraction:
    result = rescue_extract_failures(excerpt(text))
    assert result is not None
    return result


def scores(result: Extraction) -> dict[int, float]:
    return {s.line.number: s.score for s in result.error_lines}


PYTEST_LOG = """\
============================= test session starts ==============================
collected 4 items

tests/test_core.py ..F.                                                  [100%]

=================================== FAILURES ===================================
_ test_span[ok 2:30pm now-valid_spans10-sys_time] _

    def test_span(raw):
>       assert (span.start, span.end) in valid_spans
E       assert (1, 2) in {(1, 1), (2, 2)}
E        +  where (1, 2) = span

tests/test_core.py:430: AssertionError
=========================== short test summary info ============================
FAILED tests/test_core.py::test_span[ok 2:30pm now-valid_spans10-sys_time] - assert (1, 2) in {...}
========================= 1 failed, 3 passed in 19.26s =========================
"""


def test_pytest_failure_with_spaces_in_the_parameter_id() -> None:
    result = extract(PYTEST_LOG)
    assert result.ecosystem == "pytest"
    assert result.category is Category.TEST_FAILURE
    (failure,) = result.failures
    assert failure.test_id == "tests/test_core.py::test_span[ok 2:30pm now-valid_spans10-sys_time]"
    assert failure.message == "assert (1, 2) in {(1, 1), (2, 2)}"
    assert failure.frames == ("tests/test_core.py:430: AssertionError",)
    by_line = scores(result)
    assert by_line[11] > by_line[12]  # the assertion beats its explanation
    assert by_line[11] >= by_line[16] > by_line[14]  # E line, summary, location


def test_header_names_are_matched_to_ids() -> None:
    log = """\
___________________ TestThing.test_a ___________________
E   ValueError: broken
FAILED tests/test_x.py::TestThing::test_a
"""
    (failure,) = extract(log).failures
    assert failure.test_id == "tests/test_x.py::TestThing::test_a"
    assert failure.message == "ValueError: broken"


def test_error_summary_and_verbose_lines() -> None:
    log = """\
tests/test_a.py::test_one PASSED                                          [ 33%]
tests/test_a.py::test_two FAILED                                          [ 66%]
tests/test_b.py::test_three ERROR                                         [100%]
ERROR tests/test_b.py::test_three - RuntimeError: fixture exploded
"""
    result = extract(log)
    assert [f.test_id for f in result.failures] == [
        "tests/test_a.py::test_two",
        "tests/test_b.py::test_three",
    ]
    assert result.failures[1].message == "RuntimeError: fixture exploded"


def test_collection_syntax_error_is_a_compile_error() -> None:
    log = """\
==================================== ERRORS ====================================
______________ ERROR collecting kubernetes/e2e_test/test_apps.py _______________
kubernetes/config/kube_config.py:37: in <module>
    from kubernetes.config.exec_provider import ExecProvider
E     File "/w/kubernetes/config/exec_provider.py", line 74
E       stderr=sys.stderr when is_interactive else subprocess.PIPE,
E                         ^
E   SyntaxError: invalid syntax
=========================== short test summary info ============================
ERROR kubernetes/e2e_test/test_apps.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
"""
    result = extract(log)
    assert result.category is Category.COMPILE_ERROR
    assert [f.test_id for f in result.failures] == ["kubernetes/e2e_test/test_apps.py"]
    assert result.failures[0].message == "SyntaxError: invalid syntax"
    best = max(result.error_lines, key=lambda s: s.score)
    assert best.line.text == "E   SyntaxError: invalid syntax"


def test_missing_third_party_module_is_dependency_resolution() -> None:
    log = """\
rootdir: /home/runner/work/pycorrector/pycorrector
_____________ ERROR collecting tests/bert_corrector_test.py _____________
E   ModuleNotFoundError: No module named 'transformers'
ERROR tests/bert_corrector_test.py
"""
    assert extract(log).category is Category.DEPENDENCY_RESOLUTION


def test_missing_own_module_is_a_test_failure() -> None:
    log = """\
rootdir: /home/runner/work/vizro/vizro/vizro-ai
_____________ ERROR collecting tests/unit/vizro-ai/test_llm.py _____________
E   ModuleNotFoundError: No module named 'vizro_ai.dashboard.build'
ERROR tests/unit/vizro-ai/test_llm.py
"""
    assert extract(log).category is Category.TEST_FAILURE


def test_unittest_failures() -> None:
    log = """\
======================================================================
FAIL: test_dupes (test.rosdep_test.TestRosdep.test_dupes)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/w/test/rosdep_test.py", line 12, in test_dupes
    self.assertFalse(dupes)
AssertionError: Duplicate package name 'clpe'
======================================================================
ERROR: test_urls (test.urls_test.TestUrls.test_urls)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/w/test/urls_test.py", line 3, in test_urls
    urlopen(url)
ValueError: unknown url type
----------------------------------------------------------------------
Ran 7 tests in 0.120s

FAILED (failures=1, errors=1)
"""
    result = extract(log)
    assert result.ecosystem == "unittest"
    assert result.category is Category.TEST_FAILURE
    assert [f.test_id for f in result.failures] == [
        "test_dupes (test.rosdep_test.TestRosdep.test_dupes)",
        "test_urls (test.urls_test.TestUrls.test_urls)",
    ]
    assert result.failures[0].message == "AssertionError: Duplicate package name 'clpe'"
    assert result.failures[1].message == "ValueError: unknown url type"


def test_error_colon_without_unittest_ruler_is_not_a_test() -> None:
    log = "ERROR: Could not find a version that satisfies the requirement nope==9\n"
    assert rescue_extract_failures(excerpt(log)) is None


def test_bare_traceback_is_other() -> None:
    log = """\
Traceback (most recent call last):
  File "/w/setup.py", line 3, in <module>
    from foo import bar
ImportError: cannot import name 'bar' from 'foo'
"""
    result = extract(log)
    assert result.ecosystem == "python"
    assert result.category is Category.OTHER
    assert result.failures == ()
    assert result.error_lines[0].line.text.startswith("ImportError")


def test_exception_names_without_traceback_are_ignored() -> None:
    log = "java.lang.IllegalArgumentException: not a python log\nBUILD FAILED\n"
    assert rescue_extract_failures(excerpt(log)) is None


def test_unrelated_logs_give_none() -> None:
    log = (
        "npm ERR! code ELIFECYCLE\nnpm ERR! errno 1\n##[error]Process completed with exit code 1.\n"
    )
    assert rescue_extract_failures(excerpt(log)) is None
    assert rescue_extract_failures(LogExcerpt()) is None


@pytest.mark.parametrize(
    ("name", "tests", "top_line"),
    [
        ("bugswarm_2446151667_pytest.log", ["tests/bench.py::test_text_extraction"], 888),
        (
            "bugswarm_2163834915_pytest.log",
            [
                "tests/test_core.py::test_sys_entities_normalized_token_span"
                "[ok 2:30pm now-valid_spans10-sys_time]"
            ],
            1263,
        ),
        ("pytorch_test_file_failed_wrapper.log", ["test_cuda"], 13),
    ],
)
def test_real_logs(name: str, tests: list[str], top_line: int) -> None:
    with open_source(FIXTURE_LOGS / name) as chunks:
        result = rescue_extract_failures(scan(iter_lines(chunks), Redactor()))
    assert result is not None
    assert result.category is Category.TEST_FAILURE
    assert [f.test_id for f in result.failures] == tests
    best = max(result.error_lines, key=lambda s: (s.score, -s.line.number))
    assert best.line.number == top_line


def test_registered_through_the_plugin_manager() -> None:
    hooks = Hooks(make_plugin_manager(entry_points=False, extra=[pytest_extractor, infra]))
    results = hooks.extract_failures(excerpt=excerpt(PYTEST_LOG))
    assert any(r.ecosystem == "pytest" for r in results)


def test_a_failure_only_a_wrapper_reported_is_weaker_evidence() -> None:
    wrapped = extract("test_cuda 1/1 failed!\n")
    reported = extract("FAILED tests/test_cuda.py::test_alloc - RuntimeError: boom\n")
    assert [f.test_id for f in wrapped.failures] == ["test_cuda"]
    assert wrapped.category is Category.TEST_FAILURE
    assert wrapped.confidence < reported.confidence
