"""Helpers for an adapter's reads: numeric ids, log streams that fail where they are read, and
the first of several candidate files."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager

from ci_rescue_core.errors import PayloadError

__all__ = ["LOG_CHUNK_BYTES", "first_file", "guarded", "numeric"]

#: Bytes read from a log download at a time.
LOG_CHUNK_BYTES = 256 * 1024


def numeric(value: str, what: str, *, provider_label: str) -> int:
    """*value* as an integer id.

    :param what: the kind of id (``run id``), named in the error.
    :param provider_label: the provider as users spell it (``GitHub``), named in the error.
    :raises PayloadError: when *value* is not a whole number.
    """
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PayloadError(f"{provider_label} {what} must be numeric, got {value!r}") from None


def guarded(
    chunks: Iterator[bytes], translated: Callable[[], AbstractContextManager[object]]
) -> Iterator[bytes]:
    """*chunks*, read inside ``translated()``: a download that breaks off half-way raises a
    ``ProviderError`` where the consumer reads, not later when the stream is closed."""
    with translated():
        yield from chunks


def first_file(read_file: Callable[[str], str | None], locations: Sequence[str]) -> str | None:
    """The text of the first of *locations* that *read_file* finds, else ``None``."""
    for location in locations:
        text = read_file(location)
        if text is not None:
            return text
    return None
