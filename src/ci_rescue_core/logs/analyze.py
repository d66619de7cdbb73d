"""LogWhisperer's entry point: one log in, one fingerprint out.

bytes → lines → clean → redact → candidate lines (:func:`~.scan.scan`) → every extractor
plugin → merged findings (:func:`merge`, ranked by :mod:`.rank`) →
:class:`~ci_rescue_core.models.Fingerprint`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt
from ci_rescue_core.logs.fingerprint import fingerprint_hash, normalise
from ci_rescue_core.logs.junit import parse_junit_xml
from ci_rescue_core.logs.rank import NEW_LINE_BOOST, failure_window, pool, rank, weigh
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import scan_chunks
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

#: Below this confidence an extraction's category is no opinion (weak evidence, or evidence
#: from a step that did not fail).
MIN_CONFIDENCE = 0.3

__all__ = [
    "CATEGORY_PRIORITY",
    "MIN_CONFIDENCE",
    "NEW_LINE_BOOST",
    "LogAnalysis",
    "analyze_junit",
    "analyze_log",
    "merge",
]


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
    excerpt = scan_chunks(chunks, redactor, baseline=baseline)
    extractions = hooks.extract_failures(excerpt=excerpt)
    return merge(extractions, excerpt, max_error_lines=max_error_lines)


def analyze_junit(
    chunks: Iterable[bytes],
    *,
    hooks: Hooks,
    known_secrets: Sequence[str] = (),
    name: str = "report",
    max_error_lines: int = 10,
) -> LogAnalysis:
    """Analyse a JUnit XML test report (instead of a log), streaming it once.

    The category is ``test_failure`` when a test failed or errored and ``other`` otherwise;
    the failing tests are the failed and errored cases (``classname.name``); each error line
    is one failing case, at the report line of its ``<failure>`` / ``<error>`` element, with
    the text ``test id: message``.  Everything is redacted.

    :param chunks: the report's bytes in pieces of any size.
    :param hooks: the plugin facade (its secret patterns are used).
    :param known_secrets: secret values to mask.
    :param name: how to call the input in error messages.
    :param max_error_lines: cap on the error lines in the fingerprint.
    :returns: the analysis.
    :raises LogReadError: when the report is not well-formed JUnit XML (see
        :func:`~ci_rescue_core.logs.junit.parse_junit_xml`).
    """
    redactor = Redactor(patterns=hooks.secret_patterns(), known_secrets=known_secrets)
    report = parse_junit_xml(chunks, name=name)
    failures: dict[str, TestFailure] = {}
    lines: list[ErrorLine] = []
    for case in report.failed:
        test_id = redactor.redact(case.test_id)
        message = redactor.redact(case.message)
        if test_id not in failures:
            frames = tuple(redactor.redact(frame) for frame in case.failure().frames)
            failures[test_id] = TestFailure(test_id=test_id, message=message, frames=frames)
        if len(lines) < max(0, max_error_lines):
            text = f"{test_id}: {message}" if message else test_id
            lines.append(ErrorLine(line=case.line, text=text))
    category = Category.TEST_FAILURE if failures else Category.OTHER
    tests = tuple(sorted(failures))
    message = normalise(lines[0].text) if lines else ""
    fingerprint = Fingerprint(
        category=category,
        ecosystem="junit",
        failing_tests=tests,
        error_lines=tuple(lines),
        exit_code=None,
        message=message,
        hash=fingerprint_hash(category, tests, message),
    )
    return LogAnalysis(
        fingerprint=fingerprint, failures=tuple(failures.values()), total_lines=report.lines
    )


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

    The category is the most confident extraction's (ties: the order of
    :data:`CATEGORY_PRIORITY`; no opinion at all: ``other``), after the confidence of an
    extraction whose evidence lies wholly outside the failing step was halved (see
    :func:`~ci_rescue_core.logs.rank.weigh`).  Failures are pooled by test id.  Error lines are
    pooled by line number (best score kept) and ranked by :func:`~ci_rescue_core.logs.rank.rank`:
    wrappers low, the failing step first, lines new against the baseline up and lines the
    baseline shares down, different places of the log before more of the same place; the best
    *max_error_lines* are kept.  The fingerprint's message is the normalised text of the top
    error line as ranked *without* the baseline, so the hash does not depend on whether a
    baseline was given.

    :param extractions: what each extractor returned (``None`` answers already dropped).
    :param excerpt: the excerpt they were given.
    :param max_error_lines: cap on the error lines kept.
    :returns: the merged analysis.
    """
    window = failure_window(excerpt)
    ranked = sorted(weigh(extractions, window), key=_rank_key)
    opinions = [e for e in ranked if e.category is not None and e.confidence >= MIN_CONFIDENCE]
    category = opinions[0].category if opinions and opinions[0].category else Category.OTHER
    ecosystem = next(
        (e.ecosystem for e in (*opinions, *ranked) if e.ecosystem), None
    )  # the tool behind the deciding evidence, else any tool that said something
    exit_code = next((e.exit_code for e in ranked if e.exit_code is not None), None)

    failures: dict[str, TestFailure] = {}
    for extraction in ranked:
        for failure in extraction.failures:
            known = failures.get(failure.test_id)
            if known is None:
                failures[failure.test_id] = failure
            elif not known.message and failure.message:
                failures[failure.test_id] = attrs.evolve(known, message=failure.message)

    lines = pool(extractions, excerpt)
    plain = rank(lines, window=window, limit=1)
    if excerpt.new_lines is None:
        top = rank(lines, window=window, limit=max_error_lines)
    else:
        top = rank(lines, window=window, new_lines=excerpt.new_lines, limit=max_error_lines)
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
