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


@attrs.frozen
class _Rule:
    pattern: re.Pattern[str]
    category: Category
    score: float
    auth_sensitive: bool = False
    requires: re.Pattern[str] | None = None

    def matches(self, text: str) -> bool:
        if self.pattern.search(text) is None:
            return False
        return self.requires is None or self.requires.search(text) is not None


def _rule(
    pattern: str,
    category: Category,
    score: float,
    *,
    auth: bool = False,
    case: bool = False,
    requires: str | None = None,
) -> _Rule:
    """A rule: *pattern* on a line means *category*, with base *score*.

    :param auth: the line counts more inside an authentication / publishing step.
    :param case: match case-sensitively.
    :param requires: a second pattern the line must also contain.
    """
    flags = 0 if case else re.IGNORECASE
    extra = None if requires is None else re.compile(requires, re.IGNORECASE)
    return _Rule(re.compile(pattern, flags), category, score, auth, extra)


_S, _O, _T, _N = (
    Category.MISSING_SECRET,
    Category.OOM,
    Category.TIMEOUT,
    Category.INFRA_NETWORK,
)

_RULES: tuple[_Rule, ...] = (
    # Missing secrets and credentials.
    _rule(r"Input required and not supplied", _S, 0.95),
    _rule(r"Could not load credentials|Credentials could not be loaded", _S, 0.85),
    _rule(r"^(?:[\w.]+\.)?NoCredentialsError\b", _S, 0.85, case=True),
    _rule(r"NoCredentialsError|Unable to locate credentials", _S, 0.35, auth=True),
    _rule(
        r"\b(?:secrets?|token|api[_ -]?key|password|credentials?)\b.{0,80}?"
        r"\b(?:is not set|not set|not provided|not supplied|is empty|is missing|missing)\b",
        _S,
        0.7,
        requires=r"\b(?:error|fatal|fail(?:ed|ure)?|required)\b",
    ),
    _rule(r"secrets_provider_not_found", _S, 0.8),
    _rule(r"Bad credentials", _S, 0.55, auth=True),
    _rule(
        r"\b401\b.{0,40}unauthori[sz]ed|unauthori[sz]ed.{0,20}\b401\b|HTTP(?:/[\d.]+)? 401\b"
        r"|status(?: code)?:? 401\b|returned error: 401",
        _S,
        0.45,
        auth=True,
    ),
    _rule(
        r"Authentication failed|authentication required|ENEEDAUTH|\bE401\b"
        r"|invalid username or password",
        _S,
        0.6,
        auth=True,
    ),
    # Permissions (never worth a retry either).
    _rule(r"Resource not accessible by integration", _S, 0.85),
    _rule(r"Permission denied \(publickey", _S, 0.85),
    _rule(r"Permission to \S+ denied to", _S, 0.8),
    _rule(r"unable to access '[^']*': The requested URL returned error: 403", _S, 0.6),
    _rule(r"requested access to the resource is denied", _S, 0.7),
    _rule(
        r"403 Forbidden|HTTP(?:/[\d.]+)? 403\b|returned error: 403|status(?: code)?:? 403\b"
        r"|\b403\b.{0,30}forbidden|\bE403\b",
        _S,
        0.3,
        auth=True,
    ),
    _rule(r"AccessDenied|Access Denied", _S, 0.3, auth=True),
    # Timeouts.
    _rule(r"has exceeded the maximum execution time", _T, 0.95),
    _rule(r"has timed out after \d+", _T, 0.95),
    _rule(r"exceeded the maximum time limit for jobs", _T, 0.95),
    _rule(r"job_execution_timeout|execution took longer than|stuck_or_timeout_failure", _T, 0.9),
    _rule(r"No output has been received in the last|Too long with no output", _T, 0.9),
    _rule(r"The operation was canceled\.", _T, 0.7),
    _rule(r"\btimed out\b|\btimeout (?:of \S+ )?exceeded\b", _T, 0.3),
    # Out of memory.
    _rule(r"out of memory|OutOfMemoryError|OOMKilled|oom[- ]kill|\bOOM[- ]killed\b", _O, 0.85),
    _rule(r"\bMemoryError\b", _O, 0.8, case=True),
    _rule(r"(?<![\w-])Killed(?![\w-])", _O, 0.75, case=True),
    _rule(r"Cannot allocate memory|std::bad_alloc|memory allocation failed", _O, 0.7),
    _rule(r"exit code 137\b|exited with code 137\b|\bsignal 9\b|\bSIGKILL\b", _O, 0.55),
    # Network and runner infrastructure.
    _rule(
        r"Could not resolve host|Temporary failure in name resolution|Name or service not known"
        r"|\bEAI_AGAIN\b|getaddrinfo ENOTFOUND|nodename nor servname|\bno such host\b",
        _N,
        0.8,
    ),
    _rule(
        r"The runner has received a shutdown signal|lost communication with the server", _N, 0.85
    ),
    _rule(r"Job failed \(system failure\)|runner_system_failure|\bapi_failure\b", _N, 0.85),
    _rule(r"No space left on device|\bENOSPC\b", _N, 0.8),
    _rule(r"Connection reset by peer|\bECONNRESET\b", _N, 0.75),
    _rule(r"Network is unreachable|No route to host|\bENETUNREACH\b|\bEHOSTUNREACH\b", _N, 0.75),
    _rule(
        r"\bETIMEDOUT\b|Connection timed out|connect(?:ion)? timed out|Read timed out"
        r"|i/o timeout|TLS handshake timeout",
        _N,
        0.7,
    ),
    _rule(
        r"(?:API|secondary) rate limit|rate[- ]limit (?:exceeded|reached|hit)|\brate[- ]limited\b"
        r"|toomanyrequests|Too Many Requests",
        _N,
        0.7,
    ),
    # A 403 on a plain download (wget, curl) is the server's or proxy's doing.
    _rule(r"awaiting response\.\.\. 403|ERROR 403: Forbidden|curl: \(22\).*error: 403", _N, 0.5),
    _rule(
        r"Bad Gateway|Service Unavailable|Gateway Time-?out|returned error: 50[234]\b"
        r"|status(?: code)?:? 50[234]\b|HTTP(?:/[\d.]+)? 50[234]\b|\b50[234] Server Error",
        _N,
        0.65,
    ),
    _rule(r"TLS handshake|SSL handshake|handshake failed|unexpected eof while reading", _N, 0.65),
    _rule(
        r"fatal: unable to access '|RPC failed|early EOF|remote end hung up unexpectedly"
        r"|Remote end closed connection|RemoteDisconnected|IncompleteRead|ConnectTimeout"
        r"|NewConnectionError|Connection aborted|Failed to connect to|Could not connect to"
        r"|Could not create connection to|\bconnect(?:ion)? timeout\b",
        _N,
        0.6,
    ),
    _rule(r"Connection refused|\bECONNREFUSED\b", _N, 0.45),
)

# Exit codes, most authoritative first: the job's own report, then tool wrappers.
_JOB_EXIT = re.compile(
    r"Process completed with exit code (\d+)|ERROR: Job failed: exit code (\d+)"
    r"|The command \".*\" exited with (\d+)\."
)
_TOOL_EXIT = re.compile(
    r"(?i)exit status (\d+)|exited with(?: exit)? code (\d+)|Got exit code (\d+)"
    r"|returned non-zero exit status (\d+)|exit code:? (\d+)"
)
_EXIT_HINTS = {137: (_O, 0.55), 124: (_T, 0.5)}


def _first_group(match: re.Match[str]) -> int | None:
    for value in match.groups():
        if value is not None:
            return int(value)
    return None


def _line_score(rule: _Rule, line: LogLine, text: str) -> float:
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
        if category is not None:
            self.best[category] = max(self.best.get(category, 0.0), score)
        old = self.scored.get(line.number)
        if old is None or old.score < score:
            self.scored[line.number] = ScoredLine(line, score)


def _read(findings: _Findings, line: LogLine) -> None:
    text = line.text
    for rule in _RULES:
        if rule.matches(text):
            findings.add(line, rule.category, _line_score(rule, line, text))
    job = _JOB_EXIT.search(text)
    if job is not None:
        code = _first_group(job)
        if findings.job_exit is None and code:
            findings.job_exit = code  # the first step that failed
        findings.add(line, None, WRAPPER_LINE)
        return
    tool = _TOOL_EXIT.search(text)
    if tool is not None:
        code = _first_group(tool)
        if findings.tool_exit is None and code:
            findings.tool_exit = code  # the first process that failed
        findings.add(line, None, WRAPPER_LINE)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find infrastructure causes (secrets, permissions, network, timeout, OOM) in a log.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when no infrastructure signal or exit code is present.
    """
    findings = _Findings()
    for line in excerpt.all_lines():
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
