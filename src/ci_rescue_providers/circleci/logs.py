"""Step output: CircleCI serves each step's output as a JSON array of messages behind a
pre-signed URL.  :class:`MessageStream` reads such an array incrementally with a bounded buffer,
so a job log is never held in memory whole.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["MAX_MESSAGE_BYTES", "MalformedOutput", "MessageStream", "MessageTooLarge", "texts"]

#: Largest single output message kept in memory while it is being read.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024

_IN_STRING = re.compile(r'["\\]')
_STRUCTURE = re.compile(r'[{}"]')
_SPACE = " \t\r\n"


class MalformedOutput(ValueError):
    """The step output is not a JSON array of objects."""


class MessageTooLarge(ValueError):
    """One output message is larger than the buffer may grow."""


class MessageStream:
    """Incremental reader of ``[{...}, {...}, ...]``: feed bytes, get complete objects.

    Complete objects are decoded by the C JSON decoder straight from the buffer; only an object
    cut by a chunk boundary is scanned (strings and escapes tracked) until its end arrives, so
    the work stays linear and only that object is buffered (at most ``max_message`` bytes).
    """

    def __init__(self, max_message: int = MAX_MESSAGE_BYTES) -> None:
        self.max_message = max_message
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._json = json.JSONDecoder()
        self._text = ""
        self._position = 0  # next character to read between objects
        self._opened = False  # saw the array's "["
        self.closed = False  # saw the array's "]"
        # an object cut by a chunk boundary: where it starts and how far it was scanned
        self._pending: int | None = None
        self._scan = 0
        self._depth = 0
        self._in_string = False

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Add *data*; return the objects it completed, in order."""
        text = self._decoder.decode(data)
        if self.closed:
            if text.strip():
                raise MalformedOutput("data after the end of the output array")
            return []
        self._text += text
        out: list[dict[str, Any]] = []
        while self._next(out):
            pass
        keep = self._pending if self._pending is not None else self._position
        self._text = self._text[keep:]
        self._position -= keep
        self._scan -= keep
        if self._pending is not None:
            self._pending = 0
            if len(self._text) > self.max_message:
                raise MessageTooLarge(f"an output message exceeds {self.max_message} bytes")
        return out

    @property
    def buffered(self) -> int:
        """Characters held back for an object not complete yet (at most ``max_message``)."""
        return len(self._text)

    def finish(self) -> None:
        """Declare the input complete.

        :raises MalformedOutput: when the array was not closed (a truncated body).
        """
        if not self.closed:
            raise MalformedOutput("the output ended before the array was closed")

    def _next(self, out: list[dict[str, Any]]) -> bool:
        if self._pending is not None:
            end = self._scan_to_end()
            if end is None:
                return False
            start, self._pending = self._pending, None
            out.append(self._decode(start, end))
            self._position = end
            return True
        text = self._text
        index = self._position
        length = len(text)
        while index < length and text[index] in _SPACE:
            index += 1
        self._position = index
        if index >= length:
            return False
        char = text[index]
        if not self._opened:
            if char != "[":
                raise MalformedOutput("step output is not a JSON array")
            self._opened = True
        elif char == "]":
            self.closed = True
            if text[index + 1 :].strip():
                raise MalformedOutput("data after the end of the output array")
            self._position = length
            return False
        elif char == "{":
            try:
                value, end = self._json.raw_decode(text, index)
            except json.JSONDecodeError:
                # cut by the chunk boundary (or invalid): scan it until its end is here
                self._pending, self._scan, self._depth, self._in_string = index, index, 0, False
                return True
            out.append(self._checked(value))
            self._position = end
            return True
        elif char != ",":
            raise MalformedOutput(f"unexpected {char!r} between output messages")
        self._position = index + 1
        return True

    def _scan_to_end(self) -> int | None:
        """Where the pending object ends (one past its ``}``), or ``None`` if not here yet."""
        text = self._text
        while True:
            if self._in_string:
                match = _IN_STRING.search(text, self._scan)
                if match is None:
                    self._scan = len(text)
                    return None
                if match.group() == "\\":
                    if match.end() >= len(text):
                        self._scan = match.start()  # the escaped character is not here yet
                        return None
                    self._scan = match.end() + 1
                    continue
                self._in_string = False
                self._scan = match.end()
                continue
            match = _STRUCTURE.search(text, self._scan)
            if match is None:
                self._scan = len(text)
                return None
            self._scan = match.end()
            token = match.group()
            if token == '"':
                self._in_string = True
            elif token == "{":
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    return self._scan

    def _decode(self, start: int, end: int) -> dict[str, Any]:
        try:
            value = json.loads(self._text[start:end])
        except ValueError as exc:
            raise MalformedOutput(f"an output message is not valid JSON: {exc}") from None
        return self._checked(value)

    @staticmethod
    def _checked(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise MalformedOutput("an output message is not a JSON object")
        return value


def texts(chunks: Iterable[bytes], max_message: int = MAX_MESSAGE_BYTES) -> Iterator[bytes]:
    """The ``message`` text of every output message in *chunks*, as UTF-8 bytes.

    :raises MalformedOutput: when the output is not a (complete) JSON array of messages.
    :raises MessageTooLarge: when one message exceeds *max_message* bytes.
    """
    stream = MessageStream(max_message)
    for chunk in chunks:
        for message in stream.feed(chunk):
            text = message.get("message")
            if isinstance(text, str) and text:
                yield text.encode("utf-8", "replace")
    stream.finish()
