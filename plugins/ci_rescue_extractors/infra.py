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
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine
from ci_rescue_core.models import Category
from ci_rescue_extractors.infra_rules import RULES, InfraRule
from ci_rescue_extractors.linerules import Findings

#: Score of a generic wrapper line (exit codes): always below a real cause.
WRAPPER_LINE = 0.1

_ERROR_BONUS = 0.1
_AUTH_STEP_BONUS = 0.25
_WARNING_FACTOR = 0.4

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
class _State:
    findings: Findings = attrs.field(factory=Findings)
    job_exit: int | None = None
    tool_exit: int | None = None


#: A source line quoted by a compiler diagnostic (rustc, gcc, clang, tsc: ``139 |     code``).
#: It shows code, not something that happened: ``panic!("Out of memory")`` is not an OOM.
_SOURCE_LISTING = re.compile(r"^\s*\d*\s*\|(?:\s|$)")


def _read(state: _State, line: LogLine) -> None:
    findings = state.findings
    text = line.text
    if _SOURCE_LISTING.match(text):
        return
    lowered = text.lower()
    for rule in RULES:
        if rule.matches(text, lowered):
            score = _line_score(rule, line, text)
            findings.score(line, score)
            findings.vote(rule.category, score)
    if "exit" not in lowered:
        return
    job = _JOB_EXIT.search(text)
    if job is not None:
        code = _first_group(job)
        if code:  # exit code 0: the command succeeded, the line says nothing
            if state.job_exit is None:
                state.job_exit = code  # the first step that failed
            findings.score(line, WRAPPER_LINE)
        return
    tool = _TOOL_EXIT.search(text)
    if tool is not None:
        code = _first_group(tool)
        if code:
            if state.tool_exit is None:
                state.tool_exit = code  # the first process that failed
            findings.score(line, WRAPPER_LINE)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find infrastructure causes (secrets, permissions, network, timeout, OOM) in a log.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when no infrastructure signal or exit code is present.
    """
    state = _State()
    for line in excerpt.bounded_lines():
        _read(state, line)
    exit_code = state.job_exit if state.job_exit is not None else state.tool_exit
    if exit_code in _EXIT_HINTS:
        state.findings.vote(*_EXIT_HINTS[exit_code])
    state.findings.exit_code = exit_code
    return state.findings.extraction(None)
