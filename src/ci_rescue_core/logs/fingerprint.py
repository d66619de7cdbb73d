"""Normalising error text so that the same failure fingerprints the same in every run.

:func:`normalise` replaces what changes from run to run — timestamps, durations, ids, temporary
paths, process ids, ports, addresses, seeds, source line numbers — with placeholders such as
``<ts>`` or ``<hex>``; :func:`fingerprint_hash` builds the stable hash of a failure from it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from ci_rescue_core.models import Category

_HEX4 = r"[0-9A-Fa-f]{1,4}"
_IP_EDGE_BEFORE = r"(?<![\w:.])"
_IP_EDGE_AFTER = r"(?![\w:])"

# Applied in order; every rule removes digits, a temp path or a UUID and adds none, so
# applying the list until nothing changes terminates and the result is a fixed point.  Each rule
# has a gate: substrings one of which any text it can change contains (tested on the lower-cased
# text of ASCII lines; ``_DIGIT`` means "a digit").  Skipping a rule whose gate fails changes
# nothing and saves most of the work on ordinary lines.
_DIGIT: tuple[str, ...] = ()
_RULE_SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # Temporary paths: pytest tmp_path, /tmp, macOS /var/folders, Windows %TEMP%.
    (r"(?:/private)?/var/folders/[^\s'\"]*", "<tmp>", ("/var/folders/",)),
    (r"(?<![\w.])(?:/private)?/tmp/[^\s'\":,;)\]]*", "<tmp>", ("/tmp/",)),
    (r"(?i:[A-Z]:\\(?:[^\s\\'\"]+\\)*?(?:temp|tmp)\\[^\s'\":,;)\]]*)", "<tmp>", (":\\",)),
    # UUIDs (before hex ids and timestamps take them apart).
    (
        r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}"
        r"-[0-9A-Fa-f]{12}(?![0-9A-Za-z])",
        "<uuid>",
        ("-",),
    ),
    # Timestamps and clock times.
    (
        r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d)?(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)?",
        "<ts>",
        _DIGIT,
    ),
    (r"(?<![\d.:])\d{1,2}:\d\d:\d\d(?:[.,]\d+)?(?![\d:])", "<ts>", _DIGIT),
    # Memory addresses.
    (r"0[xX][0-9A-Fa-f]+", "<addr>", ("0x",)),
    # IP addresses (with their ports).
    (r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])", "<ip>", _DIGIT),
    (
        _IP_EDGE_BEFORE
        + rf"(?:(?:{_HEX4}:){{7}}{_HEX4}|{_HEX4}(?::{_HEX4})*::(?:{_HEX4}(?::{_HEX4})*)?"
        + rf"|::{_HEX4}(?::{_HEX4})*)"
        + _IP_EDGE_AFTER,
        "<ip>",
        (":",),
    ),
    (r"((?:<ip>|\]|(?i:localhost)):)\d+", r"\1<port>", _DIGIT),
    (r"(?i:(\bports?[\s:=#]*))\d+", r"\1<port>", ("port",)),
    # Process ids and random seeds.
    (r"(?i:(\bpid[\s:=#]*))\d+", r"\1<pid>", ("pid",)),
    (r"(?i:(seed[\s:=(]*))-?\d+", r"\1<seed>", ("seed",)),
    # Hex ids of seven or more characters (commit shas, container ids, digests).
    (
        r"(?<![0-9A-Za-z])(?=[0-9A-Fa-f]*\d)(?=[0-9A-Fa-f]*[A-Fa-f])[0-9A-Fa-f]{7,}"
        r"(?![0-9A-Za-z])",
        "<hex>",
        _DIGIT,
    ),
    # Durations: 0.53s, 12ms, 1.5 seconds, 3m, (0:21:24) is a clock time above.
    (
        r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|s|sec|secs|seconds?|m|min|mins|minutes?"
        r"|h|hours?)(?![\w])",
        "<dur>",
        _DIGIT,
    ),
    # Source line numbers inside frames: ``line 12`` and ``file.py:12:``.
    (r"\b(line )\d+", r"\1<n>", ("line ",)),
    (
        r"(\.(?:py|pyx|go|js|jsx|mjs|cjs|ts|tsx|java|kt|scala|rs|c|cc|cpp|cxx|h|hpp|rb"
        r"|php|cs|swift|ex|exs|erl|hs|lua|pl|sh)):\d+(?::\d+)?",
        r"\1:<n>",
        (":",),
    ),
)

_RULES: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), replacement, gate) for pattern, replacement, gate in _RULE_SOURCES
)

_HAS_DIGIT = re.compile(r"\d")

_SPACES = re.compile(r"\s+")


def _normalise_once(text: str) -> str:
    if not text.isascii():  # Unicode case rules and digits: no shortcut, every rule runs
        for pattern, replacement, _gate in _RULES:
            text = pattern.sub(replacement, text)
        return _SPACES.sub(" ", text).strip()
    view = text.lower()
    digit = _HAS_DIGIT.search(text) is not None
    for pattern, replacement, gate in _RULES:
        if digit if gate is _DIGIT else any(needle in view for needle in gate):
            text = pattern.sub(replacement, text)
            if gate is not _DIGIT:
                digit = _HAS_DIGIT.search(text) is not None
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    """Replace the run-specific parts of an error line with placeholders.

    Timestamps and clock times (``<ts>``), durations (``<dur>``), hex ids of seven or more
    characters (``<hex>``), UUIDs (``<uuid>``), temporary paths (``<tmp>``), process ids
    (``<pid>``), ports (``<port>``), IPv4/IPv6 addresses (``<ip>``), memory addresses
    (``<addr>``), random seeds (``<seed>``) and source line numbers (``line <n>``,
    ``file.py:<n>``) are replaced; runs of whitespace become one space.  Idempotent:
    ``normalise(normalise(x)) == normalise(x)``.

    :param text: one or more lines of log text.
    :returns: the normalised text.
    """
    current = _normalise_once(text)
    while True:
        again = _normalise_once(current)
        if again == current:
            return current
        current = again


def fingerprint_hash(category: Category | str, failing_tests: Iterable[str], message: str) -> str:
    """The stable hash of a failure.

    :param category: the failure category.
    :param failing_tests: the failing test ids (order does not matter).
    :param message: the top error text; it is normalised here.
    :returns: the SHA-256 hex digest of category, sorted tests and normalised message.
    """
    name = category.value if isinstance(category, Category) else str(category)
    payload = json.dumps([name, sorted(set(failing_tests)), normalise(message)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
