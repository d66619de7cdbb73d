"""What the rule-based extractors share: line rules, and a findings accumulator.

An extractor reads the excerpt's lines in order.  Simple evidence is a :class:`Rule` (a
pattern, how telling a matching line is, and which category it points to); multi-line
evidence (a test block, a resolution report) is read by the extractor's own code, which records
what it concludes in a :class:`Findings`.  ``Findings.extraction`` then turns that into the
``Extraction`` the hook returns: the category with the highest confidence wins inside one
extractor, exactly as it does across extractors.

Score scale (shared by every built-in extractor, see ``docs/logs.md``): the line that names the
root cause 0.8-0.95; lines that explain it 0.5-0.7; summaries and counts 0.3-0.45; generic
wrappers (``exit code 1``, ``BUILD FAILED``) 0.1 or less.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from ci_rescue_core.logs.analyze import CATEGORY_PRIORITY
from ci_rescue_core.logs.excerpt import Extraction, LogLine, ScoredLine
from ci_rescue_core.models import Category, TestFailure

#: Score of a generic wrapper line: below any real cause.
WRAPPER = 0.1

#: How many frames a failure keeps (innermost last).
MAX_FRAMES = 5

#: Longest message kept for one failure.
MAX_MESSAGE = 500


@attrs.frozen
class Rule:
    """A pattern that says, when found on a line, what the line is worth.

    :ivar pattern: searched in the cleaned line (``re.search``).
    :ivar score: how telling a matching line is (see the module docstring for the scale).
    :ivar category: what a matching line is evidence of; ``None`` for a relevant line
        without an opinion.
    :ivar confidence: how sure a matching line makes the category.
    :ivar needle: a plain substring every match contains, checked first (cheap prefilter).
    """

    pattern: re.Pattern[str]
    score: float
    category: Category | None = None
    confidence: float = 0.0
    needle: str | None = None

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The match of this rule in *text*, or ``None``.

        :param lowered: ``text.lower()`` when the caller has it (saves computing it again).
        """
        if self.needle is not None:
            if self.pattern.flags & re.IGNORECASE:
                haystack = text.lower() if lowered is None else lowered
            else:
                haystack = text
            if self.needle not in haystack:
                return None
        return self.pattern.search(text)


def rule(
    pattern: str,
    score: float,
    category: Category | None = None,
    *,
    confidence: float | None = None,
    needle: str | None = None,
    ignore_case: bool = False,
) -> Rule:
    """Build a :class:`Rule`.

    :param pattern: regular expression searched in the line.
    :param score: the line's score when the pattern matches.
    :param category: what the line is evidence of.
    :param confidence: confidence in *category*; defaults to *score*.
    :param needle: substring every match contains; with *ignore_case* it must be lower-case
        and is looked for in the lower-cased line.
    :param ignore_case: match regardless of case.
    """
    flags = re.IGNORECASE if ignore_case else 0
    return Rule(
        re.compile(pattern, flags),
        score,
        category,
        score if confidence is None else confidence,
        needle,
    )


def first_match(rules: Sequence[Rule], text: str) -> tuple[Rule, re.Match[str]] | None:
    """The first rule of *rules* that matches *text*, with its match."""
    lowered: str | None = None
    for candidate in rules:
        if (
            lowered is None
            and candidate.needle is not None
            and candidate.pattern.flags & re.IGNORECASE
        ):
            lowered = text.lower()
        match = candidate.search(text, lowered)
        if match is not None:
            return candidate, match
    return None


@attrs.define
class _Failure:
    test_id: str
    message: str = ""
    frames: list[str] = attrs.field(factory=list)


@attrs.define
class Findings:
    """What one extractor has concluded so far about one log."""

    scored: dict[int, ScoredLine] = attrs.field(factory=dict)
    votes: dict[Category, float] = attrs.field(factory=dict)
    failures: dict[str, _Failure] = attrs.field(factory=dict)
    exit_code: int | None = None

    def score(self, line: LogLine, value: float) -> None:
        """Record *line* as an error line worth *value* (the best value is kept)."""
        old = self.scored.get(line.number)
        if old is None or old.score < value:
            self.scored[line.number] = ScoredLine(line, min(1.0, max(0.0, value)))

    def vote(self, category: Category | None, confidence: float) -> None:
        """Record evidence that the log's failure is a *category* one."""
        if category is not None and confidence > self.votes.get(category, 0.0):
            self.votes[category] = confidence

    def apply(self, found: Rule, line: LogLine) -> None:
        """Score *line* and vote as the rule *found* says."""
        self.score(line, found.score)
        self.vote(found.category, found.confidence)

    def match(
        self, rules: Sequence[Rule], line: LogLine, text: str | None = None
    ) -> re.Match[str] | None:
        """Apply the first rule of *rules* matching *line*; return its match.

        :param text: what to match instead of ``line.text`` (e.g. without a tool's prefix).
        """
        hit = first_match(rules, line.text if text is None else text)
        if hit is None:
            return None
        self.apply(hit[0], line)
        return hit[1]

    def fail(self, test_id: str, message: str = "") -> None:
        """Record a failing test (first report wins; a later message fills an empty one)."""
        test_id = test_id.strip()
        if not test_id:
            return
        failure = self.failures.setdefault(test_id, _Failure(test_id))
        if message and not failure.message:
            failure.message = message.strip()[:MAX_MESSAGE]

    def describe(self, test_id: str, message: str = "", frame: str = "") -> None:
        """Add a message or a frame to a failing test already recorded."""
        failure = self.failures.get(test_id)
        if failure is None:
            return
        if message and not failure.message:
            failure.message = message.strip()[:MAX_MESSAGE]
        if frame and len(failure.frames) < MAX_FRAMES:
            failure.frames.append(frame.strip())

    def drop(self, test_ids: Iterable[str]) -> None:
        """Forget failing tests (a less precise report of tests already known)."""
        for test_id in list(test_ids):
            self.failures.pop(test_id, None)

    @property
    def category(self) -> tuple[Category | None, float]:
        """The category with the highest confidence (ties: ``CATEGORY_PRIORITY``, as in a merge)."""
        chosen: Category | None = None
        confidence = 0.0
        for candidate in CATEGORY_PRIORITY:
            value = self.votes.get(candidate, 0.0)
            if value > confidence:
                chosen, confidence = candidate, value
        return chosen, confidence

    def extraction(self, ecosystem: str | None) -> Extraction | None:
        """The hook's answer; ``None`` when nothing was found."""
        if not self.scored and not self.failures and not self.votes:
            return None
        category, confidence = self.category
        return Extraction(
            ecosystem=ecosystem,
            category=category,
            confidence=confidence,
            failures=tuple(
                TestFailure(test_id=f.test_id, message=f.message, frames=tuple(f.frames))
                for f in self.failures.values()
            ),
            error_lines=tuple(sorted(self.scored.values(), key=lambda s: s.line.number)),
            exit_code=self.exit_code,
        )


def adjacent(previous: LogLine | None, line: LogLine) -> bool:
    """Whether *previous* is the line just before *line* in the log."""
    return previous is not None and previous.number == line.number - 1
