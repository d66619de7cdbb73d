"""Normalisation and the failure hash: same failure ⇒ same hash, different failure ⇒ not."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.logs.fingerprint import fingerprint_hash, normalise
from ci_rescue_core.models import Category


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 2025-04-07T12:57:33.2943173Z done", "at <ts> done"),
        ("started 2022-06-06 06:53:00,123 by cron", "started <ts> by cron"),
        ("took (0:21:24) total", "took (<ts>) total"),
        ("1 failed, 2 passed in 19.26s", "1 failed, 2 passed in <dur>"),
        ("timed out after 310.0115718841553 seconds", "timed out after <dur>"),
        ("--- FAIL: TestX (0.53s)", "--- FAIL: TestX (<dur>)"),
        ("finished in 12ms", "finished in <dur>"),
        ("commit 93ea2e748b8811f184577a603438f1ca broke it", "commit <hex> broke it"),
        ("container 2d3796d4cc17 exited", "container <hex> exited"),
        ("run b284eda0-7c40-4833-8531-30acf4bff35d", "run <uuid>"),
        ("wrote /tmp/pytest-of-runner/pytest-12/test_io0/out.txt", "wrote <tmp>"),
        ("file /tmp/tmpk3j2_x9a/data.json missing", "file <tmp> missing"),
        ("cache /var/folders/x1/abc123/T/pip-xyz", "cache <tmp>"),
        (r"temp C:\Users\runner\AppData\Local\Temp\tmp123\a.txt", "temp <tmp>"),
        ("killed pid 80709 and PID=12", "killed pid <pid> and PID=<pid>"),
        ("listening on port 54321", "listening on port <port>"),
        ("connect to 127.0.0.1:35111 failed", "connect to <ip>:<port> failed"),
        ("connect localhost:8080 refused", "connect localhost:<port> refused"),
        ("resolved 142.250.68.80", "resolved <ip>"),
        ("resolved 2606:2800:11f:17a5:191a:18d5:537:22f9 and ::1", "resolved <ip> and <ip>"),
        ("pdf = <PdfReader object at 0x7f40f2a81240>", "pdf = <PdfReader object at <addr>>"),
        ("Using --randomly-seed=3407823", "Using --randomly-seed=<seed>"),
        (
            'File "/x/test_cuda.py", line 5475, in TestCuda',
            'File "/x/test_cuda.py", line <n>, in TestCuda',
        ),
        ("tests/test_core.py:430: AssertionError", "tests/test_core.py:<n>: AssertionError"),
        ("  many    spaces\there ", "many spaces here"),
    ],
)
def test_normalise_examples(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_normalise_keeps_what_identifies_the_failure() -> None:
    for text in (
        "E assert (1, 2) in {(1, 1), (2, 2)}",
        "KeyError: '/Fm17'",
        "tests/bench.py::test_text_extraction",
        "expected 5 but got 6",
        "Class::method and test_a::test_b",
    ):
        assert normalise(text) == text


@given(st.text(max_size=200))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


PIECES = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                "2025-04-07T12:57:33.2943173Z",
                "0.53s",
                "in 12ms",
                "/tmp/pytest-of-x/pytest-3/a0",
                "0xdeadbeef",
                "pid 42",
                "port 8080",
                "127.0.0.1:5000",
                "::1",
                "seed=7",
                "line 12",
                "deadbeef1",
                "b284eda0-7c40-4833-8531-30acf4bff35d",
                "x.py:3:",
                "12:00:01",
                "fe80::1ff:fe23:4567:890a",
                "1.2.3.4.5",
                "<ts>",
                "<n>",
            ]
        ),
    ),
    max_size=12,
).map(" ".join)


@given(PIECES)
def test_normalise_is_idempotent_on_log_like_text(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


# fingerprint_hash ---------------------------------------------------------------------------

TIMESTAMPS = st.datetimes(min_value=datetime(1970, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
)
TMP_DIRS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=6, max_size=10).map(
    lambda s: f"/tmp/tmp{s}"
)
DURATIONS = st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda f: f"{f:.2f}s")
ADDRESSES = st.integers(min_value=0x1000, max_value=2**48).map(hex)


def failure_message(timestamp: str, tmp: str, duration: str, address: str) -> str:
    return (
        f"{timestamp} E   AssertionError: result {address} from {tmp}/data.json "
        f"differs after {duration}"
    )


@given(
    a=st.tuples(TIMESTAMPS, TMP_DIRS, DURATIONS, ADDRESSES),
    b=st.tuples(TIMESTAMPS, TMP_DIRS, DURATIONS, ADDRESSES),
)
def test_same_failure_with_different_noise_hashes_the_same(
    a: tuple[str, str, str, str], b: tuple[str, str, str, str]
) -> None:
    tests = ["tests/test_io.py::test_roundtrip", "tests/test_io.py::test_load[1-2]"]
    first = fingerprint_hash(Category.TEST_FAILURE, tests, failure_message(*a))
    second = fingerprint_hash(Category.TEST_FAILURE, list(reversed(tests)), failure_message(*b))
    assert first == second


@given(noise=st.tuples(TIMESTAMPS, TMP_DIRS, DURATIONS, ADDRESSES))
def test_different_test_or_error_hashes_differently(noise: tuple[str, str, str, str]) -> None:
    message = failure_message(*noise)
    base = fingerprint_hash(Category.TEST_FAILURE, ["tests/test_a.py::test_x"], message)
    other_test = fingerprint_hash(Category.TEST_FAILURE, ["tests/test_a.py::test_y"], message)
    other_error = fingerprint_hash(
        Category.TEST_FAILURE, ["tests/test_a.py::test_x"], message.replace("differs", "matches")
    )
    other_category = fingerprint_hash(Category.TIMEOUT, ["tests/test_a.py::test_x"], message)
    assert len({base, other_test, other_error, other_category}) == 4


def test_hash_is_sha256_hex_and_accepts_plain_strings() -> None:
    digest = fingerprint_hash("test_failure", [], "boom")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == fingerprint_hash(Category.TEST_FAILURE, (), "boom")


def test_test_ids_are_not_normalised() -> None:
    one = fingerprint_hash(Category.TEST_FAILURE, ["t.py::test[0x1]"], "boom")
    two = fingerprint_hash(Category.TEST_FAILURE, ["t.py::test[0x2]"], "boom")
    assert one != two


# The gates that skip rules are only a speed-up -----------------------------------------------

NOISY = st.text(
    alphabet=st.sampled_from(
        [
            *"0123456789abcdefABCDEFxX:./-_ \t[]()<>'\"=#ZTsmhlinepodrt\\",
            "\u0663",
            "\u017f",
            "\u0130",
        ]
    ),
    max_size=60,
)


def ungated(text: str) -> str:
    """:func:`normalise` with every rule always applied (what the gates must not change)."""
    from ci_rescue_core.logs import fingerprint

    def once(value: str) -> str:
        for pattern, replacement, _gate in fingerprint._RULES:
            value = pattern.sub(replacement, value)
        return fingerprint._SPACES.sub(" ", value).strip()

    current = once(text)
    while (again := once(current)) != current:
        current = again
    return current


@given(NOISY)
def test_gates_never_change_the_result(text: str) -> None:
    assert normalise(text) == ungated(text)


@pytest.mark.parametrize(
    "text",
    [
        "listening on [::1]:8080 pid 4321 seed=77",
        "/tmp/pytest-of-runner/x.py:12: error at 2024-01-02T03:04:05Z after 1.5s",
        r"C:\Users\RUNNER~1\AppData\Local\Temp\tmpabc\x.txt",
        "0x7ffd5e8c deadbeef12 123e4567-e89b-12d3-a456-426614174000",
        "\u017feed 42 and PORT 80",  # a long s matches "s" case-insensitively
    ],
)
def test_gates_on_known_shapes(text: str) -> None:
    assert normalise(text) == ungated(text)
