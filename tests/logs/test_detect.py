"""Candidate and state lines found in raw blocks; the text→bytes pattern translation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.logs.bytes_regex import to_bytes_pattern
from ci_rescue_core.logs.detect import candidate_lines, gh_cli_rows, state_lines
from ci_rescue_core.logs.keywords import LINE_START_PATTERN, SUBSTRINGS, WORDS
from ci_rescue_core.logs.scan import is_candidate

TS = b"2025-04-07T12:57:33.2943173Z "


def candidates(block: bytes, max_line_bytes: int = 1000) -> list[int]:
    return [index for index, _ in candidate_lines(block.lower(), max_line_bytes)]


def test_every_keyword_makes_a_candidate_in_any_case() -> None:
    for word in SUBSTRINGS:
        for form in (word, word.upper(), word.title()):
            assert candidates(f"prefix {form} suffix\n".encode()) == [0], form
    for word in WORDS:
        assert candidates(f"status {word.upper()} seen\n".encode()) == [0], word


def test_words_need_word_boundaries() -> None:
    assert candidates(b"took 4011 ms\nroom to spare\nHTTP 404\n") == [2]
    assert candidates(b"404\n") == [0]  # at the very start and end of the block


def test_line_starts_after_timestamp_and_colours() -> None:
    block = (
        TS + b"E       AssertionError\n"
        b"\x1b[1m\x1b[31mE   KeyError\x1b[0m\n"
        b"    \x1b[31m\xe2\x9c\x97\x1b[0m should work\n"
        b"Every line is fine\n"
        b"  \xe2\x97\x8f Suite \xe2\x80\xba test\n"
        # Mocha, as Travis recorded it: a colour code inside the indentation.
        b"  \x1b[32m  \xe2\x9c\x95\x1b[0m\x1b[90m editor, view column\x1b[0m\n"
    )
    assert candidates(block) == [0, 1, 2, 4, 5]


def test_offsets_point_at_line_starts() -> None:
    block = b"one\ntwo error\nthree\nE four\n"
    found = candidate_lines(block.lower(), 1000)
    assert found == [(1, 4), (3, 20)]
    assert all(offset == 0 or block[offset - 1] == 0x0A for _, offset in found)


def test_redrawn_text_does_not_count() -> None:
    # Only the text after the last \r is on screen (git's progress counters pass 403...).
    block = b"Receiving 403/479\rReceiving 100%, done.\nok\rerror\nerror\r\r\n"
    assert candidates(block) == [1, 2]


def test_only_the_first_max_line_bytes_count() -> None:
    block = b"x" * 50 + b" error\n" + b"error " + b"y" * 50 + b"\n"
    assert candidates(block, max_line_bytes=40) == [1]
    assert candidates(block, max_line_bytes=100) == [0, 1]


@pytest.mark.parametrize(
    "line",
    [
        "FAILED tests/test_x.py::test_y - assert 1 == 2",
        "\x1b[31mpanic\x1b[0m: runtime error",
        "2025-04-07T12:57:33.2943173Z ##[error]boom",
    ],
)
def test_is_candidate_reads_raw_lines_too(line: str) -> None:
    assert is_candidate(line)


@pytest.mark.parametrize(
    "line",
    [
        'Get "https://proxy.golang.org/x/@v/list": x509: certificate signed by unknown authority',
        "dial tcp: lookup proxy.golang.org on 127.0.0.53:53: server misbehaving",
        "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to pypi.org:443",
        "curl: (60) SSL certificate problem: self signed certificate in certificate chain",
        "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
    ],
)
def test_tls_and_resolver_failures_are_candidates(line: str) -> None:
    assert is_candidate(line)


@given(st.text(max_size=60))
def test_is_candidate_agrees_with_the_text_keywords_on_plain_ascii(text: str) -> None:
    # On printable ASCII without line breaks, the byte scan and the text vocabulary agree.
    text = "".join(c for c in text if " " <= c <= "~")
    keyword = re.compile(
        "|".join(re.escape(word) for word in SUBSTRINGS) + r"|\b(?:" + "|".join(WORDS) + r")\b"
    )
    expected = bool(keyword.search(text.lower())) or bool(re.match(LINE_START_PATTERN, text))
    # The byte scan is case-insensitive for line starts too (a superset: "e " starts a line).
    lowered_start = bool(re.match(LINE_START_PATTERN, text[:1].upper() + text[1:]))
    assert is_candidate(text) in {expected, expected or lowered_start}
    if expected:
        assert is_candidate(text)


def test_state_lines_find_markers_and_armour() -> None:
    block = (
        b"plain\n"
        + TS
        + b"##[group]Run pytest\n"
        + TS
        + b"##[error]boom\n"
        + b"section_start:1:build\r\x1b[0K\n"
        + b"travis_fold:end:install\r\n"
        + b"-----BEGIN RSA PRIVATE KEY-----\n"
        + b"ERROR: Job failed: exit code 1\n"
    )
    assert [index for index, _ in state_lines(block, failure_seen=False)] == [1, 2, 3, 4, 5, 6]
    # After the failure is seen, error reports no longer change anything.
    assert [index for index, _ in state_lines(block, failure_seen=True)] == [1, 3, 4, 5]


def test_gh_cli_rows_name_their_step() -> None:
    block = (
        b"build\tSet up job\t2021-12-01T13:00:40.1077661Z Current runner\n"
        b"not a row\n"
        b"build\tRun tests\t2021-12-01T13:01:04.3807878Z FAIL x\n"
        b"a\tb\tc\t2021-12-01T13:01:04.3807878Z three columns\n"
    )
    second = block.index(b"build\tRun tests")
    assert gh_cli_rows(block) == [(0, 0, b"Set up job"), (2, second, b"Run tests")]


# The pattern translation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        (r"E\s|rootdir: ", ["e  x", "rootdir: /w"], ["ex", "root"]),
        (r"\s*[\u2715\u00d7]\s", ["  \u2715 t", "\u00d7 t"], ["x t"]),
        (r"[^a]b", ["xb"], ["ab", "\nb"]),
        (r"a.c", ["abc"], ["a\nc"]),
        (r"(?:ab)+?c|d{2,3}", ["ababc", "ddd"], ["ac", "d"]),
        (r"\d\w", ["1a"], ["a1"]),
    ],
)
def test_translated_patterns_match_the_same_lines(
    pattern: str, matches: list[str], misses: list[str]
) -> None:
    compiled = re.compile(to_bytes_pattern(pattern))
    for text in matches:
        assert compiled.match(text.lower().encode()), text
    for text in misses:
        assert not compiled.match(text.lower().encode()), text


def test_colours_may_sit_between_elements() -> None:
    colours = rb"(?:\x1b\[[0-9;]*m)*"
    compiled = re.compile(to_bytes_pattern(r"\s*\u2717\s", between=colours))
    assert compiled.match("  \x1b[31m\u2717\x1b[0m x".encode())


@pytest.mark.parametrize(
    "pattern", [r"(?=x)a", r"\bword", r"(?i:x)", r"[^\u2715]", r"[\u2000-\u2010]", "a\nb"]
)
def test_unsupported_constructs_fail_loudly(pattern: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        to_bytes_pattern(pattern)


def test_the_vocabulary_translates() -> None:
    assert re.compile(to_bytes_pattern(LINE_START_PATTERN))
