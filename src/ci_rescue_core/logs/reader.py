"""Streaming a log from bytes to numbered text lines, in bounded memory.

A job log can be hundreds of megabytes, arrive in chunks of any size, be gzipped, contain NUL
bytes or invalid UTF-8, or hold a single enormous line (progress bars, minified bundles).  This
module turns such a stream into ``(number, text)`` pairs without ever holding more than one
capped line in memory.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ci_rescue_core.errors import LogReadError

#: Bytes kept of a single line; the rest of an over-long line is dropped.
MAX_LINE_BYTES = 64 * 1024

#: Size of the chunks :func:`open_source` reads.
CHUNK_SIZE = 256 * 1024

#: Target size of the blocks :func:`iter_blocks` hands to the scanner.
BLOCK_SIZE = 256 * 1024

_GZIP_MAGIC = b"\x1f\x8b"


def iter_lines(
    chunks: Iterable[bytes], *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, str]]:
    """Split a byte stream into 1-based numbered, decoded lines.

    Only ``\\n`` ends a line, so line numbers match those of the file as downloaded.  Trailing
    ``\\r`` characters (CRLF, Travis' ``\\r\\r\\n``) are removed; a ``\\r`` inside a line is
    kept, because GitLab and Travis put section markers before it — :mod:`.clean` reads those
    markers and then keeps only the text after the last ``\\r`` (what a terminal would show).

    NUL bytes are dropped, invalid UTF-8 becomes U+FFFD, and a line longer than
    *max_line_bytes* keeps only its first *max_line_bytes* bytes (the rest is skipped without
    being stored).  The result does not depend on how the stream is cut into chunks.

    :param chunks: the log's bytes, in order, in pieces of any size (empty pieces allowed).
    :param max_line_bytes: cap on the bytes kept of one line.
    :returns: ``(line number, text)`` pairs; a final line without ``\\n`` is included.
    """
    if max_line_bytes < 1:
        raise ValueError("max_line_bytes must be at least 1")
    pending = bytearray()
    started = False  # whether bytes of an unfinished line have been seen
    number = 0
    for chunk in chunks:
        if not chunk:
            continue
        if b"\x00" in chunk:
            chunk = chunk.replace(b"\x00", b"")
            if not chunk:
                continue
        pieces = chunk.split(b"\n")
        for index, piece in enumerate(pieces):
            room = max_line_bytes - len(pending)
            if room > 0 and piece:
                pending += piece[:room]
            if index == len(pieces) - 1:
                started = started or bool(piece)
                break
            number += 1
            yield number, _decode(pending)
            pending.clear()
            started = False
    if started or pending:
        yield number + 1, _decode(pending)


def _decode(raw: bytearray) -> str:
    """Decode one line, dropping trailing carriage returns."""
    return raw.decode("utf-8", "replace").rstrip("\r")


def decode_line(raw: bytes) -> str:
    """Decode one raw line as :func:`iter_lines` does (invalid UTF-8 → U+FFFD, no trailing ``\\r``).

    :param raw: the line's bytes, without its ``\\n``, already capped in length.
    :returns: the text.
    """
    return raw.decode("utf-8", "replace").rstrip("\r")


def iter_blocks(
    chunks: Iterable[bytes],
    *,
    block_size: int = BLOCK_SIZE,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[bytes]:
    """Regroup a byte stream into blocks of whole lines, in bounded memory.

    Every block but the last ends with ``\\n``; a block is one chunk's whole lines (plus the
    line left unfinished by the chunk before), cut to about *block_size* bytes when the chunk
    is much bigger.
    NUL bytes are dropped.  A line that grows past *max_line_bytes* while it is still
    unfinished at the end of a chunk keeps only its first *max_line_bytes* bytes and the rest
    is skipped as it streams by, so a line of gigabytes is never held; a shorter over-long line
    may be passed on whole, and the consumer ignores what lies past *max_line_bytes* (so the
    result never depends on how the stream was cut).

    :param chunks: the log's bytes, in order, in pieces of any size.
    :param block_size: the target block size.
    :param max_line_bytes: bytes kept of an over-long line.
    :returns: the blocks; their lines, numbered from 1, are the lines of :func:`iter_lines`.
    """
    if max_line_bytes < 1 or block_size < 1:
        raise ValueError("max_line_bytes and block_size must be at least 1")
    pending = b""  # an unfinished line (capped at max_line_bytes while it streams)
    skipping = False  # dropping the rest of an over-long line
    for chunk in chunks:
        if not chunk:
            continue
        if b"\x00" in chunk:
            chunk = chunk.replace(b"\x00", b"")
        if skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            chunk = chunk[newline:]
            skipping = False
        last = chunk.rfind(b"\n")
        if last < 0:
            pending += chunk
            if len(pending) > max_line_bytes:  # the unfinished line is too long
                pending = pending[:max_line_bytes]
                skipping = True
            continue
        data = b"".join((pending, memoryview(chunk)[: last + 1]))  # one copy
        rest = chunk[last + 1 :]
        if len(rest) > max_line_bytes:
            rest = rest[:max_line_bytes]
            skipping = True
        pending = rest
        if len(data) > 2 * block_size:
            yield from _cut(data, block_size)
        else:
            yield data
    if pending:
        yield pending


def _cut(data: bytes, block_size: int) -> Iterator[bytes]:
    """Blocks of about *block_size* bytes of *data* (whole lines), cut after newlines."""
    start = 0
    end = len(data)
    while end - start > 2 * block_size:
        cut = data.find(b"\n", start + block_size, end)
        if cut < 0 or cut + 1 >= end:
            break
        yield data[start : cut + 1]
        start = cut + 1
    yield data[start:]


@contextlib.contextmanager
def open_source(path: str | Path, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Iterator[bytes]]:
    """Open a log file (or ``-`` for standard input) as a stream of byte chunks.

    Gzip-compressed input is recognised by its magic bytes, whatever the file is called, and
    decompressed on the fly.

    :param path: the file to read; ``"-"`` reads standard input.
    :param chunk_size: bytes per chunk.
    :returns: a context manager giving an iterator over the (decompressed) chunks.
    :raises LogReadError: naming *path* when it is missing, unreadable or a corrupt gzip.
    """
    name = str(path)
    if name == "-":
        yield _chunks(sys.stdin.buffer, name, chunk_size)
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed by the with-block below
    except OSError as exc:
        raise LogReadError(f"cannot read log {name}: {exc.strerror or exc}") from exc
    with handle:
        yield _chunks(handle, name, chunk_size)


def _chunks(stream: BinaryIO, name: str, chunk_size: int) -> Iterator[bytes]:
    """Yield the stream's chunks, transparently gunzipping it when it starts like a gzip."""
    try:
        head = stream.read(2)
    except OSError as exc:
        raise LogReadError(f"cannot read log {name}: {exc.strerror or exc}") from exc
    if head == _GZIP_MAGIC:
        yield from _gunzip(stream, head, name, chunk_size)
        return
    if head:
        yield head
    yield from _read_all(stream, name, chunk_size)


def _read_all(stream: BinaryIO, name: str, chunk_size: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = stream.read(chunk_size)
        except OSError as exc:
            raise LogReadError(f"cannot read log {name}: {exc.strerror or exc}") from exc
        if not chunk:
            return
        yield chunk


def _gunzip(stream: BinaryIO, head: bytes, name: str, chunk_size: int) -> Iterator[bytes]:
    """Decompress a gzip stream (possibly several members) chunk by chunk."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    in_member = False
    finished = False  # a member ended and what follows is not another member
    try:
        for chunk in itertools.chain((head,), _read_all(stream, name, chunk_size)):
            data = chunk
            while data and not finished:
                in_member = True
                out = decompressor.decompress(data)
                if out:
                    yield out
                if not decompressor.eof:
                    break
                data = decompressor.unused_data
                in_member = False
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                if data and not _GZIP_MAGIC.startswith(data[:2]):
                    finished = True  # trailing padding after the last member
        if in_member:
            out = decompressor.flush()
            if out:
                yield out
            if not decompressor.eof:
                raise LogReadError(f"cannot read log {name}: gzip stream is truncated")
    except zlib.error as exc:
        raise LogReadError(f"cannot read log {name}: not a valid gzip stream ({exc})") from exc
