"""Steps of CircleCI, Travis CI and GitLab logs: which step a line belongs to, which failed.

CircleCI logs are read as our adapter writes them (``==> <step>`` before each step's output),
end to end from the CircleCI simulator through the adapter's ``open_log``; Travis commands run
outside a fold are steps named by the command.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.logs.clean import LogCleaner
from ci_rescue_core.logs.detect import starts_with_step_header, state_lines
from ci_rescue_core.logs.excerpt import LogExcerpt
from ci_rescue_core.logs.rank import failure_window
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import scan_chunks
from ci_rescue_core.models import Category
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_providers.circleci import CircleCIProvider
from ci_rescue_providers.simulators.circleci import CircleCISimulator, SimJob
from ci_rescue_providers.simulators.gitlab.logs import format_gitlab_log
from tests.providers.test_circleci_helpers import CIRCLE_TOKEN, build_circleci

SLUG = "gh/acme/app"

PYTEST_FAILURE = (
    "#!/bin/bash -eo pipefail\n"
    "pytest -q\n"
    "FAILED tests/test_cart.py::test_total - AssertionError: assert 3402 == 3780\n"
    "E       assert 3402 == 3780\n"
    "1 failed, 41 passed in 3.21s\n"
)


@pytest.fixture(scope="module")
def hooks() -> Hooks:
    """Every installed extractor, as ``ci-rescue analyze`` loads them."""
    return Hooks(make_plugin_manager())


def excerpt_of(log: str) -> LogExcerpt:
    return scan_chunks([log.encode()], Redactor())


# CircleCI ----------------------------------------------------------------------------------


def circleci_log(*steps: tuple[str, str]) -> str:
    """A log shaped exactly like the adapter's: a ``==> name`` line before each step."""
    return "".join(f"==> {name}\n{output}" for name, output in steps)


def test_circleci_headers_start_steps_and_the_exit_line_names_the_failed_one() -> None:
    cleaner = LogCleaner()
    lines = [
        "==> Spin up environment",
        "Build-agent version 1.0.0",
        "==> Run tests (node 1)",
        "pytest -q",
        "Exited with code exit status 2",
    ]
    out = [cleaner.feed(line) for line in lines]
    assert cleaner.step_headers
    assert [line.step for line in out] == [
        "Spin up environment",
        "Spin up environment",
        "Run tests (node 1)",
        "Run tests (node 1)",
        "Run tests (node 1)",
    ]
    assert out[-1].is_error and not out[-2].is_error
    assert cleaner.steps == ("Spin up environment", "Run tests (node 1)")
    assert cleaner.failed_step == "Run tests (node 1)"


def test_a_circleci_timeout_reports_the_failed_step() -> None:
    log = circleci_log(
        ("Checkout code", "Cloning git repository\n"),
        ("Run tests", "make\nbuilding\n\nToo long with no output (exceeded 10m0s): context\n"),
    )
    excerpt = excerpt_of(log)
    assert excerpt.failed_step == "Run tests"


def test_homebrew_arrows_elsewhere_are_not_steps() -> None:
    # ``==>`` is Homebrew's progress mark: only a log that starts with a header is CircleCI's.
    log = (
        "2025-04-07T12:57:33.2943173Z ##[group]Run brew install jq\n"
        "2025-04-07T12:57:34.0000000Z ==> Downloading https://ghcr.io/v2/homebrew/core/jq\n"
        "2025-04-07T12:57:35.0000000Z ==> Pouring jq--1.7.1.arm64_sonoma.bottle.tar.gz\n"
        "2025-04-07T12:57:36.0000000Z Error: jq 1.7.1 is already installed\n"
        "2025-04-07T12:57:37.0000000Z ##[error]Process completed with exit code 1.\n"
    )
    excerpt = excerpt_of(log)
    assert excerpt.steps == ("brew install jq",)
    assert excerpt.failed_step == "brew install jq"
    assert {line.step for line in excerpt.lines} == {"brew install jq"}


def test_the_failure_window_applies_to_circleci_logs(hooks: Hooks) -> None:
    # A network hiccup in a step that recovered must not outweigh the failing step's tests.
    log = circleci_log(
        (
            "Install dependencies",
            "pip install -r requirements.txt\n"
            "Could not resolve host: files.pythonhosted.org (retrying)\n"
            "Successfully installed requests-2.32.3\n",
        ),
        ("Run tests", PYTEST_FAILURE + "\nExited with code exit status 1\n"),
    )
    analysis = analyze_log([log.encode()], hooks=hooks)
    fingerprint = analysis.fingerprint
    assert fingerprint.category is Category.TEST_FAILURE
    assert fingerprint.failing_tests == ("tests/test_cart.py::test_total",)
    assert fingerprint.error_lines[0].step == "Run tests"
    assert fingerprint.error_lines[0].text == "E       assert 3402 == 3780"


@pytest.fixture
def circleci() -> Iterator[tuple[CircleCISimulator, CircleCIProvider]]:
    with CircleCISimulator(token=CIRCLE_TOKEN) as simulator:
        simulator.add_project(SLUG)
        provider = build_circleci(simulator, github=None)
        try:
            yield simulator, provider
        finally:
            provider.close()
        assert simulator.errors == []


def fetch_log(sim: CircleCISimulator, provider: CircleCIProvider, job: SimJob) -> bytes:
    """The log of *job*'s first execution, read through the adapter's ``open_log``."""
    workflow = sim.add_workflow(SLUG, [job])
    [ref] = provider.list_jobs(provider.get_run(SLUG, workflow))
    with provider.open_log(ref) as chunks:
        return b"".join(chunks)


def test_circleci_simulator_log_end_to_end(
    circleci: tuple[CircleCISimulator, CircleCIProvider], hooks: Hooks
) -> None:
    sim, provider = circleci
    log = fetch_log(sim, provider, SimJob("unit", ["failed"], log=PYTEST_FAILURE))
    assert log.startswith(b"==> Spin up environment\n")
    excerpt = scan_chunks([log], Redactor())
    assert excerpt.steps == (
        "Spin up environment",
        "Preparing environment variables",
        "Checkout code",
        "Run tests",
    )
    assert excerpt.failed_step == "Run tests"
    fingerprint = analyze_log([log], hooks=hooks).fingerprint
    assert fingerprint.category is Category.TEST_FAILURE
    assert fingerprint.failing_tests == ("tests/test_cart.py::test_total",)
    top = fingerprint.error_lines[0]
    assert (top.text, top.step) == ("E       assert 3402 == 3780", "Run tests")
    assert log.split(b"\n")[top.line - 1].rstrip(b"\r") == top.text.encode()


def test_circleci_parallel_nodes_are_steps_of_their_own(
    circleci: tuple[CircleCISimulator, CircleCIProvider],
) -> None:
    sim, provider = circleci
    job = SimJob(
        "unit",
        ["failed"],
        parallelism=3,
        failing_nodes=[1],
        log=lambda execution, node: PYTEST_FAILURE if node == 1 else "42 passed in 1.0s\n",
    )
    excerpt = scan_chunks([fetch_log(sim, provider, job)], Redactor())
    assert "Run tests (node 1)" in excerpt.steps
    assert excerpt.failed_step == "Run tests (node 1)"
    failing = [line for line in excerpt.lines if line.text.startswith("FAILED ")]
    assert [line.step for line in failing] == ["Run tests (node 1)"]


def test_a_timed_out_circleci_job(
    circleci: tuple[CircleCISimulator, CircleCIProvider], hooks: Hooks
) -> None:
    sim, provider = circleci
    log = fetch_log(sim, provider, SimJob("slow", ["timedout"], log="make\nbuilding\n"))
    analysis = analyze_log([log], hooks=hooks)
    assert analysis.fingerprint.category is Category.TIMEOUT
    assert analysis.fingerprint.error_lines[0].step == "Run tests"


def test_step_header_detection_at_block_level() -> None:
    block = b"==> Checkout code\nok\n==> Run tests\r\nE boom\nnot ==> a header\n"
    assert starts_with_step_header(block)
    assert starts_with_step_header(b"\xef\xbb\xbf==> Spin up environment\n")
    assert not starts_with_step_header(b"Run tests\n==> Run tests\n")
    found = state_lines(block, failure_seen=False, step_headers=True)
    assert [index for index, _ in found] == [0, 2]
    assert state_lines(block, failure_seen=False) == []


# Travis CI ---------------------------------------------------------------------------------

TIMER_END = "travis_time:end:{id}:start=1,finish=2,duration=1\r\x1b[0K"


def travis_command(timer: str, command: str, output: str, code: int) -> str:
    colour = "\x1b[32;1m" if code == 0 else "\x1b[31;1m"
    return (
        f"travis_time:start:{timer}\r\x1b[0K$ {command}\n"
        + output
        + TIMER_END.format(id=timer)
        + f'{colour}The command "{command}" exited with {code}.\x1b[0m\n'
    )


def test_travis_commands_outside_folds_are_steps() -> None:
    cleaner = LogCleaner()
    lines = [
        "travis_fold:start:install\r\x1b[0K$ pip install -r requirements.txt",
        "Successfully installed requests",
        "travis_fold:end:install\r\x1b[0K",
        "travis_time:start:1a2b\r\x1b[0K$ flake8",
        "./app.py:1:1: F401 'os' imported but unused",
        TIMER_END.format(id="1a2b") + 'The command "flake8" exited with 1.',
        "Setting up the next command",
        "\x1b[0Ktravis_time:start:3c4d",  # the command on the next line (older logs)
        "\x1b[0K$ pytest",
        "1 failed, 2 passed in 0.12s",
        TIMER_END.format(id="3c4d") + 'The command "pytest" exited with 1.',
    ]
    out = [cleaner.feed(line) for line in lines]
    assert [line.step for line in out] == [
        "install",
        "install",
        None,
        "flake8",
        "flake8",
        "flake8",  # the exit report is the command's last line...
        None,  # ...and ends its step
        None,
        "pytest",
        "pytest",
        "pytest",
    ]
    assert out[5].is_error and not out[4].is_error
    assert cleaner.steps == ("install", "flake8", "pytest")
    assert cleaner.failed_step == "flake8"  # the first command that failed


def test_travis_retries_and_successes_are_not_failures() -> None:
    cleaner = LogCleaner()
    cleaner.feed("travis_fold:start:worker_info\r\x1b[0KWorker information")
    cleaner.feed("travis_fold:end:worker_info\r\x1b[0K")
    cleaner.feed("travis_time:start:1\r\x1b[0K$ npm ci")
    assert not cleaner.feed('The command "npm ci" failed. Retrying, 2 of 3.').is_error
    assert not cleaner.feed(TIMER_END.format(id=1) + 'The command "npm ci" exited with 0.').is_error
    assert cleaner.failed_step is None
    # A failing command whose start was not seen: failed, but in no step we know.
    assert cleaner.feed('The command "npm test" exited with 1.').is_error
    assert cleaner.failed_step is None


def test_the_travis_window_is_the_failing_command_output(hooks: Hooks) -> None:
    log = (
        "travis_fold:start:install\r\x1b[0K$ pip install -e .\n"
        "Successfully installed app\n"
        "travis_fold:end:install\r\x1b[0K\n"
        + travis_command("aa11", "make lint", "lint ok\n", 0)
        # Travis' own housekeeping between two commands: not the failing command's output.
        + "Could not resolve host: cache.travis-ci.org (cache not restored)\n"
        + travis_command(
            "bb22",
            "pytest",
            "FAILED tests/test_cart.py::test_total - AssertionError: assert 3402 == 3780\n"
            "E       assert 3402 == 3780\n",
            1,
        )
    )
    excerpt = excerpt_of(log)
    assert excerpt.failed_step == "pytest"
    window = failure_window(excerpt)
    assert window is not None
    inside = [line.text for line in excerpt.lines if window.contains(line)]
    assert "E       assert 3402 == 3780" in inside
    assert not any("resolve host" in text for text in inside)
    fingerprint = analyze_log([log.encode()], hooks=hooks).fingerprint
    assert fingerprint.category is Category.TEST_FAILURE
    assert fingerprint.error_lines[0].step == "pytest"


def test_a_timer_at_the_end_of_a_block_names_the_command_in_the_next() -> None:
    log = "x\n" * 5 + "\x1b[0Ktravis_time:start:ab12\n" + "\x1b[0K$ make test\n" + "E boom\n"
    data = log.encode()
    cut = data.index(b"\x1b[0K$ make")
    for chunks in ([data], [data[:cut], data[cut:]]):
        excerpt = scan_chunks(chunks, Redactor(), context=0, tail=0)
        assert excerpt.steps == ("make test",)
        assert [line.step for line in excerpt.lines] == ["make test"]


def test_travis_timers_and_their_next_line_are_state_lines() -> None:
    block = (
        b"out\n"
        b"travis_time:start:1\r\x1b[0K$ make\n"
        b"\x1b[0Ktravis_time:start:2\n"
        b"\x1b[0K$ pytest\n"
        b"travis_time:end:2:start=1,finish=2,duration=1\r\x1b[0K\n"
        b'The command "pytest" exited with 1.\n'
        b"last\n"
    )
    found = [index for index, _ in state_lines(block, failure_seen=False)]
    assert found == [1, 2, 3, 5]  # a timer's end says nothing; the exit report does
    assert [index for index, _ in state_lines(block, failure_seen=True)] == [1, 2, 3]
    assert [i for i, _ in state_lines(block, failure_seen=True, first_line=True)] == [0, 1, 2, 3]


# GitLab ------------------------------------------------------------------------------------


def test_gitlab_housekeeping_after_the_failure_is_not_an_error_line(hooks: Hooks) -> None:
    body = [
        "$ pytest -q",
        "FAILED tests/test_cart.py::test_total - AssertionError: assert 3402 == 3780",
        "E       assert 3402 == 3780",
        "1 failed, 41 passed in 3.21s",
    ]
    log = format_gitlab_log(body, exit_code=1)
    assert "Uploading artifacts for failed job" in log
    fingerprint = analyze_log([log.encode()], hooks=hooks).fingerprint
    assert fingerprint.category is Category.TEST_FAILURE
    texts = [error.text for error in fingerprint.error_lines]
    assert not any(text.startswith("Uploading artifacts") for text in texts), texts
    assert texts[0] == "E       assert 3402 == 3780"
