"""Translating a small ``str`` regular expression into an equivalent ``bytes`` one.

The keyword vocabulary (:mod:`.keywords`) is written as text patterns; the scanner searches raw,
lower-cased UTF-8 bytes.  :func:`to_bytes_pattern` rewrites a text pattern for that: non-ASCII
characters become their UTF-8 byte sequences, ASCII letters are lower-cased, and nothing it
produces can match a newline (so a match never runs from one line into the next).

Only the constructs a line-start prefilter needs are supported: literals, character classes
(with ``\\s``, ``\\d``, ``\\w``), ``.``, alternation, groups and repeats.  Anything else raises a
:class:`ValueError` naming the construct, at import time, so a vocabulary change that the
scanner cannot honour fails loudly instead of silently matching nothing.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# The regex parser moved in Python 3.11 (``sre_parse`` became ``re._parser``, and importing the
# old name warns).  Its node types are not typed, hence ``Any`` below.
try:
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _parser = importlib.import_module("sre_parse")

_MAXREPEAT: int = _parser.MAXREPEAT

#: ASCII members of the ``\\s``, ``\\d`` and ``\\w`` classes, newline excluded.
_CATEGORIES = {
    "CATEGORY_SPACE": b" \t\r\x0b\x0c",
    "CATEGORY_DIGIT": b"0123456789",
    "CATEGORY_WORD": b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
}


def to_bytes_pattern(pattern: str, *, lower: bool = True, between: bytes = b"") -> bytes:
    """Rewrite a text regular expression so that it matches the same lines as UTF-8 bytes.

    :param pattern: the text pattern (as given to :func:`re.compile`).
    :param lower: lower-case its ASCII letters, for searching lower-cased text.
    :param between: a pattern allowed between any two of its elements — e.g. colour codes,
        which the raw bytes have and the cleaned line the pattern was written for does not.
    :returns: a pattern for :func:`re.compile` on ``bytes``; it never matches ``\\n``
        (unless *between* does).
    :raises ValueError: when the pattern uses a construct this translation does not support.
    """
    try:
        parsed = _parser.parse(pattern)
    except re.error as exc:
        raise ValueError(f"invalid pattern {pattern!r}: {exc}") from exc
    return _Translator(pattern, lower, between).sequence(parsed)


class _Translator:
    def __init__(self, pattern: str, lower: bool, between: bytes) -> None:
        self._pattern = pattern
        self._lower = lower
        self._between = between

    def _fail(self, what: str) -> ValueError:
        return ValueError(
            f"pattern {self._pattern!r} uses {what}, which the byte scanner cannot translate"
        )

    def _char(self, code: int) -> bytes:
        char = chr(code)
        if self._lower and char.isascii():
            char = char.lower()
        if char == "\n":
            raise self._fail("a newline")
        return re.escape(char.encode("utf-8"))

    def sequence(self, items: Any) -> bytes:
        return self._between.join(self._item(str(op), value) for op, value in items)

    def _item(self, op: str, value: Any) -> bytes:
        if op == "LITERAL":
            return self._char(value)
        if op == "NOT_LITERAL":
            if value >= 0x80:
                raise self._fail("a negated non-ASCII character")
            return b"[^\\n" + self._char(value) + b"]"
        if op == "ANY":
            return b"[^\\n]"
        if op == "IN":
            return self._class(value)
        if op == "BRANCH":
            return b"(?:" + b"|".join(self.sequence(branch) for branch in value[1]) + b")"
        if op == "SUBPATTERN":
            _group, add_flags, del_flags, inner = value
            if add_flags or del_flags:
                raise self._fail("inline flags")
            return b"(?:" + self.sequence(inner) + b")"
        if op in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, inner = value
            bound = b"" if high == _MAXREPEAT else str(high).encode()
            lazy = b"?" if op == "MIN_REPEAT" else b""
            body = self._between + self.sequence(inner) if self._between else self.sequence(inner)
            return b"(?:" + body + b"){%d,%s}" % (low, bound) + lazy
        raise self._fail(op.lower().replace("_", " "))

    def _class(self, members: Any) -> bytes:
        ascii_part = bytearray()
        wide: list[bytes] = []
        negate = False
        for op, value in members:
            name = str(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                self._class_char(value, ascii_part, wide)
            elif name == "RANGE":
                low, high = value
                if high >= 0x80 or high - low > 0x80:
                    raise self._fail("a non-ASCII character range")
                for code in range(low, high + 1):
                    self._class_char(code, ascii_part, wide)
            elif name == "CATEGORY" and str(value) in _CATEGORIES:
                ascii_part += _CATEGORIES[str(value)]
            else:
                raise self._fail(f"the class member {name.lower()} {value}")
        ascii_part = bytearray(sorted(set(ascii_part) - {0x0A}))
        if negate:
            if wide:
                raise self._fail("a negated class with non-ASCII characters")
            return b"[^\\n" + _escape_class(ascii_part) + b"]"
        options = [b"[" + _escape_class(ascii_part) + b"]"] if ascii_part else []
        options.extend(re.escape(sequence) for sequence in wide)
        if not options:
            raise self._fail("an empty class")
        return b"(?:" + b"|".join(options) + b")"

    def _class_char(self, code: int, ascii_part: bytearray, wide: list[bytes]) -> None:
        if code >= 0x80:
            wide.append(chr(code).encode("utf-8"))
            return
        char = chr(code).lower() if self._lower else chr(code)
        ascii_part += char.encode("ascii")


def _escape_class(members: bytearray) -> bytes:
    """Members of a bytes character class, each escaped."""
    return b"".join(b"\\x%02x" % member for member in members)
