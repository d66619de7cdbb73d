"""What the streaming log reader hands to extractor plugins, and what they hand back."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ci_rescue_core.models import Category, TestFailure

#: Characters of a line that extractors look at (see :meth:`LogExcerpt.bounded_lines`).
MATCH_CHARS = 2000


@attrs.frozen
class LogLine:
    """One cleaned, redacted log line.

    :ivar number: 1-based line number in the log as read (``\\n``-terminated lines).
    :ivar text: the line without timestamp prefix, colour codes or trailing ``\\r``; redacted.
    :ivar step: the step / section the line belongs to, when the log format says.
    """

    number: int
    text: str
    step: str | None = None


@attrs.frozen(kw_only=True)
class LogExcerpt:
    """A bounded view of a whole log: the lines that may matter, with context.

    The reader streams the log once and keeps only lines that match failure keywords (with a
    few lines of context around each), plus the last lines of the log.  Memory is bounded by
    the reader's caps, whatever the log's size.

    :ivar lines: candidate lines with their context, in log order, without duplicates.
    :ivar tail: the last lines of the log, in order.
    :ivar total_lines: how many lines the log had.
    :ivar steps: step / section names in order of appearance.
    :ivar failed_step: the step that reported the failure, when known.
    :ivar new_lines: numbers of lines absent from the baseline (passing) log, when one was given.
    :ivar truncated: True when caps dropped candidate lines.
    """

    lines: tuple[LogLine, ...] = ()
    tail: tuple[LogLine, ...] = ()
    total_lines: int = 0
    steps: tuple[str, ...] = ()
    failed_step: str | None = None
    new_lines: frozenset[int] | None = None
    truncated: bool = False

    def all_lines(self) -> Iterator[LogLine]:
        """Every kept line once, in log order: the candidate lines merged with the tail."""
        tail = iter(self.tail)
        pending = next(tail, None)
        for line in self.lines:
            while pending is not None and pending.number < line.number:
                yield pending
                pending = next(tail, None)
            if pending is not None and pending.number == line.number:
                pending = next(tail, None)
            yield line
        while pending is not None:
            yield pending
            pending = next(tail, None)

    def bounded_lines(self, max_chars: int = MATCH_CHARS) -> Iterator[LogLine]:
        """Every kept line once, in log order, cut to its first *max_chars* characters.

        What extractors should read: a cause is named at the start of a line, and a line of
        tens of kilobytes (a minified bundle, a progress bar) would otherwise cost every rule
        of every extractor its whole length.
        """
        for line in self.all_lines():
            if len(line.text) > max_chars:
                line = attrs.evolve(line, text=line.text[:max_chars])
            yield line


@attrs.frozen
class ScoredLine:
    """An error line an extractor found, with how telling it is.

    :ivar score: relevance; higher comes first.  Root causes ~ 0.8-1.0, generic wrappers
        (``exit code 1``) ~ 0.1.
    """

    line: LogLine
    score: float


@attrs.frozen(kw_only=True)
class Extraction:
    """What one extractor plugin found in a log.

    :ivar ecosystem: the tool the findings come from (``pytest``, ``go``...).
    :ivar category: the category this evidence points to, ``None`` when it has no opinion.
    :ivar confidence: how sure the extractor is of ``category``, in [0, 1]; the most confident
        category wins across extractors.
    :ivar failures: failing tests, in report order.
    :ivar error_lines: lines that explain the failure.
    :ivar exit_code: the failing process's exit code, when found.
    """

    ecosystem: str | None = None
    category: Category | None = None
    confidence: float = 0.0
    failures: tuple[TestFailure, ...] = ()
    error_lines: tuple[ScoredLine, ...] = ()
    exit_code: int | None = None
