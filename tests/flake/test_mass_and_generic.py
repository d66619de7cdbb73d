"""Mass failures (the machinery's) and generic error lines are never evidence of flakiness."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.flake.fingerprint import message_fingerprint
from ci_rescue_core.flake.generic import is_generic
from ci_rescue_core.flake.mass import MassRule, mass_failed_runs
from tests.flake.histories import obs

RULE = MassRule(fraction=0.5, min_tests=10)


def run(run_id: str, failing: set[int], *, tests: int = 40, hour: float = 0.0, attempt: int = 1):  # type: ignore[no-untyped-def]
    return [
        obs(
            f"sha-{run_id}",
            i in failing,
            run=run_id,
            attempt=attempt,
            hour=hour,
            test=f"t{i:02d}",
            fingerprint="fp",
        )
        for i in range(tests)
    ]


def test_an_outage_that_recovers_is_a_mass_failure() -> None:
    history = run("1", set(), hour=0) + run("2", set(range(35)), hour=1) + run("3", {1}, hour=2)
    assert mass_failed_runs(history, RULE) == {("2", 1, "test (3.11)")}


def test_the_same_tests_failing_every_run_is_a_breakage_not_an_outage() -> None:
    broken = set(range(30))
    history = [
        o for h in range(5) for o in run(str(h), broken | ({35} if h == 2 else set()), hour=h)
    ]
    excluded = mass_failed_runs(history, RULE)
    assert ("2", 1, "test (3.11)") not in excluded  # its one new failure counts
    assert len(excluded) <= 1  # at most the very first run, which has no neighbour before it


def test_two_outages_in_a_row_are_both_mass_failures() -> None:
    history = (
        run("1", set(), hour=0)
        + run("2", set(range(36)), hour=1)
        + run("3", set(range(1, 37)), hour=2)
        + run("4", set(), hour=3)
    )
    assert mass_failed_runs(history, RULE) == {("2", 1, "test (3.11)"), ("3", 1, "test (3.11)")}


def test_a_few_failures_are_never_a_mass_failure() -> None:
    history = run("1", set(), tests=12, hour=0) + run("2", set(range(9)), tests=12, hour=1)
    assert mass_failed_runs(history, RULE) == set()


def test_known_suite_sizes_count_tests_a_log_does_not_name() -> None:
    failing_only = [o for o in run("2", set(range(12)), hour=1) if o.failed]
    assert mass_failed_runs(failing_only, RULE)  # 12 of 12 observed
    assert not mass_failed_runs(failing_only, RULE, {("2", 1, "test (3.11)"): 200})


@pytest.mark.parametrize(
    "line",
    [
        "##[error]Process completed with exit code 1.",
        "The operation was canceled.",
        "Error: The operation was canceled.",
        "ERROR: Job failed: exit code 1",
        "make: *** [Makefile:12: test] Error 2",
        "npm ERR! code ELIFECYCLE",
        "=== 2 failed, 10 passed in 3.21s ===",
        "",
        # the wrappers of other CI systems and tools (the log ranking's list)
        "Exited with code exit status 1",  # CircleCI
        "error Command failed with exit code 1.",  # yarn
        'The command "pytest" exited with 1.',  # Travis CI
        "Done. Your build exited with 1.",  # Travis CI
        "npm ERR! errno 1",
        " ELIFECYCLE  Command failed with exit code 1.",  # pnpm
        "npm error code ELIFECYCLE",  # npm 10
        "FAILED (failures=1)",  # unittest
        "FAILED (failures=2, errors=1, skipped=3)",
        "Build step 'Execute shell' marked build as failure",  # Jenkins
        "Finished: FAILURE",  # Jenkins
        "ERROR: Job failed: exit code 1",  # GitLab
        "make: *** [target] Error 2",
        "make[1]: *** [Makefile:30: check] Error 1",
        "FAILURE: Build failed with an exception.",  # Gradle
        "[INFO] BUILD FAILURE",  # Maven
        "Error: Command failed with exit code 1: jest",
    ],
)
def test_generic_lines(line: str) -> None:
    assert is_generic(line)
    assert message_fingerprint(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "E       assert 3402 == 3780",
        "fatal: unable to access 'https://github.com/acme/app/': Could not resolve host",
        "TimeoutError: no webhook within 2.0s",
        "##[error]The job running on runner X has exceeded the maximum execution time.",
        "FAILED tests/test_a.py::test_x - assert 1 == 2",
        "subprocess.CalledProcessError: Command 'ls' returned non-zero exit status 1.",
        "AssertionError: expected exit code 1, got 0",
    ],
)
def test_specific_lines(line: str) -> None:
    assert not is_generic(line)
    assert message_fingerprint(line) is not None


@given(st.integers(1, 10**6), st.integers(1, 65535))
def test_a_message_fingerprints_the_same_whatever_the_run_specific_numbers(
    port: int, ms: int
) -> None:
    one = message_fingerprint(f"ConnectionError: 127.0.0.1:{port} refused after {ms}ms")
    two = message_fingerprint("ConnectionError: 127.0.0.1:8080 refused after 3ms")
    assert one == two is not None
