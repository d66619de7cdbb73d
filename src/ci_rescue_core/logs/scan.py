"""One pass over a log: keep only the lines that may matter, cleaned and redacted.

Lines that match a failure keyword or a failure line start (candidates) are kept with a few
lines of context on each side; the last lines of the log are kept too.  Everything is bounded:
when there are more kept lines than the cap, the first half of the cap keeps the earliest and
the rest keeps the latest, and the excerpt says it was truncated.

:func:`scan_chunks` works on raw bytes a block at a time (see :mod:`.stream` and
:mod:`.detect`): no Python work per line, only per kept line.  :func:`scan` takes numbered
text lines and gives the same excerpt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ci_rescue_core.logs.clean import LogCleaner
from ci_rescue_core.logs.detect import iter_candidates
from ci_rescue_core.logs.excerpt import LogExcerpt, LogLine
from ci_rescue_core.logs.fingerprint import normalise
from ci_rescue_core.logs.reader import MAX_LINE_BYTES, decode_line, iter_blocks
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.stream import Scanner

#: Lines of a baseline (passing) log remembered, as hashes of their normalised text.
MAX_BASELINE_LINES = 200_000


def is_candidate(text: str) -> bool:
    """Whether a line may say something about a failure (the scan's prefilter).

    :param text: one line (raw or cleaned).
    :returns: True when it holds a failure keyword (any case) or starts like a failure line.
    """
    data = text.encode("utf-8", "replace").lower()
    return next(iter_candidates(data, len(data) + 1), None) is not None


def scan_chunks(
    chunks: Iterable[bytes],
    redactor: Redactor,
    *,
    context: int = 3,
    max_candidates: int = 2000,
    tail: int = 60,
    baseline: Iterable[bytes] | None = None,
    max_baseline_lines: int = MAX_BASELINE_LINES,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> LogExcerpt:
    """Read a log's bytes once and keep its candidate lines, redacted, with context and tail.

    Lines are numbered as :func:`~ci_rescue_core.logs.reader.iter_lines` numbers them, and the
    excerpt does not depend on how the bytes are cut into chunks.

    :param chunks: the log's bytes in pieces of any size (see
        :func:`~ci_rescue_core.logs.reader.open_source`).
    :param redactor: masks secrets; every kept line is redacted before it is stored.
    :param context: lines kept before and after each candidate line.
    :param max_candidates: cap on kept lines (candidates and their context).
    :param tail: how many of the last lines to keep.
    :param baseline: the bytes of a passing log of the same job; when given, the excerpt's
        ``new_lines`` holds the numbers of kept lines whose normalised text it lacks.
    :param max_baseline_lines: cap on the baseline lines remembered.
    :param max_line_bytes: bytes read of one line; the rest of a longer line is ignored.
    :returns: the excerpt handed to the extractor plugins.
    :raises ValueError: on a negative *context* or *tail*, or *max_candidates* < 1.
    """
    if context < 0 or max_candidates < 1 or tail < 0:
        raise ValueError("context and tail must be >= 0 and max_candidates >= 1")
    known = None
    if baseline is not None:
        known = _hash_baseline(
            baseline, redactor, cap=max_baseline_lines, max_line_bytes=max_line_bytes
        )
    head_cap = max(1, max_candidates // 2)
    scanner = Scanner(
        redactor,
        context=context,
        head_cap=head_cap,
        latest_cap=max(0, max_candidates - head_cap),
        tail=tail,
        max_line_bytes=max_line_bytes,
    )
    scanner.run(chunks)
    kept = tuple(LogLine(n, t, s) for n, t, s in (*scanner.head, *scanner.latest))
    tail_lines = tuple(LogLine(n, t, s) for n, t, s in scanner.tail)
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
        total_lines=scanner.total,
        steps=scanner.cleaner.steps,
        failed_step=scanner.cleaner.failed_step,
        new_lines=new_lines,
        truncated=scanner.truncated,
    )


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
    """Like :func:`scan_chunks`, for a log already split into numbered text lines.

    :param lines: ``(number, raw text)`` pairs numbered 1, 2, 3... e.g. from
        :func:`~ci_rescue_core.logs.reader.iter_lines`.
    :param redactor: masks secrets; every kept line is redacted before it is stored.
    :param context: lines kept before and after each candidate line.
    :param max_candidates: cap on kept lines (candidates and their context).
    :param tail: how many of the last lines to keep.
    :param baseline: lines of a passing log of the same job (see :func:`scan_chunks`).
    :param max_baseline_lines: cap on the baseline lines remembered.
    :returns: the excerpt handed to the extractor plugins.
    :raises ValueError: on bad caps, or when the lines are not numbered 1, 2, 3...
    """
    return scan_chunks(
        _as_bytes(lines),
        redactor,
        context=context,
        max_candidates=max_candidates,
        tail=tail,
        baseline=None if baseline is None else _as_bytes(baseline),
        max_baseline_lines=max_baseline_lines,
    )


def _as_bytes(lines: Iterable[tuple[int, str]]) -> Iterator[bytes]:
    """Numbered text lines back into a byte stream (in batches, not a chunk per line)."""
    expected = 1
    batch: list[bytes] = []
    size = 0
    for number, text in lines:
        if number != expected:
            raise ValueError(f"lines must be numbered 1, 2, 3...: got {number} for {expected}")
        expected += 1
        raw = text.encode("utf-8", "surrogatepass") + b"\n"
        batch.append(raw)
        size += len(raw)
        if size >= 1 << 16:
            yield b"".join(batch)
            batch.clear()
            size = 0
    if batch:
        yield b"".join(batch)


# A GitHub / GitLab timestamp at a line start (after the newline that ends the previous line).
_TIMESTAMP = re.compile(
    rb"\n(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"
    rb"(?: [0-9a-f]{2}[OE]\+?)?(?: |(?=\r*(?:\n|\Z)))"
)


def _hash_baseline(
    baseline: Iterable[bytes], redactor: Redactor, *, cap: int, max_line_bytes: int
) -> frozenset[int]:
    """Hashes of the normalised, redacted lines of a passing log (at most *cap* of them).

    Every line counts (a failing log's context and tail lines are compared too), but lines
    repeated once their timestamp is gone are cleaned and normalised only once.
    """
    session = redactor.session()
    cleaner = LogCleaner(redact=session.redact_line, redact_fragment=redactor.redact)
    seen: set[bytes] = set()
    hashes: set[int] = set()
    for block in iter_blocks(baseline, max_line_bytes=max_line_bytes):
        lines = _TIMESTAMP.sub(b"\n", b"\n" + block).split(b"\n")
        if block.endswith(b"\n"):
            lines.pop()
        for raw in lines[1:]:
            if raw in seen and b"-----" not in raw:
                session.skip(1)
                continue
            if len(seen) < 4 * cap:
                seen.add(raw)
            text = cleaner.feed(decode_line(raw[:max_line_bytes])).text
            if text.strip():
                hashes.add(hash(normalise(text)))
                if len(hashes) >= cap:
                    return frozenset(hashes)
    return frozenset(hashes)
