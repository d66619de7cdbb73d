"""Extractor plugin for infrastructure signals: secrets, permissions, network, timeouts, memory.

Every rule gives a line a base score; the line's form adjusts it: a CI-flagged error line
(``##[error]``) is more telling, a line that is only a warning much less, and some credential
messages count more inside an authentication / publishing step.  The category whose best line
scores highest is this extractor's opinion, with that score as its confidence, so a stray
credential warning next to a real test failure loses to the test failure.

Also reports the job's exit code (``Process completed with exit code N`` and friends) as a
low-scored wrapper line.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine, ScoredLine
from ci_rescue_core.models import Category
from ci_rescue_extractors.infra_rules import RULES, InfraRule

#: Score of a generic wrapper line (exit codes): always below a real cause.
WRAPPER_LINE = 0.1

_ERROR_BONUS = 0.1
_AUTH_STEP_BONUS = 0.25
_WARNING_FACTOR = 0.4

_PRIORITY = (
    Category.MISSING_SECRET,
    Category.OOM,
    Category.TIMEOUT,
    Category.INFRA_NETWORK,
)

_AUTH_STEP = re.compile(
    r"(?i)auth|login|credential|token|secret|deploy|publish|release|push|upload|docker"
    r"|registry|sign|configure-aws"
)
_WARNING = re.compile(r"(?i:^##\[warning\]|\bwarn(?:ing)?\b)|\w+Warning\b|\b(?:DEBUG|TRACE|INFO)\b")


# Exit codes, most authoritative first: the job's own report, then tool wrappers.
_JOB_EXIT = re.compile(
    r"Process completed with exit code (\d+)|ERROR: Job failed: exit code (\d+)"
    r"|The command \".*\" exited with (\d+)\."
)
_TOOL_EXIT = re.compile(
    r"(?i)exit status (\d+)|exited with(?: exit)? code (\d+)|Got exit code (\d+)"
    r"|returned non-zero exit status (\d+)|exit code:? (\d+)"
)
_EXIT_HINTS = {137: (Category.OOM, 0.55), 124: (Category.TIMEOUT, 0.5)}


def _first_group(match: re.Match[str]) -> int | None:
    for value in match.groups():
        if value is not None:
            return int(value)
    return None


def _line_score(rule: InfraRule, line: LogLine, text: str) -> float:
    score = rule.score
    if text.startswith("##[error]"):
        score += _ERROR_BONUS
    if rule.auth_sensitive and line.step is not None and _AUTH_STEP.search(line.step):
        score += _AUTH_STEP_BONUS
    if _WARNING.search(text) is not None:
        score *= _WARNING_FACTOR
    return min(score, 1.0)


@attrs.define
class _Findings:
    best: dict[Category, float] = attrs.field(factory=dict)
    scored: dict[int, ScoredLine] = attrs.field(factory=dict)
    job_exit: int | None = None
    tool_exit: int | None = None

    def add(self, line: LogLine, category: Category | None, score: float) -> None:
        """Record a line's score and, when it has one, the category it points to."""
        if category is not None:
            self.best[category] = max(self.best.get(category, 0.0), score)
        old = self.scored.get(line.number)
        if old is None or old.score < score:
            self.scored[line.number] = ScoredLine(line, score)


#: A source line quoted by a compiler diagnostic (rustc, gcc, clang, tsc: ``139 |     code``).
#: It shows code, not something that happened: ``panic!("Out of memory")`` is not an OOM.
_SOURCE_LISTING = re.compile(r"^\s*\d*\s*\|(?:\s|$)")


def _read(findings: _Findings, line: LogLine) -> None:
    text = line.text
    if _SOURCE_LISTING.match(text):
        return
    lowered = text.lower()
    for rule in RULES:
        if rule.matches(text, lowered):
            findings.add(line, rule.category, _line_score(rule, line, text))
    if "exit" not in lowered:
        return
    job = _JOB_EXIT.search(text)
    if job is not None:
        code = _first_group(job)
        if code:  # exit code 0: the command succeeded, the line says nothing
            if findings.job_exit is None:
                findings.job_exit = code  # the first step that failed
            findings.add(line, None, WRAPPER_LINE)
        return
    tool = _TOOL_EXIT.search(text)
    if tool is not None:
        code = _first_group(tool)
        if code:
            if findings.tool_exit is None:
                findings.tool_exit = code  # the first process that failed
            findings.add(line, None, WRAPPER_LINE)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find infrastructure causes (secrets, permissions, network, timeout, OOM) in a log.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when no infrastructure signal or exit code is present.
    """
    findings = _Findings()
    for line in excerpt.bounded_lines():
        _read(findings, line)
    exit_code = findings.job_exit if findings.job_exit is not None else findings.tool_exit
    if exit_code in _EXIT_HINTS:
        hinted, hint_score = _EXIT_HINTS[exit_code]
        findings.best[hinted] = max(findings.best.get(hinted, 0.0), hint_score)
    if not findings.scored and exit_code is None:
        return None
    category: Category | None = None
    confidence = 0.0
    for candidate in _PRIORITY:  # ties go to the earlier category
        score = findings.best.get(candidate, 0.0)
        if score > confidence:
            category, confidence = candidate, score
    return Extraction(
        ecosystem=None,
        category=category,
        confidence=confidence,
        error_lines=tuple(sorted(findings.scored.values(), key=lambda s: s.line.number)),
        exit_code=exit_code,
    )
