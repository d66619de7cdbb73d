"""LogWhisperer's entry point: one log in, one fingerprint out.

bytes → lines → clean → redact → candidate lines (:func:`~.scan.scan`) → every extractor
plugin → merged findings → :class:`~ci_rescue_core.models.Fingerprint`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, ScoredLine
from ci_rescue_core.logs.fingerprint import fingerprint_hash, normalise
from ci_rescue_core.logs.reader import iter_lines
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import scan
from ci_rescue_core.models import Category, ErrorLine, Fingerprint, TestFailure

if TYPE_CHECKING:  # hooks imports this package: no import cycle at run time
    from ci_rescue_core.hooks import Hooks

#: Category order used to break confidence ties (most actionable first).
CATEGORY_PRIORITY: tuple[Category, ...] = (
    Category.MISSING_SECRET,
    Category.OOM,
    Category.TIMEOUT,
    Category.INFRA_NETWORK,
    Category.DEPENDENCY_RESOLUTION,
    Category.COMPILE_ERROR,
    Category.LINT,
    Category.TEST_FAILURE,
    Category.OTHER,
)

#: Added to the score of an error line that the passing baseline log does not have.
NEW_LINE_BOOST = 0.15


@attrs.frozen
class LogAnalysis:
    """What one log says about its failure.

    :ivar fingerprint: category, ecosystem, failing tests, top error lines, exit code, hash.
    :ivar failures: failing tests with their messages, in report order.
    :ivar total_lines: how many lines the log had.
    :ivar truncated: True when caps dropped candidate lines (the log was very noisy).
    """

    fingerprint: Fingerprint
    failures: tuple[TestFailure, ...] = ()
    total_lines: int = 0
    truncated: bool = False


def analyze_log(
    chunks: Iterable[bytes],
    *,
    hooks: Hooks,
    known_secrets: Sequence[str] = (),
    baseline: Iterable[bytes] | None = None,
    max_error_lines: int = 10,
) -> LogAnalysis:
    """Analyse one job log, streaming it once.

    :param chunks: the log's bytes in pieces of any size (see
        :func:`~ci_rescue_core.logs.reader.open_source`).
    :param hooks: the plugin facade; its extractors and secret patterns are used.
    :param known_secrets: secret values to mask (e.g. the tokens ci-rescue itself holds).
    :param baseline: a passing log of the same job; error lines absent from it rank higher.
    :param max_error_lines: cap on the error lines in the fingerprint.
    :returns: the analysis; its texts are all redacted.
    :raises PluginError: when a plugin's secret pattern does not compile or an extractor
        returns something other than an ``Extraction``.
    """
    redactor = Redactor(patterns=hooks.secret_patterns(), known_secrets=known_secrets)
    excerpt = scan(
        iter_lines(chunks),
        redactor,
        baseline=None if baseline is None else iter_lines(baseline),
    )
    extractions = hooks.extract_failures(excerpt=excerpt)
    return merge(extractions, excerpt, max_error_lines=max_error_lines)


def _rank_key(extraction: Extraction) -> tuple[float, int]:
    category = extraction.category
    priority = (
        CATEGORY_PRIORITY.index(category)
        if category in CATEGORY_PRIORITY
        else len(CATEGORY_PRIORITY)
    )
    return (-extraction.confidence, priority)


def merge(
    extractions: Sequence[Extraction], excerpt: LogExcerpt, *, max_error_lines: int = 10
) -> LogAnalysis:
    """Combine the extractors' findings into one analysis.

    The most confident extraction with an opinion decides the category (ties: the order of
    :data:`CATEGORY_PRIORITY`; no opinion at all: ``other``).  Failures are pooled by test id;
    error lines are pooled by line number (best score kept), lines new against the baseline
    get :data:`NEW_LINE_BOOST`, and the best *max_error_lines* are kept.  The fingerprint's
    message is the normalised text of the top error line as ranked *without* the baseline
    boost, so the hash does not depend on whether a baseline was given.

    :param extractions: what each extractor returned (``None`` answers already dropped).
    :param excerpt: the excerpt they were given.
    :param max_error_lines: cap on the error lines kept.
    :returns: the merged analysis.
    """
    ranked = sorted(extractions, key=_rank_key)
    opinions = [e for e in ranked if e.category is not None]
    category = opinions[0].category if opinions and opinions[0].category else Category.OTHER
    ecosystem = next((e.ecosystem for e in ranked if e.ecosystem), None)
    exit_code = next((e.exit_code for e in ranked if e.exit_code is not None), None)

    failures: dict[str, TestFailure] = {}
    for extraction in ranked:
        for failure in extraction.failures:
            known = failures.get(failure.test_id)
            if known is None:
                failures[failure.test_id] = failure
            elif not known.message and failure.message:
                failures[failure.test_id] = attrs.evolve(known, message=failure.message)

    best: dict[int, ScoredLine] = {}
    for extraction in extractions:
        for scored in extraction.error_lines:
            old = best.get(scored.line.number)
            if old is None or scored.score > old.score:
                best[scored.line.number] = scored
    plain = sorted(best.values(), key=lambda s: (-s.score, s.line.number))
    new_lines = excerpt.new_lines or frozenset()

    def boosted(scored: ScoredLine) -> tuple[float, int]:
        bonus = NEW_LINE_BOOST if scored.line.number in new_lines else 0.0
        return (-(scored.score + bonus), scored.line.number)

    top = sorted(plain, key=boosted)[: max(0, max_error_lines)]
    message = normalise(plain[0].line.text) if plain else ""
    tests = tuple(sorted(failures))
    fingerprint = Fingerprint(
        category=category,
        ecosystem=ecosystem,
        failing_tests=tests,
        error_lines=tuple(
            ErrorLine(line=s.line.number, text=s.line.text, step=s.line.step) for s in top
        ),
        exit_code=exit_code,
        message=message,
        hash=fingerprint_hash(category, tests, message),
    )
    return LogAnalysis(
        fingerprint=fingerprint,
        failures=tuple(failures.values()),
        total_lines=excerpt.total_lines,
        truncated=excerpt.truncated,
    )
