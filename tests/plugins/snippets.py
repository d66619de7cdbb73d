"""Helpers for the extractor tests: excerpts of text and of the real log snippets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, ScoredLine
from ci_rescue_core.logs.reader import iter_lines, open_source
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import scan

SNIPPETS = Path(__file__).resolve().parent.parent / "fixtures" / "logs" / "snippets"

Extractor = Callable[[LogExcerpt], "Extraction | None"]


def excerpt(text: str) -> LogExcerpt:
    """The excerpt the scanner makes of *text*."""
    return scan(iter_lines([text.encode()]), Redactor())


def snippet(name: str) -> LogExcerpt:
    """The excerpt the scanner makes of a real log snippet (see the fixtures' SOURCES.md)."""
    with open_source(SNIPPETS / name) as chunks:
        return scan(iter_lines(chunks), Redactor())


def run(extractor: Extractor, source: LogExcerpt | str) -> Extraction:
    """Run an extractor and insist that it found something."""
    result = extractor(excerpt(source) if isinstance(source, str) else source)
    assert result is not None
    return result


def best(result: Extraction) -> ScoredLine:
    """The extraction's best line (the first of equals)."""
    return max(result.error_lines, key=lambda s: (s.score, -s.line.number))


def scores(result: Extraction) -> dict[int, float]:
    """Score by line number."""
    return {s.line.number: s.score for s in result.error_lines}


def ids(result: Extraction) -> list[str]:
    """The failing test ids, in report order."""
    return [f.test_id for f in result.failures]
