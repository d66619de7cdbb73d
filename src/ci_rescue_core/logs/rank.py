"""Ranking a log's error lines, and weighing each extractor's opinion by where it comes from.

The extractors score the lines they understand; this module decides the order a person should
read them in, the way a senior engineer scans a failed job:

1. **Look where it failed.**  The *failure window* is the output of the step or command that
   failed: the step GitHub / GitLab flagged (``##[error]``, ``ERROR: Job failed``), or, in
   Travis-style logs, the output between the previous command's ``The command "…" exited
   with 0.`` and the first non-zero one.  Lines outside it (setup that recovered, clean-up after
   the failure) count for less, and so does an extractor whose evidence all lies outside it.
2. **Skip the wrappers.**  ``Process completed with exit code 1``, ``make: *** … Error 2``,
   ``npm ERR! code ELIFECYCLE``, ``BUILD FAILED``: they say *that* it failed, never why.
3. **Don't miss the unknown.**  A line no extractor understood but that reads like an error
   (``Error: …``, ``FATAL``, ``… failed``) still gets a low score, so logs of tools without an
   extractor get useful lines too.
4. **Diff against a passing run** when one is given: a line the passing log also has is not the
   cause; a new one may be.
5. **Show different places.**  The first lines shown come from different parts of the log
   rather than five lines of one stack trace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine, ScoredLine

#: Highest score a generic wrapper line may keep.
WRAPPER_CAP = 0.1

#: Score factor for a line outside the failure window.
OUTSIDE_WINDOW = 0.6

#: Confidence factor for an extraction whose evidence all lies outside the failure window.
OUTSIDE_CONFIDENCE = 0.5

#: Confidence factor for an extraction whose evidence lies only in a later failing command
#: (a failure after the first is often its consequence).
LATER_CONFIDENCE = 0.8

#: Share of an extraction's best line score a line needs to count as its evidence.
EVIDENCE = 0.8

#: Added to a line the baseline (passing) log does not have.
NEW_LINE_BOOST = 0.15

#: Score factor for a line the baseline log has too.
OLD_LINE_FACTOR = 0.6

#: Scored lines at most this far apart belong to the same place of the log (one stack
#: trace, one failure block).
NEARBY = 3

#: Score taken off a line for each line already chosen from its place (diversity).
PLACE_PENALTY = 0.12

_WRAPPERS = re.compile(
    r"Process completed with exit code \d+|The process '[^']*' failed with exit code \d+"
    r"|The operation was canceled\.|^Error: Process completed with exit code"
    r"|^(?:g?make|gmake)(?:\[\d+\])?: \*\*\* |^npm ERR! (?:code ELIFECYCLE|errno \d+|Exit status"
    r"|A complete log of this run|This is probably not a problem with npm|\s*$)"
    r"|^FAILURE: Build failed with an exception\.|^BUILD FAILED|\[INFO\] BUILD FAILURE"
    r"|^Build step '.*' marked build as failure|^Finished: FAILURE|^ERROR: Job failed: exit"
    r"|^The command \".*\" exited with \d+\.|^Done\. Your build exited with \d+"
    r"|^error Command failed with exit code|^Exited with code exit status"
    r"|^Error: Command failed with exit code|^##\[error\]Process completed"
    r"|^\[ERROR\] (?:-> \[Help \d\]|To see the full stack trace|Re-run Maven using"
    r"|For more information about the errors|\[Help \d\] )"
    r"|^(?:\[ERROR\] )?$"
    # GitLab's housekeeping after a failed script.
    r"|^Uploading artifacts for failed job|^Cleaning up (?:project directory and )?file based"
    r" variables",
)

#: Generic error shapes for lines no extractor understood, with their scores.
_GENERIC: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"^##\[error\]"), 0.4),
    (re.compile(r"^(?:\W{0,3}\s*)?(?:FATAL|Fatal|fatal)(?: error)?:? "), 0.4),
    (re.compile(r"^(?:\W{0,3}\s*)?(?:ERROR|Error|error)(?:\[[\w-]+\])?:? \S"), 0.35),
    (re.compile(r"^\S+:\d+(?::\d+)?:? (?:\w+ )?(?:error|Error|ERROR)\b"), 0.35),
    (re.compile(r"\b(?:[A-Z]\w*(?:Error|Exception))\b(?::|$)"), 0.3),
    (re.compile(r"(?i)\b(?:failed|failure|aborted|fatal|panic)\b"), 0.2),
    (re.compile(r"(?i)\berror\b"), 0.15),
)
_NOT_ERRORS = re.compile(
    r"(?i)^\s*(?:\d+ )?(?:warn(?:ing)?|info|debug|note)\b|\b0 (?:errors?|failures?|failed)\b"
    r"|\berrors?: 0\b|\bfailures?: 0\b|--(?:fail|error)[\w-]*|(?:^|\s)set -e"
    r"|^Uploading artifacts for failed job"
)

_TRAVIS_EXIT = re.compile(
    r"The command \"(.*)\" (?:exited with (\d+)\.|failed and exited with (\d+)|failed\b)"
)


@attrs.frozen
class FailureWindow:
    """Where in the log the failing step's output is.

    :ivar step: the failed step's name, when the CI format names steps.
    :ivar ranges: when the log marks commands' exits instead: inclusive line-number ranges of
        the failing commands' output, each with the section (Travis fold) the command ran in.
    """

    step: str | None = None
    ranges: tuple[tuple[int, int, str | None], ...] = ()

    def contains(self, line: LogLine) -> bool:
        """Whether *line* is part of the failing step's output."""
        if self.step is not None:
            return line.step == self.step
        return any(
            first <= line.number <= last and line.step == section
            for first, last, section in self.ranges
        )

    def first_contains(self, line: LogLine) -> bool:
        """Whether *line* is part of the output of the first step or command that failed."""
        if self.step is not None or not self.ranges:
            return self.contains(line)
        first, last, section = self.ranges[0]
        return first <= line.number <= last and line.step == section


def failure_window(excerpt: LogExcerpt) -> FailureWindow | None:
    """The failing step's output, or ``None`` when the log does not say which step failed.

    A log that reports its commands' exits (Travis: ``The command "…" exited with N.``) gets
    the failing commands' output ranges when the failed step is one of those commands' steps
    (or unknown): a Travis job runs its other script commands after the first one failed.
    """
    ranges = _command_ranges(excerpt)
    failed = excerpt.failed_step
    if failed and not any(section == failed for _, _, section in ranges):
        return FailureWindow(step=failed)
    return FailureWindow(ranges=ranges) if ranges else None


def _command_ranges(excerpt: LogExcerpt) -> tuple[tuple[int, int, str | None], ...]:
    """Line ranges of the failing commands' output, from the commands' exit reports."""
    ranges: list[tuple[int, int, str | None]] = []
    start = 1
    for line in excerpt.bounded_lines():
        found = _TRAVIS_EXIT.search(line.text)
        if found is None:
            continue
        code = found.group(2)
        if code is None or int(code) != 0:
            ranges.append((start, line.number, line.step))
        start = line.number + 1
    return tuple(ranges)


def is_wrapper(text: str) -> bool:
    """Whether a line only says that something failed (an exit code, a build verdict)."""
    return _WRAPPERS.search(text) is not None


def generic_score(text: str) -> float | None:
    """A low score for a line that reads like an error, or ``None``."""
    if _NOT_ERRORS.search(text) is not None:
        return None
    for pattern, score in _GENERIC:
        if pattern.search(text) is not None:
            return score
    return None


def weigh(extractions: Sequence[Extraction], window: FailureWindow | None) -> list[Extraction]:
    """The extractions with their confidence lowered when no evidence is in the window."""
    if window is None:
        return list(extractions)
    weighed = []
    for extraction in extractions:
        best = max((s.score for s in extraction.error_lines), default=0.0)
        evidence = [
            s.line
            for s in extraction.error_lines
            if s.score > WRAPPER_CAP and s.score >= EVIDENCE * best
        ]
        factor = 1.0
        if not evidence:
            factor = 1.0
        elif not any(window.contains(line) for line in evidence):
            factor = OUTSIDE_CONFIDENCE
        elif not any(window.first_contains(line) for line in evidence):
            factor = LATER_CONFIDENCE
        if factor != 1.0:
            extraction = attrs.evolve(extraction, confidence=extraction.confidence * factor)
        weighed.append(extraction)
    return weighed


def pool(extractions: Iterable[Extraction], excerpt: LogExcerpt) -> dict[int, ScoredLine]:
    """Every scored line once (best score kept), wrappers capped, unknown errors added."""
    best: dict[int, ScoredLine] = {}
    for extraction in extractions:
        for scored in extraction.error_lines:
            old = best.get(scored.line.number)
            if old is None or scored.score > old.score:
                best[scored.line.number] = scored
    for line in excerpt.bounded_lines():
        if line.number in best:
            continue
        score = generic_score(line.text)
        if score is not None:
            best[line.number] = ScoredLine(line, score)
    for number, scored in list(best.items()):
        if scored.score > WRAPPER_CAP and is_wrapper(scored.line.text):
            best[number] = ScoredLine(scored.line, WRAPPER_CAP)
    return best


def _places(numbers: Iterable[int]) -> dict[int, int]:
    """A place id for each line number: runs of lines at most :data:`NEARBY` apart."""
    places: dict[int, int] = {}
    place = 0
    previous: int | None = None
    for number in sorted(numbers):
        if previous is not None and number - previous > NEARBY:
            place += 1
        places[number] = place
        previous = number
    return places


def rank(
    lines: dict[int, ScoredLine],
    *,
    window: FailureWindow | None = None,
    new_lines: frozenset[int] | None = None,
    limit: int = 10,
) -> list[ScoredLine]:
    """The best *limit* lines, most relevant first.

    :param lines: scored lines by line number (see :func:`pool`).
    :param window: the failure window; lines outside it count for less.
    :param new_lines: numbers of lines absent from the baseline log (``None``: no baseline).
    :param limit: how many lines to return.
    :returns: the chosen lines with the scores they were ranked by.
    """

    def adjusted(scored: ScoredLine) -> float:
        """The line's score after the window and baseline corrections."""
        score = scored.score
        if window is not None and not window.contains(scored.line):
            score *= OUTSIDE_WINDOW
        if new_lines is not None:
            if scored.line.number in new_lines:
                score += NEW_LINE_BOOST
            else:
                score *= OLD_LINE_FACTOR
        return score

    candidates = sorted(
        (ScoredLine(s.line, adjusted(s)) for s in lines.values() if s.line.text.strip()),
        key=lambda s: (-s.score, s.line.number),
    )
    places = _places(s.line.number for s in candidates)
    chosen: list[ScoredLine] = []
    shown: dict[int, int] = {}  # lines chosen so far per place
    while candidates and len(chosen) < max(0, limit):
        best_index = 0
        best_value = -1.0
        for index, candidate in enumerate(candidates[: limit * 4]):
            place = places[candidate.line.number]
            value = candidate.score - PLACE_PENALTY * shown.get(place, 0)
            if value > best_value:
                best_index, best_value = index, value
        picked = candidates.pop(best_index)
        place = places[picked.line.number]
        shown[place] = shown.get(place, 0) + 1
        chosen.append(picked)
    return chosen
