"""Extractor plugin for linters, formatters and static checkers.

Each rule is the shape of one tool's finding or verdict: ruff / flake8 / pylint codes, black and
``ruff format``'s ``would reformat``, isort, mypy's ``error: ... [code]``, ESLint / stylelint /
standard, Prettier, RuboCop, SwiftLint, ShellCheck, markdown linters, staticcheck /
golangci-lint codes, ``go vet``, Checkstyle / Spotless / PMD / SpotBugs / ktlint / detekt /
Scalafmt / Revapi tasks and goals of Gradle and Maven, lintrunner, and format checks that print
a diff (``git diff --exit-code``).
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import Findings, Rule, rule

_L = Category.LINT

FINDING = 0.85
VERDICT = 0.45

#: Highest confidence of any lint evidence: a failing test (0.8) or a compile / dependency
#: error (0.85) in the same log is the more important news.
MAX_CONFIDENCE = 0.75

_CHECK_TASKS = (
    r"checkstyle|spotless|pmd|spotbugs|findbugs|ktlint|detekt|scalafmt|scalastyle|revapi"
    r"|animal-sniffer|japicmp|apache-rat|rat|forbiddenapis|errorprone|lint|format|style"
)

#: (rule, tool) pairs, most specific first.
_RULES: tuple[tuple[Rule, str], ...] = (
    # Go.
    (
        rule(r"\.go:\d+:\d+: .+ \((?:SA|S|ST|QF|U)\d{4}\)$", FINDING, _L, confidence=0.9),
        "staticcheck",
    ),
    (rule(r"\.go:\d+:\d+: .+ \([a-z][a-z0-9]+\)$", FINDING, _L, confidence=0.8), "golangci-lint"),
    (rule(r"^vet: \S+\.go:\d+|^# \S+\n?vet:", FINDING, _L, confidence=0.8), "go vet"),
    (
        rule(r"\b(?:gofmt|goimports|gofumpt)\b.*(?:differ|need|must|not formatted)", 0.7, _L),
        "gofmt",
    ),
    # Python.
    (rule(r"^\S+\.pyi?:\d+:\d+: [A-Z]{1,3}\d{2,4}\b", FINDING, _L, confidence=0.85), "flake8"),
    (rule(r"^\S+\.pyi?:\d+:\d+: [CRWEF]\d{4}: .*\([\w-]+\)$", FINDING, _L), "pylint"),
    (
        rule(
            r"^\S+\.pyi?:\d+(?::\d+)?: error: .+(?:  \[[\w-]+\])?$",
            FINDING,
            _L,
            confidence=0.8,
            needle=": error: ",
        ),
        "mypy",
    ),
    (
        rule(
            r"^Found \d+ errors? in \d+ files? \(checked \d+ source files?\)",
            VERDICT,
            _L,
            confidence=0.8,
        ),
        "mypy",
    ),
    (rule(r"^[Ww]ould reformat:? \S", 0.8, _L, confidence=0.85), "black"),
    (
        rule(r"\d+ files? would be reformatted|Oh no! \S+ \S+ \S+$", VERDICT, _L, confidence=0.8),
        "black",
    ),
    (rule(r"^ERROR: \S+ Imports are incorrectly sorted", FINDING, _L), "isort"),
    (rule(r"^Found \d+ errors?\.(?: \[\*\] \d+ fixable)?", VERDICT, _L, confidence=0.7), "ruff"),
    # JavaScript / CSS.
    (
        rule(r"^\s+\d+:\d+\s+(?:error|✖)\s+.+\s{2,}[@\w/-]+$", FINDING, _L, confidence=0.85),
        "eslint",
    ),
    (rule(r"✖ \d+ problems? \([1-9]\d* errors?", VERDICT, _L, confidence=0.8), "eslint"),
    (rule(r"^standard: Use JavaScript Standard Style", VERDICT, _L, confidence=0.85), "standard"),
    (
        rule(
            r"Code style issues (?:found|were found)|Forgot to run Prettier\?",
            0.7,
            _L,
            confidence=0.85,
        ),
        "prettier",
    ),
    # Ruby, Swift, shell, docs.
    (
        rule(r"\d+ files? inspected, \d+ offenses? detected", VERDICT, _L, confidence=0.85),
        "rubocop",
    ),
    (rule(r"^\S+\.rb:\d+:\d+: [CWEF]: ", FINDING, _L), "rubocop"),
    (rule(r": (?:warning|error): .+ Violation: ", FINDING, _L, confidence=0.85), "swiftlint"),
    (rule(r"Done linting! Found [1-9]\d* violations?", VERDICT, _L, confidence=0.8), "swiftlint"),
    (rule(r"^In \S+ line \d+:$|\bSC\d{4}\b", 0.7, _L, confidence=0.75), "shellcheck"),
    (
        rule(
            r"^\S+\.(?:md|markdown|rst|adoc):\d+(?::\d+)?:? ?(?:MD\d{3})?\s?\S",
            0.8,
            _L,
            confidence=0.75,
        ),
        "markdown",
    ),
    (rule(r"^Overfull \\[hv]box", 0.5, _L, confidence=0.45), "latex"),
    # JVM build tools.
    (
        rule(
            rf"(?i)(?:Execution failed for task '[\w:-]*"
            rf"|Failed to execute goal \S*(?:{_CHECK_TASKS})\S*)(?:{_CHECK_TASKS})",
            0.55,
            _L,
            confidence=0.85,
        ),
        "gradle",
    ),
    (rule(rf"(?i)> Task :[\w:-]*(?:{_CHECK_TASKS})\w* FAILED", 0.4, _L, confidence=0.8), "gradle"),
    (
        rule(
            r"The following files had format violations|violations? (?:were )?found|You have \d+ "
            r"Checkstyle violations?|errors? reported by Checkstyle|\[ant:checkstyle\]",
            0.8,
            _L,
            confidence=0.85,
        ),
        "checkstyle",
    ),
    (
        rule(
            r"API changes: \d+ \(Detected by \[?Revapi|API problems? (?:found|caused the build)",
            0.75,
            _L,
            confidence=0.8,
        ),
        "revapi",
    ),
    # lintrunner and generic linter verdicts.
    (rule(r"^\s*(?:Error|Warning) \([A-Z][A-Z0-9_]+\) ", FINDING, _L), "lintrunner"),
    (rule(r"^>>> (?:Lint for \S+|General linter failure)", 0.5, _L, confidence=0.8), "lintrunner"),
    (
        rule(
            r"\blint(?:er|ing)? (?:failed|errors? found)|\d+ lint (?:errors?|issues?)",
            0.5,
            _L,
            confidence=0.6,
            needle="lint",
            ignore_case=True,
        ),
        "lint",
    ),
)

_RULES = tuple(
    (attrs.evolve(found, confidence=min(found.confidence, MAX_CONFIDENCE)), tool)
    for found, tool in _RULES
)

#: A format check that prints the diff it wants applied (``git diff --exit-code``).
_DIFF_START = re.compile(r"diff --git a/\S+ b/\S+$")

#: What only ruff prints, among the tools whose findings look like flake8's: the ``[*]``
#: fixable mark after the code, its summary and fix hints, rule codes flake8 has no plugin for.
_RUFF = re.compile(
    r"^\S+\.pyi?:\d+:\d+: [A-Z]{1,4}\d{1,4} \[\*\] |^Found \d+ errors?\.|^\[\*\] \d+ fixable with"
    r"|^No fixes available|^\S+\.pyi?:\d+:\d+: (?:RUF|PL[CERW]|UP|FURB|PERF|ERA|PGH|TRY|FBT)\d{3}\b"
)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find linter, formatter and static-checker findings in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when no such tool reported anything.
    """
    findings = Findings()
    tool: str | None = None
    ruff = False
    for line in excerpt.bounded_lines():
        text = line.text
        if text.startswith("##["):
            text = re.sub(r"^##\[(?:error|warning)\]", "", text)
        ruff = ruff or _RUFF.search(text) is not None
        for candidate, name in _RULES:
            if candidate.search(text) is not None:
                findings.apply(candidate, line)
                tool = tool or name
                break
        else:
            if _DIFF_START.match(text):
                findings.score(line, 0.5)
                findings.vote(_L, 0.5)
                tool = tool or "diff"
    if not findings.scored:
        return None
    if tool == "flake8" and ruff:
        tool = "ruff"  # ruff prints flake8's shape, and says it is ruff elsewhere
    return findings.extraction(tool)
