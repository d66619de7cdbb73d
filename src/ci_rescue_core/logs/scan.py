"""One pass over a log: clean, redact and keep only the lines that may matter.

The per-line work is: strip noise, redact, one keyword search.  Lines that match (candidates)
are kept with a few lines of context on each side; the last lines of the log are kept too.
Everything is bounded: when there are more candidate lines than the cap, the first half of the
cap keeps the earliest and the rest keeps the latest, and the excerpt says it was truncated.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from ci_rescue_core.logs.clean import LogCleaner
from ci_rescue_core.logs.excerpt import LogExcerpt, LogLine
from ci_rescue_core.logs.fingerprint import normalise
from ci_rescue_core.logs.keywords import LINE_START_PATTERN, SUBSTRINGS, WORDS
from ci_rescue_core.logs.redact import Redactor

#: Lines of a baseline (passing) log remembered, as hashes of their normalised text.
MAX_BASELINE_LINES = 200_000

_FIRST_CHARS = "".join(sorted({word[0] for word in (*SUBSTRINGS, *WORDS)}))
_KEYWORDS = re.compile(
    # The look-ahead lets the regex engine skip positions that cannot start a keyword.
    f"(?=[{re.escape(_FIRST_CHARS)}])(?:"
    + "|".join(re.escape(word) for word in SUBSTRINGS)
    + r"|\b(?:"
    + "|".join(WORDS)
    + r")\b)"
)
_LINE_START = re.compile(LINE_START_PATTERN)


def is_candidate(text: str) -> bool:
    """Whether a cleaned line may say something about a failure (the scan's prefilter).

    :param text: one cleaned, redacted line.
    :returns: True when it matches a failure keyword or a failure line start.
    """
    return _LINE_START.match(text) is not None or _KEYWORDS.search(text.lower()) is not None


def scan(
    lines: Iterable[tuple[int, str]],
    redactor: Redactor,
    *,
    context: int = 3,
    max_candidates: int = 2000,
    tail: int = 60,
    baseline: Iterable[tuple[int, str]] | None = None,
    max_baseline_lines: int = MAX_BASELINE_LINES,
) -> LogExcerpt:
    """Read a log once and keep its candidate lines, redacted, with context and tail.

    :param lines: ``(number, raw text)`` pairs, e.g. from
        :func:`~ci_rescue_core.logs.reader.iter_lines`.
    :param redactor: masks secrets; it runs on every line before anything is kept.
    :param context: lines kept before and after each candidate line.
    :param max_candidates: cap on kept lines (candidates and their context).
    :param tail: how many of the last lines to keep.
    :param baseline: lines of a passing log of the same job; when given, the excerpt's
        ``new_lines`` holds the numbers of kept lines whose normalised text it lacks.
    :param max_baseline_lines: cap on the baseline lines remembered.
    :returns: the excerpt handed to the extractor plugins.
    """
    if context < 0 or max_candidates < 1 or tail < 0:
        raise ValueError("context and tail must be >= 0 and max_candidates >= 1")
    known = None if baseline is None else _hash_baseline(baseline, redactor, max_baseline_lines)

    session = redactor.session()
    cleaner = LogCleaner(redact=session.redact_line, redact_fragment=redactor.redact)
    search = _KEYWORDS.search
    starts = _LINE_START.match
    head_cap = max(1, max_candidates // 2)
    head: list[tuple[int, str, str | None]] = []
    latest: deque[tuple[int, str, str | None]] = deque(maxlen=max(0, max_candidates - head_cap))
    before: deque[tuple[int, str, str | None]] = deque(maxlen=context)
    last: deque[tuple[int, str, str | None]] = deque(maxlen=tail)
    truncated = False
    after = 0
    total = 0

    def keep(item: tuple[int, str, str | None]) -> None:
        nonlocal truncated
        if len(head) < head_cap:
            head.append(item)
        elif latest.maxlen and len(latest) < latest.maxlen:
            latest.append(item)
        else:
            truncated = True
            if latest.maxlen:
                latest.append(item)

    for number, raw in lines:
        total = number
        text, step, is_error = cleaner.feed(raw)
        item = (number, text, step)
        if is_error or starts(text) is not None or search(text.lower()) is not None:
            while before:
                keep(before.popleft())
            keep(item)
            after = context
        elif after > 0:
            keep(item)
            after -= 1
        elif context:
            before.append(item)
        if tail:
            last.append(item)

    kept = tuple(LogLine(n, t, s) for n, t, s in (*head, *latest))
    tail_lines = tuple(LogLine(n, t, s) for n, t, s in last)
    new_lines: frozenset[int] | None = None
    if known is not None:
        new_lines = frozenset(
            line.number
            for line in (*kept, *tail_lines)
            if line.text.strip() and hash(normalise(line.text)) not in known
        )
    return LogExcerpt(
        lines=kept,
        tail=tail_lines,
        total_lines=total,
        steps=cleaner.steps,
        failed_step=cleaner.failed_step,
        new_lines=new_lines,
        truncated=truncated,
    )


def _hash_baseline(
    baseline: Iterable[tuple[int, str]], redactor: Redactor, cap: int
) -> frozenset[int]:
    """Hashes of the normalised, redacted lines of a passing log (at most *cap* of them)."""
    session = redactor.session()
    cleaner = LogCleaner(redact=session.redact_line, redact_fragment=redactor.redact)
    hashes: set[int] = set()
    for _, raw in baseline:
        text = cleaner.feed(raw).text
        if text.strip():
            hashes.add(hash(normalise(text)))
            if len(hashes) >= cap:
                break
    return frozenset(hashes)
