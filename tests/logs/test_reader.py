"""The streaming reader: bytes of any chunking → numbered lines; files, gzip, stdin."""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_rescue_core.errors import LogReadError
from ci_rescue_core.logs.reader import (
    MAX_LINE_BYTES,
    decode_line,
    iter_blocks,
    iter_lines,
    open_source,
)

from .conftest import FIXTURE_LOGS


def lines_of(data: bytes, **kwargs: int) -> list[tuple[int, str]]:
    return list(iter_lines([data], **kwargs))


def split_at(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    start = 0
    for point in points:
        yield data[start:point]
        start = point
    yield data[start:]


def test_lines_are_numbered_from_one() -> None:
    assert lines_of(b"a\nb\n\nc\n") == [(1, "a"), (2, "b"), (3, ""), (4, "c")]


def test_last_line_without_newline_is_kept() -> None:
    assert lines_of(b"a\nb") == [(1, "a"), (2, "b")]


def test_empty_input_has_no_lines() -> None:
    assert lines_of(b"") == []
    assert list(iter_lines([b"", b""])) == []


def test_crlf_and_travis_double_cr_are_stripped() -> None:
    assert lines_of(b"one\r\ntwo\r\r\nthree\r") == [(1, "one"), (2, "two"), (3, "three")]


def test_lone_cr_does_not_start_a_line() -> None:
    # The text after the last \r is picked by the cleaner; the reader keeps the line whole.
    assert lines_of(b"10%\r50%\r100%\nnext\n") == [(1, "10%\r50%\r100%"), (2, "next")]


def test_nul_bytes_are_dropped() -> None:
    assert lines_of(b"a\x00b\n\x00\x00\nc") == [(1, "ab"), (2, ""), (3, "c")]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    ((number, text),) = lines_of(b"bad \xff\xfe byte\n")
    assert number == 1
    assert text.startswith("bad ") and text.endswith(" byte")
    assert "\ufffd" in text


def test_multibyte_characters_split_across_chunks() -> None:
    data = "caf\u00e9 \u2713\n".encode()
    assert list(iter_lines([data[:4], data[4:7], data[7:]])) == [(1, "caf\u00e9 \u2713")]


def test_long_line_is_truncated_and_following_lines_are_intact() -> None:
    data = b"x" * 100 + b"\nnext\n"
    assert lines_of(data, max_line_bytes=10) == [(1, "x" * 10), (2, "next")]


def test_megabyte_line_streamed_in_small_chunks() -> None:
    chunks = [b"y" * 4096 for _ in range(256)] + [b"\nafter\n"]
    lines = list(iter_lines(chunks))
    assert lines == [(1, "y" * MAX_LINE_BYTES), (2, "after")]


def test_max_line_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError):
        lines_of(b"a", max_line_bytes=0)


LOG_BYTES = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.sampled_from([b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xe2\x9c", b"\x93", b"\r\r\n"]),
    ),
    max_size=30,
).map(b"".join)


@given(data=LOG_BYTES, cuts=st.lists(st.integers(min_value=0, max_value=1200), max_size=12))
def test_chunk_boundaries_do_not_matter(data: bytes, cuts: list[int]) -> None:
    assert list(iter_lines(split_at(data, cuts))) == lines_of(data)


@given(data=LOG_BYTES, cuts=st.lists(st.integers(min_value=0, max_value=1200), max_size=12))
def test_chunk_boundaries_do_not_matter_with_truncation(data: bytes, cuts: list[int]) -> None:
    expected = lines_of(data, max_line_bytes=7)
    assert list(iter_lines(split_at(data, cuts), max_line_bytes=7)) == expected


@given(data=LOG_BYTES)
def test_line_count_follows_newlines(data: bytes) -> None:
    clean = data.replace(b"\x00", b"")
    expected = clean.count(b"\n") + (0 if clean.endswith(b"\n") or not clean else 1)
    lines = lines_of(data)
    assert len(lines) == expected
    assert [number for number, _ in lines] == list(range(1, expected + 1))
    assert all("\n" not in text and "\x00" not in text for _, text in lines)
    assert all(not text.endswith("\r") for _, text in lines)


@settings(max_examples=25)
@given(size=st.integers(min_value=MAX_LINE_BYTES - 3, max_value=MAX_LINE_BYTES + 3))
def test_truncation_never_exceeds_the_cap(size: int) -> None:
    ((_, text),) = lines_of(b"\xc3\xa9" * size)  # two bytes per character
    assert len(text.encode()) <= MAX_LINE_BYTES + 3  # a cut character becomes U+FFFD


# open_source -----------------------------------------------------------------------------


def read_all(path: str | Path) -> bytes:
    with open_source(path) as chunks:
        return b"".join(chunks)


def test_open_source_reads_a_file_in_chunks() -> None:
    path = FIXTURE_LOGS / "pytorch_aws_credentials_load_failure.log"
    with open_source(path, chunk_size=100) as chunks:
        pieces = list(chunks)
    assert len(pieces) > 10
    assert b"".join(pieces) == path.read_bytes()


def test_open_source_detects_gzip_by_magic_bytes(tmp_path: Path) -> None:
    original = (FIXTURE_LOGS / "pytorch_test_file_failed_wrapper.log").read_bytes()
    target = tmp_path / "job.log"  # no .gz suffix on purpose
    target.write_bytes(gzip.compress(original))
    assert read_all(target) == original


def test_open_source_reads_multi_member_gzip(tmp_path: Path) -> None:
    target = tmp_path / "job.log.gz"
    target.write_bytes(gzip.compress(b"first\n") + gzip.compress(b"second\n"))
    assert read_all(target) == b"first\nsecond\n"


def test_open_source_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"from stdin\n")))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert read_all("-") == b"from stdin\n"


def test_open_source_reads_gzipped_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(gzip.compress(b"zipped\n"))))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert read_all("-") == b"zipped\n"


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    with pytest.raises(LogReadError, match=r"nope\.log"):
        read_all(missing)


def test_directory_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(LogReadError, match=str(tmp_path.name)):
        read_all(tmp_path)


def test_corrupt_gzip_names_the_path(tmp_path: Path) -> None:
    target = tmp_path / "broken.log"
    target.write_bytes(b"\x1f\x8b" + b"not really gzip at all")
    with pytest.raises(LogReadError, match=r"broken\.log"):
        read_all(target)


def test_truncated_gzip_names_the_path(tmp_path: Path) -> None:
    target = tmp_path / "cut.log"
    target.write_bytes(gzip.compress(b"some log text\n" * 200)[:-30])
    with pytest.raises(LogReadError, match=r"cut\.log"):
        read_all(target)


def test_empty_file_has_no_chunks(tmp_path: Path) -> None:
    target = tmp_path / "empty.log"
    target.write_bytes(b"")
    assert read_all(target) == b""


# iter_blocks -------------------------------------------------------------------------------


def lines_from_blocks(chunks: Iterator[bytes] | list[bytes], max_line_bytes: int) -> list[str]:
    """The lines of the blocks, cut to *max_line_bytes* as the scanner reads them."""
    out = []
    for block in iter_blocks(chunks, block_size=16, max_line_bytes=max_line_bytes):
        assert block
        pieces = block.split(b"\n")
        if block.endswith(b"\n"):
            pieces.pop()
        out += [decode_line(piece[:max_line_bytes]) for piece in pieces]
    return out


@given(data=LOG_BYTES, cuts=st.lists(st.integers(min_value=0, max_value=1200), max_size=12))
def test_blocks_hold_the_lines_of_iter_lines(data: bytes, cuts: list[int]) -> None:
    expected = [text for _, text in lines_of(data, max_line_bytes=7)]
    assert lines_from_blocks(split_at(data, cuts), 7) == expected


@given(data=LOG_BYTES, cuts=st.lists(st.integers(min_value=0, max_value=1200), max_size=12))
def test_every_block_but_the_last_ends_a_line(data: bytes, cuts: list[int]) -> None:
    blocks = list(iter_blocks(split_at(data, cuts), block_size=8))
    assert all(block.endswith(b"\n") for block in blocks[:-1])
    assert all(b"\x00" not in block for block in blocks)


def test_big_chunks_are_cut_into_blocks() -> None:
    data = b"".join(b"line %d\n" % n for n in range(10_000))
    blocks = list(iter_blocks([data], block_size=1000))
    assert len(blocks) > 20
    assert max(map(len, blocks)) < 2100
    assert b"".join(blocks) == data


def test_an_endless_line_is_never_held() -> None:
    def endless() -> Iterator[bytes]:
        yield b"start "
        for _ in range(2000):
            yield b"z" * 4096  # 8 MB without a newline
        yield b"\nafter\n"

    blocks = list(iter_blocks(endless(), max_line_bytes=100))
    assert b"".join(blocks) == b"start " + b"z" * 94 + b"\nafter\n"


def test_block_arguments_must_be_positive() -> None:
    with pytest.raises(ValueError):
        list(iter_blocks([b"a"], block_size=0))
