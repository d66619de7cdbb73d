"""Normalising error text so that the same failure fingerprints the same in every run.

:func:`normalise` replaces what changes from run to run — timestamps, durations, ids, temporary
paths, process ids, ports, addresses, seeds, source line numbers — with placeholders such as
``<ts>`` or ``<hex>``; :func:`fingerprint_hash` builds the stable hash of a failure from it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable

from ci_rescue_core.models import Category

_HEX4 = r"[0-9A-Fa-f]{1,4}"
#: One duration, possibly compound (``0.53s``, ``12 ms``, ``1m 2s``, ``1h2m3.5s``).
_DURATION_UNIT = (
    r"\d+(?:\.\d+)?[ \t]?(?:ms|us|µs|ns|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)"
)
_DURATION = rf"{_DURATION_UNIT}(?:[ \t]?{_DURATION_UNIT})*(?!\w)"
_IP_EDGE_BEFORE = r"(?<![\w:.])"
_IP_EDGE_AFTER = r"(?![\w:])"

# Applied in order; every rule removes digits, a temp path or a UUID and adds none, so
# applying the list until nothing changes terminates and the result is a fixed point.  Each rule
# has a gate: substrings one of which any text it can change contains (tested on the lower-cased
# text of ASCII lines; ``_DIGIT`` means "a digit").  Skipping a rule whose gate fails changes
# nothing and saves most of the work on ordinary lines.
_DIGIT: tuple[str, ...] = ()


#: What precedes a measured duration (``in``, ``took``, ``Time elapsed:``, an opening bracket, a
#: tab), ending where the duration starts; and what may follow one (a closing bracket, for a
#: duration alone in brackets, or ``elapsed``).
_DURATION_BEFORE = re.compile(
    r"(?i:\b(?:in|took|after|elapsed|time|duration|lasted|spent)\b[:=]?[ \t]*|\t)$"
    r"|(?P<bracket>[(\[][ \t]*)$"
)
_DURATION_AFTER = re.compile(r"[ \t]*[)\]]|[ \t]+(?P<elapsed>(?i:elapsed))\b")


def _measured_duration(match: re.Match[str]) -> str:
    """``<dur>`` for a duration in timing context, else the text unchanged."""
    text, start, end = match.string, match.start(), match.end()
    before = _DURATION_BEFORE.search(text, max(0, start - 40), start)
    if before is not None and before.group("bracket") is None:
        return "<dur>"  # in 0.53s, took 12ms, Time elapsed: 0.1 s, \t0.01s
    after = _DURATION_AFTER.match(text, end)
    if after is not None and (after.group("elapsed") is not None or before is not None):
        return "<dur>"  # 12.5s elapsed; alone in brackets: (0.01 seconds), [ 12.3s ]
    return match.group(0)


_Replacement = str | Callable[[re.Match[str]], str]
_RULE_SOURCES: tuple[tuple[str, _Replacement, tuple[str, ...]], ...] = (
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
    # (not inside a word: ``a7e0:65:15b5`` is part of an IPv6 address)
    (r"(?<![\w.:])\d{1,2}:\d\d:\d\d(?:[.,]\d+)?(?![\d:])", "<ts>", _DIGIT),
    # Memory addresses.
    (r"0[xX][0-9A-Fa-f]+", "<addr>", ("0x",)),
    # IP addresses (with their ports).
    (r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])", "<ip>", _DIGIT),
    (
        _IP_EDGE_BEFORE
        # with an IPv4 address inside (``::ffff:<ip>``, already replaced above)
        + rf"(?:(?:(?:{_HEX4}:){{6}}|(?:{_HEX4}(?::{_HEX4})*)?::(?:{_HEX4}:)*)<ip>"
        + rf"|(?:{_HEX4}:){{7}}{_HEX4}|{_HEX4}(?::{_HEX4})*::(?:{_HEX4}(?::{_HEX4})*)?"
        + rf"|::{_HEX4}(?::{_HEX4})*"
        # the unspecified address, in brackets: ``[::]:8080``
        + r"|(?<=\[)::(?=\])"
        + ")"
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
    # Durations, only where a duration was measured: after ``in`` / ``took`` / ``after`` /
    # ``elapsed`` / ``time`` / ``duration`` (``1 failed in 0.53s``, ``Time elapsed: 0.1 s``,
    # ``BUILD FAILED in 1m 2s``), before ``elapsed``, alone in brackets (``(0.01 seconds)``,
    # ``[ 12.3s ]``) or after a tab (``go test``'s ``FAIL\tpkg\t0.01s``).  ``assert 3m == 4m``
    # keeps its numbers.  (A clock time, ``(0:21:24)``, is a timestamp above.)  The context is
    # checked only around what looks like a duration, so ordinary lines cost one search.
    (rf"(?<![\w.]){_DURATION}", _measured_duration, _DIGIT),
    # Source line numbers inside stack frames, where the function is known: Python
    # (``File "x.py", line 12, in f``; pytest's ``x.py:12: in f``), JVM (``at A.f(A.java:12)``),
    # Go (``x.go:12 +0x1f``), JavaScript (``at f (x.js:12:5)``), Ruby (``x.rb:12:in `f'``),
    # PHP (``x.php(12): A->f()``), .NET (``in x.cs:line 12``), Rust backtraces (``at x.rs:12:5``)
    # and sanitizers (``#0 0x… in f x.c:12:5``).  A compiler's ``main.c:10:5: error`` is a
    # different place, and a different failure, from ``main.c:99:5: error``: kept.
    (r"(File \"[^\"]*\", line )\d+(?=, in \S)", r"\1<n>", ("line ",)),
    (r"(\.pyx?:)\d+(?=: in \S)", r"\1<n>", (": in ",)),
    (
        r"([\w$>]\([\w$.-]*\.(?:java|kt|kts|scala|groovy|clj|cljc|aj)):\d+(?=\))",
        r"\1:<n>",
        (".java:", ".kt:", ".kts:", ".scala:", ".groovy:", ".clj:", ".cljc:", ".aj:"),
    ),
    (r"(\.go:)\d+(?= \+(?:0x[0-9a-fA-F]+|<addr>))", r"\1<n>", (".go:",)),
    (
        r"(\bat (?:new |async )?\S+(?: \[as [^\]]+\])? \([^()\s]+\.(?:js|jsx|mjs|cjs|ts|tsx|mts"
        r"|cts|vue)):\d+(?::\d+)?(?=\))",
        r"\1:<n>",
        tuple(f".{ext}:" for ext in ("js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "vue")),
    ),
    (r"(\.rb:)\d+(?=:in [`'])", r"\1<n>", (".rb:",)),
    (r"(\.php\()\d+(?=\): \S)", r"\1<n>", (".php(",)),
    (r"(\.(?:cs|fs|vb):line )\d+", r"\1<n>", (":line ",)),
    (r"(?m)(^\s*at \S+\.rs:)\d+(?::\d+)?$", r"\1<n>", (".rs:",)),
    (
        r"(\bin \S+ \S+\.(?:c|cc|cpp|cxx|h|hpp|m|mm|swift|zig)):\d+(?::\d+)?",
        r"\1:<n>",
        tuple(
            f".{ext}:" for ext in ("c", "cc", "cpp", "cxx", "h", "hpp", "m", "mm", "swift", "zig")
        ),
    ),
)

_RULES: tuple[tuple[re.Pattern[str], _Replacement, tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), replacement, gate) for pattern, replacement, gate in _RULE_SOURCES
)

#: Each rule's gate as one search of the lower-cased text (``None``: the rule needs a digit).
_GATES: tuple[Callable[[str], re.Match[str] | None] | None, ...] = tuple(
    None if gate is _DIGIT else re.compile("|".join(map(re.escape, gate))).search
    for _, _, gate in _RULES
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
    for (pattern, replacement, _gate), gate in zip(_RULES, _GATES, strict=True):
        if digit if gate is None else gate(view) is not None:
            text = pattern.sub(replacement, text)
            if gate is not None:
                digit = _HAS_DIGIT.search(text) is not None
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    """Replace the run-specific parts of an error line with placeholders.

    Timestamps and clock times (``<ts>``), measured durations (``in <dur>``), hex ids of seven
    or more characters (``<hex>``), UUIDs (``<uuid>``), temporary paths (``<tmp>``), process
    ids (``<pid>``), ports (``<port>``), IPv4/IPv6 addresses (``<ip>``), memory addresses
    (``<addr>``), random seeds (``<seed>``) and the line numbers of stack frames whose
    function is known (``File "x.py", line <n>, in f``, ``at A.f(A.java:<n>)``) are replaced;
    runs of whitespace become one space.  Other numbers stay: ``main.c:10:5: error`` and
    ``main.c:99:5: error`` are different failures, and ``assert 3m == 4m`` is not a timing.
    Idempotent: ``normalise(normalise(x)) == normalise(x)``.

    :param text: one or more lines of log text.
    :returns: the normalised text.
    """
    current = _normalise_once(text)
    if current == text:  # nothing to replace: already a fixed point
        return current
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
