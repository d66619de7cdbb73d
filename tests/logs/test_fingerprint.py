"""Normalisation and the failure hash: same failure ⇒ same hash, different failure ⇒ not."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest
from hypothesis import given, settings
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
        ("[30de:eea0:c327:e4de:a428:a7e0:65:15b5]:4253", "[<ip>]:<port>"),  # not a clock
        ("listening on [::]:8080 and ::ffff:10.0.0.1", "listening on [<ip>]:<port> and <ip>"),
        ("pdf = <PdfReader object at 0x7f40f2a81240>", "pdf = <PdfReader object at <addr>>"),
        ("Using --randomly-seed=3407823", "Using --randomly-seed=<seed>"),
        (
            'File "/x/test_cuda.py", line 5475, in TestCuda',
            'File "/x/test_cuda.py", line <n>, in TestCuda',
        ),
        ("tests/test_net.py:88: in test_fetch", "tests/test_net.py:<n>: in test_fetch"),
        ("\tat com.acme.Foo.bar(Foo.java:12)", "at com.acme.Foo.bar(Foo.java:<n>)"),
        ("at app.MainKt.main(Main.kt:3)", "at app.MainKt.main(Main.kt:<n>)"),
        ("\t/app/main.go:10 +0x1d", "/app/main.go:<n> +<addr>"),
        (
            "at Object.<anonymous> (/app/src/sum.test.js:12:5)",
            "at Object.<anonymous> (/app/src/sum.test.js:<n>)",
        ),
        ("/app/lib/foo.rb:12:in `bar'", "/app/lib/foo.rb:<n>:in `bar'"),
        ("#0 /app/src/Foo.php(12): Foo->bar()", "#0 /app/src/Foo.php(<n>): Foo->bar()"),
        ("at Acme.Foo.Bar() in /app/Foo.cs:line 12", "at Acme.Foo.Bar() in /app/Foo.cs:line <n>"),
        ("    at ./src/main.rs:12:5", "at ./src/main.rs:<n>"),
        ("#1 0x4005d4 in parse /src/parse.c:87:3", "#1 <addr> in parse /src/parse.c:<n>"),
        ("  many    spaces\there ", "many spaces here"),
        # Durations where a duration was measured.
        ("Ran 3 tests in 0.001s", "Ran 3 tests in <dur>"),
        ("BUILD FAILED in 1m 2s", "BUILD FAILED in <dur>"),
        ("took 12ms", "took <dur>"),
        (
            "Tests run: 1, Time elapsed: 0.1 s <<< FAILURE!",
            "Tests run: 1, Time elapsed: <dur> <<< FAILURE!",
        ),
        ("\u2713 adds (5 ms)", "\u2713 adds (<dur>)"),
        ("test_x PASSED [ 12.3s ]", "test_x PASSED [ <dur> ]"),
        ("FAIL\tgithub.com/acme/app\t0.012s", "FAIL github.com/acme/app <dur>"),
        ("12.5s elapsed", "<dur> elapsed"),
    ],
)
def test_normalise_examples(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A compiler's or test runner's own place: another line is another failure.
        "src/main.c:10:5: error: 'foo' undeclared (first use in this function)",
        "tests/test_core.py:430: AssertionError",
        "foo_test.go:12: expected 1, got 2",
        "Error on line 12 of config.yml",
        # Numbers with a unit that are not timings.
        "assert 3m == 4m",
        "expected 5s timeout but waited 10s",
        "Got 12 h",
        "Timeout of 2000ms exceeded.",
    ],
)
def test_normalise_keeps_places_and_values(text: str) -> None:
    assert normalise(text) == text


def test_compile_errors_at_different_places_hash_differently() -> None:
    first = "src/main.c:10:5: error: 'foo' undeclared (first use in this function)"
    second = "src/main.c:99:5: error: 'foo' undeclared (first use in this function)"
    assert fingerprint_hash(Category.COMPILE_ERROR, [], first) != fingerprint_hash(
        Category.COMPILE_ERROR, [], second
    )
    assert fingerprint_hash(Category.TEST_FAILURE, [], "assert 3m == 4m") != fingerprint_hash(
        Category.TEST_FAILURE, [], "assert 4m == 4m"
    )


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
                "x.py:3: in f",
                'File "x.py", line 3, in f',
                "at A.f(A.java:3)",
                "x.go:3 +0x1f",
                "at f (x.js:3:4)",
                "(0.5 seconds)",
                "[ 1.5s ]",
                "took 1m 2s",
                "\t0.01s",
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

#: Every kind of noise that changes between runs of the same failure.
TIMESTAMPS = st.datetimes(min_value=datetime(1970, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
)
TMP_DIRS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=6, max_size=10).map(
    lambda s: f"/tmp/tmp{s}"
)
DURATIONS = st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda f: f"{f:.2f}s")
ADDRESSES = st.integers(min_value=0x1000, max_value=2**48).map(hex)
HEX_IDS = (
    st.integers(min_value=0, max_value=2**160 - 1)
    .map(lambda n: f"{n:040x}")
    .filter(lambda h: any(c.isdigit() for c in h) and any(c.isalpha() for c in h))
)
UUIDS = st.uuids().map(str)
PIDS = st.integers(min_value=1, max_value=4_194_304)
PORTS = st.integers(min_value=1, max_value=65_535)
IPV4 = st.ip_addresses(v=4).map(str)
IPV6 = st.ip_addresses(v=6).flatmap(lambda a: st.sampled_from([str(a), a.exploded]))
SEEDS = st.integers(min_value=0, max_value=2**32)
FRAME_LINES = st.integers(min_value=1, max_value=99_999)


@attrs.frozen
class Noise:
    """What differs between two runs of one failure."""

    timestamp: str
    tmp: str
    duration: str
    address: str
    hex_id: str
    uuid: str
    pid: int
    port: int
    ipv4: str
    ipv6: str
    seed: int
    frame_line: int


NOISE = st.builds(
    Noise,
    timestamp=TIMESTAMPS,
    tmp=TMP_DIRS,
    duration=DURATIONS,
    address=ADDRESSES,
    hex_id=HEX_IDS,
    uuid=UUIDS,
    pid=PIDS,
    port=PORTS,
    ipv4=IPV4,
    ipv6=IPV6,
    seed=SEEDS,
    frame_line=FRAME_LINES,
)

TESTS = ["tests/test_io.py::test_roundtrip", "tests/test_io.py::test_load[1-2]"]


def failure_message(noise: Noise, error: str = "differs") -> str:
    """One failure's top error text, as two runs print it with their own noise."""
    return (
        f"{noise.timestamp} E   AssertionError: result {noise.address} from {noise.tmp}/data.json "
        f"{error} after {noise.duration} (image {noise.hex_id}, request {noise.uuid}, "
        f"worker pid {noise.pid}, server {noise.ipv4}:{noise.port} / [{noise.ipv6}]:{noise.port}, "
        f"--randomly-seed={noise.seed})\n"
        f'  File "/app/tests/test_io.py", line {noise.frame_line}, in test_roundtrip\n'
        f"\tat com.acme.IoTest.roundtrip(IoTest.java:{noise.frame_line})"
    )


@settings(max_examples=500)  # twelve kinds of noise: look wider than the default
@given(a=NOISE, b=NOISE)
def test_same_failure_with_different_noise_hashes_the_same(a: Noise, b: Noise) -> None:
    first = fingerprint_hash(Category.TEST_FAILURE, TESTS, failure_message(a))
    second = fingerprint_hash(Category.TEST_FAILURE, list(reversed(TESTS)), failure_message(b))
    assert first == second


@given(noise=NOISE, other=NOISE, test=st.sampled_from(["test_y", "test_roundtrip2", "test_x[1]"]))
def test_a_different_test_hashes_differently(noise: Noise, other: Noise, test: str) -> None:
    base = fingerprint_hash(Category.TEST_FAILURE, TESTS, failure_message(noise))
    changed = [TESTS[0], f"tests/test_io.py::{test}"]
    assert fingerprint_hash(Category.TEST_FAILURE, changed, failure_message(other)) != base
    assert fingerprint_hash(Category.TEST_FAILURE, TESTS[:1], failure_message(other)) != base


@given(
    noise=NOISE,
    other=NOISE,
    error=st.sampled_from(["matches", "differs by 1", "is missing", "differs at line 3"]),
)
def test_a_different_error_hashes_differently(noise: Noise, other: Noise, error: str) -> None:
    base = fingerprint_hash(Category.TEST_FAILURE, TESTS, failure_message(noise))
    assert fingerprint_hash(Category.TEST_FAILURE, TESTS, failure_message(other, error)) != base
    assert fingerprint_hash(Category.TIMEOUT, TESTS, failure_message(other)) != base


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
